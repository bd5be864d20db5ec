"""medins_ie on Dask: flat records from many documents, on one machine or a cluster (extra ``[dask]``).

    from medins_ie.dask import extract_bag, to_parquet
    records, errors = extract_bag(dask.bag.from_sequence(paths, npartitions=64), paths=True)  # Dask DataFrames
    report = to_parquet("reports/", "out/", client=client)   # or a list of paths/texts, a bag, a Dask Series

Rows follow the flat schema (``medins_ie.flat``). Each worker process loads the model once, on its
first task; tasks carry only the model's path. A document that cannot be read or extracted becomes a
row of the errors output (its id and the reason), never a failed job. ``to_parquet`` writes one file per
partition, ``<out>/records/part-NNNNN.parquet`` and ``<out>/errors/part-NNNNN.parquet``, each under its
final name only once complete, so a rerun skips the partitions already written (resume). A partition
whose worker dies more often than the scheduler allows is redone one document per task, so the
document that kills workers ends up in the errors output and the rest of its partition is kept.
Paths may be local (shared by the workers) or any URL fsspec can open (``s3://...`` with s3fs).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Optional, Sequence, Union

try:
    import dask
    import dask.bag
    import dask.dataframe as dd
    import distributed
    import fsspec
    import pyarrow.parquet as pq
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("medins_ie.dask needs dask, distributed, pandas and pyarrow: "
                      "pip install 'medins_ie[dask]'") from exc

from . import flat as _flat
from .flat import FlatBatch
from .inputs import list_inputs
from .pipeline import Extractor, _reason

__all__ = ["Options", "CrawlReport", "extract_bag", "extract_series", "to_parquet", "list_inputs",
           "records_meta", "errors_meta"]

MANIFEST = "_manifest.json"


@dataclass(frozen=True)
class Options:
    """How documents are read and extracted (``Extractor.extract_flat``'s options, and the model path)."""

    model: Optional[str] = None      # a model folder that every worker can read; None: the packaged model
    evidence: bool = False
    html: Optional[bool] = None      # None: files that look like HTML are read as HTML, texts as plain text
    errors: str = "strict"           # undecodable bytes: "strict" (an error row) or "replace"
    encoding: Optional[str] = None   # None: detected per file

    def __post_init__(self) -> None:
        from .pipeline import _check_flat_options

        _check_flat_options(self.errors, self.html)


# ---------------------------------------------------------------------------- in the worker
_EXTRACTORS: dict[Optional[str], Extractor] = {}
_LOCK = threading.Lock()
_LOADS = 0


def _extractor(model: Optional[str]) -> Extractor:
    """This process's extractor for ``model``, loaded on first use (once per worker process)."""
    global _LOADS
    ex = _EXTRACTORS.get(model)
    if ex is None:
        with _LOCK:
            ex = _EXTRACTORS.get(model)
            if ex is None:
                ex = _EXTRACTORS[model] = Extractor(model)
                _LOADS += 1
    return ex


def model_loads() -> int:
    """How many times this process has loaded a model (one per model a worker used)."""
    return _LOADS


def _is_path(source: object, paths: bool) -> bool:
    return isinstance(source, os.PathLike) or (paths and isinstance(source, str))


def _read_path(source: Union[str, "os.PathLike[str]"], opts: Options) -> tuple[str, bool]:
    """The decoded text of a local path or fsspec URL, and whether to read it as HTML."""
    from .html import looks_like_html
    from .io import decode_bytes

    name = os.fspath(source)
    if "://" in name:
        with fsspec.open(name, "rb") as f:
            data = f.read()
    else:
        data = Path(name).read_bytes()
    text = decode_bytes(data, name=name, errors=opts.errors, encoding=opts.encoding).text
    return text, looks_like_html(text) if opts.html is None else opts.html


def _pairs(items: Sequence[Any], index: int, paths: bool) -> list[tuple[str, Any]]:
    """``(document id, source)`` for each item; unnamed texts are named ``<partition>:<position>``."""
    out = []
    for k, item in enumerate(items):
        if isinstance(item, tuple) and len(item) == 2:
            out.append((str(item[0]), item[1]))
        elif _is_path(item, paths):
            out.append((os.fspath(item), item))
        else:
            out.append((f"{index}:{k}", item))
    return out


def _extract_items(items: Sequence[Any], index: int, opts: Options, paths: bool) -> FlatBatch:
    """The flat records of one partition; every failure becomes an error row."""
    ex = _extractor(opts.model)
    parts = []
    for doc_id, source in _pairs(items, index, paths):
        if _is_path(source, paths):
            try:
                text, is_html = _read_path(source, opts)
            except Exception as exc:  # unreadable: an error row, the partition goes on
                parts.append(FlatBatch([doc_id], errors=[(doc_id, _reason(exc))]))
                continue
            parts.append(ex.extract_flat([(doc_id, text)], opts.evidence, is_html))
        else:
            parts.append(ex.extract_flat([(doc_id, source)], opts.evidence, bool(opts.html)))
    return _flat.concat(parts)


def _write_batch(batch: FlatBatch, out: str, index: int) -> dict[str, int]:
    """Write one partition's two files (errors first: the records file marks the partition as done)."""
    fs, root = fsspec.core.url_to_fs(out)
    name = f"part-{index:05d}.parquet"
    for kind, table in (("errors", batch.errors_to_arrow()), ("records", batch.to_arrow())):
        folder = f"{root}/{kind}"
        fs.makedirs(folder, exist_ok=True)
        tmp = f"{folder}/.{name}.{uuid.uuid4().hex}.tmp"   # hidden: Parquet readers skip it
        with fs.open(tmp, "wb") as f:
            pq.write_table(table, f)
        fs.mv(tmp, f"{folder}/{name}")
    return {"documents": len(batch.documents), "records": len(batch), "failed": len(batch.errors)}


def _write_partition(items: Sequence[Any], index: int, out: str, opts: Options, paths: bool) -> dict[str, int]:
    return _write_batch(_extract_items(items, index, opts, paths), out, index)


# ---------------------------------------------------------------------------- Dask DataFrames
def records_meta() -> Any:
    """An empty ``pandas.DataFrame`` with the records' columns and dtypes (the Dask ``meta``)."""
    return _flat.arrow_to_pandas(FlatBatch().to_arrow())


def errors_meta() -> Any:
    """An empty ``pandas.DataFrame`` with the errors' columns and dtypes."""
    return _flat.arrow_to_pandas(FlatBatch().errors_to_arrow())


def _records_frame(batch: FlatBatch) -> Any:
    return _flat.arrow_to_pandas(batch.to_arrow())


def _errors_frame(batch: FlatBatch) -> Any:
    return _flat.arrow_to_pandas(batch.errors_to_arrow())


def _series_items(series: Any) -> list[tuple[str, Any]]:
    return [(str(i), v) for i, v in series.items()]


def _frames(parts: list, opts: Options, paths: bool, prepare: Optional[Callable] = None) -> tuple[Any, Any]:
    batches = []
    for i, part in enumerate(parts):
        items = dask.delayed(prepare)(part) if prepare is not None else part
        batches.append(dask.delayed(_extract_items)(items, i, opts, paths))
    records = dd.from_delayed([dask.delayed(_records_frame)(b) for b in batches], meta=records_meta(),
                              verify_meta=False)
    errors = dd.from_delayed([dask.delayed(_errors_frame)(b) for b in batches], meta=errors_meta(),
                             verify_meta=False)
    return records, errors


def extract_bag(bag: Any, paths: bool = False, **options: Any) -> tuple[Any, Any]:
    """``(records, errors)``: two lazy Dask DataFrames of the flat records of a bag's documents.

    Items are texts, paths (``os.PathLike``, or ``str`` with ``paths=True``) or ``(id, text or path)``
    pairs; an unnamed text's id is ``<partition>:<position>``. ``options`` are those of ``Options``.
    Compute both together (``dask.compute(records, errors)``) to extract each partition once.
    """
    return _frames(bag.to_delayed(), Options(**options), paths)


def extract_series(series: Any, paths: bool = False, **options: Any) -> tuple[Any, Any]:
    """``(records, errors)`` for a Dask Series of texts (or paths with ``paths=True``); its index is the id."""
    return _frames(series.to_delayed(), Options(**options), paths, prepare=_series_items)


# ---------------------------------------------------------------------------- to Parquet, resumable
@dataclass
class CrawlReport:
    """What ``to_parquet`` did."""

    out: str
    partitions: int = 0
    skipped: int = 0          # already written by an earlier run
    written: int = 0
    recovered: int = 0        # redone one document per task after their worker died
    documents: int = 0        # in the partitions written by this run
    records: int = 0
    failed: int = 0
    seconds: float = 0.0

    @property
    def done(self) -> int:
        return self.skipped + self.written


def _digest(parts_key: Any) -> str:
    return hashlib.sha256(json.dumps(parts_key, ensure_ascii=False, default=str).encode()).hexdigest()[:16]


def _prepare_out(out: str, manifest: dict[str, Any], resume: bool, overwrite: bool) -> Any:
    fs, root = fsspec.core.url_to_fs(out)
    path = f"{root}/{MANIFEST}"
    if overwrite:
        for kind in ("records", "errors"):
            if fs.exists(f"{root}/{kind}"):
                fs.rm(f"{root}/{kind}", recursive=True)
    elif fs.exists(path):
        with fs.open(path, "r", encoding="utf-8") as f:
            old = json.load(f)
        if old != manifest:
            raise ValueError(f"{out} holds the output of other inputs or options ({MANIFEST} differs); "
                             "use another folder, or overwrite=True (--overwrite) to replace it")
        if not resume:
            raise ValueError(f"{out} holds an earlier run of the same job: resume=True to finish it, "
                             "or overwrite=True to redo it")
    elif fs.exists(f"{root}/records") and fs.ls(f"{root}/records"):
        raise ValueError(f"{out}/records holds files that no {MANIFEST} describes; use another folder or "
                         "overwrite=True")
    fs.makedirs(root, exist_ok=True)
    with fs.open(path, "w", encoding="utf-8") as f:
        json.dump(manifest, f)
    return fs, root


def to_parquet(source: Any, out: Union[str, "os.PathLike[str]"], client: Optional[Any] = None,
               partition_size: int = 256, paths: Optional[bool] = None, resume: bool = True,
               overwrite: bool = False, progress: Optional[Callable[[CrawlReport], None]] = None,
               **options: Any) -> CrawlReport:
    """Extract every document of ``source`` into Parquet under ``out`` (records and errors), resumably.

    ``source``: a folder, file or URL (listed with ``list_inputs``), a list of items (texts, paths, or
    ``(id, text or path)`` pairs; bare ``str`` items are texts unless ``paths=True``), a Dask Bag, or a Dask
    Series (its index is the id). A list is cut into partitions of ``partition_size`` documents, a bag or
    series keeps its partitions; a rerun with the same source and options skips the partitions already
    written. ``client``: a ``distributed.Client`` (default: the current one). ``progress(report)`` is
    called after each partition. ``options`` are those of ``Options``.
    """
    opts = Options(**options)
    out = os.fspath(out)
    if client is None:
        client = distributed.get_client()
    started = time.perf_counter()
    kind, parts, paths_flag = _partitions(source, partition_size, paths)
    key = [kind, paths_flag, [_item_key(p) for p in parts] if kind == "list" else dask.base.tokenize(parts)]
    manifest = {"flat_schema": _flat.SCHEMA_VERSION, "partitions": len(parts), "options": asdict(opts),
                "inputs": _digest(key)}
    fs, root = _prepare_out(out, manifest, resume, overwrite)
    report = CrawlReport(out=out, partitions=len(parts))
    done_names = _written(fs, f"{root}/records")
    todo = [i for i in range(len(parts)) if f"part-{i:05d}.parquet" not in done_names]
    report.skipped = len(parts) - len(todo)
    if progress is not None:
        progress(report)

    def submit(i: int) -> Any:
        if kind == "list":
            return client.submit(_write_partition, parts[i], i, out, opts, paths_flag, pure=False)
        return client.compute(dask.delayed(_write_partition)(parts[i], i, out, opts, paths_flag))

    pending = iter(todo)
    futures: dict[Any, int] = {}
    done = distributed.as_completed()

    def fill() -> None:
        # partitions in flight: enough to keep every worker thread busy, so input data in flight stays bounded
        limit = 2 * max(1, sum(client.nthreads().values())) + 2
        while len(futures) < limit:
            i = next(pending, None)
            if i is None:
                return
            fut = submit(i)
            futures[fut] = i
            done.add(fut)

    try:
        fill()
        for fut in done:
            i = futures.pop(fut)
            try:
                stats = fut.result()
            except Exception as exc:  # the partition's task failed (a worker died too often): redo it per document
                stats = _recover(client, kind, parts[i], i, out, opts, paths_flag, exc)
                report.recovered += 1
            report.written += 1
            report.documents += stats["documents"]
            report.records += stats["records"]
            report.failed += stats["failed"]
            fill()
            if progress is not None:
                report.seconds = time.perf_counter() - started
                progress(report)
    except BaseException:
        client.cancel(list(futures))
        raise
    report.seconds = time.perf_counter() - started
    return report


def _written(fs: Any, folder: str) -> set[str]:
    """Names of the finished part files in ``folder`` (one listing, not one request per partition)."""
    if not fs.exists(folder):
        return set()
    return {name.rstrip("/").rsplit("/", 1)[-1] for name in fs.ls(folder, detail=False)}


def _partitions(source: Any, size: int, paths: Optional[bool]) -> tuple[str, list, bool]:
    """``(kind, partitions, paths)``: lists of items (kind ``list``) or Delayed partitions of a bag/series."""
    if size < 1:
        raise ValueError(f"partition_size must be at least 1, not {size}")
    if isinstance(source, (str, os.PathLike)):
        items: list = list_inputs(source)
        paths = True
    elif isinstance(source, dd.Series):  # its index names the documents
        return "series", [dask.delayed(_series_items)(p) for p in source.to_delayed()], bool(paths)
    elif isinstance(source, dask.bag.Bag):
        return "bag", list(source.to_delayed()), bool(paths)
    else:
        items = list(source)
        paths = bool(paths)
    numbered = [it if isinstance(it, tuple) and len(it) == 2 else
                ((os.fspath(it), it) if _is_path(it, paths) else (str(n), it)) for n, it in enumerate(items)]
    return "list", [numbered[k:k + size] for k in range(0, len(numbered), size)], paths


def _item_key(part: list) -> list:
    """What identifies a partition's documents in the manifest (ids, and a hash of texts)."""
    return [[doc_id, os.fspath(src) if isinstance(src, os.PathLike) else hashlib.sha1(
        str(src).encode("utf-8", "surrogatepass")).hexdigest()[:12]] for doc_id, src in part]


def _recover(client: Any, kind: str, part: Any, index: int, out: str, opts: Options, paths: bool,
             exc: BaseException) -> dict[str, int]:
    """Redo a failed partition one document per task; what fails again becomes an error row.

    The documents run in parallel first; those that fail (the one that kills workers, and any that shared a
    dying worker with it) are run again one at a time, so only the culprit ends up in the errors.
    """
    try:
        items = part if kind == "list" else client.compute(part).result()
    except Exception as exc2:
        doc = f"partition {index}"
        return _write_batch(FlatBatch([doc], errors=[(doc, f"partition lost: {_reason(exc)}; {_reason(exc2)}")]),
                            out, index)
    pairs = _pairs(items, index, paths)
    results: list[Optional[FlatBatch]] = [None] * len(pairs)
    futures = [client.submit(_extract_items, [pair], index, opts, paths, pure=False) for pair in pairs]
    for k, fut in enumerate(futures):
        try:
            results[k] = fut.result()
        except Exception:  # noqa: S112 - run again alone below
            continue
    for k, pair in enumerate(pairs):
        if results[k] is None:
            try:
                results[k] = client.submit(_extract_items, [pair], index, opts, paths, pure=False).result()
            except Exception as err:
                results[k] = FlatBatch([pair[0]], errors=[(pair[0], f"its worker died: {_reason(err)}")])
    return _write_batch(_flat.concat(b for b in results if b is not None), out, index)
