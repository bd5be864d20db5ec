"""jieba tokenisation with the domain dictionary, and the spaCy component."""

from __future__ import annotations

import pytest

from medins_ie.tokenize import segment_words

from conftest import SEEDS


def test_words_cover_the_original_text_exactly():
    text = SEEDS[3].read_text(encoding="utf-8")[:3000]  # traditional script with pinyin glosses
    words = segment_words(text)
    assert "".join(words) == text


def test_domain_words_stay_whole():
    words = segment_words("职工医保统筹基金支出1.5亿元,可支付月数2.66个月,跨省异地就医直接结算。")
    for w in ("职工医保", "统筹基金", "可支付月数", "跨省异地就医", "直接结算"):
        assert w in words, words


def test_traditional_text_segments_like_simplified():
    simp = segment_words("城乡居民医保基金收入")
    trad = segment_words("城鄉居民醫保基金收入")
    assert [len(w) for w in simp] == [len(w) for w in trad]


def test_spacy_pipeline_exposes_records_as_spans():
    spacy = pytest.importorskip("spacy")
    from medins_ie.tokenize import make_nlp

    nlp = make_nlp()
    text = SEEDS[0].read_text(encoding="utf-8")
    doc = nlp(text)
    assert isinstance(doc, spacy.tokens.Doc) and doc.text == text
    records = doc._.medins.records
    spans = doc.spans["medins_ie"]
    assert len(spans) == len(records)
    for span, rec in zip(spans, records):
        assert (span.start_char, span.end_char) == rec.span
        assert span.label_ == (f"{rec.scheme}/{rec.metric}" if rec.scheme else rec.metric)
    assert any(s.label_ == "period" for s in doc.spans["medins_entities"])
