"""HTML input: the plain-text rendering, its offsets, and spans mapped back into the HTML."""

from __future__ import annotations

import time
from typing import Iterator, Optional

import pytest

import medins_ie
from medins_ie.html import extract_html, html_to_text, looks_like_html

PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8">
<title>拉萨市医疗保障局2025年第一季度医保基金运行情况</title>
<style>p { color: red } /* 999万元 */</style>
<script>var s = "<p>参保人数88.88万人</p>"; if (a < b) { run(); }</script>
</head>
<body>
<!-- 注释里的 777万元 不算 -->
<h1>拉萨市2025年第一季度&nbsp;医保基金运行情况</h1>
<p>2025年1-3月,基本医疗保险参保人数55.15万人,其中职工参保人数16.49万人,
   城乡居民参保人数38.66万人。</p>
<p>职工医保基金(含生育保险)支出1.28亿元,比上年增长1.52&#37;。</p>
<p>医保&amp;医疗救助协同推进。</p>
<table border="1">
  <caption>表1 2025年1-3月基金收支情况</caption>
  <tr><th></th><th>收入(亿元)</th><th>支出(亿元)</th></tr>
  <tr><td><p>职工医保</p></td><td>4.21</td><td>1.28</td></tr>
  <tr><td>居民医保</td><td>3.61</td><td>1.63</td></tr>
</table>
<table>
  <tr><td>项目</td><td>人次</td></tr>
  <tr><td>住院结算</td><td>1124</td></tr>
  <tr><td>门诊结算</td><td>35678</td></tr>
</table>
<noscript>请启用JavaScript 66万元</noscript>
</body></html>
"""


@pytest.fixture(scope="module")
def rendered() -> tuple[str, list[int]]:
    return html_to_text(PAGE)


@pytest.fixture(scope="module")
def doc() -> medins_ie.Document:
    return extract_html(PAGE)


def spans_with_text(doc: medins_ie.Document) -> Iterator[tuple[str, tuple[int, int], Optional[str]]]:
    """Every (what, span, text) of a Document; text is None where the part has no text of its own."""
    for r in doc.records:
        yield f"record {r.id}", r.span, r.text
        for ev in r.evidence:
            yield f"evidence {r.id}/{ev.role}", ev.span, ev.text
        if r.period is not None and r.period.span is not None:
            yield f"period {r.id}", r.period.span, r.period.text
    for e in doc.entities:
        yield f"entity {e.label}", e.span, e.text
    for t in doc.tables:
        yield f"table {t.id}", t.span, None
        for c in t.cells:
            if c.span is not None:
                yield f"cell {t.id}[{c.row},{c.col}]", c.span, c.text
    if doc.meta.title_span is not None:
        yield "title", doc.meta.title_span, doc.meta.title
    rp = doc.meta.report_period
    if rp is not None and rp.span is not None:
        yield "report period", rp.span, rp.text


# ------------------------------------------------------------------ rendering

def test_title_is_the_first_line(rendered: tuple[str, list[int]]) -> None:
    text, _ = rendered
    assert text.split("\n")[0] == "拉萨市医疗保障局2025年第一季度医保基金运行情况"


def test_script_style_comments_and_noscript_are_dropped(rendered: tuple[str, list[int]]) -> None:
    text, _ = rendered
    for hidden in ("88.88", "999万元", "777万元", "66万元", "color", "run()"):
        assert hidden not in text


def test_blocks_are_lines_and_whitespace_collapses(rendered: tuple[str, list[int]]) -> None:
    lines = rendered[0].split("\n")
    assert "2025年1-3月,基本医疗保险参保人数55.15万人,其中职工参保人数16.49万人, 城乡居民参保人数38.66万人。" in lines
    assert all(line == line.strip() and line for line in lines)
    assert "  " not in rendered[0]


def test_entities_are_decoded(rendered: tuple[str, list[int]]) -> None:
    lines = rendered[0].split("\n")
    assert "拉萨市2025年第一季度 医保基金运行情况" in lines            # &nbsp;
    assert "职工医保基金(含生育保险)支出1.28亿元,比上年增长1.52%。" in lines   # &#37;
    assert "医保&医疗救助协同推进。" in lines                           # &amp;


def test_table_rows_are_lines_with_pipes(rendered: tuple[str, list[int]]) -> None:
    lines = rendered[0].split("\n")
    assert "职工医保 | 4.21 | 1.28" in lines          # <p> inside a cell stays on the row's line
    assert "住院结算 | 1124" in lines
    assert "- | 收入(亿元) | 支出(亿元)" in lines       # empty corner cell keeps the columns aligned


def test_offsets_point_at_the_source_characters(rendered: tuple[str, list[int]]) -> None:
    text, offsets = rendered
    assert len(offsets) == len(text)
    assert offsets == sorted(offsets)
    for ch, pos in zip(text, offsets):
        if ch in " |-\n":
            continue                                  # inserted or collapsed characters
        assert PAGE[pos] == ch or PAGE[pos] == "&", (ch, pos)
    i = text.index("1124")
    assert PAGE[offsets[i]:offsets[i] + 4] == "1124"
    sep = text.index(" | 1124")
    assert PAGE.startswith("<td>", offsets[sep + 1])  # the separator maps to the cell's tag
    pct = text.index("%")
    assert PAGE.startswith("&#37;", offsets[pct])     # an entity's character maps to its start


def test_pre_keeps_its_lines() -> None:
    text, _ = html_to_text("<pre>项目    人次\n住院结算    1124\n</pre>")
    assert text == "项目    人次\n住院结算    1124"


# ------------------------------------------------------------------ extraction

def test_every_span_slices_the_html_to_its_text(doc: medins_ie.Document) -> None:
    checked = 0
    for what, (start, end), text in spans_with_text(doc):
        assert 0 <= start <= end <= len(PAGE), what
        if text is not None:
            assert PAGE[start:end] == text, what
            checked += 1
    assert checked > 20


def test_records_from_text_and_tables(doc: medins_ie.Document) -> None:
    by_text = {r.text: r for r in doc.records}
    assert by_text["55.15万人"].metric == "enrollment"
    assert by_text["1124"].unit and PAGE[by_text["1124"].span[0] - 4:by_text["1124"].span[0]] == "<td>"
    assert "1.52&#37;" in by_text                      # a span ending in an entity takes all of it
    table_values = {c.text for t in doc.tables for c in t.cells}
    assert {"4.21", "1.28", "3.61", "1.63"} <= table_values
    income = next(r for r in doc.records if r.text == "4.21")
    assert income.metric == "income" and income.scheme == "employee_medical"


def test_hidden_text_yields_no_records(doc: medins_ie.Document) -> None:
    values = {r.value for r in doc.records}
    assert not values & {88.88, 999.0, 777.0, 66.0}


def test_title_maps_into_the_html(doc: medins_ie.Document) -> None:
    assert doc.meta.title == "拉萨市医疗保障局2025年第一季度医保基金运行情况"
    start, end = doc.meta.title_span
    assert PAGE[start - 7:start] == "<title>"


def test_extract_html_uses_the_given_extractor() -> None:
    calls = []

    class Spy:
        def extract(self, text: str) -> medins_ie.Document:
            calls.append(text)
            return medins_ie.Document()

    assert extract_html("<p>参保人数55.15万人</p>", Spy()).records == []  # type: ignore[arg-type]
    assert calls == ["参保人数55.15万人"]


def test_non_str_input_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="decode"):
        extract_html(PAGE.encode("utf-8"))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        html_to_text(None)  # type: ignore[arg-type]


def test_looks_like_html() -> None:
    assert looks_like_html(PAGE)
    assert looks_like_html("  <DIV class=x>参保</DIV>")
    assert looks_like_html("<table><tr><td>1124</td></tr></table>")
    assert not looks_like_html("2025年1-3月,基本医疗保险参保人数55.15万人 (a<b)")
    assert not looks_like_html("")


# ------------------------------------------------------------------ broken and pathological HTML

def test_word_style_markup_and_junk_declarations() -> None:
    page = ("<p class=MsoNormal><![if !supportLists]>(一)<![endif]>参保人数55.15万人</p>"
            "<p><![ junk 1124人次</p><p>&#; &#xZZ; &bogus; a < b & c</p>")
    text, offsets = html_to_text(page)
    assert text.split("\n") == ["(一)参保人数55.15万人", "<![ junk 1124人次", "&#; &#xZZ; &bogus; a < b & c"]
    assert all(page[p] == ch for ch, p in zip(text, offsets) if ch not in " \n")


def test_unclosed_tags_and_stray_brackets() -> None:
    page = "<div><p>收入4.21亿元<td>1124<b>人次</div> <i 3<5 and <a href=\"x"
    text, offsets = html_to_text(page)
    assert text == "收入4.21亿元 1124人次\n<i 3<5 and <a href=\"x"   # nothing after the last '>' is a tag
    assert page[offsets[-1]] == "x"


@pytest.mark.parametrize("page, expected", [
    ("<div>" * 100_000, ""),
    ("<table>" * 100_000 + "1124", "1124"),
    ("<" * 100_000, "<" * 100_000),
    ("<a " * 100_000, ("<a " * 100_000).strip()),
    ("<!--" * 50_000, "<!--" * 50_000),
    ('<p title="' * 50_000, ('<p title="' * 50_000)),
])
def test_pathological_markup_is_linear(page: str, expected: str) -> None:
    started = time.perf_counter()
    text, offsets = html_to_text(page)
    assert text == expected and len(offsets) == len(text)
    assert time.perf_counter() - started < 20      # quadratic parsing of these takes many minutes


def test_a_megabyte_without_tags() -> None:
    page = ("医保基金运行平稳 fund\tflow\n" * 60_000)[:1_000_000]
    text, offsets = html_to_text(page)
    assert text == " ".join(page.split())
    assert offsets[0] == 0 and offsets[-1] == len(page.rstrip()) - 1
    doc = extract_html(page)
    assert doc.records == []


def test_deep_nesting_extracts_nothing_without_error() -> None:
    assert extract_html("<div>" * 100_000).records == []
    doc = extract_html("<div>" * 100_000 + "参保人数55.15万人")
    assert [r.text for r in doc.records] == ["55.15万人"]


# ---------------------------------------------------------------- merged cells (rowspan / colspan)

def _word_cell(text: str, attrs: str = "") -> str:
    return (f"<td width=92 {attrs} valign=top style='width:69.0pt;border:solid windowtext 1.0pt;padding:0cm 5.4pt'>"
            f"<p class=MsoNormal align=center style='text-align:center'><span style='font-family:宋体'>{text}"
            f"<span lang=EN-US><o:p></o:p></span></span></p></td>")


def _word_page() -> str:
    """A table as Word's "Save as web page" writes it: a year header over two columns, schemes over two rows."""
    rows = [_word_cell("险种", "rowspan=2") + _word_cell("项目", "rowspan=2") + _word_cell("金额", "colspan=2"),
            _word_cell("2024年") + _word_cell("2023年")]
    for scheme, income, spending in (("职工医保", ("4562.3", "4100.5"), ("3827.1", "3600.2")),
                                     ("居民医保", ("5237.4", "5000.1"), ("5091.6", "4800.3"))):
        rows.append(_word_cell(scheme, "rowspan=2") + _word_cell("收入") + _word_cell(income[0]) + _word_cell(income[1]))
        rows.append(_word_cell("支出") + _word_cell(spending[0]) + _word_cell(spending[1]))
    body = "\n".join(f" <tr style='mso-yfti-irow:{i}'>\n  {r}\n </tr>" for i, r in enumerate(rows))
    return ('<html xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:w="urn:schemas-microsoft-com:office:word">\n'
            '<head><meta http-equiv=Content-Type content="text/html; charset=utf-8"></head>\n'
            "<body lang=ZH-CN style='tab-interval:21.0pt'><div class=WordSection1>\n"
            "<p class=MsoNormal align=center><b><span style='font-size:16.0pt'>某县医疗保险基金收支情况</span></b></p>\n"
            "<p class=MsoNormal align=right><span>单位：万元</span></p>\n"
            "<table class=MsoTableGrid border=1 cellspacing=0 cellpadding=0 style='border-collapse:collapse'>\n"
            f"{body}\n</table></div></body></html>")


def test_word_table_merged_cells_are_expanded():
    page = _word_page()
    text, _ = html_to_text(page)
    lines = text.splitlines()
    assert "险种 | 项目 | 金额 | 金额" in lines and "险种 | 项目 | 2024年 | 2023年" in lines
    assert "职工医保 | 支出 | 3827.1 | 3600.2" in lines and "居民医保 | 支出 | 5091.6 | 4800.3" in lines
    doc = extract_html(page)
    got = [(r.text, r.scheme, r.metric, r.period.start[:4]) for r in doc.records]
    assert got == [("4562.3", "employee_medical", "income", "2024"), ("4100.5", "employee_medical", "income", "2023"),
                   ("3827.1", "employee_medical", "expenditure", "2024"),
                   ("3600.2", "employee_medical", "expenditure", "2023"),
                   ("5237.4", "resident_medical", "income", "2024"), ("5000.1", "resident_medical", "income", "2023"),
                   ("5091.6", "resident_medical", "expenditure", "2024"),
                   ("4800.3", "resident_medical", "expenditure", "2023")]
    assert all(page[r.span[0]:r.span[1]] == r.text for r in doc.records)
    assert doc.records[0].value == 45623000.0
    # a label written again for a merged cell points at the one cell of the page, and is one entity
    spans = [e.span for e in doc.entities]
    assert len(spans) == len(set(spans))
    first = page.index("职工医保")
    assert any(e.span == (first, first + 4) for e in doc.entities)
    cell = next(c for c in doc.tables[0].cells if c.text == "3827.1")
    assert cell.row_header == ["职工医保", "支出"] and cell.col_header[-1] == "2024年"


def test_merged_figure_is_written_once_and_huge_spans_are_bounded():
    page = ("<table><tr><td>项目</td><td>2024年</td><td>2023年</td></tr>"
            "<tr><td>基金收入(万元)</td><td colspan=2>120</td></tr></table>")
    text, _ = html_to_text(page)
    assert text.splitlines()[-1] == "基金收入(万元) | 120 | -"
    hostile = "<table><tr><td rowspan=99999999 colspan=99999999>x</td></tr><tr><td>1</td></tr></table>"
    text, starts = html_to_text(hostile)
    assert len(text) < 20000 and len(starts) == len(text)
