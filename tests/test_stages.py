"""Each stage on its own: normalize, segment, recognize, periods, relate."""

from __future__ import annotations

import pytest

import medins_ie
from medins_ie.model import load_model
from medins_ie.normalize import normalize
from medins_ie.periods import resolve
from medins_ie.recognize import find_periods, find_quantities, find_terms
from medins_ie.segment import segment


@pytest.fixture(scope="module")
def model():
    return load_model()


# ---------------------------------------------------------------- normalize
def test_traditional_and_full_width_fold_without_moving_offsets(model):
    text = "醫療保險基金總收入７．８２億元（含生育保險）"
    norm = normalize(text, model.char_table)
    assert norm.text == "医疗保险基金总收入7.82亿元(含生育保险)"
    assert len(norm.text) == len(text)


def test_pinyin_glosses_are_cut_and_spans_map_back(model):
    text = "醫(yī)保基金支出(含生育保險)640.50萬元"
    norm = normalize(text, model.char_table)
    assert norm.text == "医保基金支出(含生育保险)640.50万元"
    s = norm.text.index("640.50")
    start, end = norm.span(s, s + len("640.50万元"))
    assert text[start:end] == "640.50萬元"
    start, end = norm.span(0, 2)  # a span across a cut gloss includes it
    assert text[start:end] == "醫(yī)保"


def test_lost_spaces_become_spaces(model):
    assert normalize("??? 一、参保情况", model.char_table).text == "    一、参保情况"


# ---------------------------------------------------------------- segment
def test_segment_marks_noise_and_headings(model):
    doc = ("永久免费av网站,国产丰满麻豆videossexhd\n当前位置: 首页\n一、基本情况\n(一)参保情况。2025年参保1万人。\n"
           "1.城镇职工:截止2024年3月底参保23684人\n(1)一季度住院1881人次,总费用1320.55万元。\n"
           "京ICP备12039121号-1\n")
    lines = segment(doc, model)
    kinds = [(ln.kind, ln.level) for ln in lines]
    assert kinds == [("noise", 0), ("noise", 0), ("heading", 1), ("heading", 2), ("heading", 3), ("heading", 4),
                     ("noise", 0)]
    h2 = lines[3]
    assert doc[h2.label[0]:h2.label[1]] == "参保情况" and doc[h2.body_start:h2.end] == "2025年参保1万人。"
    assert lines[5].label is None  # a numbered paragraph whose first clause holds a figure has no label


def test_gambling_spam_lines_are_noise_and_give_no_records(model):
    doc = ("某娱乐城_真人百家乐_注册即送38元\n一、基金收入\n2025年职工医保基金收入1.2亿元。\n"
           "线上娱乐城 首存即送100%彩金 每日返水1.8%\n")
    assert [ln.kind for ln in segment(doc, model)][0] == "noise"
    assert [r.text for r in medins_ie.extract(doc).records] == ["1.2亿元"]


# ---------------------------------------------------------------- recognize
@pytest.mark.parametrize("text,value,type_,unit", [
    ("7.82亿元", 782000000.0, "amount", "CNY"),
    ("6685.55万元", 66855500.0, "amount", "CNY"),
    ("3亿7694万元", 376940000.0, "amount", "CNY"),
    ("-0.16亿元", -16000000.0, "amount", "CNY"),
    ("12,345.67万元", 123456700.0, "amount", "CNY"),
    ("2100余亿元", 210000000000.0, "amount", "CNY"),
    ("2.4万亿元", 2.4e12, "amount", "CNY"),
    ("55.15万人", 551500.0, "count", "person"),
    ("86.68万人次", 866800.0, "count", "person_time"),
    ("302家", 302.0, "count", "institution"),
    ("511笔", 511.0, "count", "item"),
    ("2.66个月", 2.66, "count", "month"),
    ("4.96%", 4.96, "ratio", "%"),
    ("4个百分点", 4.0, "ratio", "pp"),
    ("百分之五十", 50.0, "ratio", "%"),
    ("三亿七千万元", 370000000.0, "amount", "CNY"),
    ("3741.21万元/月", 37412100.0, "amount", "CNY"),
])
def test_quantities(model, text, value, type_, unit):
    [q] = [q for q in find_quantities(text, model) if q.type]
    assert (q.value, q.type, q.unit) == (pytest.approx(value), type_, unit)
    assert (q.start, q.end) == (0, len(text))


def test_bare_and_multiplier_only_numbers_have_no_type(model):
    qs = find_quantities("支出1611.08万(其中参保23684", model)
    assert [(q.type, q.has_multiplier, q.bare) for q in qs] == [(None, True, False), (None, False, True)]


def test_classifier_个_takes_the_noun_unit(model):
    [q] = find_quantities("19个定点医疗机构", model)
    assert q.unit == "institution"


@pytest.mark.parametrize("text,year,start,end,kind", [
    ("2025年1-3月", None, "2025-01-01", "2025-03-31", "interval"),
    ("2025年第一季度", None, "2025-01-01", "2025-03-31", "interval"),
    ("一季度", 2024, "2024-01-01", "2024-03-31", "interval"),
    ("上半年", 2024, "2024-01-01", "2024-06-30", "interval"),
    ("2022年1月-6月", None, "2022-01-01", "2022-06-30", "interval"),
    ("1-6月", 2022, "2022-01-01", "2022-06-30", "interval"),
    ("2025年3月", None, "2025-03-01", "2025-03-31", "interval"),
    ("截至2024年3月底", None, "2024-03-31", "2024-03-31", "instant"),
    ("截止20243月底", None, "2024-03-31", "2024-03-31", "instant"),
    ("截至6月1日", 2017, "2017-06-01", "2017-06-01", "instant"),
    ("2021年末", None, "2021-12-31", "2021-12-31", "instant"),
    ("2025年", None, "2025-01-01", "2025-12-31", "interval"),
    ("前三季度", 2023, "2023-01-01", "2023-09-30", "interval"),
])
def test_periods(model, text, year, start, end, kind):
    [spec] = find_periods(text, model)
    r = resolve(spec, year, stock=True)
    assert (r.start, r.end, r.kind) == (start, end, kind)


def test_as_of_date_for_a_flow_is_year_to_date(model):
    [spec] = find_periods("截至2025年3月31日", model)
    r = resolve(spec, None, stock=False)
    assert (r.start, r.end, r.kind) == ("2025-01-01", "2025-03-31", "interval")


def test_period_without_a_year_is_null(model):
    [spec] = find_periods("3月份", model)
    assert resolve(spec, None, stock=False) is None


def test_terms_are_leftmost_longest(model):
    terms = find_terms("城乡居民大病保险基金857.1万元,个人账户家庭共济564万元", model)
    labels = [(t.start, t.end, {(a.field, a.label) for a in t.assignments}) for t in terms]
    assert labels[0][2] >= {("scheme", "critical_illness")}
    assert ("account", "family_mutual_aid") in labels[1][2]


# ---------------------------------------------------------------- relate (through the public API)
def test_clause_inheritance_and_breakdown():
    doc = medins_ie.extract("(二)城镇职工基本医疗保险基金情况。\n2025年1-3月,统筹基金收入3.73亿元,比上年下降6.63%;"
                            "个人账户支出0.65亿元(住院0.4亿元,门诊0.25亿元)。")
    r = {x.text: x for x in doc.records}
    assert (r["3.73亿元"].scheme, r["3.73亿元"].account, r["3.73亿元"].metric) == (
        "employee_medical", "pooled", "income")
    assert (r["6.63%"].value, r["6.63%"].measure, r["6.63%"].related) == (-6.63, "yoy_change", r["3.73亿元"].id)
    assert r["0.4亿元"].account == "personal_account" and r["0.4亿元"].qualifiers == {"setting": "inpatient"}
    assert r["0.25亿元"].qualifiers == {"setting": "outpatient"}


def test_year_from_context_and_as_of_stock():
    doc = medins_ie.extract("某县2024年第一季度医保基金运行情况\n截至3月底,全县参保人数41.1万人,一季度基金支出1.2亿元。")
    r = {x.text: x for x in doc.records}
    assert (r["41.1万人"].period.start, r["41.1万人"].period.kind) == ("2024-03-31", "instant")
    assert (r["1.2亿元"].period.start, r["1.2亿元"].period.end) == ("2024-01-01", "2024-03-31")


def test_deficit_is_negative():
    [r] = medins_ie.extract("2023年,某市居民医保基金当期赤字3754万元。").records
    assert (r.value, r.metric) == (-37540000.0, "current_balance")
