"""The whole path on the five seed documents: the examples of the core issue must hold."""

from __future__ import annotations

import re

import pytest

from conftest import find

Q1_2025 = ("2025-01-01", "2025-03-31")


def period(r):
    return (r.period.start, r.period.end) if r.period else None


def test_every_span_slices_the_original(seed_docs):
    for name, (text, doc) in seed_docs.items():
        assert doc.records, name
        for r in doc.records:
            assert text[r.span[0]:r.span[1]] == r.text
            for ev in r.evidence:
                assert text[ev.span[0]:ev.span[1]] == ev.text
            if r.period and r.period.span:
                assert text[r.period.span[0]:r.period.span[1]] == r.period.text
        for e in doc.entities:
            assert text[e.span[0]:e.span[1]] == e.text


def test_000_income_and_yoy(seed_docs):
    _, doc = seed_docs["000"]
    r = find(doc, "7.82億元")
    assert (r.type, r.value, r.unit, r.scheme, r.metric, r.measure, r.status) == (
        "amount", 782000000.0, "CNY", "basic_medical", "income", "level", "actual")
    assert period(r) == Q1_2025 and r.region == "拉萨市"
    level = find(doc, "4.21億元")
    assert (level.scheme, level.metric, level.qualifiers) == ("employee_medical", "income", {"includes": ["maternity"]})
    yoy = find(doc, "4.96%")
    assert (yoy.value, yoy.measure, yoy.related) == (4.96, "yoy_change", level.id)


def test_000_march_pooled_and_negative_balance(seed_docs):
    _, doc = seed_docs["000"]
    r = find(doc, "3.73億元")
    assert (r.scheme, r.account, r.metric) == ("employee_medical", "pooled", "income")
    assert period(r) == ("2025-03-01", "2025-03-31")
    assert find(doc, "6.63%").value == -6.63
    bal = find(doc, "-0.16億元")
    assert (bal.value, bal.account, bal.metric) == (-16000000.0, "personal_account", "current_balance")


def test_000_parenthetical_breakdown(seed_docs):
    _, doc = seed_docs["000"]
    got = [(find(doc, t).scheme, find(doc, t).metric) for t in ("3.67億元", "1.85億元", "1.82億元")]
    assert got == [("basic_medical", "medical_cost"), ("employee_medical", "medical_cost"),
                   ("resident_medical", "medical_cost")]
    v = find(doc, "86.68萬人次")
    assert (v.type, v.value, v.unit, v.metric) == ("count", 866800.0, "person_time", "benefit_visits")


def test_001_examples(seed_docs):
    _, doc = seed_docs["001"]
    r = find(doc, "1611.08万")
    assert (r.type, r.value, r.unit) == ("amount", 16110800.0, "CNY")
    e = find(doc, "23684")
    assert (e.type, e.value, e.unit, e.metric, e.scheme) == ("count", 23684.0, "person", "enrollment",
                                                            "employee_medical")
    assert (e.period.start, e.period.end, e.period.kind) == ("2024-03-31", "2024-03-31", "instant")
    assert find(doc, "76.88%").metric == "reimbursement_ratio"
    assert find(doc, "63.02%").measure == "share"


def test_002_plan(seed_docs):
    _, doc = seed_docs["002"]
    inc = find(doc, "19800万元")
    assert (inc.metric, inc.status) == ("income", "planned")
    pc = find(doc, "400元")
    assert (pc.value, pc.measure) == (400.0, "per_capita")
    ci = find(doc, "5940万元")
    assert (ci.metric, ci.status, ci.scheme) == ("expenditure", "planned", "critical_illness")
    assert not [r for r in doc.records if r.text.startswith("8号")], "document numbers are not records"


def test_003_mixed_units_regions_and_glosses(seed_docs):
    text, doc = seed_docs["003"]
    assert find(doc, "3億7694萬元").value == 376940000.0
    anhui = [r.text for r in doc.records if r.region == "安徽"]
    assert anhui[:3] == ["17個", "13個", "76%"]  # the per-province sentence
    for r in doc.records:  # glosses never shift a span
        assert text[r.span[0]:r.span[1]] == r.text
    assert "(gè)" not in find(doc, "76%").text


def test_004_periods_and_months_payable(seed_docs):
    _, doc = seed_docs["004"]
    r = find(doc, "4421人次")
    assert period(r) == ("2022-01-01", "2022-06-30")
    m = find(doc, "2.66個月")
    assert m.metric == "months_payable"
    gap = find(doc, "3.34個月")
    assert (gap.measure, gap.value) == ("difference", -3.34)
    rate = find(doc, "3741.21萬元/月")
    assert rate.measure == "per_month"


OUT_OF_SCOPE = {  # numbers that must never become records: postcodes, phones, licences, doc numbers, dates
    "000": ["140722", "12039121", "11010802045750", "00464", "2017-2025", "2025/05/06"],
    "001": ["126204227458732362", "2024-00010", "2024-04-19"],
    "002": ["〔2025〕8", "〔2024〕15", "〔2024〕17"],
    "003": ["730000", "8635008", "62010202000821", "〔2016〕120", "〔2017〕37"],
    "004": ["20221125-00001", "2022-11-25"],
}


@pytest.mark.parametrize("name", sorted(OUT_OF_SCOPE))
def test_no_records_from_footers_or_numbers(seed_docs, name):
    text, doc = seed_docs[name]
    for needle in OUT_OF_SCOPE[name]:
        at = text.find(needle)
        assert at >= 0, needle
        for r in doc.records:
            assert not (r.span[0] < at + len(needle) and at < r.span[1]), (needle, r.text)
    if name in ("000", "003"):  # the first line is spam
        first_line_end = text.find("\n")
        assert all(r.span[0] > first_line_end for r in doc.records)
