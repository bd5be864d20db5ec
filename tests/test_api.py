"""Public API: types, errors, serialisation, batches, model loading."""

from __future__ import annotations

import shutil

import pytest

import medins_ie
from medins_ie.paths import default_model_dir

from conftest import SEEDS


@pytest.mark.parametrize("bad", [None, b"\xe6\x94\xb6\xe5\x85\xa5", 42, ["收入7.82亿元"], 3.5])
def test_wrong_types_raise_a_clear_type_error(bad):
    with pytest.raises(TypeError, match="str"):
        medins_ie.extract(bad)


@pytest.mark.parametrize("text", ["", "   \n\t", "\n\n"])
def test_empty_text_gives_an_empty_document(text):
    doc = medins_ie.extract(text)
    assert doc.records == [] and doc.entities == [] and doc.findings == []


def test_json_round_trip_is_exact():
    text = SEEDS[1].read_text(encoding="utf-8")
    doc = medins_ie.extract(text)
    again = medins_ie.Document.from_json(doc.to_json())
    assert again == doc
    assert again.to_json() == doc.to_json()
    assert isinstance(again.records[0], medins_ie.Record) and isinstance(again.records[0].span, tuple)


def test_record_ids_are_in_span_order_and_deterministic():
    text = SEEDS[0].read_text(encoding="utf-8")
    a, b = medins_ie.extract(text), medins_ie.extract(text)
    assert a.to_json() == b.to_json()
    spans = [r.span for r in a.records]
    assert spans == sorted(spans)
    assert [r.id for r in a.records] == [f"r{i + 1}" for i in range(len(a.records))]


def test_pipe_keeps_order_and_reports_bad_documents():
    texts = [p.read_text(encoding="utf-8") for p in SEEDS]
    batch = texts[:2] + [None] + texts[2:]
    docs = list(medins_ie.load().pipe(batch))
    assert len(docs) == len(batch)
    assert docs[2].records == [] and "TypeError" in docs[2].meta.warnings[0]
    assert [len(d.records) for d in docs[:2]] == [len(medins_ie.extract(t).records) for t in texts[:2]]


def test_pipe_with_two_processes_matches_one():
    texts = [p.read_text(encoding="utf-8") for p in SEEDS] * 2
    one = [d.to_json() for d in medins_ie.load().pipe(texts)]
    two = [d.to_json() for d in medins_ie.load().pipe(texts, n_process=2, batch_size=2)]
    assert one == two


def test_edited_model_copy_changes_behaviour_without_code(tmp_path):
    model = tmp_path / "mymodel"
    shutil.copytree(default_model_dir(), model)
    text = "2024年,本市长期照护保险基金支出1.5亿元。"
    before = medins_ie.extract(text).records[0]
    assert before.scheme != "long_term_care"
    with open(model / "lexicons" / "terms.tsv", "a", encoding="utf-8") as fh:
        fh.write("长期照护保险\tscheme\tlong_term_care\n")
    after = medins_ie.load(model).extract(text).records[0]
    assert after.scheme == "long_term_care"


def test_bad_model_folder_is_a_clear_error(tmp_path):
    with pytest.raises(medins_ie.ModelError, match="model folder"):
        medins_ie.load(tmp_path)
    model = tmp_path / "m"
    shutil.copytree(default_model_dir(), model)
    with open(model / "lexicons" / "terms.tsv", "a", encoding="utf-8") as fh:
        fh.write("某词\tscheme\tnot_a_scheme\n")
    with pytest.raises(ValueError, match="not a scheme label"):
        medins_ie.load(model)


def test_tables_are_exposed():
    doc = medins_ie.extract(SEEDS[1].read_text(encoding="utf-8"))
    assert len(doc.tables) >= 8
    cell = next(c for t in doc.tables for c in t.cells if c.record)
    rec = next(r for r in doc.records if r.id == cell.record)
    assert rec.span == cell.span


def test_fast_to_dict_matches_dataclasses_json():
    from dataclasses_json import DataClassJsonMixin

    doc = medins_ie.extract(SEEDS[1].read_text(encoding="utf-8"))
    reference = DataClassJsonMixin.to_dict(doc, encode_json=False)
    assert doc.to_dict() == reference


def test_pipe_survives_any_error_in_one_document(monkeypatch):
    ex = medins_ie.Extractor()
    real = ex.extract

    def flaky(text):
        if "BOOM" in text:
            raise IndexError("simulated bug")
        return real(text)

    monkeypatch.setattr(ex, "extract", flaky)
    docs = list(ex.pipe(["2024年,基金支出1亿元。", "BOOM", "2024年,基金收入2亿元。"]))
    assert [len(d.records) for d in docs] == [1, 0, 1]
    assert docs[1].meta.warnings == ["IndexError: simulated bug"]


def test_title_span_slices_the_title():
    text = "  关于2024年基本医疗保险基金运行情况的通报  \n2024年,全县基金支出1亿元。"
    meta = medins_ie.extract(text).meta
    assert meta.title == text[meta.title_span[0]:meta.title_span[1]] == "关于2024年基本医疗保险基金运行情况的通报"


def test_previous_year_balance_takes_the_previous_year():
    doc = medins_ie.extract("2024年,全县基本医疗保险基金收入10亿元,上年结余5亿元。")
    r = {x.text: x for x in doc.records}
    assert r["10亿元"].period.start == "2024-01-01"
    assert (r["5亿元"].metric, r["5亿元"].period.start[:4]) == ("cumulative_balance", "2023")


def test_reloading_an_edited_model_copy_reads_it_again(tmp_path):
    model = tmp_path / "m"
    shutil.copytree(default_model_dir(), model)
    text = "2024年,本市长期照护保险基金支出1.5亿元。"
    assert medins_ie.load(model).extract(text).records[0].scheme != "long_term_care"
    import os
    import time

    terms = model / "lexicons" / "terms.tsv"
    with open(terms, "a", encoding="utf-8") as fh:
        fh.write("长期照护保险\tscheme\tlong_term_care\n")
    os.utime(terms, ns=(time.time_ns(), time.time_ns() + 10**9))
    assert medins_ie.load(model).extract(text).records[0].scheme == "long_term_care"


def test_a_region_resolves_to_its_division_code():
    # a county the text names, a province's short form, and a name two cities share
    assert medins_ie.division("会宁县").code == "620422"
    assert medins_ie.division("浙江").code == "330000"
    assert medins_ie.division("朝阳区").code == "110105"  # the gazetteer's first (Beijing)
    assert medins_ie.division("朝阳区", within="长春市").code == "220104"
    assert medins_ie.division("全国") is None and medins_ie.division("某县") is None
    assert medins_ie.division(None) is None  # type: ignore[arg-type]
    doc = medins_ie.extract("会宁县医疗保障局\n2024年全县城乡居民参保18.96万人。")
    regions = {medins_ie.division(r.region, doc.meta.region).code for r in doc.records}
    assert regions == {"620422"}
