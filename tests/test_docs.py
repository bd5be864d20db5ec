"""The documentation cannot rot: the API reference is regenerated and compared, links and citations resolve."""

from __future__ import annotations

import importlib.util
import re
import sys
import warnings
from pathlib import Path

import pytest

from conftest import ROOT

DOCS = ROOT / "docs"
pytest.importorskip("pdoc")


def _gen_api():
    spec = importlib.util.spec_from_file_location("gen_api", DOCS / "gen_api.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["gen_api"] = module
    spec.loader.exec_module(module)
    return module


def test_api_reference_is_current():
    gen = _gen_api()
    assert (DOCS / "api.md").read_text(encoding="utf-8") == gen.render(), \
        "docs/api.md is out of date: run python docs/gen_api.py"


def test_api_html_builds_without_warnings(tmp_path):
    gen = _gen_api()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gen.build_html(tmp_path)
    pages = {str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*.html")}
    expected = {"medins_ie.html"} | {m.replace(".", "/") + ".html" for m in gen.MODULES[1:]}
    assert expected <= pages, expected - pages
    assert "load_model" in (tmp_path / "medins_ie" / "model.html").read_text(encoding="utf-8")


def test_public_api_has_docstrings():
    import pdoc.doc

    gen = _gen_api()
    missing = []
    for name in gen.MODULES:
        mod = pdoc.doc.Module.from_name(name)
        assert mod.obj.__doc__, name
        for member in mod.members.values():
            if isinstance(member, (pdoc.doc.Class, pdoc.doc.Function)) and gen._public(member, mod) \
                    and member.taken_from[0] == name and not (member.obj.__doc__ or "").strip():
                missing.append(f"{name}.{member.name}")
    assert not missing, missing


def test_markdown_headings_render():
    bad = [(p.name, ln) for p in DOCS.glob("*.md") for ln in p.read_text(encoding="utf-8").splitlines()
           if re.match(r"^#{1,6}[^#\s]", ln)]
    assert not bad, bad


def test_docs_cite_the_contract_in_the_repository():
    """No page cites the spec outside the repository; every cited contract section exists."""
    contract = (DOCS / "contract.md").read_text(encoding="utf-8")
    sections = set(re.findall(r"^#{2,3} (\d+(?:\.\d+)?)\b", contract, re.M))
    assert {"1", "2", "3", "4", "4.1", "4.4", "5", "6", "7", "8"} <= sections
    texts = {p: p.read_text(encoding="utf-8") for p in list(DOCS.glob("*.md")) + list(ROOT.glob("*.md"))
             + list((ROOT / "medins_ie").glob("*.py")) + [ROOT / "fixtures" / "README.md"]}
    for path, text in texts.items():
        assert "RECORDS.md" not in text, f"{path} cites the external spec; cite docs/contract.md"
        for ref in re.findall(r"contract\.md(?:\)|`)?,? (?:section|§) ?(\d+(?:\.\d+)?)", text):
            assert ref in sections, f"{path} cites contract section {ref}, which does not exist"
    links = [(p, m) for p, t in texts.items() if p.suffix == ".md" for m in re.findall(r"\]\(([^)#]+)", t)
             if not m.startswith("http")]
    for path, target in links:
        assert (path.parent / target).exists(), f"{path.name} links to {target}, which does not exist"


def test_extending_covers_every_model_file_and_rule():
    from medins_ie.model import CUE_FIELDS, LABEL_FIELDS, NOISE_KINDS, PERIOD_GROUPS, TERM_OPTIONS
    from medins_ie.paths import default_model_dir

    text = (DOCS / "extending.md").read_text(encoding="utf-8")
    root = default_model_dir()
    for path in root.rglob("*"):
        if path.is_file() and path.suffix in (".tsv", ".txt", ".json", ".jsonl") and "__" not in path.name:
            assert path.name in text, f"extending.md does not describe {path.relative_to(root)}"
    for word in list(PERIOD_GROUPS) + list(TERM_OPTIONS) + list(NOISE_KINDS) + list(LABEL_FIELDS) + list(CUE_FIELDS):
        assert f"`{word}`" in text, f"extending.md does not mention `{word}`"
    for rule in ("ModelError", "folded", "taxonomy.json", "per_units.tsv", "metric_units.tsv", "line"):
        assert rule in text
