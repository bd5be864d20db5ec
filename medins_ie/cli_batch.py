"""Command line for batches: ``extract --format parquet`` (with ``-j``) and ``crawl`` (Dask).

Kept apart from ``cli.py``, which registers them: ``add_extract_options`` on the extract parser,
``extract_parquet`` when ``--format parquet`` is asked, ``add_crawl_parser`` for the subcommand.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from pathlib import Path
from typing import Any, Optional, TextIO


def add_extract_options(p: argparse.ArgumentParser) -> None:
    """The options of ``extract`` for the batch path."""
    if "--jobs" not in p._option_string_actions:  # the extract command may already define -j for its pool
        p.add_argument("--jobs", "-j", type=int, default=1,
                       help="worker processes for --format parquet (0: one per CPU; default 1)")
    p.add_argument("--evidence", action="store_true", help="with --format parquet: fill the evidence column")


def extract_parquet(args: argparse.Namespace) -> int:
    """``medins-ie extract FILES|DIRS --format parquet -o OUT``: flat records in OUT/records, failures in OUT/errors."""
    from . import load
    from .cli import html_option
    from .flat import ParquetSink
    from .inputs import list_inputs

    if not args.output:
        print("medins-ie: --format parquet writes a folder: give it with -o DIR", file=sys.stderr)
        return 2
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        print("medins-ie: --format parquet needs pyarrow: pip install 'medins_ie[parquet]'", file=sys.stderr)
        return 2
    try:
        extractor = load(args.model)
    except (OSError, ValueError) as exc:
        print(f"medins-ie: cannot load the model: {exc}", file=sys.stderr)
        return 2
    names = args.files or ["-"]
    try:
        items: list[Any] = [("-", sys.stdin.read())] if names == ["-"] else \
            [Path(p) for p in list_inputs(names)]
    except FileNotFoundError as exc:
        print(f"medins-ie: {exc}", file=sys.stderr)
        return 2
    progress = _Progress(sys.stderr, len(items), "documents")
    with ParquetSink(args.output) as sink:
        for batch in extractor.pipe_flat(items, n_process=args.jobs, evidence=args.evidence,
                                         html=html_option(args), errors=args.errors, encoding=args.encoding):
            sink.write(batch)
            for doc, reason in batch.errors:
                progress.note(f"medins-ie: {doc}: {reason}")
            progress.update(sink.documents, f"{sink.rows:,} records, {sink.failed} failed")
    progress.finish(f"{sink.documents:,} documents, {sink.rows:,} records -> {sink.paths['records']}"
                    + (f"; {sink.failed} failed (listed in {sink.paths['errors']})" if sink.failed else ""))
    return 1 if sink.failed else 0


def add_crawl_parser(sub: Any) -> None:
    """Register ``medins-ie crawl``."""
    p = sub.add_parser("crawl", help="extract folders (or URLs) of documents on Dask into Parquet, resumably")
    p.add_argument("sources", nargs="+", help="folders, files or fsspec URLs (folders: *.txt, *.htm, *.html)")
    p.add_argument("--output", "-o", required=True, help="output folder (records/, errors/, _manifest.json)")
    p.add_argument("--scheduler", default="local",
                   help="'local' (a LocalCluster on this machine, the default) or a scheduler address")
    p.add_argument("--workers", type=int, default=0, help="local worker processes (default: one per CPU)")
    p.add_argument("--partition-size", type=int, default=256, help="documents per partition/output file")
    p.add_argument("--glob", action="append", help="file pattern in folders (repeatable; default *.txt *.htm *.html)")
    p.add_argument("--overwrite", action="store_true", help="replace an earlier output instead of resuming it")
    p.add_argument("--evidence", action="store_true", help="fill the evidence column")
    from .cli import add_input_options  # cli imports this module: its helpers are read at call time

    add_input_options(p, "an error row (strict) or replaced",
                      model_help="path to a model folder every worker can read (default: the packaged model)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    p.set_defaults(func=cmd_crawl)


def cmd_crawl(args: argparse.Namespace) -> int:
    """Run ``medins-ie crawl``."""
    try:
        from . import dask as mdask
        from distributed import Client, LocalCluster
    except ImportError as exc:
        print(f"medins-ie crawl: {exc}", file=sys.stderr)
        return 2
    from .cli import html_option
    from .inputs import PATTERNS, list_inputs

    try:
        paths = list_inputs(args.sources, args.glob or PATTERNS)
    except (FileNotFoundError, ImportError) as exc:
        print(f"medins-ie crawl: {exc}", file=sys.stderr)
        return 2
    if not paths:
        print("medins-ie crawl: no input files found", file=sys.stderr)
        return 2
    cluster = None
    try:
        if args.scheduler == "local":
            import os

            cluster = LocalCluster(n_workers=args.workers or os.cpu_count() or 1, threads_per_worker=1,
                                   processes=True, dashboard_address=None)
            client = Client(cluster)
        else:
            client = Client(args.scheduler)
    except (OSError, TimeoutError, ValueError) as exc:
        print(f"medins-ie crawl: cannot reach the scheduler {args.scheduler}: {exc}", file=sys.stderr)
        return 2
    stream: TextIO = io.StringIO() if args.quiet else sys.stderr
    progress = _Progress(stream, 0, "partitions")
    try:
        def show(rep: Any) -> None:
            progress.total = rep.partitions
            rate = f", {rep.documents / rep.seconds:,.0f} docs/s" if rep.seconds and rep.documents else ""
            progress.update(rep.done, f"{rep.documents:,} documents, {rep.records:,} records, "
                                      f"{rep.failed} failed{rate}" + (f", {rep.skipped} done before" if rep.skipped else ""))

        report = mdask.to_parquet(paths, args.output, client=client, partition_size=args.partition_size, paths=True,
                                  overwrite=args.overwrite, progress=show, model=args.model, evidence=args.evidence,
                                  html=html_option(args), errors=args.errors, encoding=args.encoding)
    except ValueError as exc:
        print(f"medins-ie crawl: {exc}", file=sys.stderr)
        return 2
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    failed = _count_errors(args.output)
    progress.finish(f"{report.partitions} partitions ({report.skipped} from an earlier run), "
                    f"{report.documents:,} documents and {report.records:,} records written in {report.seconds:.1f} s"
                    + (f"; {failed} documents failed in all (see {args.output}/errors)" if failed else ""))
    return 1 if failed else 0


def _count_errors(out: str) -> int:
    """Error rows in every errors file of ``out`` (this run's and earlier ones)."""
    import pyarrow.parquet as pq

    folder = Path(out) / "errors"
    if not folder.is_dir():
        return 0
    return sum(pq.ParquetFile(p).metadata.num_rows for p in folder.glob("part-*.parquet"))


class _Progress:
    """One status line on stderr: rewritten in place on a terminal, else printed at most every 10 s."""

    def __init__(self, stream: TextIO, total: int, unit: str):
        self.stream, self.total, self.unit = stream, total, unit
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self.started = self.last = time.perf_counter()

    def update(self, done: int, detail: str) -> None:
        now = time.perf_counter()
        line = f"{done:,}/{self.total:,} {self.unit}: {detail}"
        if self.tty:
            self.stream.write("\r" + line[:160] + "\033[K")
            self.stream.flush()
        elif now - self.last >= 10:
            self.stream.write(line + "\n")
            self.stream.flush()
            self.last = now

    def note(self, message: str) -> None:
        self.stream.write(("\r\033[K" if self.tty else "") + message + "\n")

    def finish(self, summary: str) -> None:
        self.stream.write(("\r\033[K" if self.tty else "") + f"medins-ie: {summary}\n")
        self.stream.flush()
