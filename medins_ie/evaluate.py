"""Scoring against annotated fixtures, as the output contract says (``docs/contract.md``, section 8).

- A predicted record matches a gold record when their spans are equal (one prediction per gold record;
  a second prediction with the same span is spurious).
- Entity scores: a match is correct when ``type``, ``unit`` and ``value`` (relative tolerance 1e-6) agree.
- Binding accuracy: over matched records, per field (scheme, account, metric, measure, status, period, region);
  qualifiers are scored separately.
- Record exact: matched and scheme, account, metric, measure, status and period all agree.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Optional

from .fixtures import check_fixture, gold_files, load_gold

BINDING_FIELDS = ("scheme", "account", "metric", "measure", "status", "period", "region")
EXACT_FIELDS = ("scheme", "account", "metric", "measure", "status", "period")
REL_TOL = 1e-6
MAX_PROBLEMS_SHOWN = 5     # per gold file, in a GoldError


class GoldError(ValueError):
    """Gold files that cannot be scored: each file with its problems (as ``medins-ie fixtures check`` finds them)."""

    def __init__(self, problems: dict[str, list[str]]):
        self.problems = problems
        lines = [f"{len(problems)} gold file(s) are malformed; fix them (medins-ie fixtures check lists every "
                 f"problem) before scoring:"]
        for name, errs in problems.items():
            lines.append(f"  {name}: {len(errs)} problem(s)")
            lines.extend(f"    {e}" for e in errs[:MAX_PROBLEMS_SHOWN])
            if len(errs) > MAX_PROBLEMS_SHOWN:
                lines.append(f"    ... and {len(errs) - MAX_PROBLEMS_SHOWN} more")
        super().__init__("\n".join(lines))


def _period(rec: dict) -> Optional[tuple[Optional[str], Optional[str]]]:
    p = rec.get("period")
    if not p:
        return None
    if p.get("start") is None and p.get("end") is None:
        return None
    return (p.get("start"), p.get("end"))


def field_value(rec: dict, name: str) -> Any:
    """The comparable value of a field of a record dict (period as a (start, end) pair)."""
    if name == "period":
        return _period(rec)
    if name == "qualifiers":
        q = rec.get("qualifiers") or {}
        return {k: (sorted(v) if isinstance(v, list) else v) for k, v in q.items()}
    return rec.get(name)


def values_equal(a: Any, b: Any) -> bool:
    """Whether two values are numbers equal within the scoring tolerance (``REL_TOL``)."""
    if not isinstance(a, (int, float)) or not isinstance(b, (int, float)):
        return False
    return math.isclose(float(a), float(b), rel_tol=REL_TOL, abs_tol=1e-9)


@dataclass
class Counts:
    """Tallies from which every score is computed."""

    n_gold: int = 0
    n_pred: int = 0
    matched: int = 0
    entity_correct: int = 0
    exact: int = 0
    field_agree: Counter = field(default_factory=Counter)
    qualifiers_agree: int = 0

    def add(self, other: "Counts") -> None:
        self.n_gold += other.n_gold
        self.n_pred += other.n_pred
        self.matched += other.matched
        self.entity_correct += other.entity_correct
        self.exact += other.exact
        self.field_agree.update(other.field_agree)
        self.qualifiers_agree += other.qualifiers_agree

    @staticmethod
    def _prf(tp: int, n_pred: int, n_gold: int) -> dict[str, float]:
        p = tp / n_pred if n_pred else (1.0 if n_gold == 0 else 0.0)
        r = tp / n_gold if n_gold else (1.0 if n_pred == 0 else 0.0)
        f = 2 * p * r / (p + r) if p + r else 0.0
        return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4)}

    def scores(self) -> dict[str, Any]:
        binding = {f: round(self.field_agree[f] / self.matched, 4) if self.matched else None for f in BINDING_FIELDS}
        binding["qualifiers"] = round(self.qualifiers_agree / self.matched, 4) if self.matched else None
        return {
            "gold": self.n_gold, "predicted": self.n_pred, "matched": self.matched,
            "entity": self._prf(self.entity_correct, self.n_pred, self.n_gold),
            "binding": binding,
            "record": self._prf(self.exact, self.n_pred, self.n_gold),
        }


@dataclass
class DocResult:
    name: str
    counts: Counts
    by_type: dict[str, Counts]
    diffs: list[dict[str, Any]]


def score_document(name: str, gold: list[dict], pred: list[dict]) -> DocResult:
    """Score one document's predicted record dicts against its gold record dicts."""
    total = Counts(n_gold=len(gold), n_pred=len(pred))
    by_type: dict[str, Counts] = defaultdict(Counts)
    for g in gold:
        by_type[g["type"]].n_gold += 1
    for p in pred:
        by_type[p["type"]].n_pred += 1
    pred_by_span: dict[tuple[int, int], list[dict]] = defaultdict(list)
    for p in pred:
        pred_by_span[tuple(p["span"])].append(p)
    diffs: list[dict[str, Any]] = []
    used: set[int] = set()
    for g in gold:
        cands = pred_by_span.get(tuple(g["span"]), [])
        p = next((c for c in cands if id(c) not in used), None)
        if p is None:
            diffs.append({"kind": "missed", "text": g["text"], "span": g["span"], "gold": _brief(g)})
            continue
        used.add(id(p))
        c = by_type[g["type"]]
        for t in (total, c):
            t.matched += 1
        ent_ok = g["type"] == p["type"] and g["unit"] == p["unit"] and values_equal(g["value"], p["value"])
        disagree = [f for f in ("type", "unit", "value") if not (
            values_equal(g[f], p[f]) if f == "value" else g[f] == p[f])]
        for f in BINDING_FIELDS:
            if field_value(g, f) == field_value(p, f):
                total.field_agree[f] += 1
                c.field_agree[f] += 1
            else:
                disagree.append(f)
        if field_value(g, "qualifiers") == field_value(p, "qualifiers"):
            total.qualifiers_agree += 1
            c.qualifiers_agree += 1
        else:
            disagree.append("qualifiers")
        exact = all(field_value(g, f) == field_value(p, f) for f in EXACT_FIELDS)
        for t in (total, c):
            t.entity_correct += ent_ok
            t.exact += exact
        if disagree:
            diffs.append({"kind": "mismatch", "text": g["text"], "span": g["span"], "fields": {
                f: {"gold": field_value(g, f), "pred": field_value(p, f)} for f in disagree}})
    for p in pred:
        if id(p) not in used:
            diffs.append({"kind": "spurious", "text": p["text"], "span": list(p["span"]), "pred": _brief(p)})
    diffs.sort(key=lambda d: tuple(d["span"]))
    return DocResult(name, total, dict(by_type), diffs)


def _brief(rec: dict) -> dict[str, Any]:
    return {k: field_value(rec, k) for k in ("type", "value", "unit") + BINDING_FIELDS + ("qualifiers",)}


@dataclass
class Report:
    documents: list[DocResult]

    @property
    def total(self) -> Counts:
        t = Counts()
        for d in self.documents:
            t.add(d.counts)
        return t

    def by_type(self) -> dict[str, Counts]:
        out: dict[str, Counts] = defaultdict(Counts)
        for d in self.documents:
            for k, c in d.by_type.items():
                out[k].add(c)
        return dict(out)

    def to_dict(self, diffs: bool = True) -> dict[str, Any]:
        return {
            "total": self.total.scores(),
            "by_type": {k: c.scores() for k, c in sorted(self.by_type().items())},
            "documents": [{"name": d.name, **d.counts.scores(),
                           "by_type": {k: c.scores() for k, c in sorted(d.by_type.items())},
                           **({"diffs": d.diffs} if diffs else {})} for d in self.documents],
        }

    def error_kinds(self) -> Counter:
        """How often each kind of error occurs (missed, spurious, and each disagreeing field)."""
        kinds: Counter = Counter()
        for d in self.documents:
            for diff in d.diffs:
                if diff["kind"] == "mismatch":
                    kinds.update(f"wrong {f}" for f in diff["fields"])
                else:
                    kinds[diff["kind"]] += 1
        return kinds

    def format(self, diffs: bool = False) -> str:
        """The score table (every document name in full); ``diffs`` adds each document's errors under a header."""
        from .view import display_width

        names = [d.name for d in self.documents] + ["TOTAL", "document"]
        width = max(display_width(n) for n in names + [f"  (type {k})" for k in self.by_type()])

        def cell(name: str) -> str:
            return name + " " * (width - display_width(name))

        lines = [f"{cell('document')} {'gold':>5} {'pred':>5} {'ent P':>6} {'ent R':>6} {'ent F1':>6} "
                 f"{'rec P':>6} {'rec R':>6} {'rec F1':>6}"]

        def row(name: str, c: Counts) -> str:
            s = c.scores()
            e, r = s["entity"], s["record"]
            return (f"{cell(name)} {s['gold']:5d} {s['predicted']:5d} {e['precision']:6.3f} {e['recall']:6.3f} "
                    f"{e['f1']:6.3f} {r['precision']:6.3f} {r['recall']:6.3f} {r['f1']:6.3f}")

        for d in self.documents:
            lines.append(row(d.name, d.counts))
        for k, c in sorted(self.by_type().items()):
            lines.append(row(f"  (type {k})", c))
        total = self.total
        b = total.scores()["binding"]
        lines.append("binding accuracy: " + "  ".join(f"{k}={v:.3f}" for k, v in b.items() if v is not None))
        lines.append(row("TOTAL", total))
        if diffs:
            lines.extend(self._format_diffs())
        return "\n".join(lines)

    def _format_diffs(self) -> list[str]:
        from .view import display_width

        lines = ["", "Differences, per document. missed: a gold record with no prediction at its span; spurious: a "
                 "prediction with no gold record; mismatch: the fields that differ (gold -> predicted)."]
        for d in self.documents:
            if not d.diffs:
                continue
            kinds = Counter(diff["kind"] for diff in d.diffs)
            lines.append("")
            lines.append(f"== {d.name}: " + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())))
            lines.append(f"   {'kind':9} {'span':>13}  {'text':14} detail")
            for diff in d.diffs:
                span = f"[{diff['span'][0]}, {diff['span'][1]}]"
                if diff["kind"] == "mismatch":
                    detail = "; ".join(f"{f}: {_short(v['gold'])} -> {_short(v['pred'])}"
                                       for f, v in diff["fields"].items())
                else:
                    rec = diff.get("gold") or diff.get("pred") or {}
                    detail = " ".join(_short(rec.get(k)) for k in ("type", "value", "unit", "scheme", "metric",
                                                                   "measure", "period"))
                text = diff["text"].replace("\n", "⏎")
                pad = " " * max(1, 14 - display_width(text))
                lines.append(f"   {diff['kind']:9} {span:>13}  {text}{pad}{detail}")
        return lines


def _short(value: Any) -> str:
    """A field value as diff output shows it: periods as start..end, qualifiers as compact JSON."""
    if value is None:
        return "null"
    if isinstance(value, tuple) and len(value) == 2:
        return f"{value[0]}..{value[1]}"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def evaluate(paths: Iterable[str | Path], extractor: Any = None) -> Report:
    """Run ``extractor`` (default: the packaged model) over every fixture under ``paths`` and score it.

    Every gold file is validated first (spans, labels, periods, its text beside it); if any is malformed,
    ``GoldError`` lists the problems and nothing is scored.
    """
    if extractor is None:
        from . import load

        extractor = load()
    files = gold_files(paths)
    taxonomy = getattr(getattr(extractor, "model", None), "taxonomy", None)
    problems = {}
    for gold_path in files:
        report = check_fixture(gold_path, taxonomy)
        if report.errors:
            problems[str(gold_path)] = report.errors
    if problems:
        raise GoldError(problems)
    results = []
    for gold_path in files:
        text, gold = load_gold(gold_path)
        doc = extractor.extract(text)
        pred = [r.to_dict(encode_json=False) for r in doc.records]
        for p in pred:
            p["span"] = list(p["span"])
        results.append(score_document(gold.get("document") or gold_path.name, gold["records"], pred))
    return Report(results)
