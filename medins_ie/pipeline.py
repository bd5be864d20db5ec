"""The extractor: runs the stages in order over one document and builds the public records.

    normalize -> segment (+ meta) -> recognize -> tables -> relate -> validate -> build
"""

from __future__ import annotations

import bisect
import gc
import multiprocessing
import multiprocessing.context
import os
import pickle
import sys
import types
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Optional, Union

from . import flat as _flat
from .flat import FlatBatch, RecordValues
from .meta import DocInfo, document_info
from .model import Model, Place, load_model
from .normalize import Normalized, normalize
from .records import Document, Entity, Evidence, Meta, Period, Record, pack, unpack
from .recognize import find_periods, find_quantities, find_terms
from .relate import Bound, Relater
from .segment import segment
from .structure import build_tree
from . import tables as _tables
from . import validate as _validate

MAX_CHARS = 50_000_000   # a document longer than this is refused with a ValueError

Source = Union[str, "os.PathLike[str]"]                 # a document's text, or the path of a file holding it
Item = Union[Source, tuple[str, Source]]                # a source, or (document id, source)
SpanMap = Callable[[int, int], tuple[int, int]]


def _check_text(text: object) -> str:
    if isinstance(text, str):
        return text
    if isinstance(text, (bytes, bytearray, memoryview)):
        raise TypeError("medins_ie.extract() takes str, not bytes: decode it first, "
                        "or use medins_ie.extract_file(path) which detects the encoding")
    raise TypeError(f"medins_ie.extract() takes the document text as str, not {type(text).__name__}")


class Extractor:
    """A loaded rule model ready to extract; reuse one instance for many documents."""

    def __init__(self, model: Union[Model, str, Path, None] = None):
        self.model = model if isinstance(model, Model) else load_model(model)

    def __repr__(self) -> str:
        return f"Extractor(model={str(self.model.path)!r})"

    def division(self, region: str, within: Optional[str] = None) -> Optional[Place]:
        """The administrative division (GB/T 2260 code, full name, level, parent code) a record's ``region``
        names, from the model's gazetteer; None for 全国, unknown places and anything that is not a str.

        A name several divisions share (朝阳区, 新华区) resolves to the one under ``within`` (say the
        document's ``meta.region``) when that is known, else to the first in the gazetteer.
        """
        if not isinstance(region, str):
            return None
        fold = self.model.char_table
        found = self.model.place_candidates.get(region.translate(fold).strip(), ())
        if len(found) > 1 and isinstance(within, str):
            outer = self.division(within)
            if outer is not None:
                prefix = outer.code[:2] if outer.level == "province" else outer.code[:4] \
                    if outer.level == "city" else outer.code
                inside = [p for p in found if p.code.startswith(prefix)]
                if inside:
                    return inside[0]
        return found[0] if found else None

    # ---------------------------------------------------------------- one document
    def extract(self, text: str) -> Document:
        """Extract every figure of ``text`` as records with spans into ``text``."""
        text = _check_text(text)
        if len(text) > MAX_CHARS:
            raise ValueError(f"document of {len(text)} characters is longer than the limit of {MAX_CHARS}")
        if not text.strip():
            return Document(text=text)
        with _gc_paused():
            doc = self._extract_normalized(text, normalize(text, self.model.char_table))
        doc.text = text
        return doc

    def _extract_normalized(self, original: str, norm: Normalized) -> Document:
        return self._build(self._analyse(original, norm))

    def _analyse(self, original: str, norm: Normalized) -> "Analysis":
        """Run the stages over one normalized document: everything found, before public objects are made."""
        model, doc = self.model, norm.text
        lines = segment(doc, model)
        info = document_info(doc, lines, model)
        content = [(ln.start, ln.end) for ln in lines if ln.kind not in ("blank", "noise", "meta")]
        # one pass of each recogniser over the whole text; mentions outside content lines are dropped
        quantities = _within(find_quantities(doc, model), content)
        periods = _within(find_periods(doc, model), content)
        terms = _within(find_terms(doc, model), content)
        periods, quantities, terms = _resolve_overlaps(periods, quantities, terms)

        relater = Relater(doc, model, info, terms, quantities, periods)
        found_tables = _tables.find_tables(doc, lines, relater, model)
        relater.bind_tree(build_tree(doc, lines, found_tables, relater))
        bound = relater.bound
        relater.release()  # the event index and label cache are not needed to build records
        return Analysis(original, norm, info, bound, quantities, periods, terms, found_tables)

    # ---------------------------------------------------------------- records
    def _build(self, a: "Analysis") -> Document:
        original, norm, info = a.original, a.norm, a.info
        span = _span_map(norm)
        ids, values = _record_values(a, span, original)
        records = [Record(rid, typ, value, unit, text, sp, scheme, account, metric, measure, status,
                          None if period is None else Period(*period), region, qualifiers,
                          [Evidence(*e) for e in evidence], related)
                   for (rid, typ, value, unit, text, sp, scheme, account, metric, measure, status, period, region,
                        qualifiers, evidence, related) in values]
        entities: list[Entity] = []
        for q in a.quantities:
            if q.type is not None:
                s, e = span(q.start, q.end)
                entities.append(Entity(q.type, original[s:e], (s, e)))
        for p in a.periods:
            s, e = span(p.start, p.end)
            entities.append(Entity("period", original[s:e], (s, e), p.name))
        for t in a.terms:
            asg = t.assignments[0]
            if asg.field == "ignore":
                continue
            s, e = span(t.start, t.end)
            label = asg.field if asg.field in ("scheme", "account", "metric", "region") else (
                "qualifier" if asg.field in self.model.qualifier_fields else asg.field + "_cue")
            entities.append(Entity(label, original[s:e], (s, e), asg.label))
        entities.sort(key=lambda x: (x.span[0], x.span[1]))

        meta = Meta(status=info.status, region=info.region, issuer=info.issuer, published=info.published)
        if info.title is not None:
            s, e = span(*info.title)
            raw = original[s:e]
            s, e = s + len(raw) - len(raw.lstrip()), e - (len(raw) - len(raw.rstrip()))
            meta.title, meta.title_span = original[s:e], (s, e)
        if info.report is not None:
            pspan = span(info.report_spec.start, info.report_spec.end) if info.report_spec else None
            meta.report_period = Period(original[pspan[0]:pspan[1]] if pspan else None, pspan,
                                        info.report.start, info.report.end, info.report.kind)
        public_tables = []
        by_id = {r.id: r for r in records} if a.tables else {}
        for n, t in enumerate(a.tables, 1):
            pt = _tables.to_public(t, ids, span, original)
            pt.id = f"t{n}"
            for cell in pt.cells:  # the figure of each cell, as its record reads it
                rec = by_id.get(cell.record) if cell.record else None
                if rec is not None:
                    cell.value, cell.unit = rec.value, rec.unit
            public_tables.append(pt)
        document = Document(records=records, entities=entities, meta=meta, tables=public_tables)
        document.findings = _validate.check(document, a.bound, ids, a.tables, norm.text, self.model.words["total"])
        return document

    # ---------------------------------------------------------------- flat records
    def _flat_values(self, source: str, html: bool) -> list[RecordValues]:
        """The record values of one document (text, or an HTML page with spans into it)."""
        if html:
            from .html import _render, _SpanMapper

            rendered = _render(source)
            text = rendered.text
        else:
            text = source
        if len(text) > MAX_CHARS:
            raise ValueError(f"document of {len(text)} characters is longer than the limit of {MAX_CHARS}")
        if not text.strip():
            return []
        with _gc_paused():
            norm = normalize(text, self.model.char_table)
            a = self._analyse(text, norm)
            span = _span_map(norm)
            if html:
                mapper = _SpanMapper(source, rendered)
                to_text = span
                span = lambda s, e: mapper.span(to_text(s, e))  # noqa: E731  (the page's range of a text span)
            return _record_values(a, span, source)[1]

    def extract_flat(self, items: Iterable[Item], evidence: bool = False, html: Optional[bool] = None,
                     errors: str = "strict", encoding: Optional[str] = None, first: int = 0) -> FlatBatch:
        """The flat records (``medins_ie.flat``) of a batch of documents, extracted in this process.

        ``items`` are texts, paths (``os.PathLike``: read with the encoding detected, as ``extract_file``
        does) or ``(document id, text or path)`` pairs; a bare text's id is its position (from ``first``),
        a path's id the path. ``html``: ``None`` reads files that look like HTML as HTML and texts as plain
        text; ``True``/``False`` forces either. ``errors``/``encoding`` are those of ``medins_ie.io.read_file``.
        A document that fails gives no rows and an ``(id, reason)`` entry in ``errors``; the batch goes on.
        """
        _check_flat_options(errors, html)
        ids: list[str] = []
        rows: list[tuple] = []
        failed: list[tuple[str, str]] = []
        for n, item in enumerate(items, first):
            doc_id, source = _split_item(item, n)
            ids.append(doc_id)
            try:
                text, is_html = _read_source(source, html, errors, encoding)
                rows.extend(_flat.rows(doc_id, self._flat_values(text, is_html), evidence))
            except Exception as exc:  # a bad document never stops a batch: it becomes an error row
                failed.append((doc_id, _reason(exc)))
        return FlatBatch.from_rows(ids, rows, failed)

    # ---------------------------------------------------------------- many documents
    def pipe(self, texts: Iterable[str], batch_size: int = 16, n_process: int = 1) -> Iterator[Document]:
        """Extract many documents, in input order.

        A document that cannot be processed yields an empty ``Document`` whose ``meta.warnings`` says
        why, so one bad page never stops a batch. ``n_process > 1`` uses worker processes (``0``: one per
        CPU); a plain script needs no ``if __name__ == "__main__":`` guard for them where the platform
        has fork (Linux, macOS).
        """
        n_process = (os.cpu_count() or 1) if n_process < 1 else n_process
        if n_process == 1:
            for text in texts:
                yield self._safe_extract(text)
            return
        # plain str only: a str subclass from the caller's script need not exist in a worker
        for docs in self._parallel((_shippable(b) for b in _batches(texts, max(1, batch_size))), n_process,
                                   lambda batch: [self._safe_extract(t) for t in batch],
                                   _worker_batch, (), _unpack):
            yield from docs

    def pipe_flat(self, items: Iterable[Item], batch_size: int = 32, n_process: int = 1, evidence: bool = False,
                  html: Optional[bool] = None, errors: str = "strict",
                  encoding: Optional[str] = None) -> Iterator[FlatBatch]:
        """Extract many documents as flat records: one ``FlatBatch`` per ``batch_size`` documents, in input order.

        The batch path: no ``Document`` is built; with ``n_process > 1`` the rows are made in worker
        processes (files are read there too) and travel as columns. Items and options are those of
        ``extract_flat``; bare texts are numbered by their position in ``items``. Failed documents are
        listed in each batch's ``errors``.
        """
        _check_flat_options(errors, html)
        n_process = (os.cpu_count() or 1) if n_process < 1 else n_process
        batch_size = max(1, batch_size)
        options = (evidence, html, errors, encoding)
        numbered = _batches(enumerate(items), batch_size)
        if n_process == 1:
            for batch in numbered:
                yield self.extract_flat([it for _, it in batch], *options, first=batch[0][0])
            return
        yield from self._parallel(
            numbered, n_process,
            lambda batch: self.extract_flat([it for _, it in batch], *options, first=batch[0][0]),
            _worker_flat, options, _unpack_flat)

    def _parallel(self, batches: Iterable[list], n_process: int, local: Callable[[list], Any],
                  remote: Callable[..., bytes], options: tuple, receive: Callable[[bytes, list], Any]) -> Iterator[Any]:
        """``local(batch)`` for each batch, in order, with ``n_process - 1`` worker processes sharing the work.

        The calling process is one of the n workers. The workers always have ``2`` batches each queued; whenever
        the oldest result is not back yet, the caller takes the next batch from the input itself instead of
        waiting. So neither side idles when the other is slower (another program on the machine, a long
        document), and only the workers' batches pay for shipping documents between processes. A worker runs
        ``remote(batch, *options)``, and ``receive(payload, batch)`` turns what it sent back into ``local``'s
        result. Results come out in input order; at most ``8 * n_process`` batches are held at once.
        """
        workers = n_process - 1
        depth, limit = 2 * workers, 8 * n_process
        source = iter(batches)
        with ProcessPoolExecutor(max_workers=workers, mp_context=_worker_context(),
                                 initializer=_init_worker, initargs=(str(self.model.path),)) as pool:
            window: deque = deque()   # [future or None, result once known, batch], in input order
            exhausted = False
            while True:
                queued = sum(1 for w in window if w[1] is None and not w[0].done())
                while not exhausted and queued < depth and len(window) < limit:
                    batch = next(source, None)
                    if batch is None:
                        exhausted = True
                        break
                    window.append([pool.submit(remote, batch, *options), None, batch])
                    queued += 1
                if not window:
                    return
                head = window[0]
                if head[1] is None and not head[0].done() and not exhausted and len(window) < limit:
                    batch = next(source, None)   # rather than wait for a worker, do the next batch here
                    if batch is None:
                        exhausted = True
                    else:
                        window.append([None, local(batch), batch])
                    continue
                if head[1] is None:
                    head[1] = receive(head[0].result(), head[2])
                window.popleft()
                yield head[1]

    def _safe_extract(self, text: object) -> Document:
        if isinstance(text, _NotText):
            return Document(meta=Meta(warnings=[
                f"TypeError: medins_ie.extract() takes the document text as str, not {text.type_name}"]))
        try:
            return self.extract(text)  # type: ignore[arg-type]
        except Exception as exc:  # a bad page must never stop a batch; the warning says what happened
            return Document(text=text if isinstance(text, str) else None,
                            meta=Meta(warnings=[f"{type(exc).__name__}: {exc}"]))


@dataclass(slots=True)
class Analysis:
    """What the stages found in one document (normalized coordinates), before public objects are made."""

    original: str
    norm: Normalized
    info: DocInfo
    bound: list[Bound]
    quantities: list
    periods: list
    terms: list
    tables: list


@contextmanager
def _gc_paused() -> Iterator[None]:
    # the stages allocate many small acyclic objects; pausing the cyclic collector saves about a third
    # of the run time, and it is switched back on (if it was on) afterwards
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _span_map(norm: Normalized) -> SpanMap:
    """Normalized span -> span of the original text (memoised; the identity when nothing was cut)."""
    if len(norm.offsets.norm_starts) == 1 and norm.offsets.orig_starts[0] == 0:
        return lambda s, e: (s, e)
    cache: dict[tuple[int, int], tuple[int, int]] = {}

    def span(s: int, e: int) -> tuple[int, int]:
        hit = cache.get((s, e))
        if hit is None:
            hit = cache[(s, e)] = norm.span(s, e)
        return hit
    return span


def _record_values(a: Analysis, span: SpanMap, source: str) -> tuple[dict[int, str], list[RecordValues]]:
    """The public fields of every record, in record order, and the record id of each bound index.

    The one definition of a record's fields: ``Extractor._build`` wraps them in ``Record`` objects and the
    batch path writes them as flat rows (``medins_ie.flat.rows``). ``span`` maps a normalized span to a span
    of ``source``, the string the record's texts are cut from.
    """
    bound = a.bound
    order = sorted(range(len(bound)), key=lambda i: (bound[i].q.start, bound[i].q.end))
    ids = {i: f"r{n + 1}" for n, i in enumerate(order)}
    values: list[RecordValues] = []
    for i in order:
        b = bound[i]
        s, e = span(b.q.start, b.q.end)
        period = None
        if b.period is not None:
            ptext, pspan = None, None
            if b.period_span is not None:
                pspan = span(*b.period_span)
                ptext = source[pspan[0]:pspan[1]]
            period = (ptext, pspan, b.period.start, b.period.end, b.period.kind)
        evidence = []
        for role, es, ee in b.evidence:
            es, ee = span(es, ee)
            evidence.append((role, source[es:ee], (es, ee)))
        if b.period_span is not None:
            es, ee = span(*b.period_span)
            evidence.append(("period", source[es:ee], (es, ee)))
        values.append((ids[i], b.type, float(b.value), b.unit, source[s:e], (s, e), b.scheme, b.account, b.metric,
                       b.measure, b.status, period, b.region, b.qualifiers, evidence,
                       ids.get(b.related) if b.related is not None else None))
    return ids, values


def _check_flat_options(errors: str, html: object) -> None:
    """Refuse bad batch options up front (not once per document, as error rows)."""
    if errors not in ("strict", "replace"):
        raise ValueError(f"errors must be 'strict' or 'replace', not {errors!r}")
    if html not in (None, True, False):
        raise TypeError(f"html must be None (detect), True or False, not {html!r}")


def _split_item(item: object, n: int) -> tuple[str, object]:
    """``(document id, source)`` of one batch item (a bare text is numbered ``n``, a path named by itself)."""
    if isinstance(item, tuple) and len(item) == 2:
        return str(item[0]), item[1]
    if isinstance(item, os.PathLike):
        return os.fspath(item), item
    return str(n), item


def _read_source(source: object, html: Optional[bool], errors: str, encoding: Optional[str]) -> tuple[str, bool]:
    """The text of one source (a path is read with its encoding detected) and whether to read it as HTML."""
    if isinstance(source, os.PathLike):
        from .html import looks_like_html
        from .io import read_file

        text = read_file(source, errors=errors, encoding=encoding).text
        return text, looks_like_html(text) if html is None else html
    text = _check_text(source)
    return text, bool(html)


def _reason(exc: BaseException) -> str:
    """One line that says why a document failed."""
    message = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def _within(items: list, spans: list[tuple[int, int]]) -> list:
    """The items (sorted by start) that lie inside one of the sorted, disjoint ``spans``."""
    out, k = [], 0
    for it in items:
        while k < len(spans) and spans[k][1] < it.end:
            k += 1
        if k == len(spans):
            break
        if spans[k][0] <= it.start:
            out.append(it)
    return out


def _resolve_overlaps(periods, quantities, terms):
    """Periods beat bare numbers; quantities with a unit beat periods, except a period that starts before the
    quantity and holds all of it (前10个月); terms inside either are dropped.

    A term that contains a period wins over it: 比上年末 (holding 年末) is a comparison, and a metric word
    such as 上年结余 (holding 上年) keeps the period on the term.
    """
    if periods and terms:
        t_starts = [t.start for t in terms]
        kept = []
        for p in periods:
            i = bisect.bisect_right(t_starts, p.start) - 1
            inside = i >= 0 and terms[i].start <= p.start and p.end <= terms[i].end and \
                (terms[i].end - terms[i].start) > (p.end - p.start)
            if not inside:
                kept.append(p)
            elif terms[i].get("measure") is None:
                terms[i].period = p  # a metric word that holds a period (上年结余) carries it
        periods = kept
    q_keep = []
    p_spans = [(p.start, p.end) for p in periods]
    p_starts = [s for s, _ in p_spans]
    drop_periods: set[int] = set()
    for q in quantities:
        i = bisect.bisect_right(p_starts, q.end) - 1
        clash = None
        while i >= 0 and p_spans[i][1] > q.start:
            if p_spans[i][0] < q.end:
                clash = i
                break
            i -= 1
        if clash is None:
            q_keep.append(q)
        elif p_spans[clash][0] < q.start and q.end <= p_spans[clash][1]:
            continue  # a period written around the number ("前10个月") is a period, not a count of months
        elif not q.bare and q.unit_surface:
            q_keep.append(q)
            drop_periods.add(clash)
    periods = [p for i, p in enumerate(periods) if i not in drop_periods]
    occupied = sorted([(q.start, q.end) for q in q_keep if not q.bare] + [(p.start, p.end) for p in periods])
    starts = [s for s, _ in occupied]
    t_keep = []
    for t in terms:
        i = bisect.bisect_right(starts, t.start) - 1
        inside = (i >= 0 and occupied[i][1] > t.start) or (i + 1 < len(occupied) and occupied[i + 1][0] < t.end)
        if not inside:
            t_keep.append(t)
    return periods, q_keep, t_keep


_WORKER: Optional[Extractor] = None


def _worker_context() -> multiprocessing.context.BaseContext:
    """Where to start workers: forked from a small preloaded server when possible.

    A worker forked from the caller shares the caller's (often large) heap page by page, and both then pay
    copy-on-write faults that cost more than the parallel work gains. A forkserver that has only medins_ie
    loaded avoids that. The workers never need the caller's main module (they run medins_ie code on
    strings), so it is not re-imported in them: a script that calls ``pipe(n_process=2)`` works without an
    ``if __name__ == "__main__":`` guard, as it does with fork. Platforms without fork use spawn, which
    needs the guard.
    """
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods:
        ctx = _WorkerContext()
        ctx.set_forkserver_preload(["medins_ie.pipeline"])
        return ctx
    if "fork" in methods:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


@contextmanager
def _main_module_hidden() -> Iterator[None]:
    """While a worker is launched, ``__main__`` is a blank module, so the worker does not run the caller's script.

    (multiprocessing sends the main module's path to a new process, which imports it again; for a script
    without a ``__main__`` guard that would start the whole program over in every worker.)
    """
    main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        if main is not None:
            sys.modules["__main__"] = main


class _WorkerProcess(multiprocessing.context.ForkServerProcess):
    @staticmethod
    def _Popen(process_obj: Any) -> Any:
        from multiprocessing.popen_forkserver import Popen

        with _main_module_hidden():
            return Popen(process_obj)


class _WorkerContext(multiprocessing.context.ForkServerContext):
    """The forkserver start method, launching workers without the caller's main module."""

    Process = _WorkerProcess  # type: ignore[assignment]


def _init_worker(model_path: str) -> None:
    global _WORKER
    _WORKER = Extractor(model_path)


def _worker_batch(texts: list) -> bytes:
    """Extract a batch in a worker; one pickle of the whole batch is far cheaper to ship than many."""
    assert _WORKER is not None
    return pickle.dumps([pack(_WORKER._safe_extract(t)) for t in texts], protocol=pickle.HIGHEST_PROTOCOL)


class _NotText:
    """Stands in, in a worker, for an input that is not a ``str`` (it may not even pickle)."""

    def __init__(self, type_name: str):
        self.type_name = type_name


def _shippable(batch: list) -> list:
    """The batch as plain ``str`` (a str subclass from the caller's script need not exist in a worker)."""
    return [t if type(t) is str else str.__str__(t) if isinstance(t, str) else _NotText(type(t).__name__)
            for t in batch]


def _worker_flat(batch: list, *options: Any) -> bytes:
    """The flat records of a batch in a worker, as one pickle of plain columns."""
    assert _WORKER is not None
    result = _WORKER.extract_flat([it for _, it in batch], *options, first=batch[0][0])
    return pickle.dumps((result.documents, tuple(result.columns[n] for n in _flat.NAMES), result.errors),
                        protocol=pickle.HIGHEST_PROTOCOL)


def _unpack_flat(payload: bytes, batch: list) -> FlatBatch:
    documents, columns, errors = pickle.loads(payload)
    return FlatBatch(documents, dict(zip(_flat.NAMES, columns)), errors)


def _unpack(payload: bytes, texts: list) -> list[Document]:
    collecting = gc.isenabled()
    gc.disable()  # unpickling builds many small acyclic objects
    try:
        return [unpack(p, t if isinstance(t, str) else "") for p, t in zip(pickle.loads(payload), texts)]
    finally:
        if collecting:
            gc.enable()


def _batches(items: Iterable, size: int) -> Iterator[list]:
    batch: list = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
