"""Run the evaluation harness over every fixture split and write the results into docs/.

    python docs/gen_accuracy.py

Writes ``docs/eval/current_<split>.txt`` and ``.json`` (the harness's own output) and rewrites the part of
``docs/accuracy.md`` between the ``generated`` markers: a summary table built from those runs next to the
recorded first runs of the held-out sets. Nothing here is typed in by hand.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from medins_ie.evaluate import evaluate  # noqa: E402

DOCS = ROOT / "docs"
EVAL = DOCS / "eval"
FIXTURES = ROOT / "fixtures"
START, END = "<!-- generated:start -->", "<!-- generated:end -->"
DESCRIPTIONS = {
    "seeds": "the five real pages the project started from",
    "dev": "documents written for this project in other shapes, used while writing the rules",
    "heldout": "documents written later in unlike shapes (no longer held out: rules were generalised with them)",
    "shapes": "24 specimens in the layouts of real report pages (issue 11), the development data for real shapes",
    "heldout2": "six documents written blind in catalogue shapes (issue 11), scored once before any rule changed for them",
}
FIRST_RUNS = {"heldout": "heldout_first_run.json", "shapes": "shapes_first_run.json",
              "heldout2": "heldout2_first_run.json"}


def _scores(report_json: dict) -> tuple[int, float, float]:
    total = report_json["total"]
    return total["gold"], total["entity"]["f1"], total["record"]["f1"]


def main() -> None:
    splits = {k: v for k, v in json.loads((FIXTURES / "splits.json").read_text(encoding="utf-8")).items()
              if not k.startswith("_")}
    rows = ["| set | what | records | entity F1 | record F1 | first run (entity / record) |", "|---|---|---:|---:|---:|---|"]
    blocks = []
    for name, docs in splits.items():
        report = evaluate([FIXTURES / f"{d}.gold.json" for d in docs])
        text = report.format()
        (EVAL / f"current_{name}.txt").write_text(text + "\n", encoding="utf-8")
        data = report.to_dict(diffs=False)
        (EVAL / f"current_{name}.json").write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        gold, ent, rec = _scores(data)
        first = ""
        if name in FIRST_RUNS and (EVAL / FIRST_RUNS[name]).exists():
            _, fe, fr = _scores(json.loads((EVAL / FIRST_RUNS[name]).read_text(encoding="utf-8")))
            first = f"{fe:.3f} / {fr:.3f}"
        rows.append(f"| {name} | {DESCRIPTIONS.get(name, '')} | {gold} | {ent:.3f} | {rec:.3f} | {first} |")
        blocks.append(f"### {name}\n\n```\n{text}\n```\n")
    generated = "\n".join([START, "", *rows, "", *blocks, END])
    path = DOCS / "accuracy.md"
    current = path.read_text(encoding="utf-8")
    if START in current:
        before, rest = current.split(START, 1)
        after = rest.split(END, 1)[1]
        current = before + generated + after
    else:
        current = current.rstrip() + "\n\n" + generated + "\n"
    path.write_text(current, encoding="utf-8")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
