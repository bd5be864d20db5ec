"""The document tree and the scoping policy: what passes which boundary, and what must not (issue 11)."""

from __future__ import annotations

import shutil

import pytest

import medins_ie
from medins_ie.paths import default_model_dir
from medins_ie.structure import describe

from conftest import find

TITLE = "青山县医疗保障局2025年第一季度医疗保障基金运行情况\n"


def period(r):
    return (r.period.start, r.period.end) if r.period else None


def test_a_sentence_wrapped_over_lines_keeps_its_metric_and_period():
    doc = medins_ie.extract(TITLE + "截至3月底,全县职工基本医疗保险参保人数达\n1.86万人,比上年同期增加320人。\n")
    r = find(doc, "1.86万人")
    assert (r.scheme, r.metric, period(r)) == ("employee_medical", "enrollment", ("2025-03-31", "2025-03-31"))
    assert find(doc, "320人").measure == "yoy_change"


def test_list_items_inherit_the_intro_sentence_and_break_down_its_figure():
    text = (TITLE + "一、参保情况\n截至3月底,全县基本医疗保险参保总人数261,356人,其中:\n"
            "1、职工基本医疗保险参保18,642人;\n2、城乡居民基本医疗保险参保242,714人。\n")
    doc = medins_ie.extract(text)
    for t, scheme in (("18,642人", "employee_medical"), ("242,714人", "resident_medical")):
        r = find(doc, t)
        assert (r.scheme, r.metric, period(r)) == (scheme, "enrollment", ("2025-03-31", "2025-03-31"))
    assert not doc.findings  # 18,642 + 242,714 = 261,356


def test_a_list_over_lines_that_does_not_add_up_is_a_finding():
    text = (TITLE + "1-3月,全县医保基金总收入7,864.92万元,其中:\n1、职工医保基金收入2,738.52万元;\n"
            "2、城乡居民医保基金收入5,000.00万元。\n")
    doc = medins_ie.extract(text)
    [f] = [f for f in doc.findings if f.kind == "sum"]
    assert set(f.records) == {find(doc, t).id for t in ("7,864.92万元", "2,738.52万元", "5,000.00万元")}


def test_a_balance_that_nets_several_listed_outlays_is_not_a_finding():
    text = (TITLE + "3月,职工医保基金收入5126万元,支出待遇15233万元、上解上级支出5243万元,当期结余-15350万元。\n")
    doc = medins_ie.extract(text)
    assert not [f for f in doc.findings if f.kind == "balance"]


def test_a_plain_balance_that_does_not_add_up_is_a_finding():
    doc = medins_ie.extract(TITLE + "1-3月,职工医保基金收入5126万元,支出4000万元,当期结余1000万元。\n")
    assert [f for f in doc.findings if f.kind == "balance"]


def test_an_unnumbered_list_ends_at_a_numbered_heading():
    text = ("青山县2025年医保基金总额控制分配方案\n(1)职工基本医疗保险统筹基金\n统筹基金支出预算8942万元,拟支出明细如下:\n"
            "门诊支出:1220万元;\n县内住院DRG:1807万元。\n(2)职工大额医疗费用补助保险基金\n"
            "职工大额医疗费用补助保险基金支出预算1364万元,拟支出明细如下:\n经办费用预留金额:46万元。\n")
    doc = medins_ie.extract(text)
    assert find(doc, "1220万元").account == "pooled"
    assert find(doc, "1364万元").account is None  # the first list's 统筹基金 does not pass into (2)
    assert find(doc, "1364万元").scheme == "large_medical_subsidy"


def test_a_sentence_opening_with_qizhong_continues_the_one_before():
    text = TITLE + "年末全县参加基本医疗保险人数24.86万人。其中,参加职工基本医疗保险5.28万人。\n"
    doc = medins_ie.extract(text)
    assert period(find(doc, "5.28万人")) == period(find(doc, "24.86万人"))


def test_a_paragraph_period_carries_to_its_next_sentence_but_not_into_an_inline_section():
    text = (TITLE + "1-2月,全县医保基金收入3800万元。基金支出2600万元。二是医疗救助情况。医疗救助支出120万元。\n")
    doc = medins_ie.extract(text)
    assert period(find(doc, "2600万元")) == ("2025-01-01", "2025-02-28")
    assert period(find(doc, "120万元")) == ("2025-01-01", "2025-03-31")  # the report period, not 1-2月


def test_a_headline_names_a_topic_that_a_sentence_overrides_even_with_a_weak_word():
    text = ("望川市今年以来医疗救助资金支出超1.2亿元\n2025-09-04 07:52  来源:望川日报\n"
            "截至目前,全市基本医疗保险参保人数达428.6万人。今年以来,全市医疗救助资金支出1.23亿元。\n")
    doc = medins_ie.extract(text)
    assert find(doc, "428.6万人").scheme == "basic_medical"
    assert find(doc, "1.23亿元").scheme == "medical_assistance"


def test_the_tree_outline_shows_sections_intros_and_items():
    text = TITLE + "一、参保情况\n截至3月底,参保总人数261,356人,其中:\n1、职工参保18,642人;\n2、居民参保242,714人。\n"
    outline = describe(_tree(text), text)
    assert "section[1]" in outline and "intro" in outline and outline.count("item") == 2


def _tree(text: str):
    from medins_ie.meta import document_info
    from medins_ie.normalize import normalize
    from medins_ie.pipeline import _resolve_overlaps, _within
    from medins_ie.recognize import find_periods, find_quantities, find_terms
    from medins_ie.relate import Relater
    from medins_ie.segment import segment
    from medins_ie.structure import build_tree
    from medins_ie import tables

    model = medins_ie.load().model
    doc = normalize(text, model.char_table).text
    lines = segment(doc, model)
    info = document_info(doc, lines, model)
    content = [(ln.start, ln.end) for ln in lines if ln.kind not in ("blank", "noise", "meta")]
    periods, quantities, terms = _resolve_overlaps(_within(find_periods(doc, model), content),
                                                   _within(find_quantities(doc, model), content),
                                                   _within(find_terms(doc, model), content))
    relater = Relater(doc, model, info, terms, quantities, periods)
    return build_tree(doc, lines, tables.find_tables(doc, lines, relater, model), relater)


def test_the_scoping_policy_is_data(tmp_path):
    """Dropping `period` from the intro boundary in a copied model stops items inheriting the intro's date."""
    text = (TITLE + "截至3月底,全县基本医疗保险参保总人数261,356人,其中:\n1、职工基本医疗保险参保18,642人;\n"
            "2、城乡居民基本医疗保险参保242,714人。\n")
    assert period(find(medins_ie.extract(text), "18,642人")) == ("2025-03-31", "2025-03-31")
    copy = tmp_path / "model"
    shutil.copytree(default_model_dir(), copy)
    policy = copy / "patterns" / "scoping.tsv"
    policy.write_text(policy.read_text(encoding="utf-8").replace(
        "intro\tscheme,account,metric,period,status,includes", "intro\tscheme,account,metric,status,includes"),
        encoding="utf-8")
    doc = medins_ie.load(copy).extract(text)
    assert period(find(doc, "18,642人")) == ("2025-01-01", "2025-03-31")  # the report period instead


def test_an_unknown_scoping_boundary_is_refused(tmp_path):
    copy = tmp_path / "model"
    shutil.copytree(default_model_dir(), copy)
    (copy / "patterns" / "scoping.tsv").write_text("paragraf\tperiod\n", encoding="utf-8")
    with pytest.raises(medins_ie.ModelError, match="unknown boundary"):
        medins_ie.load(copy)


def test_a_stock_compared_with_last_year_end_is_a_year_end_figure():
    doc = medins_ie.extract("青山县2024年医疗保障事业发展统计公报\n\n按险种分,参加职工医保8.53万人,较上年末增加0.27万人,"
                            "增幅3.27%。全年职工医保基金收入3.2亿元,较上年增长5.1%。\n")
    for text in ("8.53万人", "0.27万人", "3.27%"):
        assert period(find(doc, text)) == ("2024-12-31", "2024-12-31"), text
    # a flow compared with last year stays the year
    for text in ("3.2亿元", "5.1%"):
        assert period(find(doc, text)) == ("2024-01-01", "2024-12-31"), text
