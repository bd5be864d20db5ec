"""A document's records as a plain-text table for the terminal (``medins-ie extract --format table``).

Every bound field is shown, qualifiers included (they are what tells apart most figures of a
report); a field with the same value in every record is printed once above the table instead of in
each row; the table is fitted to the given width, truncating the widest columns with ``…``.
"""

from __future__ import annotations

import calendar
import unicodedata
from typing import Optional

from .records import Document, Period, Record

__all__ = ["table_view", "compact_period", "compact_qualifiers", "display_width"]

# column: minimum width when the table has to shrink (0: never shrunk); never less than the column's name
COLUMNS = {"id": 0, "text": 6, "value": 0, "unit": 4, "scheme": 6, "account": 7, "metric": 6, "measure": 7,
           "status": 6, "period": 7, "region": 6, "qualifiers": 10}
DROP_FIRST = ("unit", "value")   # hidden, in this order, before any column is cut
CONSTANT_OK = ("unit", "scheme", "account", "measure", "status", "period", "region", "qualifiers")
GAP = "  "
ELLIPSIS = "…"


def display_width(s: str) -> int:
    """Columns ``s`` takes in a terminal (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def _fit(s: str, width: int) -> str:
    """``s`` cut to ``width`` display columns (with ``…``) and padded to exactly that width."""
    w = display_width(s)
    if w > width:
        out, used = [], 0
        for ch in s:
            cw = display_width(ch)
            if used + cw > width - 1:
                break
            out.append(ch)
            used += cw
        s, w = "".join(out) + ELLIPSIS, used + 1
    return s + " " * (width - w)


def compact_period(p: Optional[Period]) -> str:
    """``2024``, ``2024-01..03``, ``2024-03``, ``@2024-03-31`` (an instant), or ``start..end``; ``-`` for none."""
    if p is None or not p.start or not p.end:
        return "-"
    if p.kind == "instant" or p.start == p.end:
        return "@" + p.end
    ys, ms, ds = p.start[:4], p.start[5:7], p.start[8:]
    ye, me, de = p.end[:4], p.end[5:7], p.end[8:]
    try:
        month_end = int(de) == calendar.monthrange(int(ye), int(me))[1]
    except ValueError:
        return f"{p.start}..{p.end}"
    if ys == ye and ds == "01" and month_end:
        if (ms, me) == ("01", "12"):
            return ys
        return f"{ys}-{ms}" if ms == me else f"{ys}-{ms}..{me}"
    return f"{p.start}..{p.end}"


def compact_qualifiers(q: dict) -> str:
    """Qualifier values, comma-separated (values are unique across keys); included schemes as ``+scheme``."""
    parts = []
    for key, value in sorted(q.items()):
        if isinstance(value, list):
            parts.extend("+" + v for v in value)
        else:
            parts.append(str(value))
    return ",".join(parts)


def _value(r: Record) -> str:
    return f"{r.value:,.4f}".rstrip("0").rstrip(".")


def _cells(r: Record) -> dict[str, str]:
    return {"id": r.id, "text": r.text.replace("\n", "⏎"), "value": _value(r), "unit": r.unit,
            "scheme": r.scheme or "-", "account": r.account or "-", "metric": r.metric, "measure": r.measure,
            "status": r.status, "period": compact_period(r.period), "region": r.region or "-",
            "qualifiers": compact_qualifiers(r.qualifiers) or "-"}


def table_view(name: str, doc: Document, width: int = 120) -> str:
    """The records of ``doc`` as a table at most ``width`` columns wide, with the findings after it."""
    head = f"== {name}: {len(doc.records)} records" + (f" | {doc.meta.title}" if doc.meta.title else "")
    lines = [_fit(head, width).rstrip()]
    rows = [_cells(r) for r in doc.records]
    columns = list(COLUMNS)
    if len(rows) > 1:
        constant = [c for c in CONSTANT_OK if len({row[c] for row in rows}) == 1]
        if constant:
            lines.append(_fit("   all: " + ", ".join(f"{c}={rows[0][c]}" for c in constant), width).rstrip())
        columns = [c for c in columns if c not in constant]
    if rows:
        widths = {c: max(display_width(c), *(display_width(row[c]) for row in rows)) for c in columns}
        hidden = []
        for c in DROP_FIRST:  # the text already shows the number and its unit
            if c in widths and sum(widths.values()) + len(GAP) * (len(widths) - 1) > width:
                del widths[c]
                hidden.append(c)
        if hidden:
            columns = [c for c in columns if c not in hidden]
            lines.append(f"   (hidden to fit {width} columns: {', '.join(hidden)}; set COLUMNS wider to see them)")
        _shrink(widths, width - len(GAP) * (len(columns) - 1))
        lines.append(GAP.join(_fit(c, widths[c]) for c in columns).rstrip())
        for row in rows:
            lines.append(GAP.join(_fit(row[c], widths[c]) for c in columns).rstrip())
    for f in doc.findings:
        lines.append(_fit(f"  ! {f.severity} {f.kind}: {f.message}", width).rstrip())
    return "\n".join(lines)


def _shrink(widths: dict[str, int], room: int) -> None:
    """Narrow the widest shrinkable columns, one column at a time, until the total fits ``room``."""
    while sum(widths.values()) > room:
        candidates = [c for c, w in widths.items() if COLUMNS[c] and w > COLUMNS[c]]
        if not candidates:
            return
        widest = max(candidates, key=lambda c: widths[c])
        widths[widest] -= 1
