"""Data frames of records and tables, and ``Document.text`` for checking spans."""

from __future__ import annotations

import json
import math

import pytest

import medins_ie
from medins_ie.frames import RECORD_COLUMNS, record_row, records_frame

pd = pytest.importorskip("pandas")

SUBTOTALS = """2024年基金收支情况
表1 2024年基金收支情况(单位:万元)
项目 | 收入 | 支出
城镇职工 | 100.5 | 90.2
小计 | 100.5 | 90.2
城乡居民 | 200.1 | 180.3
小计 | 200.1 | 180.3
合计 | 300.6 | 270.5
"""


def test_table_frame_keeps_repeated_row_labels_and_scales_values():
    table = medins_ie.extract(SUBTOTALS).tables[0]
    frame = table.to_dataframe()
    assert list(frame.index) == ["城镇职工", "小计", "城乡居民", "小计", "合计"]
    assert frame["收入"].tolist() == pytest.approx([1005000.0, 1005000.0, 2001000.0, 2001000.0, 3006000.0])
    assert frame.dtypes.tolist() == ["float64", "float64"]
    printed = table.to_dataframe(text=True)
    assert printed.iloc[3].tolist() == ["200.1", "180.3"]


def test_cells_carry_the_value_of_their_record():
    doc = medins_ie.extract(SUBTOTALS)
    by_id = {r.id: r for r in doc.records}
    cells = [c for c in doc.tables[0].cells if c.record]
    assert cells and all((c.value, c.unit) == (by_id[c.record].value, by_id[c.record].unit) for c in cells)


def test_records_frame_for_many_documents():
    docs = [medins_ie.extract("2024年,全县基金收入2亿元,支出1.5亿元。"), medins_ie.extract(SUBTOTALS)]
    frame = records_frame(docs, ["a.txt", "b.txt"])
    assert list(frame.columns) == list(RECORD_COLUMNS)
    assert len(frame) == len(docs[0].records) + len(docs[1].records)
    assert frame[frame.document == "a.txt"]["value"].tolist() == [2e8, 1.5e8]
    assert frame["value"].dtype == "float64" and frame["start"].dtype == "int64"
    one = docs[0].to_dataframe("a.txt")
    assert one.equals(frame[frame.document == "a.txt"].reset_index(drop=True))


def test_record_row_is_flat():
    rec = medins_ie.extract("2024年,全县住院异地就医直接结算基金支付1.2亿元。").records[0]
    row = record_row(rec, "x")
    assert set(row) == set(RECORD_COLUMNS)
    assert all(not isinstance(v, (dict, list, tuple)) for v in row.values())
    assert row["period_start"] == "2024-01-01" and '"setting": "inpatient"' in row["qualifiers"]


def test_document_text_checks_spans_after_extract_file(tmp_path):
    text = "2024年,全縣職工醫保基金收入3.61億元,支出2.5億元。"
    for enc in ("gb18030", "big5"):
        path = tmp_path / f"{enc}.txt"
        path.write_bytes(text.encode(enc))
        doc = medins_ie.extract_file(path)
        assert doc.text == text
        assert doc.records and all(doc.text[r.span[0]:r.span[1]] == r.text for r in doc.records)


def test_document_text_is_the_input_and_stays_out_of_json():
    html = "<html><body><p>2024年,全县基金收入<b>2亿元</b>。</p></body></html>"
    doc = medins_ie.extract_html(html)
    assert doc.text == html and doc.text[doc.records[0].span[0]:doc.records[0].span[1]] == "2亿元"
    text = "2024年,全县基金收入2亿元。"
    doc = medins_ie.extract(text)
    assert doc.text is text and "text" not in doc.to_dict() and "text" not in json.loads(doc.to_json())
    again = medins_ie.Document.from_json(doc.to_json())
    assert again == doc and again.text is None
    assert medins_ie.extract("").text == ""
    assert not math.isnan(doc.records[0].value)
