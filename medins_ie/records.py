"""The output contract: ``Document``, ``Record`` and their parts, as JSON-serialisable dataclasses.

Field names and labels follow the output contract (``docs/contract.md``; its labels as this project
uses them are in ``docs/taxonomy.md``); every span is ``[start, end)`` into the original input string
and ``text == input[start:end]``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Optional

from dataclasses_json import DataClassJsonMixin, config

Span = tuple[int, int]


def _plain(value: Any) -> Any:
    """JSON-ready copy of a value: dataclasses to dicts, tuples to lists (what dataclasses-json emits)."""
    fields = getattr(type(value), "__dataclass_fields__", None)
    if fields is not None:
        return {name: _plain(getattr(value, name)) for name in fields}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


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
    """A consistency check that does not add up (``docs/contract.md``, section 6)."""

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
    value: Optional[float] = None    # the figure of the cell's record, scaled by the table's unit
    unit: Optional[str] = None


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

    def to_dataframe(self, text: bool = False) -> Any:
        """The table as a ``pandas.DataFrame``: every row kept, figures as numbers scaled by the unit.

        ``text=True`` gives the cells as printed. Needs pandas; see ``medins_ie.frames.table_frame``.
        """
        from .frames import table_frame

        return table_frame(self, text=text)


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
    """Everything extracted from one input string.

    ``text`` is that input as decoded (the HTML page for HTML input), so that every span can be checked
    against it: ``doc.text[r.span[0]:r.span[1]] == r.text``. It is not part of the JSON form.
    """

    records: list[Record] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    meta: Meta = field(default_factory=Meta)
    findings: list[Finding] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    text: Optional[str] = field(default=None, repr=False, compare=False,
                                metadata=config(exclude=lambda _: True))  # type: ignore[arg-type]

    def to_dict(self, encode_json: bool = False) -> dict[str, Any]:  # type: ignore[override]
        """The document as plain dicts and lists (same shape as dataclasses-json's, several times faster)."""
        return _document_dict(self)

    def to_json(self, **kwargs: Any) -> str:  # type: ignore[override]
        """JSON text; ``ensure_ascii`` defaults to False so Chinese stays readable."""
        kwargs.setdefault("ensure_ascii", False)
        return json.dumps(_document_dict(self), **kwargs)

    def to_dataframe(self, document: Optional[str] = None) -> Any:
        """The records as a ``pandas.DataFrame``, one row per record (needs pandas; see ``medins_ie.frames``)."""
        from .frames import records_frame

        return records_frame([self], [document])

    def to_html(self, text: str, name: Optional[str] = None, title: Optional[str] = None) -> str:
        """A self-contained HTML review page of this document over ``text``, the string it was extracted from.

        See ``medins_ie.review``; a ``text`` whose slices do not match the records raises ``ValueError``.
        """
        from .review import document_html

        return document_html(self, text, name=name, title=title)

    @classmethod
    def from_dict(cls, kvs: Any, *, infer_missing: bool = False) -> "Document":  # type: ignore[override]
        """The ``Document`` that ``to_dict`` produced (exact round trip); a malformed dict raises ``ValueError``."""
        try:
            return _document(kvs)
        except (KeyError, TypeError, IndexError, AttributeError, ValueError) as exc:
            raise ValueError(f"not a medins_ie Document: {type(exc).__name__}: {exc}") from None

    @classmethod
    def from_json(cls, s: Any, *, parse_float: Any = None, parse_int: Any = None,  # type: ignore[override]
                  parse_constant: Any = None, infer_missing: bool = False, **kw: Any) -> "Document":
        """The ``Document`` that ``to_json`` produced (exact round trip)."""
        return cls.from_dict(json.loads(s, parse_float=parse_float, parse_int=parse_int,
                                        parse_constant=parse_constant, **kw))


# ------------------------------------------------------------------ JSON shape, written out per class
# dataclasses-json inspects the type hints of every field on every call (hundreds of ms for a large document);
# these encode and decode the same shape directly. ``test_api`` checks them against dataclasses-json.

def _lst(span: Optional[Span]) -> Optional[list]:
    return None if span is None else list(span)


def _tup(span: Optional[list]) -> Optional[tuple]:
    return None if span is None else tuple(span)


def _period_dict(p: Optional[Period]) -> Optional[dict[str, Any]]:
    if p is None:
        return None
    return {"text": p.text, "span": _lst(p.span), "start": p.start, "end": p.end, "kind": p.kind}


def _record_dict(r: Record) -> dict[str, Any]:
    return {"id": r.id, "type": r.type, "value": r.value, "unit": r.unit, "text": r.text, "span": list(r.span),
            "scheme": r.scheme, "account": r.account, "metric": r.metric, "measure": r.measure, "status": r.status,
            "period": _period_dict(r.period), "region": r.region,
            "qualifiers": _plain(r.qualifiers) if r.qualifiers else {},
            "evidence": [{"role": e.role, "text": e.text, "span": list(e.span)} for e in r.evidence],
            "related": r.related}


def _cell_dict(c: Cell) -> dict[str, Any]:
    return {"row": c.row, "col": c.col, "text": c.text, "span": _lst(c.span), "row_header": list(c.row_header),
            "col_header": list(c.col_header), "record": c.record, "value": c.value, "unit": c.unit}


def _document_dict(doc: Document) -> dict[str, Any]:
    m = doc.meta
    return {
        "records": [_record_dict(r) for r in doc.records],
        "entities": [{"label": e.label, "text": e.text, "span": list(e.span), "value": e.value}
                     for e in doc.entities],
        "meta": {"title": m.title, "title_span": _lst(m.title_span), "issuer": m.issuer, "region": m.region,
                 "published": m.published, "report_period": _period_dict(m.report_period), "status": m.status,
                 "warnings": list(m.warnings)},
        "findings": [{"kind": f.kind, "severity": f.severity, "message": f.message, "records": list(f.records),
                      "expected": f.expected, "observed": f.observed, "relative_gap": f.relative_gap}
                     for f in doc.findings],
        "tables": [{"id": t.id, "caption": t.caption, "span": _lst(t.span), "unit_note": t.unit_note,
                    "layout": t.layout, "header_rows": [list(h) for h in t.header_rows],
                    "cells": [_cell_dict(c) for c in t.cells]} for t in doc.tables],
    }


def _period(d: Optional[dict]) -> Optional[Period]:
    if d is None:
        return None
    return Period(d["text"], _tup(d.get("span")), d.get("start"), d.get("end"), d.get("kind"))


def _record(d: dict) -> Record:
    return Record(d["id"], d["type"], float(d["value"]), d["unit"], d["text"], tuple(d["span"]),
                  d.get("scheme"), d.get("account"), d.get("metric", "other"), d.get("measure", "level"),
                  d.get("status", "actual"), _period(d.get("period")), d.get("region"),
                  d["qualifiers"] if "qualifiers" in d else {},
                  [Evidence(e["role"], e["text"], tuple(e["span"])) for e in d.get("evidence", ())],
                  d.get("related"))


def _cell(d: dict) -> Cell:
    return Cell(d["row"], d["col"], d["text"], _tup(d.get("span")), d.get("row_header", []),
                d.get("col_header", []), d.get("record"), d.get("value"), d.get("unit"))


def _document(d: dict) -> Document:
    m = d.get("meta") or {}
    meta = Meta(m.get("title"), _tup(m.get("title_span")), m.get("issuer"), m.get("region"), m.get("published"),
                _period(m.get("report_period")), m.get("status", "actual"), m.get("warnings", []))
    return Document(
        records=[_record(r) for r in d.get("records", ())],
        entities=[Entity(e["label"], e["text"], tuple(e["span"]), e.get("value")) for e in d.get("entities", ())],
        meta=meta,
        findings=[Finding(f["kind"], f["severity"], f["message"], f.get("records", []), f.get("expected"),
                          f.get("observed"), f.get("relative_gap")) for f in d.get("findings", ())],
        tables=[Table(t["id"], t["caption"], tuple(t["span"]), t.get("unit_note"), t.get("layout", ""),
                      t.get("header_rows", []), [_cell(c) for c in t.get("cells", ())]) for t in d.get("tables", ())],
    )


def pack(doc: Document) -> tuple:
    """A document as nested builtin tuples without the texts its spans can restore (see ``unpack``).

    Cheap to pickle between processes: the receiving side has the source text and re-slices it.
    """
    def period(p: Optional[Period]) -> Optional[tuple]:
        return None if p is None else (p.span, p.start, p.end, p.kind, None if p.span else p.text)

    records = [(r.id, r.type, r.value, r.unit, r.span, r.scheme, r.account, r.metric, r.measure, r.status,
                period(r.period), r.region, r.qualifiers, [(e.role, e.span) for e in r.evidence], r.related)
               for r in doc.records]
    entities = [(e.label, e.span, e.value) for e in doc.entities]
    findings = [(f.kind, f.severity, f.message, f.records, f.expected, f.observed, f.relative_gap)
                for f in doc.findings]
    return records, entities, doc.meta, findings, doc.tables


def unpack(packed: tuple, source: str) -> Document:
    """The ``Document`` that ``pack`` flattened, its texts re-sliced from ``source`` (the input it came from)."""
    records, entities, meta, findings, tables = packed

    def period(p: Optional[tuple]) -> Optional[Period]:
        if p is None:
            return None
        span, start, end, kind, text = p
        return Period(source[span[0]:span[1]] if span else text, span, start, end, kind)

    return Document(
        text=source,
        records=[Record(i, t, v, u, source[sp[0]:sp[1]], sp, sc, ac, me, ms, st, period(p), rg, q,
                        [Evidence(role, source[es[0]:es[1]], es) for role, es in ev], rel)
                 for i, t, v, u, sp, sc, ac, me, ms, st, p, rg, q, ev, rel in records],
        entities=[Entity(label, source[es[0]:es[1]], es, value) for label, es, value in entities],
        meta=meta,
        findings=[Finding(*f) for f in findings],
        tables=tables,
    )
