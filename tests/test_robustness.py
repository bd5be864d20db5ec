"""Bad, hostile and big input: extraction never raises, spans always slice, cost grows linearly."""

from __future__ import annotations

import math
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import medins_ie
from medins_ie.taxonomy import default_taxonomy

from conftest import SEEDS

EX = medins_ie.load()
TAX = default_taxonomy()
SEED_TEXTS = [p.read_text(encoding="utf-8") for p in SEEDS]

PIECES = ["医保", "醫療保險", "基金", "收入", "支出", "结余", "参保", "人次", "万人", "万元", "亿元", "元", "%", "个百分点",
          "比上年增长", "下降", "截至", "截止", "年", "月", "底", "季度", "一季度", "2025", "2024年1-3月", "(", ")", "(",
          "(含", "其中", ",", "。", ";", "、", ":", "|", "\n", "\t", "  ", "???", "(yī)", "职工", "居民", "大病保险",
          "统筹基金", "个人账户", "-", ".", "0", "1", "3.67", "12,345", "三亿七千万", "百分之五十", "《", "》", "〔",
          "一、", "(一)", "1.", "(1)", "一是", "占", "的", "合计", "小计", "单位:万元", "\x00", "\x1b", "\u200b", "\ufeff",
          "１２３", "（", "）", "萬", "億", "号", "ICP", "电话:", "余", "多"]

settings.register_profile("ci", max_examples=120, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile("ci")

texty = st.one_of(
    st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=400),
    st.lists(st.sampled_from(PIECES), max_size=120).map("".join),
)


def check_document(text: str, doc: medins_ie.Document) -> None:
    for r in doc.records:
        assert text[r.span[0]:r.span[1]] == r.text
        assert r.type in TAX.record_types and r.unit in TAX.record_types[r.type]
        assert math.isfinite(r.value)
        assert r.scheme is None or r.scheme in TAX.labels["scheme"]
        assert r.account is None or r.account in TAX.labels["account"]
        assert r.metric in TAX.labels["metric"] and r.measure in TAX.labels["measure"]
        assert r.status in TAX.labels["status"]
        assert not TAX.check_qualifiers(r.qualifiers)
        if r.period is not None:
            assert r.period.kind in TAX.labels["period_kind"]
            assert r.period.start is None or r.period.start <= r.period.end
            if r.period.span:
                assert text[r.period.span[0]:r.period.span[1]] == r.period.text
        for ev in r.evidence:
            assert text[ev.span[0]:ev.span[1]] == ev.text
    for e in doc.entities:
        assert text[e.span[0]:e.span[1]] == e.text
    for t in doc.tables:
        for c in t.cells:
            assert c.span is None or text[c.span[0]:c.span[1]] == c.text
    assert medins_ie.Document.from_json(doc.to_json()) == doc


@given(texty)
def test_random_text_never_raises_and_spans_slice(text):
    doc = EX.extract(text)
    check_document(text, doc)
    assert EX.extract(text).to_json() == doc.to_json()  # deterministic


@given(st.sampled_from(range(len(SEED_TEXTS))), st.lists(
    st.tuples(st.sampled_from(["insert", "delete", "swap"]), st.floats(0, 1), st.sampled_from(PIECES)),
    min_size=1, max_size=12))
def test_mutated_seeds_never_raise_and_spans_slice(i, edits):
    text = SEED_TEXTS[i]
    for op, where, piece in edits:
        k = int(where * (len(text) - 1))
        if op == "insert":
            text = text[:k] + piece + text[k:]
        elif op == "delete":
            text = text[:k] + text[k + len(piece):]
        elif k + 1 < len(text):
            text = text[:k] + text[k + 1] + text[k] + text[k + 2:]
    check_document(text, EX.extract(text))


# -------------------------------------------------------------- linear time
PATHOLOGICAL = {
    "digit run": "1234567890" * 2000,
    "run of 万": "万" * 20000,
    "chinese numerals": "三亿七千万" * 4000,
    "open parens": "(" * 20000,
    "year then spaces": "2024" + " " * 20000 + "年",
    "spaces around a pipe": " " * 10000 + "|" + " " * 10000,
    "one line, no punctuation": "医保基金支出亿元比上年增长" * 2000,
    "dense figures": "基金支出1.5亿元比上年增长3%," * 1000,
    "cells": "\n".join(["1"] * 10000),
    "header cells": "\n".join(["项目"] * 10000),
    "glosses": "醫(yī)" * 5000,
    "many small tables": "说明如下。\n补偿明细(人次、万元)\n项目\n本地\n异地\n人次\n12\n34\n总费用\n3.5\n4.5\n" * 300,
    "many pipe rows": "项目|收入|支出\n职工|1.5|2.5\n" * 1000,
    "rejected row blocks": "项目  名称\n" * 2000,
    "rejected pipe blocks": "项目|\n" * 2000,
    "rejected key:value blocks": "甲:乙;丙:丁\n" * 2000,
    "ratios in one sentence": "住院医疗费用100万元,基金支付50万元,实际报销比例50%," * 600,
    "costs below payments": "费用100万元,支付1万元," * 1000,
    "many tables among prose amounts": ("基金支出1.5万元。\n" * 20 + "项目|收入|支出\n职工|1.5|2.5\n\n") * 60,
}


def _cost(text: str) -> float:
    best = math.inf
    for _ in range(3):
        t = time.process_time()
        EX.extract(text)
        best = min(best, time.process_time() - t)
    return max(best, 1e-4)


@pytest.mark.parametrize("name", sorted(PATHOLOGICAL))
def test_cost_grows_linearly(name):
    """Bound: work on 4N characters is at most 8x the work on N (linear gives ~4x, quadratic 16x).

    A ratio of CPU times measured in the same process, best of three, so machine speed cancels out;
    the bound is generous to absorb noise while still failing any quadratic pattern.
    """
    unit = PATHOLOGICAL[name]
    ratio = _cost(unit * 4) / _cost(unit)
    assert ratio < 8, f"{name}: 4x input cost {ratio:.1f}x"


@pytest.mark.parametrize("text", [
    "0|10|20.5\n0.01  −2  10  −2 |",            # a row wider than the header (was an IndexError)
    "職工醫保 | 3862.473015.28 | 847.19\n居民 | 1 | 2 | 3 | 4\n",
])
def test_ragged_tables_do_not_raise(text):
    check_document(text, EX.extract(text))


def test_huge_document_is_processed():
    text = "\n".join(SEED_TEXTS) * 60  # ~2 MB
    doc = EX.extract(text)
    assert len(doc.records) > 1000
    assert text[doc.records[-1].span[0]:doc.records[-1].span[1]] == doc.records[-1].text


def test_limit_is_a_clear_error(monkeypatch):
    import medins_ie.pipeline as pipeline

    monkeypatch.setattr(pipeline, "MAX_CHARS", 100)
    with pytest.raises(ValueError, match="longer than the limit"):
        EX.extract("医" * 101)
