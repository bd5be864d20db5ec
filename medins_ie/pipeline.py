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
from contextlib import contextmanager
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional, Union

from .meta import DocInfo, document_info
from .model import Model, load_model
from .normalize import Normalized, normalize
from .records import Document, Entity, Evidence, Meta, Period, Record, pack, unpack
from .recognize import find_periods, find_quantities, find_terms
from .relate import Bound, Relater
from .segment import segment
from .structure import build_tree
from . import tables as _tables
from . import validate as _validate

MAX_CHARS = 50_000_000   # a document longer than this is refused with a ValueError


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

    # ---------------------------------------------------------------- one document
    def extract(self, text: str) -> Document:
        """Extract every figure of ``text`` as records with spans into ``text``."""
        text = _check_text(text)
        if len(text) > MAX_CHARS:
            raise ValueError(f"document of {len(text)} characters is longer than the limit of {MAX_CHARS}")
        if not text.strip():
            return Document(text=text)
        # the stages allocate many small acyclic objects; pausing the cyclic collector saves about a third
        # of the run time, and it is switched back on (if it was on) before returning
        collecting = gc.isenabled()
        gc.disable()
        try:
            norm = normalize(text, self.model.char_table)
            doc = self._extract_normalized(text, norm)
            doc.text = text
            return doc
        finally:
            if collecting:
                gc.enable()

    def _extract_normalized(self, original: str, norm: Normalized) -> Document:
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
        return self._build(original, norm, info, bound, quantities, periods, terms, found_tables)

    # ---------------------------------------------------------------- records
    def _build(self, original: str, norm: Normalized, info: DocInfo, bound: list[Bound], quantities, periods,
               terms, found_tables) -> Document:
        order = sorted(range(len(bound)), key=lambda i: (bound[i].q.start, bound[i].q.end))
        ids = {i: f"r{n + 1}" for n, i in enumerate(order)}
        records: list[Record] = []

        span_cache: dict[tuple[int, int], tuple[int, int]] = {}
        identity = len(norm.offsets.norm_starts) == 1 and norm.offsets.orig_starts[0] == 0

        def span(s: int, e: int) -> tuple[int, int]:
            if identity:  # nothing was cut: normalized offsets are original offsets
                return (s, e)
            hit = span_cache.get((s, e))
            if hit is None:
                hit = span_cache[(s, e)] = norm.span(s, e)
            return hit

        def ev(role: str, s: int, e: int) -> Evidence:
            os_, oe = span(s, e)
            return Evidence(role, original[os_:oe], (os_, oe))

        for i in order:
            b = bound[i]
            s, e = span(b.q.start, b.q.end)
            period = None
            if b.period is not None:
                ptext, pspan = None, None
                if b.period_span is not None:
                    pspan = span(*b.period_span)
                    ptext = original[pspan[0]:pspan[1]]
                period = Period(ptext, pspan, b.period.start, b.period.end, b.period.kind)
            evidence = [ev(role, ps, pe) for role, ps, pe in b.evidence]
            if b.period_span is not None:
                evidence.append(ev("period", *b.period_span))
            records.append(Record(
                id=ids[i], type=b.type, value=float(b.value), unit=b.unit, text=original[s:e], span=(s, e),
                scheme=b.scheme, account=b.account, metric=b.metric, measure=b.measure, status=b.status,
                period=period, region=b.region, qualifiers=b.qualifiers, evidence=evidence,
                related=ids.get(b.related) if b.related is not None else None,
            ))
        entities: list[Entity] = []
        for q in quantities:
            if q.type is not None:
                s, e = span(q.start, q.end)
                entities.append(Entity(q.type, original[s:e], (s, e)))
        for p in periods:
            s, e = span(p.start, p.end)
            entities.append(Entity("period", original[s:e], (s, e), p.name))
        for t in terms:
            a = t.assignments[0]
            if a.field == "ignore":
                continue
            s, e = span(t.start, t.end)
            label = a.field if a.field in ("scheme", "account", "metric", "region") else (
                "qualifier" if a.field in self.model.qualifier_fields else a.field + "_cue")
            entities.append(Entity(label, original[s:e], (s, e), a.label))
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
        by_id = {r.id: r for r in records} if found_tables else {}
        for n, t in enumerate(found_tables, 1):
            pt = _tables.to_public(t, ids, span, original)
            pt.id = f"t{n}"
            for cell in pt.cells:  # the figure of each cell, as its record reads it
                rec = by_id.get(cell.record) if cell.record else None
                if rec is not None:
                    cell.value, cell.unit = rec.value, rec.unit
            public_tables.append(pt)
        document = Document(records=records, entities=entities, meta=meta, tables=public_tables)
        document.findings = _validate.check(document, bound, ids, found_tables, norm.text)
        return document

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
        batch_size = max(1, batch_size)
        # the calling process is one of the n workers: it takes every n-th batch itself, so only the other
        # batches pay for shipping documents between processes
        with ProcessPoolExecutor(max_workers=n_process - 1, mp_context=_worker_context(),
                                 initializer=_init_worker, initargs=(str(self.model.path),)) as pool:
            batches = enumerate(_batches(texts, batch_size))
            window: deque = deque()   # [batch or future, documents once known], in input order
            more = True
            while True:
                while more and len(window) < 4 * n_process:  # bounded look-ahead: memory stays flat
                    nxt = next(batches, None)
                    if nxt is None:
                        more = False
                        break
                    k, batch = nxt
                    window.append([batch if k % n_process == 0 else pool.submit(_worker_batch, _shippable(batch)),
                                   None, batch])
                if not window:
                    return
                head = window[0]
                if head[1] is None and isinstance(head[0], list):
                    head[1] = [self._safe_extract(t) for t in head[0]]
                elif head[1] is None and not head[0].done():
                    # rather than wait for a worker, do a later batch of our own
                    todo = next((w for w in window if w[1] is None and isinstance(w[0], list)), None)
                    if todo is not None:
                        todo[1] = [self._safe_extract(t) for t in todo[0]]
                        continue
                if head[1] is None:
                    head[1] = _unpack(head[0].result(), head[2])
                window.popleft()
                yield from head[1]

    def _safe_extract(self, text: object) -> Document:
        if isinstance(text, _NotText):
            return Document(meta=Meta(warnings=[
                f"TypeError: medins_ie.extract() takes the document text as str, not {text.type_name}"]))
        try:
            return self.extract(text)  # type: ignore[arg-type]
        except Exception as exc:  # a bad page must never stop a batch; the warning says what happened
            return Document(text=text if isinstance(text, str) else None,
                            meta=Meta(warnings=[f"{type(exc).__name__}: {exc}"]))


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
