"""One table rendered in every flattening real pages use gives the same records (issue 11, metamorphic)."""

from __future__ import annotations

import pytest

import medins_ie

TITLE = "青山县医疗保障局2024年1-6月医保基金收支情况\n"
CAPTION = "表1 基金收支情况表"
HEAD = ("险种", "参保人数(人)", "基金收入(万元)", "基金支出(万元)")
ROWS = (("职工医保", "12406", "9426.18", "9130.62"),
        ("城乡居民医保", "61873", "20318.75", "20883.34"),
        ("合计", "74279", "29744.93", "30013.96"))


def _rows_pipes() -> str:
    return "\n".join("| " + " | ".join(r) + " |" for r in (HEAD,) + ROWS)


def _rows_tabs() -> str:
    return "\n".join("\t".join(r) for r in (HEAD,) + ROWS)


def _rows_spaces() -> str:
    return "\n".join("    ".join(r) for r in (HEAD,) + ROWS)


def _cells_per_line() -> str:
    return "\n".join(c for r in (HEAD,) + ROWS for c in r)


def _cells_per_line_pipes() -> str:
    return "\n".join(c + " |" for r in (HEAD,) + ROWS for c in r)


def _key_value() -> str:
    return "\n".join(";".join(f"{h}:{v}" for h, v in zip(HEAD, r)) for r in ROWS)


RENDERINGS = {
    "pipe rows": lambda: TITLE + CAPTION + "\n" + _rows_pipes() + "\n",
    "tab rows": lambda: TITLE + CAPTION + "\n" + _rows_tabs() + "\n",
    "space rows": lambda: TITLE + CAPTION + "\n" + _rows_spaces() + "\n",
    "one cell per line": lambda: TITLE + CAPTION + "\n" + _cells_per_line() + "\n",
    "one cell per line with |": lambda: TITLE + CAPTION + " |\n" + _cells_per_line_pipes() + "\n",
    "key:value lines": lambda: TITLE + CAPTION + "\n" + _key_value() + "\n",
}


def _signature(doc: medins_ie.Document) -> list[tuple]:
    return sorted((r.text, r.type, r.value, r.unit, r.scheme, r.account, r.metric, r.measure, r.status,
                   (r.period.start, r.period.end) if r.period else None, r.region) for r in doc.records)


def _html() -> str:
    cells = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in (HEAD,) + ROWS)
    return (f"<html><body><h1>{TITLE.strip()}</h1><p>{CAPTION}</p><table>{cells}</table></body></html>")


@pytest.fixture(scope="module")
def reference():
    return _signature(medins_ie.extract(RENDERINGS["pipe rows"]()))


def test_reference_reads_every_cell(reference):
    assert len(reference) == 9
    by_text = {r[0]: r for r in reference}
    assert by_text["12406"][1:4] == ("count", 12406.0, "person")
    assert by_text["9426.18"][1:4] == ("amount", 94261800.0, "CNY")
    assert (by_text["9426.18"][4], by_text["9426.18"][6]) == ("employee_medical", "income")
    assert (by_text["20883.34"][4], by_text["20883.34"][6]) == ("resident_medical", "expenditure")
    assert by_text["20883.34"][9] == ("2024-01-01", "2024-06-30") and by_text["20883.34"][10] == "青山县"


@pytest.mark.parametrize("name", sorted(RENDERINGS))
def test_every_flattening_gives_the_same_records(name, reference):
    assert _signature(medins_ie.extract(RENDERINGS[name]())) == reference


def test_html_table_gives_the_same_records(reference):
    assert _signature(medins_ie.extract_html(_html())) == reference


# a unit note for the whole table, a 其中 sub-row and an empty cell
NOTE = "单位:人、万元"
HEAD2 = ("项目", "参保人数", "基金收入", "基金支出")
ROWS2 = (("职工医保", "12406", "9426.18", "9130.62"),
         ("其中:统筹基金", "—", "6120.40", "5988.31"),
         ("城乡居民医保", "61873", "20318.75", "20883.34"))


def _render2(kind: str) -> str:
    table = (HEAD2,) + ROWS2
    if kind == "pipe rows":
        body = "\n".join("| " + " | ".join(r) + " |" for r in table)
    elif kind == "tab rows":
        body = "\n".join("\t".join(r) for r in table)
    elif kind == "one cell per line":
        body = "\n".join(c for r in table for c in r)
    else:
        body = "\n".join(";".join(f"{h}:{v}" for h, v in zip(HEAD2, r)) for r in ROWS2)
    return TITLE + CAPTION + "\n" + NOTE + "\n" + body + "\n"


@pytest.mark.parametrize("kind", ["pipe rows", "tab rows", "one cell per line", "key:value lines"])
def test_unit_note_and_sub_rows_survive_every_flattening(kind):
    sig = _signature(medins_ie.extract(_render2(kind)))
    ref = _signature(medins_ie.extract(_render2("pipe rows")))
    assert sig == ref
    by_text = {r[0]: r for r in ref}
    assert by_text["12406"][1:4] == ("count", 12406.0, "person")
    assert by_text["6120.40"][1:7] == ("amount", 61204000.0, "CNY", "employee_medical", "pooled", "income")
