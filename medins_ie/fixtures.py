"""Validation of annotated fixtures (``NAME.txt`` + ``NAME.gold.json``) against the contract (``docs/contract.md``, section 5)."""

from __future__ import annotations

import datetime as _dt
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from .taxonomy import Taxonomy, default_taxonomy

GOLD_SUFFIX = ".gold.json"
RECORD_KEYS = ("text", "span", "type", "value", "unit", "scheme", "account", "metric",
               "measure", "status", "period", "region", "qualifiers")


@dataclass
class FixtureReport:
    """Problems found in one gold file (empty ``errors`` means well-formed)."""

    gold: Path
    n_records: int = 0
    errors: list[str] = field(default_factory=list)


def gold_files(paths: Iterable[str | Path]) -> list[Path]:
    """Expand files and folders into the sorted list of ``*.gold.json`` files they hold."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found.extend(sorted(p.glob("*" + GOLD_SUFFIX)))
        elif p.name.endswith(GOLD_SUFFIX):
            found.append(p)
        elif p.suffix == ".txt" and p.with_name(p.stem + GOLD_SUFFIX).exists():
            found.append(p.with_name(p.stem + GOLD_SUFFIX))
    seen: set[Path] = set()
    return [p for p in found if not (p.resolve() in seen or seen.add(p.resolve()))]  # type: ignore[func-returns-value]


def load_gold(gold_path: Path) -> tuple[str, dict[str, Any]]:
    """Return (document text, gold object) for a gold file; the text is read byte-exact as UTF-8."""
    try:
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    if not isinstance(gold, dict):
        raise ValueError("a gold file is a JSON object with 'document' and 'records'")
    txt_path = gold_path.with_name(gold.get("document") or gold_path.name[: -len(GOLD_SUFFIX)] + ".txt")
    if not txt_path.is_file():
        raise FileNotFoundError(f"its text is missing: expected {txt_path} (a gold file sits beside the text "
                                f"it annotates, named by its 'document' key or NAME.txt)")
    try:
        text = txt_path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{txt_path.name} is not UTF-8 (byte offset {exc.start}): spans count characters of "
                         f"the UTF-8 text") from None
    return text, gold


def _iso(value: Any) -> _dt.date | None:
    if not isinstance(value, str):
        return None
    try:
        return _dt.date.fromisoformat(value)
    except ValueError:
        return None


def check_record(rec: dict[str, Any], text: str, tax: Taxonomy) -> list[str]:
    """Return the problems of one gold record (empty when it is well-formed)."""
    errs: list[str] = []
    missing = [k for k in RECORD_KEYS if k not in rec]
    if missing:
        return [f"missing keys {missing}"]
    span = rec["span"]
    if not (isinstance(span, list) and len(span) == 2 and all(isinstance(i, int) for i in span)
            and 0 <= span[0] < span[1] <= len(text)):
        errs.append(f"bad span {span!r}")
    elif text[span[0]:span[1]] != rec["text"]:
        errs.append(f"span {span} slices {text[span[0]:span[1]]!r}, not {rec['text']!r}")
    if rec["type"] not in tax.record_types:
        errs.append(f"type {rec['type']!r} not in taxonomy")
    elif rec["unit"] not in tax.record_types[rec["type"]]:
        errs.append(f"unit {rec['unit']!r} not valid for type {rec['type']!r}")
    if not isinstance(rec["value"], (int, float)) or isinstance(rec["value"], bool) or not math.isfinite(rec["value"]):
        errs.append(f"value {rec['value']!r} is not a finite number")
    for key in ("scheme", "account"):
        if rec[key] is not None and rec[key] not in tax.labels[key]:
            errs.append(f"{key} {rec[key]!r} not in taxonomy")
    for key in ("metric", "measure", "status"):
        if rec[key] not in tax.labels[key]:
            errs.append(f"{key} {rec[key]!r} not in taxonomy")
    period = rec["period"]
    if period is not None:
        if not isinstance(period, dict):
            errs.append("period must be an object or null")
        else:
            start, end = period.get("start"), period.get("end")
            if (start is None) != (end is None):
                errs.append("period start and end must both be set or both null")
            elif start is not None:
                ds, de = _iso(start), _iso(end)
                if ds is None or de is None:
                    errs.append(f"period {start!r}..{end!r} is not ISO YYYY-MM-DD")
                elif ds > de:
                    errs.append(f"period start {start} after end {end}")
    if rec["region"] is not None and not isinstance(rec["region"], str):
        errs.append("region must be a string or null")
    errs.extend(tax.check_qualifiers(rec["qualifiers"]))
    return errs


def check_fixture(gold_path: Path, tax: Taxonomy | None = None) -> FixtureReport:
    """Validate one gold file against its text and the taxonomy."""
    tax = tax or default_taxonomy()
    report = FixtureReport(gold_path)
    try:
        text, gold = load_gold(gold_path)
    except FileNotFoundError as exc:
        report.errors.append(str(exc))
        return report
    except (OSError, ValueError) as exc:
        report.errors.append(f"cannot read: {exc}")
        return report
    records = gold.get("records")
    if not isinstance(records, list):
        report.errors.append("'records' must be a list")
        return report
    report.n_records = len(records)
    seen: set[tuple[int, int]] = set()
    for i, rec in enumerate(records):
        if not isinstance(rec, dict):
            report.errors.append(f"record {i}: must be an object, not {type(rec).__name__}")
            continue
        try:
            problems = check_record(rec, text, tax)
        except TypeError:  # a list or object where a label belongs
            problems = ["a field holds a list or object where a string or number belongs"]
        for err in problems:
            report.errors.append(f"record {i} ({rec.get('text')!r}): {err}")
        span = tuple(rec.get("span") or ()) if isinstance(rec.get("span"), list) else ()
        if span and span in seen:
            report.errors.append(f"record {i} ({rec.get('text')!r}): duplicate span {list(span)}")
        seen.add(span)  # type: ignore[arg-type]
    return report


def check_fixtures(paths: Iterable[str | Path]) -> list[FixtureReport]:
    """Validate every gold file found under ``paths``."""
    tax = default_taxonomy()
    return [check_fixture(p, tax) for p in gold_files(paths)]


if __name__ == "__main__":  # pragma: no cover - convenience for annotators
    import sys

    bad = 0
    for rep in check_fixtures(sys.argv[1:] or ["fixtures"]):
        status = "ok" if not rep.errors else f"{len(rep.errors)} problem(s)"
        print(f"{rep.gold.name}: {rep.n_records} records, {status}")
        for e in rep.errors:
            print("   ", e)
        bad += bool(rep.errors)
    sys.exit(1 if bad else 0)
