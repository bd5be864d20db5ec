from __future__ import annotations

from pathlib import Path

import pytest

import medins_ie

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
SEEDS = sorted(FIXTURES.glob("00[0-9]_*.txt"))


@pytest.fixture(scope="session")
def extractor() -> medins_ie.Extractor:
    return medins_ie.load()


@pytest.fixture(scope="session")
def seed_docs(extractor):
    return {p.name[:3]: (p.read_text(encoding="utf-8"), extractor.extract(p.read_text(encoding="utf-8")))
            for p in SEEDS}


def find(doc: medins_ie.Document, text: str, nth: int = 0) -> medins_ie.Record:
    """The nth record whose text is ``text``."""
    hits = [r for r in doc.records if r.text == text]
    assert len(hits) > nth, f"no record {text!r} (#{nth}); have {[r.text for r in doc.records][:50]}"
    return hits[nth]
