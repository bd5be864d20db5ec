"""spaCy integration: factory on install, exact spans on every fixture, serialisation round trips, saving."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import textwrap
from importlib import metadata
from pathlib import Path

import pytest

spacy = pytest.importorskip("spacy")
from spacy import displacy  # noqa: E402
from spacy.language import Language  # noqa: E402
from spacy.tokens import Doc, DocBin  # noqa: E402

import medins_ie  # noqa: E402
from medins_ie.paths import default_model_dir  # noqa: E402
from medins_ie.tokenize import make_nlp  # noqa: E402

from conftest import FIXTURES, SEEDS  # noqa: E402

ALL_TEXTS = sorted(FIXTURES.glob("*.txt")) + [Path(medins_ie.__file__).parent / "samples" / "huining_2024q1.txt"]
SHORT = "2024年一季度,城镇职工医保基金收入1.5亿元,支出1.2亿元;城乡居民参保41.1万人,参保率95.7%。"


def run_fresh(code: str, *args: str) -> dict:
    """Run ``code`` in a fresh interpreter (nothing imported beforehand); it prints one JSON object."""
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code), *args], capture_output=True, text=True,
                          timeout=300, cwd=Path(__file__).parent)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def record_view(doc: Doc, key: str = "medins_ie") -> list[tuple]:
    return [(s.start_char, s.end_char, s.text, s.label_, s.id_) for s in doc.spans[key]]


def expected_view(result: medins_ie.Document) -> list[tuple]:
    return [(*r.span, r.text, f"{r.scheme}/{r.metric}" if r.scheme else r.metric, r.id) for r in result.records]


@pytest.fixture(scope="module")
def nlp():
    return make_nlp()


@pytest.fixture(scope="module")
def texts():
    return [p.read_text(encoding="utf-8") for p in SEEDS]


def test_factory_is_registered_on_install_and_takes_its_config():
    names = {ep.name for ep in metadata.entry_points(group="spacy_factories")}
    assert "medins_ie" in names
    out = run_fresh("""
        import json, spacy
        nlp = spacy.blank("zh")
        nlp.add_pipe("medins_ie", config={"spans_key": "figures", "entities_key": "tags", "span_label": "metric"})
        doc = nlp(%r)
        print(json.dumps({"figures": [(s.text, s.label_, s.id_) for s in doc.spans["figures"]],
                          "tags": sorted({s.label_ for s in doc.spans["tags"]}),
                          "record": doc.spans["figures"][0]._.medins_record.id}))
    """ % SHORT)
    assert out["figures"] == [["1.5亿元", "income", "r1"], ["1.2亿元", "expenditure", "r2"],
                              ["41.1万人", "enrollment", "r3"], ["95.7%", "coverage_rate", "r4"]]
    assert {"period", "scheme", "metric"} <= set(out["tags"])
    assert out["record"] == "r1"


def test_bad_config_is_a_clear_error():
    nlp = spacy.blank("zh")
    with pytest.raises(ValueError, match="span_label"):
        nlp.add_pipe("medins_ie", config={"span_label": "everything"})
    with pytest.raises(ValueError, match="different"):
        nlp.add_pipe("medins_ie", name="x", config={"spans_key": "a", "entities_key": "a"})


def test_import_and_extract_do_not_import_spacy():
    out = run_fresh("""
        import json, sys
        import medins_ie
        doc = medins_ie.extract(%r)
        page = doc.to_html(%r)
        again = medins_ie.Document.from_json(doc.to_json())
        print(json.dumps({"records": len(doc.records), "loaded": sorted(m for m in ("spacy", "thinc", "srsly", "jieba")
                                                                         if m in sys.modules)}))
    """ % (SHORT, SHORT))
    assert out == {"records": 4, "loaded": []}


@pytest.mark.parametrize("path", ALL_TEXTS, ids=lambda p: p.stem)
def test_spans_equal_the_records_exactly_on_every_fixture(nlp, path):
    text = path.read_text(encoding="utf-8")
    doc = nlp(text)
    result = doc._.medins
    assert doc.text == text
    assert result.to_json() == medins_ie.extract(text).to_json()
    assert record_view(doc) == expected_view(result)
    for span, rec in zip(doc.spans["medins_ie"], result.records):
        assert span.text == rec.text and span._.medins_record is rec
    assert [(s.start_char, s.end_char, s.text, s.label_, s.kb_id_) for s in doc.spans["medins_entities"]] == \
        [(*e.span, e.text, e.label, e.value or "") for e in result.entities]


def test_default_char_tokenizer_also_gives_exact_spans():
    nlp = spacy.blank("zh")
    nlp.add_pipe("medins_ie")
    for path in SEEDS + [FIXTURES / "ext05_traditional.txt", FIXTURES / "pF1.txt"]:
        text = path.read_text(encoding="utf-8")
        doc = nlp(text)
        assert record_view(doc) == expected_view(doc._.medins), path.name


@Language.component("test_stub_tagger")
def _stub_tagger(doc: Doc) -> Doc:
    for t in doc:
        t.tag_ = "X"
    return doc


@Language.component("test_stub_spans")
def _stub_spans(doc: Doc) -> Doc:
    """A span group of every word of two characters or more, set before the component splits tokens."""
    doc.spans["words"] = [doc[i:i + 1] for i, t in enumerate(doc) if len(t.text) >= 2]
    return doc


@pytest.mark.parametrize("with_tags", [True, False], ids=["retokenizer", "rebuild"])
def test_earlier_annotations_survive_the_split(with_tags):
    nlp = make_nlp()
    if with_tags:
        nlp.add_pipe("test_stub_tagger", before="medins_ie")
    nlp.add_pipe("test_stub_spans", before="medins_ie")
    text = (FIXTURES / "pF1.txt").read_text(encoding="utf-8")   # has record boundaries inside jieba words
    plain = nlp.tokenizer(text)
    doc = nlp(text)
    assert len(doc) > len(plain), "no token was split: the test text no longer exercises the split"
    assert record_view(doc) == expected_view(doc._.medins)
    assert [(s.start_char, s.end_char, s.text) for s in doc.spans["words"]] == \
        [(t.idx, t.idx + len(t.text), t.text) for t in plain if len(t.text) >= 2]
    if with_tags:
        assert all(t.tag_ == "X" for t in doc)


def test_doc_to_bytes_round_trip(nlp, texts):
    doc = nlp(texts[1])
    again = Doc(spacy.blank("zh").vocab).from_bytes(doc.to_bytes())
    assert again.text == doc.text and [t.text for t in again] == [t.text for t in doc]
    assert record_view(again) == record_view(doc)
    assert record_view(again, "medins_entities") == record_view(doc, "medins_entities")
    assert again._.medins == doc._.medins
    assert again.spans["medins_ie"][7]._.medins_record == doc._.medins.records[7]


def test_docbin_with_user_data_reads_back_in_a_fresh_interpreter(nlp, texts, tmp_path):
    db = DocBin(store_user_data=True)
    docs = list(nlp.pipe(texts))
    for d in docs:
        db.add(d)
    path = tmp_path / "docs.spacy"
    db.to_disk(path)
    out = run_fresh("""
        import json, sys, spacy
        from spacy.tokens import DocBin
        docs = list(DocBin().from_disk(sys.argv[1]).get_docs(spacy.blank("zh").vocab))
        print(json.dumps([{"spans": [(s.start_char, s.end_char, s.text, s.label_, s.id_) for s in d.spans["medins_ie"]],
                           "json": d._.medins.to_json(),
                           "linked": all(s._.medins_record.text == s.text for s in d.spans["medins_ie"])}
                          for d in docs]))
    """, str(path))
    assert len(out) == len(docs)
    for got, doc in zip(out, docs):
        assert [tuple(s) for s in got["spans"]] == record_view(doc)
        assert got["json"] == doc._.medins.to_json() and got["linked"]


def test_pipe_with_two_processes_matches_one(nlp, texts):
    batch = texts * 2
    one = [(record_view(d), d._.medins.to_json()) for d in nlp.pipe(batch)]
    two = [(record_view(d), d._.medins.to_json()) for d in nlp.pipe(batch, n_process=2, batch_size=2)]
    assert two == one


def test_saved_pipeline_loads_with_its_own_tokenizer_and_model(texts, tmp_path):
    model = tmp_path / "my_model"
    shutil.copytree(default_model_dir(), model)
    nlp = make_nlp(model, span_label="type")
    saved = tmp_path / "pipeline"
    nlp.to_disk(saved)
    shutil.rmtree(model)          # the saved pipeline must not need the folder it was made from
    assert (saved / "medins_ie" / "model" / "taxonomy.json").is_file()
    assert "统筹基金" in (saved / "tokenizer" / "words.txt").read_text(encoding="utf-8").split()
    out = run_fresh("""
        import json, sys, spacy
        nlp = spacy.load(sys.argv[1])
        docs = [nlp(open(p, encoding="utf-8").read()) for p in sys.argv[2:]]
        print(json.dumps({"tokenizer": type(nlp.tokenizer).__name__, "pipes": nlp.pipe_names,
                          "docs": [{"tokens": [t.text for t in d],
                                    "spans": [(s.start_char, s.end_char, s.text, s.label_, s.id_)
                                              for s in d.spans["medins_ie"]],
                                    "json": d._.medins.to_json()} for d in docs]}))
    """, str(saved), *map(str, SEEDS))
    assert out["tokenizer"] == "JiebaTokenizer" and out["pipes"] == ["medins_ie"]
    for got, text in zip(out["docs"], texts):
        doc = nlp(text)
        assert got["tokens"] == [t.text for t in doc]
        assert [tuple(s) for s in got["spans"]] == record_view(doc)
        assert {s[3] for s in got["spans"]} <= {"amount", "count", "ratio"}
        assert got["json"] == doc._.medins.to_json()


def test_pipeline_to_bytes_round_trip(nlp, texts):
    other = make_nlp().from_bytes(nlp.to_bytes())
    for text in texts[:2]:
        a, b = nlp(text), other(text)
        assert [t.text for t in a] == [t.text for t in b]
        assert record_view(a) == record_view(b) and a._.medins == b._.medins


def test_displacy_renders_the_record_spans(nlp):
    doc = nlp(SHORT)
    html = displacy.render(doc, style="span", options={"spans_key": "medins_ie"}, page=False, jupyter=False)
    labels = [s.label_ for s in doc.spans["medins_ie"]]
    assert labels == ["employee_medical/income", "employee_medical/expenditure", "resident_medical/enrollment",
                      "resident_medical/coverage_rate"]
    for label in set(labels):
        assert len(re.findall(r">\s*" + re.escape(label) + r"\s*<", html)) == labels.count(label)
