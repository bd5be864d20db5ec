"""Command line: ``medins-ie extract``, ``sample``, ``eval``, ``fixtures check``, ``review`` and ``crawl``
(batches into Parquet and Dask live in ``cli_batch``).

One function per subcommand (``cmd_*``, with an ``add_*_parser`` that declares its options) and one
output writer per format in ``WRITERS``, so a format or a subcommand is added in a few lines:

    @register_writer("myformat")
    class MyWriter(Writer):
        def write(self, name, doc): ...

Exit codes: 0 success; 1 some input failed (or nothing readable, or a score under its threshold);
2 bad usage or a model that cannot be loaded.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import shutil
import sys
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Callable, ClassVar, Iterable, Iterator, Optional, Sequence

from .cli_batch import add_crawl_parser, add_extract_options as add_batch_options
from .records import Document

__all__ = ["main", "build_parser", "Writer", "WRITERS", "register_writer", "SUBCOMMANDS", "Reporter"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
PROG = "medins-ie"


# ---------------------------------------------------------------- messages and progress

class Reporter:
    """Warnings and errors on stderr, and a progress bar there when stderr is a terminal (not with ``--quiet``)."""

    def __init__(self, total: Optional[int], quiet: bool = False, stream: Optional[IO[str]] = None):
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.bar: Any = None
        if not quiet and total and total > 1 and _isatty(self.stream):
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="file", file=self.stream, dynamic_ncols=True, leave=False)

    def _print(self, message: str) -> None:
        if self.bar is not None:
            self.bar.write(message, file=self.stream)
        else:
            print(message, file=self.stream)

    def warn(self, message: str) -> None:
        """A note about one input (skipped, decoded with replacements); silenced by ``--quiet``."""
        if not self.quiet:
            self._print(f"{PROG}: warning: {message}")

    def error(self, message: str) -> None:
        self._print(f"{PROG}: {message}")

    def step(self) -> None:
        if self.bar is not None:
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


# ---------------------------------------------------------------- output writers

class Writer:
    """Writes documents to an output stream in one format; ``close`` finishes the output."""

    binary: ClassVar[bool] = False     # a format that writes bytes (the stream is opened in binary mode)

    def __init__(self, out: IO[Any], args: argparse.Namespace):
        self.out = out
        self.args = args

    def write(self, name: str, doc: Document) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass


WRITERS: dict[str, type[Writer]] = {}


def register_writer(name: str) -> Callable[[type[Writer]], type[Writer]]:
    """Class decorator: make ``--format NAME`` write with this ``Writer``."""
    def add(cls: type[Writer]) -> type[Writer]:
        WRITERS[name] = cls
        return cls
    return add


def _doc_dict(name: str, doc: Document) -> dict[str, Any]:
    return {"document": name, **doc.to_dict()}


@register_writer("json")
class JsonWriter(Writer):
    """A JSON array of documents, each with its ``document`` name, streamed one document at a time."""

    def __init__(self, out: IO[str], args: argparse.Namespace):
        super().__init__(out, args)
        self.n = 0
        self.indent = 2 if _isatty(out) else None

    def write(self, name: str, doc: Document) -> None:
        self.out.write(("[\n" if self.n == 0 else ",\n")
                       + json.dumps(_doc_dict(name, doc), ensure_ascii=False, indent=self.indent))
        self.n += 1

    def close(self) -> None:
        self.out.write("[]\n" if self.n == 0 else "\n]\n")


@register_writer("jsonl")
class JsonlWriter(Writer):
    """One JSON document per line, with its ``document`` name."""

    def write(self, name: str, doc: Document) -> None:
        self.out.write(json.dumps(_doc_dict(name, doc), ensure_ascii=False) + "\n")


@register_writer("records")
class RecordsWriter(Writer):
    """One JSON record per line, with its ``document`` name (the flat stream for a database or pandas)."""

    def write(self, name: str, doc: Document) -> None:
        for r in doc.records:
            self.out.write(json.dumps({"document": name, **r.to_dict(encode_json=False)}, ensure_ascii=False) + "\n")


@register_writer("csv")
class CsvWriter(Writer):
    """One row per record (``medins_ie.frames.RECORD_COLUMNS``); ``--excel`` starts the file with a UTF-8 BOM."""

    def __init__(self, out: IO[str], args: argparse.Namespace):
        from .frames import RECORD_COLUMNS

        super().__init__(out, args)
        if getattr(args, "excel", False):
            out.write("\ufeff")
        self.writer = csv.DictWriter(out, fieldnames=RECORD_COLUMNS)
        self.writer.writeheader()

    def write(self, name: str, doc: Document) -> None:
        from .frames import record_row

        self.writer.writerows({k: ("" if v is None else v) for k, v in record_row(r, name).items()}
                             for r in doc.records)


@register_writer("table")
class TableWriter(Writer):
    """A readable table per document, fitted to the terminal width."""

    def __init__(self, out: IO[str], args: argparse.Namespace):
        super().__init__(out, args)
        self.width = _output_width(out)

    def write(self, name: str, doc: Document) -> None:
        from .view import table_view

        self.out.write(table_view(name, doc, self.width) + "\n")


def _output_width(out: IO[str]) -> int:
    if _isatty(out):
        return shutil.get_terminal_size((120, 24)).columns
    try:
        return max(60, int(os.environ.get("COLUMNS", "")))
    except ValueError:
        return 160


# ---------------------------------------------------------------- inputs

@dataclass
class Source:
    """One input ready to extract: what the extractor reads, and how its Document is finished."""

    name: str
    text: str                                            # the text the extractor reads (rendered text for HTML)
    notes: list[str] = field(default_factory=list)       # go to doc.meta.warnings
    finish: Optional[Callable[[Document], Document]] = None   # maps an HTML page's spans back
    original: Optional[str] = None


@dataclass
class Tally:
    inputs: int = 0
    failed: int = 0
    skipped: int = 0
    written: int = 0


def _read_sources(names: Sequence[str], args: argparse.Namespace, rep: Reporter, tally: Tally) -> Iterator[Source]:
    """Decode each input; report and skip the ones that cannot be read or are not text."""
    from .html import looks_like_html, prepare_html
    from .io import DecodeError, binary_kind, decode_bytes

    for name in names:
        tally.inputs += 1
        try:
            data = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
        except OSError as exc:
            tally.failed += 1
            rep.error(f"{name}: cannot read: {exc.strerror or exc}")
            rep.step()
            continue
        label = "<stdin>" if name == "-" else name
        kind = binary_kind(data)
        if kind is not None or not data.strip():
            tally.skipped += 1
            rep.warn(f"{label}: skipped: " + (f"{kind}, not text" if kind else "empty"))
            rep.step()
            continue
        try:
            decoded = decode_bytes(data, name=label, errors=args.errors, encoding=args.encoding)
        except DecodeError as exc:
            tally.failed += 1
            reason = str(exc).split("; pass errors=")[0]
            rep.error(f"{reason}; use --errors replace to replace undecodable bytes, or --encoding")
            rep.step()
            continue
        except ValueError as exc:  # an unknown --encoding
            tally.failed += 1
            rep.error(f"{label}: {exc}")
            rep.step()
            continue
        for w in decoded.warnings:
            rep.warn(f"{label}: {w}")
        notes = [f"{name}: read as {decoded.encoding}"] + [f"{name}: {w}" for w in decoded.warnings]
        text, finish = decoded.text, None
        if args.html or (not args.no_html and looks_like_html(text)):
            text, finish = prepare_html(decoded.text)
        yield Source(name, text, notes, finish, decoded.text)


def _failure(doc: Document) -> Optional[str]:
    """The reason, when ``doc`` is the placeholder ``Extractor.pipe`` yields for a document it could not process."""
    if not doc.records and not doc.entities and not doc.tables and len(doc.meta.warnings) == 1 \
            and doc.meta.title is None and ": " in doc.meta.warnings[0]:
        head = doc.meta.warnings[0].split(": ", 1)[0]
        if head.isidentifier() and head[:1].isupper():
            return doc.meta.warnings[0]
    return None


def _extract_sources(sources: Iterator[Source], extractor: Any, jobs: int) -> Iterator[tuple[Source, Document]]:
    """The documents of ``sources`` in input order, through ``Extractor.pipe`` (``jobs`` worker processes)."""
    pending: deque[Source] = deque()

    def texts() -> Iterator[str]:
        for src in sources:
            pending.append(src)
            yield src.text

    for doc in extractor.pipe(texts(), n_process=jobs):
        yield pending.popleft(), doc


# ---------------------------------------------------------------- extract

def _load_extractor(model: Optional[str], rep: Reporter) -> Any:
    from . import load

    try:
        return load(model)
    except (OSError, ValueError) as exc:
        rep.error(f"cannot load the model: {exc}")
        return None


def cmd_extract(args: argparse.Namespace) -> int:
    """``medins-ie extract``: every input's records in the chosen format."""
    if args.format == "parquet":  # a folder of Parquet files through the flat batch path
        from .cli_batch import extract_parquet

        return extract_parquet(args)
    names = list(args.files) or ["-"]
    if names == ["-"] and not args.files and _isatty(sys.stdin):
        args.parser.print_usage(sys.stderr)
        print(f"{PROG} extract: give input files, or - to read a report from standard input", file=sys.stderr)
        return EXIT_USAGE
    rep = Reporter(len(names), quiet=args.quiet)
    extractor = _load_extractor(args.model, rep)
    if extractor is None:
        rep.close()
        return EXIT_USAGE
    writer_cls = WRITERS[args.format]
    tally = Tally()
    if args.output:
        out: IO[Any] = open(args.output, "wb") if writer_cls.binary else open(
            args.output, "w", encoding="utf-8", newline="")
    else:
        out = sys.stdout.buffer if writer_cls.binary else sys.stdout
    writer = writer_cls(out, args)
    try:
        jobs = args.jobs if len(names) > 1 else 1  # one input: no worker pool to start
        for src, doc in _extract_sources(_read_sources(names, args, rep, tally), extractor, jobs):
            reason = _failure(doc)
            rep.step()
            if reason is not None:  # one bad file never stops the others
                tally.failed += 1
                rep.error(f"{src.name}: {reason}")
                continue
            if src.finish is not None:
                doc = src.finish(doc)
            doc.meta.warnings.extend(src.notes)
            writer.write(src.name, doc)
            tally.written += 1
        writer.close()
    finally:
        rep.close()
        if args.output:
            out.close()
    if tally.failed:
        rep.error(f"{tally.failed} of {tally.inputs} input(s) failed")
        return EXIT_FAILED
    if not tally.written:
        rep.error("nothing readable was found in the input" + ("s" if tally.inputs > 1 else ""))
        return EXIT_FAILED
    return EXIT_OK


def cmd_sample(args: argparse.Namespace) -> int:
    """``medins-ie sample``: ``extract`` on the bundled sample report."""
    args.files = [str(Path(__file__).resolve().parent / "samples" / "huining_2024q1.txt")]
    return cmd_extract(args)


def _add_extract_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", "-f", choices=sorted([*WRITERS, "parquet"]), default="table",
                   help="table (readable, default), json (one array of documents), jsonl (a document a line), "
                        "records (a record a line), csv (a record a row), parquet (a folder given with -o: "
                        "flat records through the batch path; needs pyarrow)")
    p.add_argument("--output", "-o", help="write to this file instead of stdout")
    p.add_argument("--excel", action="store_true",
                   help="CSV: start with a UTF-8 byte-order mark so Excel shows Chinese correctly "
                        "(off by default: other CSV readers take the mark for text)")
    p.add_argument("--jobs", "-j", type=_positive_int, default=1, metavar="N",
                   help="extract with N processes (Extractor.pipe's worker pool; 0: one per CPU)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar and no warnings (errors still show)")
    add_input_options(p, "fail (strict) or replace them and warn on stderr")
    add_batch_options(p)


def add_input_options(p: argparse.ArgumentParser, errors_help: str,
                      model_help: str = "path to a model folder (default: the packaged model)") -> None:
    """The options every command that reads documents shares: model, encoding, errors, HTML or not."""
    p.add_argument("--model", help=model_help)
    p.add_argument("--encoding", help="force an input encoding (default: detect UTF-8, GB18030/GBK, Big5)")
    p.add_argument("--errors", choices=("strict", "replace"), default="strict",
                   help="undecodable bytes: " + errors_help)
    p.add_argument("--html", action="store_true", help="treat input as HTML (default: detect)")
    p.add_argument("--no-html", action="store_true", help="never treat input as HTML")


def html_option(args: argparse.Namespace) -> Optional[bool]:
    """``--html``/``--no-html`` as ``extract_flat``'s ``html``: True, False, or None to detect."""
    return True if args.html else False if args.no_html else None


def _positive_int(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if n < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return n


def add_extract_parser(sub: Any) -> None:
    """Declare ``extract`` and its options."""
    p = sub.add_parser("extract", help="extract records from files (or - for stdin)",
                       description="Extract every figure of each input as records. Inputs are text or HTML files "
                                   "in UTF-8, GB18030/GBK or Big5 (detected); - reads standard input.")
    p.add_argument("files", nargs="*", help="input files; - reads stdin")
    _add_extract_options(p)
    p.set_defaults(func=cmd_extract, parser=p)


def add_sample_parser(sub: Any) -> None:
    """Declare ``sample``."""
    p = sub.add_parser("sample", help="extract the bundled sample report")
    _add_extract_options(p)
    p.set_defaults(func=cmd_sample, parser=p)


# ---------------------------------------------------------------- eval and fixtures

def cmd_eval(args: argparse.Namespace) -> int:
    """``medins-ie eval``: score against gold files; thresholds set the exit code."""
    from .evaluate import GoldError, evaluate

    rep = Reporter(None)
    extractor = _load_extractor(args.model, rep)
    if extractor is None:
        return EXIT_USAGE
    try:
        report = evaluate(args.paths, extractor)
    except GoldError as exc:
        print(f"{PROG} eval: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not report.documents:
        print(f"{PROG} eval: no *.gold.json fixtures found under " + ", ".join(args.paths), file=sys.stderr)
        return EXIT_USAGE
    print(report.format(diffs=args.diff))
    kinds = report.error_kinds().most_common(5)
    if kinds:
        print("most common errors: " + ", ".join(f"{k} ({n})" for k, n in kinds))
    if args.json:
        Path(args.json).write_text(json.dumps(report.to_dict(), ensure_ascii=False, indent=2), encoding="utf-8")
    scores = report.total.scores()
    failed = [f"{what} F1 {scores[what]['f1']:.3f} is below {floor:.3f}"
              for what, floor in (("entity", args.min_entity_f1), ("record", args.min_record_f1))
              if floor is not None and scores[what]["f1"] < floor]
    for line in failed:
        print(f"{PROG} eval: {line}", file=sys.stderr)
    return EXIT_FAILED if failed else EXIT_OK


def _fraction(value: str) -> float:
    try:
        f = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if not 0.0 <= f <= 1.0:
        raise argparse.ArgumentTypeError("must be between 0 and 1")
    return f


def add_eval_parser(sub: Any) -> None:
    """Declare ``eval`` and its options."""
    p = sub.add_parser("eval", help="score the extractor against annotated fixtures",
                       description="Score the extractor against gold files (NAME.gold.json beside NAME.txt). "
                                   "Gold files are validated first; a malformed one is refused with its problems.")
    p.add_argument("paths", nargs="+", help="fixture folders or *.gold.json files")
    p.add_argument("--json", help="write the full report as JSON to this file")
    p.add_argument("--diff", action="store_true", help="list every missed, spurious and mismatched record")
    p.add_argument("--model", help="path to a model folder")
    p.add_argument("--min-entity-f1", type=_fraction, metavar="F",
                   help="exit 1 when the total entity F1 is below F (for CI)")
    p.add_argument("--min-record-f1", type=_fraction, metavar="F",
                   help="exit 1 when the total record F1 is below F (for CI)")
    p.set_defaults(func=cmd_eval)


def cmd_fixtures(args: argparse.Namespace) -> int:
    """``medins-ie fixtures check``: validate gold files."""
    from .fixtures import check_fixtures

    reports = check_fixtures(args.paths)
    bad = 0
    for rep in reports:
        print(f"{rep.gold.name}: {rep.n_records} records, " + ("ok" if not rep.errors else f"{len(rep.errors)} problem(s)"))
        for e in rep.errors:
            print("   ", e)
        bad += bool(rep.errors)
    if not reports:
        print("no *.gold.json files found", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_FAILED if bad else EXIT_OK


def add_fixtures_parser(sub: Any) -> None:
    """Declare ``fixtures check``."""
    p = sub.add_parser("fixtures", help="fixture tools")
    fsub = p.add_subparsers(dest="fixtures_command", required=True)
    c = fsub.add_parser("check", help="validate gold files (spans, labels, values, dates)")
    c.add_argument("paths", nargs="+")
    c.set_defaults(func=cmd_fixtures)


def cmd_review(args: argparse.Namespace) -> int:
    """``medins-ie review FILE... -o page.html``: one self-contained HTML review page (see ``medins_ie.review``)."""
    from .review import write_review

    return write_review(args.files, args.output, model=args.model, errors=args.errors, encoding=args.encoding,
                        html=html_option(args), title=args.title)


def add_review_parser(sub: Any) -> None:
    """Declare ``review``."""
    p = sub.add_parser("review", help="write an HTML review page: records highlighted over the text")
    p.add_argument("files", nargs="+", help="input files (- reads stdin); several get an index")
    p.add_argument("--output", "-o", help="write the page to this file instead of stdout")
    p.add_argument("--title", help="page title (default: the file name)")
    add_input_options(p, "fail (strict) or replace them and warn")
    p.set_defaults(func=cmd_review)


# ---------------------------------------------------------------- entry point

SUBCOMMANDS: list[Callable[[Any], None]] = [add_extract_parser, add_sample_parser, add_eval_parser,
                                             add_fixtures_parser, add_review_parser, add_crawl_parser]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand of ``SUBCOMMANDS``."""
    from . import __version__

    parser = argparse.ArgumentParser(prog=PROG, description="Figures from Chinese medical-insurance fund "
                                     "reports as records with source spans.")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for add in SUBCOMMANDS:
        add(sub)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of the ``medins-ie`` console script."""
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            try:
                stream.reconfigure(encoding="utf-8")  # type: ignore[union-attr]
            except (ValueError, io.UnsupportedOperation):
                pass
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
