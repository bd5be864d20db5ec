"""Command line: ``medins-ie extract``, ``medins-ie eval``, ``medins-ie fixtures check``, ``medins-ie sample``,
``medins-ie crawl`` (batches and Dask: ``cli_batch``)."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from pathlib import Path
from typing import Iterable, Optional, Sequence

from .cli_batch import add_crawl_parser, add_extract_options as add_batch_options
from .records import Document

FORMATS = ("json", "jsonl", "csv", "table", "parquet")
CSV_FIELDS = ("document", "id", "type", "value", "unit", "text", "start", "end", "scheme", "account", "metric",
              "measure", "status", "period_start", "period_end", "region", "qualifiers", "related")


def _sample_path() -> Path:
    return Path(__file__).resolve().parent / "samples" / "huining_2024q1.txt"


def _read(name: str, args: argparse.Namespace) -> tuple[str, list[str]]:
    """Text of one input (``-`` is stdin) and the warnings its decoding produced."""
    from .io import decode_bytes, read_file

    if name == "-":
        decoded = decode_bytes(sys.stdin.buffer.read(), name="<stdin>", errors=args.errors, encoding=args.encoding)
    else:
        decoded = read_file(name, errors=args.errors, encoding=args.encoding)
    return decoded.text, [f"{name}: read as {decoded.encoding}"] + [f"{name}: {w}" for w in decoded.warnings]


def _extract_one(text: str, args: argparse.Namespace, extractor) -> Document:
    from .html import extract_html, looks_like_html

    if args.html or (not args.no_html and looks_like_html(text)):
        return extract_html(text, extractor)
    return extractor.extract(text)


def _rows(name: str, doc: Document) -> Iterable[dict]:
    for r in doc.records:
        yield {
            "document": name, "id": r.id, "type": r.type, "value": r.value, "unit": r.unit, "text": r.text,
            "start": r.span[0], "end": r.span[1], "scheme": r.scheme or "", "account": r.account or "",
            "metric": r.metric, "measure": r.measure, "status": r.status,
            "period_start": r.period.start if r.period and r.period.start else "",
            "period_end": r.period.end if r.period and r.period.end else "",
            "region": r.region or "", "qualifiers": json.dumps(r.qualifiers, ensure_ascii=False) if r.qualifiers else "",
            "related": r.related or "",
        }


def _table_view(name: str, doc: Document) -> str:
    head = ("id", "text", "value", "unit", "scheme", "account", "metric", "measure", "status", "period", "region")
    rows = [head]
    for r in doc.records:
        period = f"{r.period.start}..{r.period.end}" if r.period and r.period.start else "-"
        value = f"{r.value:,.2f}".rstrip("0").rstrip(".")
        rows.append((r.id, r.text, value, r.unit, r.scheme or "-", r.account or "-", r.metric, r.measure,
                     r.status, period, r.region or "-"))
    widths = [max(_width(row[i]) for row in rows) for i in range(len(head))]
    lines = [f"== {name}: {len(doc.records)} records" + (f" | {doc.meta.title}" if doc.meta.title else "")]
    for row in rows:
        lines.append("  ".join(str(c) + " " * (w - _width(c)) for c, w in zip(row, widths)))
    for f in doc.findings:
        lines.append(f"  ! {f.severity} {f.kind}: {f.message}")
    return "\n".join(lines)


def _width(s: object) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(s))


def cmd_extract(args: argparse.Namespace) -> int:
    from . import load
    from .io import DecodeError

    if args.format == "parquet":
        from .cli_batch import extract_parquet

        return extract_parquet(args)

    try:
        extractor = load(args.model)
    except (OSError, ValueError) as exc:
        print(f"medins-ie: cannot load the model: {exc}", file=sys.stderr)
        return 2
    names = args.files or ["-"]
    out = open(args.output, "w", encoding="utf-8", newline="") if args.output else sys.stdout
    failed = 0
    results: list[tuple[str, Document]] = []
    writer: Optional[csv.DictWriter] = None
    try:
        for name in names:
            try:
                text, notes = _read(name, args)
                doc = _extract_one(text, args, extractor)
                doc.meta.warnings.extend(notes)
            except DecodeError as exc:
                failed += 1
                reason = str(exc).split("\n")[0].split("; pass errors=")[0]
                print(f"medins-ie: {reason}; use --errors replace to replace undecodable bytes, or --encoding",
                      file=sys.stderr)
                continue
            except Exception as exc:  # one bad file never stops the others
                failed += 1
                print(f"medins-ie: {name}: {type(exc).__name__}: {exc}", file=sys.stderr)
                continue
            if args.format == "json":
                results.append((name, doc))
            elif args.format == "jsonl":
                out.write(json.dumps({"document": name, **doc.to_dict(encode_json=False)}, ensure_ascii=False) + "\n")
            elif args.format == "csv":
                if writer is None:
                    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS)
                    writer.writeheader()
                writer.writerows(_rows(name, doc))
            else:
                out.write(_table_view(name, doc) + "\n")
        if args.format == "json":
            if len(results) == 1 and len(names) == 1:
                out.write(results[0][1].to_json(indent=2) + "\n")
            else:
                payload = [{"document": n, **d.to_dict(encode_json=False)} for n, d in results]
                out.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
    finally:
        if out is not sys.stdout:
            out.close()
    if failed:
        print(f"medins-ie: {failed} of {len(names)} input(s) failed", file=sys.stderr)
    return 1 if failed else 0


def cmd_eval(args: argparse.Namespace) -> int:
    from . import load
    from .evaluate import evaluate

    report = evaluate(args.paths, load(args.model))
    if not report.documents:
        print("medins-ie eval: no *.gold.json fixtures found under " + ", ".join(args.paths), file=sys.stderr)
        return 2
    print(report.format(diffs=args.diff))
    kinds = report.error_kinds().most_common(5)
    if kinds:
        print("most common errors: " + ", ".join(f"{k} ({n})" for k, n in kinds))
    if args.json:
        Path(args.json).write_text(json.dumps(report.to_dict(), ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


def cmd_fixtures(args: argparse.Namespace) -> int:
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
        return 2
    return 1 if bad else 0


def cmd_sample(args: argparse.Namespace) -> int:
    args.files = [str(_sample_path())]
    return cmd_extract(args)


def _add_extract_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", "-f", choices=FORMATS, default="table", help="output format (default: table)")
    p.add_argument("--output", "-o", help="write to this file instead of stdout")
    p.add_argument("--model", help="path to a model folder (default: the packaged model)")
    p.add_argument("--encoding", help="force an input encoding (default: detect UTF-8, GB18030/GBK, Big5)")
    p.add_argument("--errors", choices=("strict", "replace"), default="strict",
                   help="undecodable bytes: fail (strict) or replace them and warn")
    p.add_argument("--html", action="store_true", help="treat input as HTML (default: detect)")
    p.add_argument("--no-html", action="store_true", help="never treat input as HTML")
    add_batch_options(p)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="medins-ie", description="Figures from Chinese medical-insurance fund "
                                     "reports as records with source spans.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("extract", help="extract records from files (or - for stdin)")
    p.add_argument("files", nargs="*", help="input files; - or nothing reads stdin")
    _add_extract_options(p)
    p.set_defaults(func=cmd_extract)
    p = sub.add_parser("sample", help="extract the bundled sample report")
    _add_extract_options(p)
    p.set_defaults(func=cmd_sample)
    p = sub.add_parser("eval", help="score the extractor against annotated fixtures")
    p.add_argument("paths", nargs="+", help="fixture folders or *.gold.json files")
    p.add_argument("--json", help="write the full report as JSON to this file")
    p.add_argument("--diff", action="store_true", help="list every missed, spurious and mismatched record")
    p.add_argument("--model", help="path to a model folder")
    p.set_defaults(func=cmd_eval)
    p = sub.add_parser("fixtures", help="fixture tools")
    fsub = p.add_subparsers(dest="fixtures_command", required=True)
    c = fsub.add_parser("check", help="validate gold files (spans, labels, values, dates)")
    c.add_argument("paths", nargs="+")
    c.set_defaults(func=cmd_fixtures)
    add_crawl_parser(sub)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of the ``medins-ie`` console script."""
    if hasattr(sys.stdout, "reconfigure"):
        try:
            sys.stdout.reconfigure(encoding="utf-8")  # type: ignore[union-attr]
        except (ValueError, io.UnsupportedOperation):
            pass
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
