"""The batch path: flat rows equal the Document records, in one process or several; Parquet out; JSON round trip."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import medins_ie
from medins_ie import flat
from medins_ie.cli import main
from medins_ie.html import extract_html

from conftest import FIXTURES

TEXTS = sorted(p for p in FIXTURES.glob("*.txt"))


@pytest.fixture(scope="module")
def docs(extractor):
    return {p.name: (p.read_text(encoding="utf-8"), extractor.extract(p.read_text(encoding="utf-8"))) for p in TEXTS}


def _records(batch: flat.FlatBatch) -> dict[str, list[medins_ie.Record]]:
    out: dict[str, list[medins_ie.Record]] = {}
    for doc, rec in batch.records():
        out.setdefault(doc, []).append(rec)
    return out


def test_flat_rows_equal_the_document_records_for_every_fixture(extractor, docs):
    assert len(docs) >= 40
    batch = extractor.extract_flat([(name, text) for name, (text, _) in docs.items()], evidence=True)
    assert batch.errors == [] and batch.documents == list(docs)
    got = _records(batch)
    for name, (_, doc) in docs.items():
        assert got.get(name, []) == doc.records, name
    assert len(batch) == sum(len(d.records) for _, d in docs.values()) > 1000


def test_without_evidence_only_the_evidence_column_is_empty(extractor, docs):
    text, doc = docs[TEXTS[1].name]
    rows = list(extractor.extract_flat([text]).rows())
    assert [r["evidence"] for r in rows] == [None] * len(doc.records)
    rebuilt = [flat.record_of(r) for r in rows]
    for rec, want in zip(rebuilt, doc.records):
        assert rec.evidence == [] and rec == medins_ie.Record(**{**want.to_dict(), "span": want.span,
                                                                 "period": want.period, "evidence": []})


def test_row_values_follow_the_schema(extractor, docs):
    text, doc = docs[TEXTS[0].name]
    rows = list(extractor.extract_flat([("seed0", text)], evidence=True).rows())
    assert list(rows[0]) == list(flat.NAMES)
    for row, rec in zip(rows, doc.records):
        assert row["document"] == "seed0" and text[row["span_start"]:row["span_end"]] == row["text"] == rec.text
        if rec.period is not None and rec.period.span is not None:
            assert text[row["period_span_start"]:row["period_span_end"]] == row["period_text"]
        assert (row["qualifiers"] is None) == (not rec.qualifiers)
        assert json.loads(row["evidence"]) == [e.to_dict() | {"span": list(e.span)} for e in rec.evidence]
        for col in flat.COLUMNS:
            if not col.nullable:
                assert row[col.name] is not None, col.name


def test_html_pages_give_the_records_of_extract_html(extractor):
    page = ("<html><body><h1>某市2024年一季度医保基金运行情况</h1><p>2024年1-3月，职工医保基金收入4.21亿元，"
            "同比增长3.2%；支出3.10亿元。</p><table><tr><td>项目</td><td>收入(万元)</td></tr>"
            "<tr><td>居民医保</td><td>1,234.5</td></tr></table></body></html>")
    doc = extract_html(page, extractor)
    assert len(doc.records) >= 3
    got = _records(extractor.extract_flat([("p", page)], evidence=True, html=True))
    assert got["p"] == doc.records


def test_files_are_read_in_the_batch_with_encodings_and_errors(extractor, docs, tmp_path):
    text, doc = docs[TEXTS[0].name]
    (tmp_path / "gbk.txt").write_bytes(text.encode("gb18030"))
    (tmp_path / "page.html").write_text("<html><body><p>2024年，职工医保基金收入4.21亿元。</p></body></html>",
                                        encoding="utf-8")
    (tmp_path / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xff\xff\xff")
    items = [tmp_path / "gbk.txt", tmp_path / "page.html", tmp_path / "binary.txt", tmp_path / "missing.txt", None]
    batch = extractor.extract_flat(items, evidence=True)
    assert batch.documents == [str(p) for p in items[:4]] + ["4"]
    got = _records(batch)
    assert got[str(tmp_path / "gbk.txt")] == doc.records
    assert [r.text for r in got[str(tmp_path / "page.html")]] == ["4.21亿元"]   # read as HTML: spans into the page
    reasons = dict(batch.errors)
    assert set(reasons) == {str(tmp_path / "binary.txt"), str(tmp_path / "missing.txt"), "4"}
    assert reasons[str(tmp_path / "binary.txt")].startswith("DecodeError: ")
    assert reasons[str(tmp_path / "missing.txt")].startswith("FileNotFoundError: ")
    assert reasons["4"].startswith("TypeError: ") and "\n" not in "".join(reasons.values())


def test_bad_batch_options_are_refused_up_front(extractor):
    with pytest.raises(ValueError, match="errors must be"):
        extractor.extract_flat(["text"], errors="ignore")
    with pytest.raises(TypeError, match="html must be"):
        next(extractor.pipe_flat(["text"], html="yes"))


def test_pipe_flat_in_two_processes_equals_one(extractor):
    texts = [p.read_text(encoding="utf-8") for p in TEXTS[:12]] * 2 + [None, ""]
    one = list(extractor.pipe_flat(texts, batch_size=3))
    two = list(extractor.pipe_flat(texts, batch_size=3, n_process=2))
    assert [b.documents for b in one] == [b.documents for b in two]
    assert [b.columns for b in one] == [b.columns for b in two]
    merged = flat.concat(two)
    assert merged.documents == [str(i) for i in range(len(texts))]
    assert [d for d, _ in merged.errors] == [str(len(texts) - 2)]
    assert len(merged) == 2 * sum(len(extractor.extract(t).records) for t in texts[:12])


def test_arrow_and_pandas_keep_the_schema_and_nulls(extractor, docs):
    pa = pytest.importorskip("pyarrow")
    pytest.importorskip("pandas")
    text, _ = docs[TEXTS[0].name]
    batch = extractor.extract_flat([text, text[:40]])
    table = batch.to_arrow()
    assert table.schema.equals(flat.arrow_schema()) and table.num_rows == len(batch)
    assert table.schema.field("period_span_start").type == pa.int64()
    frame = batch.to_pandas()
    assert list(frame.columns) == list(flat.NAMES)
    assert str(frame["span_start"].dtype) == "Int64" and frame["evidence"].isna().all()
    assert list(table.to_pylist()) == list(batch.rows())


def test_cli_writes_parquet_that_pandas_reads_back(tmp_path, extractor, docs, capsys):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    names = [p.name for p in TEXTS[:6]]
    for i, name in enumerate(names):
        (src / ("sub" if i % 2 else "") / name).write_text(docs[name][0], encoding="utf-8")
    (src / "broken.txt").write_bytes(b"\xff" * 40)
    (src / "notes.md").write_text("not a report", encoding="utf-8")
    code = main(["extract", str(src), "--format", "parquet", "-o", str(tmp_path / "out"), "-j", "2", "--evidence"])
    assert code == 1                              # one input failed, as with the other formats
    assert "broken.txt: DecodeError" in capsys.readouterr().err
    frame = pd.read_parquet(tmp_path / "out" / "records")
    assert list(frame.columns) == list(flat.NAMES)
    assert len(frame) == sum(len(docs[n][1].records) for n in names)
    assert {Path(d).name for d in frame["document"]} == {n for n in names if docs[n][1].records}
    errors = pd.read_parquet(tmp_path / "out" / "errors")
    assert [Path(d).name for d in errors["document"]] == ["broken.txt"]
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    by_doc: dict[str, list] = {}
    for row in rows:
        by_doc.setdefault(Path(row["document"]).name, []).append(flat.record_of(row))
    for n in names:
        assert by_doc.get(n, []) == docs[n][1].records, n


def test_cli_parquet_needs_an_output_folder(capsys):
    assert main(["extract", str(TEXTS[0]), "--format", "parquet"]) == 2
    assert "-o DIR" in capsys.readouterr().err


# ------------------------------------------------------------------ JSON

def test_json_round_trip_is_exact_for_every_fixture(docs):
    for name, (_, doc) in docs.items():
        again = medins_ie.Document.from_json(doc.to_json())
        assert again == doc, name
        assert again.to_json() == doc.to_json()


def test_fast_from_dict_matches_dataclasses_json(docs):
    from dataclasses_json.core import _decode_dataclass

    _, doc = docs[TEXTS[1].name]
    data = doc.to_dict()
    assert medins_ie.Document.from_dict(data) == _decode_dataclass(medins_ie.Document, data, False)


def test_json_from_other_writers_fills_defaults_and_bad_json_is_refused():
    doc = medins_ie.Document.from_json('{"records": [{"id": "r1", "type": "amount", "value": 400, "unit": "CNY", '
                                       '"text": "400元", "span": [0, 4]}]}')
    rec = doc.records[0]
    assert rec.value == 400.0 and isinstance(rec.value, float) and rec.span == (0, 4)
    assert rec.metric == "other" and rec.qualifiers == {} and rec.evidence == [] and doc.meta.status == "actual"
    with pytest.raises(ValueError, match="not a medins_ie Document"):
        medins_ie.Document.from_json('{"records": [{"id": "r1"}]}')
    with pytest.raises(ValueError):
        medins_ie.Document.from_json("[1, 2")
