"""The scorer on small hand-made cases (contract section 8)."""

from __future__ import annotations

import copy

from medins_ie.evaluate import score_document

GOLD = {"text": "7.82億元", "span": [10, 16], "type": "amount", "value": 782000000.0, "unit": "CNY",
        "scheme": "basic_medical", "account": None, "metric": "income", "measure": "level", "status": "actual",
        "period": {"start": "2025-01-01", "end": "2025-03-31"}, "region": "拉萨市", "qualifiers": {}}
GOLD2 = dict(GOLD, text="2.91億元", span=[20, 26], value=291000000.0, metric="expenditure")


def pred(**changes):
    p = copy.deepcopy(GOLD)
    p.update(changes)
    return p


def scores(gold, predicted):
    return score_document("t", gold, predicted).counts.scores()


def test_perfect_match():
    s = scores([GOLD, GOLD2], [copy.deepcopy(GOLD), copy.deepcopy(GOLD2)])
    assert s["entity"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0}
    assert s["record"]["f1"] == 1.0
    assert all(v == 1.0 for v in s["binding"].values())


def test_wrong_value_is_not_an_entity_match_but_still_binds():
    s = scores([GOLD], [pred(value=78200000.0)])
    assert s["entity"]["f1"] == 0.0
    assert s["matched"] == 1
    assert s["record"]["f1"] == 1.0  # record exact compares the binding fields only


def test_value_tolerance_is_relative_1e6():
    assert scores([GOLD], [pred(value=782000000.0 * (1 + 1e-8))])["entity"]["f1"] == 1.0
    assert scores([GOLD], [pred(value=782000000.0 * (1 + 1e-5))])["entity"]["f1"] == 0.0


def test_wrong_field():
    s = scores([GOLD], [pred(scheme="employee_medical")])
    assert s["entity"]["f1"] == 1.0
    assert s["binding"]["scheme"] == 0.0 and s["binding"]["metric"] == 1.0
    assert s["record"]["f1"] == 0.0


def test_region_and_qualifiers_do_not_break_record_exact():
    s = scores([GOLD], [pred(region="全国", qualifiers={"setting": "inpatient"})])
    assert s["record"]["f1"] == 1.0
    assert s["binding"]["region"] == 0.0 and s["binding"]["qualifiers"] == 0.0


def test_period_compares_start_and_end():
    s = scores([GOLD], [pred(period={"start": "2025-01-01", "end": "2025-03-30", "kind": "interval"})])
    assert s["binding"]["period"] == 0.0 and s["record"]["f1"] == 0.0


def test_missing_record():
    s = scores([GOLD, GOLD2], [copy.deepcopy(GOLD)])
    assert s["entity"] == {"precision": 1.0, "recall": 0.5, "f1": round(2 / 3, 4)}


def test_spurious_record():
    s = scores([GOLD], [copy.deepcopy(GOLD), copy.deepcopy(GOLD2)])
    assert s["entity"]["precision"] == 0.5 and s["entity"]["recall"] == 1.0


def test_duplicate_prediction_counts_once():
    result = score_document("t", [GOLD], [copy.deepcopy(GOLD), copy.deepcopy(GOLD)])
    s = result.counts.scores()
    assert s["matched"] == 1 and s["entity"]["precision"] == 0.5
    assert [d["kind"] for d in result.diffs] == ["spurious"]


def test_span_mismatch_is_missed_plus_spurious():
    result = score_document("t", [GOLD], [pred(span=[10, 15], text="7.82億")])
    assert sorted(d["kind"] for d in result.diffs) == ["missed", "spurious"]
    assert result.counts.scores()["entity"]["f1"] == 0.0
