"""Every catalogued real-page phenomenon, from its minimal example (tests/phenomena/)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "phenomena"))
from cases import check, known_failures, load_cases  # noqa: E402

CASES = load_cases()
KNOWN = known_failures()


def test_case_ids_are_unique_and_known_failures_exist():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))
    assert set(KNOWN) <= set(ids), sorted(set(KNOWN) - set(ids))


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_phenomenon(case, extractor):
    problems = check(case, extractor)
    if case.id in KNOWN:
        if not problems:
            pytest.fail(f"{case.id} passes now: remove it from known_failures.json")
        pytest.xfail(KNOWN[case.id])
    assert not problems, f"{case.source} {case.entry}: " + "; ".join(problems)
