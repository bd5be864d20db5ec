"""Records and tables as flat rows and ``pandas`` frames (pandas is an optional extra: ``pip install medins_ie[pandas]``).

    from medins_ie.frames import records_frame
    frame = records_frame(docs, names)          # one row per record, with its document's name
    doc.to_dataframe()                          # the same for one document
    doc.tables[0].to_dataframe()                # a recovered table: values scaled by its unit; text=True: as printed

``record_row`` is the flat form the CSV output and the frames share; nested fields become columns
(``period_start``, ``period_end``) or compact JSON (``qualifiers``).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Iterable, Optional, Sequence

if TYPE_CHECKING:  # pragma: no cover
    from .records import Document, Record, Table

__all__ = ["RECORD_COLUMNS", "record_row", "records_frame", "table_frame"]

RECORD_COLUMNS = ("document", "id", "type", "value", "unit", "text", "start", "end", "scheme", "account", "metric",
                  "measure", "status", "period_start", "period_end", "period_kind", "region", "qualifiers", "related")


def record_row(record: "Record", document: Optional[str] = None) -> dict[str, Any]:
    """One record as a flat dict with the keys of ``RECORD_COLUMNS`` (``None`` where a field is empty)."""
    p = record.period
    return {
        "document": document, "id": record.id, "type": record.type, "value": record.value, "unit": record.unit,
        "text": record.text, "start": record.span[0], "end": record.span[1], "scheme": record.scheme,
        "account": record.account, "metric": record.metric, "measure": record.measure, "status": record.status,
        "period_start": p.start if p else None, "period_end": p.end if p else None,
        "period_kind": p.kind if p else None, "region": record.region,
        "qualifiers": json.dumps(record.qualifiers, ensure_ascii=False, sort_keys=True) if record.qualifiers else None,
        "related": record.related,
    }


def _pandas() -> Any:
    try:
        import pandas as pd
    except ImportError as exc:  # pandas is optional
        raise ImportError("data frames need pandas: pip install pandas (or medins_ie[pandas])") from exc
    return pd


def records_frame(docs: Iterable["Document"], names: Optional[Sequence[Optional[str]]] = None) -> Any:
    """One ``DataFrame`` row per record of ``docs``; ``names`` (one per document) fill the ``document`` column.

    Without names, documents are numbered from 0. ``value`` is a float column, spans are ``start``/``end``.
    """
    pd = _pandas()
    rows = []
    for i, doc in enumerate(docs):
        name = names[i] if names is not None else str(i)
        rows.extend(record_row(r, name) for r in doc.records)
    frame = pd.DataFrame.from_records(rows, columns=list(RECORD_COLUMNS))
    return frame.astype({"value": "float64", "start": "int64", "end": "int64"})


def table_frame(table: "Table", text: bool = False) -> Any:
    """A recovered table as a ``DataFrame``: one row per table row (repeated labels such as two 小计 rows are kept).

    The index is the row header path (``"职工医保 / 收入"``), the columns the column header paths. Values are
    the cells' figures as numbers scaled by the table's unit (``45.62`` under ``单位:亿元`` -> 4562000000.0);
    cells that hold no figure are missing (NaN). ``text=True`` gives the cells as printed instead.
    """
    pd = _pandas()
    col_names: dict[int, str] = {}
    for cell in sorted(table.cells, key=lambda c: c.col):
        if cell.col not in col_names:
            name = " / ".join(cell.col_header) or f"col{cell.col}"
            if name in col_names.values():  # two columns with one header path stay apart
                name = f"{name} ({cell.col})"
            col_names[cell.col] = name
    rows: dict[int, dict[str, Any]] = {}
    labels: dict[int, str] = {}
    for cell in table.cells:
        labels.setdefault(cell.row, " / ".join(cell.row_header) or f"row{cell.row}")
        rows.setdefault(cell.row, {})[col_names[cell.col]] = cell.text if text else cell.value
    order = sorted(rows)
    columns = [col_names[c] for c in sorted(col_names)]
    frame = pd.DataFrame([rows[r] for r in order], columns=columns,
                         index=pd.Index([labels[r] for r in order], name="row"))
    return frame if text else frame.astype("float64")
