"""Load and check the phenomenon cases (format in README.md beside this file)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import medins_ie

HERE = Path(__file__).resolve().parent
FILES = ("periodic", "tables", "bulletins")
FIELDS = ("type", "value", "unit", "scheme", "account", "metric", "measure", "status", "region", "qualifiers")


@dataclass
class Case:
    id: str
    entry: str
    text: str
    expect: list[dict[str, Any]]
    not_records: list[str] = field(default_factory=list)
    exhaustive: bool = True
    source: str = ""


def load_cases() -> list[Case]:
    out: list[Case] = []
    for name in FILES:
        path = HERE / f"{name}.jsonl"
        if not path.exists():
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            d = json.loads(line)
            out.append(Case(d["id"], d.get("entry", ""), d["text"], d.get("expect", []), d.get("not_records", []),
                            d.get("exhaustive", True), f"{path.name}:{n}"))
    return out


def known_failures() -> dict[str, str]:
    path = HERE / "known_failures.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def check(case: Case, extractor: Optional[medins_ie.Extractor] = None) -> list[str]:
    """The problems of one case (empty when it passes)."""
    doc = (extractor or medins_ie.load()).extract(case.text)
    problems: list[str] = []
    by_text: dict[str, list[medins_ie.Record]] = {}
    for r in doc.records:
        by_text.setdefault(r.text, []).append(r)
    matched: set[str] = set()
    for exp in case.expect:
        nth = exp.get("nth", 0)
        hits = by_text.get(exp["text"], [])
        if len(hits) <= nth:
            problems.append(f"missing record {exp['text']!r} (#{nth})")
            continue
        r = hits[nth]
        matched.add(r.id)
        for f in FIELDS:
            if f not in exp:
                continue
            got = getattr(r, f)
            want = exp[f]
            if f == "value":
                ok = want is not None and abs(got - want) <= 1e-6 * max(1.0, abs(want))
            elif f == "qualifiers":
                ok = {k: sorted(v) if isinstance(v, list) else v for k, v in got.items()} == \
                    {k: sorted(v) if isinstance(v, list) else v for k, v in want.items()}
            else:
                ok = got == want
            if not ok:
                problems.append(f"{exp['text']!r}: {f} is {got!r}, expected {want!r}")
        if "period" in exp:
            got_p = [r.period.start, r.period.end] if r.period else None
            if got_p != exp["period"]:
                problems.append(f"{exp['text']!r}: period is {got_p}, expected {exp['period']}")
    for surface in case.not_records:
        if surface in by_text:
            problems.append(f"{surface!r} must not be a record")
    if case.exhaustive:
        extra = [r.text for r in doc.records if r.id not in matched and r.text not in case.not_records]
        if extra:
            problems.append(f"unexpected records {extra}")
    return problems


def record_known_failures() -> tuple[int, int]:
    """Rewrite known_failures.json from a run: every failing case with the problems it has today.

    Used when a change moves many cases at once; each entry stays until the extractor handles its case.
    """
    nlp = medins_ie.load()
    failing = {}
    cases = load_cases()
    for case in cases:
        problems = check(case, nlp)
        if problems:
            failing[case.id] = "; ".join(problems)[:300]
    (HERE / "known_failures.json").write_text(json.dumps(failing, ensure_ascii=False, indent=1) + "\n",
                                              encoding="utf-8")
    return len(cases) - len(failing), len(cases)


if __name__ == "__main__":
    print("%d of %d cases pass" % record_known_failures())
