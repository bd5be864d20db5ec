"""Flat records: one row per record, in columns, for batches of documents (and the Parquet schema).

``Extractor.pipe_flat`` and ``medins_ie.dask`` return records this way instead of as ``Document``
objects: the rows are made where the document is extracted (in a worker process) and only compact
columns travel. The schema is ``COLUMNS``; every value equals the ``Record`` field it comes from, so
``FlatBatch.records()`` rebuilds the exact ``Record`` objects (with ``evidence`` when it was asked for).

    document           string   not null  the document's id: the path for files, the caller's id, else its
                                          position in the input (``"0"``, ``"1"``, ...)
    id                 string   not null  record id in the document (``r1``, ``r2``, ... in span order)
    type               string   not null  ``amount`` | ``count`` | ``ratio``
    value              double   not null  the figure in base units (yuan, persons, percent)
    unit               string   not null  ``CNY``, ``person``, ``%``, ...
    text               string   not null  the figure as written: ``input[span_start:span_end]``
    span_start         int64    not null  the figure's span in the input (``start``/``end`` are reserved
    span_end           int64    not null  words in SQL, hence the prefix)
    scheme, account    string   nullable  fund scheme and account labels
    metric, measure    string   not null  metric and measure labels
    status             string   not null  ``actual`` | ``planned``
    period_text        string   nullable  the period as written, when the text states it
    period_span_start  int64    nullable  its span in the input
    period_span_end    int64    nullable
    period_start       string   nullable  ISO date ``YYYY-MM-DD``
    period_end         string   nullable  ISO date ``YYYY-MM-DD``
    period_kind        string   nullable  ``interval`` | ``instant``
    region             string   nullable  the region the figure is about
    qualifiers         string   nullable  JSON object (as in the record's JSON), null when empty
    related            string   nullable  id of the level record a change or share modifies
    evidence           string   nullable  JSON array of ``{"role", "text", "span"}`` (as in the record's
                                          JSON); null unless evidence was asked for

Errors (documents that could not be read or extracted) have their own two columns, ``document`` and
``reason``. Labels are those of ``docs/taxonomy.md``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Optional, Sequence

from .records import Evidence, Period, Record

RecordValues = tuple
"""The computed fields of one record, in ``Record``'s field order, with ``period`` as ``(text, span, start,
end, kind)`` or ``None`` and ``evidence`` as ``[(role, text, span), ...]`` (made by the extractor)."""


@dataclass(frozen=True)
class Column:
    """One column of the flat schema."""

    name: str
    type: str            # "string", "double" or "int64"
    nullable: bool
    description: str


COLUMNS: tuple[Column, ...] = (
    Column("document", "string", False, "document id: the path for files, the caller's id, else the input position"),
    Column("id", "string", False, "record id in the document (r1, r2, ... in span order)"),
    Column("type", "string", False, "amount | count | ratio"),
    Column("value", "double", False, "the figure in base units"),
    Column("unit", "string", False, "unit label"),
    Column("text", "string", False, "the figure as written: input[span_start:span_end]"),
    Column("span_start", "int64", False, "span start in the input"),
    Column("span_end", "int64", False, "span end in the input"),
    Column("scheme", "string", True, "fund scheme label"),
    Column("account", "string", True, "account label"),
    Column("metric", "string", False, "metric label"),
    Column("measure", "string", False, "measure label"),
    Column("status", "string", False, "actual | planned"),
    Column("period_text", "string", True, "the period as written"),
    Column("period_span_start", "int64", True, "the period's span start in the input"),
    Column("period_span_end", "int64", True, "the period's span end in the input"),
    Column("period_start", "string", True, "ISO date"),
    Column("period_end", "string", True, "ISO date"),
    Column("period_kind", "string", True, "interval | instant"),
    Column("region", "string", True, "region the figure is about"),
    Column("qualifiers", "string", True, "JSON object, null when empty"),
    Column("related", "string", True, "id of the level record a change or share modifies"),
    Column("evidence", "string", True, "JSON array of {role, text, span}; null unless asked for"),
)
NAMES: tuple[str, ...] = tuple(c.name for c in COLUMNS)
ERROR_COLUMNS: tuple[Column, ...] = (
    Column("document", "string", False, "document id"),
    Column("reason", "string", False, "why the document gave no records: the error type and message"),
)
SCHEMA_VERSION = 1


def rows(document: str, values: Iterable[RecordValues], evidence: bool = False) -> list[tuple]:
    """The flat rows (in ``NAMES`` order) of one document's records."""
    out = []
    dumps = json.dumps
    qjson: dict[int, Optional[str]] = {}   # records often share one qualifiers dict
    for (rid, typ, value, unit, text, span, scheme, account, metric, measure, status, period, region,
         qualifiers, ev, related) in values:
        if qualifiers:
            key = id(qualifiers)
            q = qjson.get(key)
            if q is None:
                q = qjson[key] = dumps(qualifiers, ensure_ascii=False)
        else:
            q = None
        if period is None:
            ptext = pstart_off = pend_off = pstart = pend = pkind = None
        else:
            ptext, pspan, pstart, pend, pkind = period
            pstart_off, pend_off = pspan if pspan is not None else (None, None)
        evj = dumps([{"role": r, "text": t, "span": [s, e]} for r, t, (s, e) in ev],
                    ensure_ascii=False) if evidence else None
        out.append((document, rid, typ, value, unit, text, span[0], span[1], scheme, account, metric, measure,
                    status, ptext, pstart_off, pend_off, pstart, pend, pkind, region, q, related, evj))
    return out


def record_of(row: dict[str, Any]) -> Record:
    """The ``Record`` a flat row came from (``evidence`` empty when the row has none)."""
    period = None
    if row["period_start"] is not None or row["period_end"] is not None or row["period_text"] is not None \
            or row["period_kind"] is not None:
        pspan = None if row["period_span_start"] is None else (int(row["period_span_start"]),
                                                               int(row["period_span_end"]))
        period = Period(row["period_text"], pspan, row["period_start"], row["period_end"], row["period_kind"])
    evidence = [Evidence(e["role"], e["text"], tuple(e["span"])) for e in json.loads(row["evidence"])] \
        if row["evidence"] is not None else []
    return Record(row["id"], row["type"], float(row["value"]), row["unit"], row["text"],
                  (int(row["span_start"]), int(row["span_end"])), row["scheme"], row["account"], row["metric"],
                  row["measure"], row["status"], period, row["region"],
                  json.loads(row["qualifiers"]) if row["qualifiers"] is not None else {}, evidence, row["related"])


@dataclass
class FlatBatch:
    """The flat records of a batch of documents: ``columns[name]`` is one column, in ``NAMES`` order.

    ``documents`` lists the id of every document of the batch (with or without records), ``errors`` the
    ``(document, reason)`` of those that failed.
    """

    documents: list[str] = field(default_factory=list)
    columns: dict[str, Sequence[Any]] = field(default_factory=lambda: {n: () for n in NAMES})
    errors: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def from_rows(cls, documents: list[str], rows_: list[tuple], errors: list[tuple[str, str]]) -> "FlatBatch":
        cols = list(zip(*rows_)) if rows_ else [() for _ in NAMES]
        return cls(documents, dict(zip(NAMES, cols)), errors)

    def __len__(self) -> int:
        return len(self.columns["id"])

    def rows(self) -> Iterator[dict[str, Any]]:
        """One dict per record, keyed by column name."""
        cols = [self.columns[n] for n in NAMES]
        for values in zip(*cols):
            yield dict(zip(NAMES, values))

    def records(self) -> Iterator[tuple[str, Record]]:
        """``(document, Record)`` for every row: the dataclasses, rebuilt on demand."""
        for row in self.rows():
            yield row["document"], record_of(row)

    def to_arrow(self) -> Any:
        """The records as a ``pyarrow.Table`` of ``arrow_schema()`` (needs pyarrow)."""
        pa = _pyarrow()
        schema = arrow_schema()
        return pa.Table.from_arrays([pa.array(self.columns[f.name], type=f.type) for f in schema], schema=schema)

    def errors_to_arrow(self) -> Any:
        """The errors as a ``pyarrow.Table`` of ``errors_schema()`` (needs pyarrow)."""
        pa = _pyarrow()
        docs, reasons = (list(c) for c in zip(*self.errors)) if self.errors else ([], [])
        return pa.Table.from_arrays([pa.array(docs, pa.string()), pa.array(reasons, pa.string())],
                                    schema=errors_schema())

    def to_pandas(self) -> Any:
        """The records as a ``pandas.DataFrame`` (integers as nullable ``Int64``; needs pyarrow and pandas)."""
        return arrow_to_pandas(self.to_arrow())


def concat(batches: Iterable[FlatBatch]) -> FlatBatch:
    """One batch holding the documents, rows and errors of ``batches`` in order."""
    out = FlatBatch(columns={n: [] for n in NAMES})
    for b in batches:
        out.documents.extend(b.documents)
        out.errors.extend(b.errors)
        for n in NAMES:
            out.columns[n].extend(b.columns[n])  # type: ignore[attr-defined]
    return out


def _pyarrow() -> Any:
    try:
        import pyarrow
    except ImportError as exc:
        raise ImportError("flat records as Arrow or Parquet need pyarrow: pip install 'medins_ie[parquet]'") from exc
    return pyarrow


def _arrow_type(pa: Any, name: str) -> Any:
    return {"string": pa.string(), "double": pa.float64(), "int64": pa.int64()}[name]


def arrow_schema() -> Any:
    """The ``pyarrow.Schema`` of the records (``COLUMNS``), with the schema version in its metadata."""
    pa = _pyarrow()
    return pa.schema([pa.field(c.name, _arrow_type(pa, c.type), nullable=c.nullable) for c in COLUMNS],
                     metadata={"medins_ie.flat_schema": str(SCHEMA_VERSION)})


def errors_schema() -> Any:
    """The ``pyarrow.Schema`` of the errors (``ERROR_COLUMNS``)."""
    pa = _pyarrow()
    return pa.schema([pa.field(c.name, _arrow_type(pa, c.type), nullable=c.nullable) for c in ERROR_COLUMNS],
                     metadata={"medins_ie.flat_schema": str(SCHEMA_VERSION)})


def arrow_to_pandas(table: Any) -> Any:
    """A records (or errors) Arrow table as pandas, integers as nullable ``Int64`` so null spans stay null."""
    import pandas as pd

    pa = _pyarrow()
    return table.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)


class ParquetSink:
    """Streams flat batches into ``<out>/records/part-<n>.parquet`` and ``<out>/errors/part-<n>.parquet``.

    The same layout ``medins_ie.dask`` writes: ``pandas.read_parquet("<out>/records")`` reads it all back.
    """

    def __init__(self, out_dir: Any, part: int = 0, row_group_size: int = 100_000):
        import os
        from pathlib import Path

        import pyarrow.parquet as pq  # noqa: F401  (fail here, before any file is made, without pyarrow)

        _pyarrow()
        self.out = Path(out_dir)
        self.part = part
        self.row_group_size = row_group_size
        name = f"part-{part:05d}.parquet"
        self.paths = {kind: self.out / kind / name for kind in ("records", "errors")}
        for p in self.paths.values():
            os.makedirs(p.parent, exist_ok=True)
        self._tmp = {k: p.with_suffix(".parquet.tmp") for k, p in self.paths.items()}
        self._writers = {"records": pq.ParquetWriter(self._tmp["records"], arrow_schema()),
                         "errors": pq.ParquetWriter(self._tmp["errors"], errors_schema())}
        self.documents = self.rows = self.failed = 0

    def write(self, batch: FlatBatch) -> None:
        """Append one batch's records and errors."""
        self.documents += len(batch.documents)
        self.rows += len(batch)
        self.failed += len(batch.errors)
        if len(batch):
            self._writers["records"].write_table(batch.to_arrow(), row_group_size=self.row_group_size)
        if batch.errors:
            self._writers["errors"].write_table(batch.errors_to_arrow())

    def close(self) -> None:
        """Finish both files (each appears under its final name only once complete)."""
        import os

        for kind in ("errors", "records"):   # records last: its presence marks the part as done
            self._writers[kind].close()
            os.replace(self._tmp[kind], self.paths[kind])

    def __enter__(self) -> "ParquetSink":
        return self

    def __exit__(self, *exc: Any) -> None:
        if exc[0] is None:
            self.close()
        else:
            for kind, w in self._writers.items():
                w.close()
                self._tmp[kind].unlink(missing_ok=True)
