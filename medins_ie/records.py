"""The output contract: ``Document``, ``Record`` and their parts, as JSON-serialisable dataclasses.

Field names and labels follow ``RECORDS.md``; every span is ``[start, end)`` into the
original input string and ``text == input[start:end]``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Optional

from dataclasses_json import DataClassJsonMixin, config

Span = tuple[int, int]


def _span_field(optional: bool = False) -> Any:
    # tuples come back from JSON as lists; decode them to tuples so round-trips compare equal
    meta = config(decoder=lambda v: tuple(v) if v is not None else None)
    return field(default=None, metadata=meta) if optional else field(metadata=meta)


@dataclass(slots=True)
class Evidence(DataClassJsonMixin):
    """A span that justifies one field of a record (``role`` is the field name)."""

    role: str
    text: str
    span: Span = _span_field()


@dataclass(slots=True)
class Period(DataClassJsonMixin):
    """The time a figure covers: an ``interval`` or an ``instant`` (start == end)."""

    text: Optional[str]
    span: Optional[Span] = _span_field(optional=True)
    start: Optional[str] = None
    end: Optional[str] = None
    kind: Optional[str] = None


@dataclass(slots=True)
class Record(DataClassJsonMixin):
    """One quantity mention in report content, with its bound fields."""

    id: str
    type: str
    value: float
    unit: str
    text: str
    span: Span = _span_field()
    scheme: Optional[str] = None
    account: Optional[str] = None
    metric: str = "other"
    measure: str = "level"
    status: str = "actual"
    period: Optional[Period] = None
    region: Optional[str] = None
    qualifiers: dict[str, Any] = field(default_factory=dict)
    evidence: list[Evidence] = field(default_factory=list)
    related: Optional[str] = None


@dataclass(slots=True)
class Entity(DataClassJsonMixin):
    """A tagged span: a quantity, a period, a fund/metric/qualifier term or a region."""

    label: str
    text: str
    span: Span = _span_field()
    value: Optional[str] = None


@dataclass(slots=True)
class Finding(DataClassJsonMixin):
    """A consistency check that does not add up (section 6 of the spec)."""

    kind: str
    severity: str
    message: str
    records: list[str] = field(default_factory=list)
    expected: Optional[float] = None
    observed: Optional[float] = None
    relative_gap: Optional[float] = None


@dataclass(slots=True)
class Cell(DataClassJsonMixin):
    """One cell of a recovered table, with its header path."""

    row: int
    col: int
    text: str
    span: Optional[Span] = _span_field(optional=True)
    row_header: list[str] = field(default_factory=list)
    col_header: list[str] = field(default_factory=list)
    record: Optional[str] = None


@dataclass
class Table(DataClassJsonMixin):
    """A table recovered from flattened text (one cell per line, or ``|``-separated)."""

    id: str
    caption: Optional[str]
    span: Span = _span_field()
    unit_note: Optional[str] = None
    layout: str = ""
    header_rows: list[list[str]] = field(default_factory=list)
    cells: list[Cell] = field(default_factory=list)

    def to_dataframe(self) -> Any:
        """The table as a ``pandas.DataFrame`` (rows by row header, columns by header path); needs pandas."""
        try:
            import pandas as pd
        except ImportError as exc:  # pandas is optional
            raise ImportError("Table.to_dataframe() needs pandas: pip install pandas") from exc
        rows: dict[str, dict[str, str]] = {}
        columns: list[str] = []
        for cell in self.cells:
            col = " / ".join(cell.col_header) or f"col{cell.col}"
            row = " / ".join(cell.row_header) or f"row{cell.row}"
            if col not in columns:
                columns.append(col)
            rows.setdefault(row, {})[col] = cell.text
        return pd.DataFrame.from_dict(rows, orient="index", columns=columns)


@dataclass
class Meta(DataClassJsonMixin):
    """Document-level facts, where the text states them."""

    title: Optional[str] = None
    title_span: Optional[Span] = _span_field(optional=True)
    issuer: Optional[str] = None
    region: Optional[str] = None
    published: Optional[str] = None
    report_period: Optional[Period] = None
    status: str = "actual"
    warnings: list[str] = field(default_factory=list)


@dataclass
class Document(DataClassJsonMixin):
    """Everything extracted from one input string."""

    records: list[Record] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    meta: Meta = field(default_factory=Meta)
    findings: list[Finding] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)

    def to_json(self, **kwargs: Any) -> str:  # type: ignore[override]
        """JSON text; ``ensure_ascii`` defaults to False so Chinese stays readable."""
        kwargs.setdefault("ensure_ascii", False)
        return json.dumps(self.to_dict(encode_json=False), **kwargs)
