"""spaCy integration: the ``medins_ie`` pipeline component and the jieba domain tokenizer.

Both are registered on install through entry points, so a fresh interpreter needs no import:

    nlp = spacy.blank("zh")
    nlp.add_pipe("medins_ie")                       # config: model, spans_key, entities_key, span_label
    doc = nlp(text)
    doc.spans["medins_ie"]                          # one span per record, character for character
    span._.medins_record                            # the Record behind a span (span.id_ is its id)
    doc.spans["medins_entities"]                    # every tagged entity (span.kb_id_ is its value)
    doc._.medins                                    # the whole medins_ie Document

    nlp = medins_ie.tokenize.make_nlp()             # the same with the jieba domain tokenizer
    nlp.to_disk(path); spacy.load(path)             # the tokenizer's words and the rule model are saved

Where a record or entity boundary falls inside a token, the component splits the token there, so
every span's text equals the record's text whatever tokenizer ran before it.
"""

from __future__ import annotations

import atexit
import bisect
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Optional, Union

import srsly
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import registry

from .model import load_model
from .msgpack_codec import decode, encode
from .records import Document, Record
from .tokenize import domain_words, jieba_with, split_words

SPAN_LABELS = ("scheme/metric", "metric", "type")
ANNOTATIONS = ("TAG", "POS", "MORPH", "LEMMA", "DEP", "ENT_IOB", "SENT_START")
MODEL_DIR = "model"
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "__init__.py")

srsly.msgpack_encoders.register("medins_ie_document", func=encode)
srsly.msgpack_decoders.register("medins_ie_document", func=decode)


def register_extensions() -> None:
    """``Doc._.medins`` (the Document) and ``Span._.medins_record`` (the Record of a record span)."""
    if not Doc.has_extension("medins"):
        Doc.set_extension("medins", default=None)
    if not Span.has_extension("medins_record"):
        Span.set_extension("medins_record", getter=record_of)


def record_of(span: Span) -> Optional[Record]:
    """The record a span of the records group stands for (``span.id_`` is the record id), else None."""
    result = span.doc._.medins
    rid = span.id_
    if result is None or not rid:
        return None
    n = rid[1:]
    if n.isdigit() and 0 < int(n) <= len(result.records) and result.records[int(n) - 1].id == rid:
        return result.records[int(n) - 1]   # ids are r1, r2, ... in order: no search needed
    return next((r for r in result.records if r.id == rid), None)


register_extensions()


# ------------------------------------------------------------------ the component

@Language.factory(
    "medins_ie",
    default_config={"model": None, "spans_key": "medins_ie", "entities_key": "medins_entities",
                    "span_label": "scheme/metric"},
)
def make_component(nlp: Language, name: str, model: Optional[str], spans_key: str, entities_key: str,
                   span_label: str) -> "MedinsComponent":
    """Factory of the ``medins_ie`` component (registered on install: entry point ``spacy_factories``)."""
    return MedinsComponent(name, model=model, spans_key=spans_key, entities_key=entities_key,
                           span_label=span_label)


class MedinsComponent:
    """Runs medins_ie on ``doc.text``; records and entities become span groups, the result ``doc._.medins``."""

    def __init__(self, name: str = "medins_ie", model: Optional[str] = None, spans_key: str = "medins_ie",
                 entities_key: str = "medins_entities", span_label: str = "scheme/metric"):
        if span_label not in SPAN_LABELS:
            raise ValueError(f"medins_ie: span_label must be one of {SPAN_LABELS}, not {span_label!r}")
        if not spans_key or not entities_key or spans_key == entities_key:
            raise ValueError("medins_ie: spans_key and entities_key must be two different non-empty names")
        self.name = name
        self.model = None if model is None else str(model)
        self.spans_key, self.entities_key, self.span_label = spans_key, entities_key, span_label
        self._extractor: Any = None

    @property
    def extractor(self) -> Any:
        """The ``Extractor``, loaded on first use (a saved pipeline replaces it from disk before that)."""
        if self._extractor is None:
            from .pipeline import Extractor

            self._extractor = Extractor(self.model)
        return self._extractor

    def __call__(self, doc: Doc) -> Doc:
        result = self.extractor.extract(doc.text)
        doc = align(doc, _boundaries(result))
        doc._.medins = result
        doc.spans[self.spans_key] = _spans(doc, ((r.span, self.label(r), r.id, "") for r in result.records))
        doc.spans[self.entities_key] = _spans(doc, ((e.span, e.label, "", e.value or "") for e in result.entities))
        return doc

    def pipe(self, docs: Iterable[Doc], batch_size: int = 16) -> Iterator[Doc]:
        for doc in docs:
            yield self(doc)

    def label(self, r: Record) -> str:
        """A record span's label: ``scheme/metric`` (or ``metric`` without a scheme), ``metric`` or ``type``."""
        if self.span_label == "type":
            return r.type
        if self.span_label == "metric" or r.scheme is None:
            return r.metric
        return f"{r.scheme}/{r.metric}"

    # serialisation: the rule model is saved inside the pipeline, so a saved pipeline stands alone
    def to_disk(self, path: Union[str, Path], exclude: Iterable[str] = ()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        if (path / MODEL_DIR).exists():
            shutil.rmtree(path / MODEL_DIR)
        shutil.copytree(self.extractor.model.path, path / MODEL_DIR, ignore=_IGNORE)

    def from_disk(self, path: Union[str, Path], exclude: Iterable[str] = ()) -> "MedinsComponent":
        from .pipeline import Extractor

        self._extractor = Extractor(Path(path) / MODEL_DIR)
        return self

    def to_bytes(self, exclude: Iterable[str] = ()) -> bytes:
        root = self.extractor.model.path
        files = {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
                 if p.is_file() and not _IGNORE(str(p.parent), [p.name])}
        return srsly.msgpack_dumps({"model": files})

    def from_bytes(self, data: bytes, exclude: Iterable[str] = ()) -> "MedinsComponent":
        from .pipeline import Extractor

        root = Path(tempfile.mkdtemp(prefix="medins_ie-model-"))
        atexit.register(shutil.rmtree, root, True)
        for rel, content in srsly.msgpack_loads(data)["model"].items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_bytes(content)
        self._extractor = Extractor(root)
        return self


def _boundaries(result: Document) -> set[int]:
    cuts = {c for r in result.records for c in r.span}
    cuts.update(c for e in result.entities for c in e.span)
    cuts.update(c for r in result.records for e in r.evidence for c in e.span)
    return cuts


def _spans(doc: Doc, items: Iterable[tuple[tuple[int, int], str, str, str]]) -> list[Span]:
    """Spans for ``(span, label, span_id, kb_id)`` items; boundaries are token boundaries after ``align``."""
    out = []
    for (start, end), label, span_id, kb_id in items:
        span = doc.char_span(start, end, label=label, kb_id=kb_id, span_id=span_id)
        if span is None:  # a boundary in a token's trailing space cannot be split: take the tokens around it
            span = doc.char_span(start, end, label=label, kb_id=kb_id, span_id=span_id, alignment_mode="expand")
        if span is not None:
            out.append(span)
    return out


def align(doc: Doc, cuts: Iterable[int]) -> Doc:
    """``doc`` with its tokens split at every offset of ``cuts`` that falls inside a token's text.

    A doc that has only tokens (the usual case: this component right after the tokenizer) is rebuilt
    in one linear pass; one whose tokens already carry annotations is split in place with the
    retokenizer, which keeps them. Span groups set by earlier components are carried over by
    character offsets (spaCy's retokenizer would leave them pointing at the old token indexes).
    """
    split_at: dict[int, list[int]] = {}
    starts = [t.idx for t in doc]
    for c in sorted(set(cuts)):
        k = bisect.bisect_right(starts, c) - 1
        if k < 0:
            continue
        tok = doc[k]
        if tok.idx < c < tok.idx + len(tok.text):
            split_at.setdefault(k, []).append(c - tok.idx)
    if not split_at:
        return doc
    groups = {key: [(s.start_char, s.end_char, s.label_, s.kb_id_, s.id_) for s in group]
              for key, group in doc.spans.items()}
    if not any(doc.has_annotation(a) for a in ANNOTATIONS) and not doc.tensor.size:
        words: list[str] = []
        spaces: list[bool] = []
        for k, tok in enumerate(doc):
            pieces = _pieces(tok.text, split_at.get(k, ()))
            words.extend(pieces)
            spaces.extend([False] * (len(pieces) - 1) + [bool(tok.whitespace_)])
        new = Doc(doc.vocab, words=words, spaces=spaces, user_data=dict(doc.user_data))
        new.cats = dict(doc.cats)
    else:
        new = doc
        with new.retokenize() as retok:
            for k, offsets in split_at.items():
                tok = new[k]
                pieces = _pieces(tok.text, offsets)
                retok.split(tok, pieces, heads=[(tok, 0)] * len(pieces))
    for key, spans in groups.items():
        new.spans[key] = _spans(new, (((s, e), label, sid, kb) for s, e, label, kb, sid in spans))
    return new


def _pieces(text: str, offsets: Iterable[int]) -> list[str]:
    cuts = [0, *offsets, len(text)]
    return [text[a:b] for a, b in zip(cuts, cuts[1:]) if b > a]


# ------------------------------------------------------------------ the tokenizer

class JiebaTokenizer:
    """A spaCy tokenizer: jieba with the model's domain words, tokens over the original text.

    Its state is the word list and the character table (traditional -> simplified, full -> half
    width) it normalises with; ``to_disk``/``to_bytes`` save both.
    """

    def __init__(self, vocab: Any, model: Optional[str] = None):
        self.vocab = vocab
        self.model = None if model is None else str(model)
        self._words: Optional[tuple[str, ...]] = None
        self._chars: Optional[dict[int, str]] = None

    def _state(self) -> tuple[tuple[str, ...], dict[int, str]]:
        if self._words is None or self._chars is None:
            m = load_model(self.model)
            self._words, self._chars = tuple(domain_words(m)), m.char_table
        return self._words, self._chars

    def __call__(self, text: str) -> Doc:
        words, chars = self._state()
        pieces = split_words(text, jieba_with(words), chars)
        return Doc(self.vocab, words=pieces, spaces=[False] * len(pieces))

    def pipe(self, texts: Iterable[str], batch_size: int = 1000) -> Iterator[Doc]:
        for text in texts:
            yield self(text)

    def _dump(self) -> dict[str, Any]:
        words, chars = self._state()
        return {"words": list(words), "chars": {chr(k): v for k, v in sorted(chars.items())}}

    def _load(self, data: dict[str, Any]) -> "JiebaTokenizer":
        self._words = tuple(data["words"])
        self._chars = {ord(k): v for k, v in data["chars"].items()}
        return self

    def to_disk(self, path: Union[str, Path], **kwargs: Any) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        data = self._dump()
        (path / "words.txt").write_text("\n".join(data["words"]) + "\n", encoding="utf-8")
        (path / "char_table.json").write_text(json.dumps(data["chars"], ensure_ascii=False), encoding="utf-8")

    def from_disk(self, path: Union[str, Path], **kwargs: Any) -> "JiebaTokenizer":
        path = Path(path)
        words = [w for w in (path / "words.txt").read_text(encoding="utf-8").splitlines() if w]
        chars = json.loads((path / "char_table.json").read_text(encoding="utf-8"))
        return self._load({"words": words, "chars": chars})

    def to_bytes(self, **kwargs: Any) -> bytes:
        return srsly.msgpack_dumps(self._dump())

    def from_bytes(self, data: bytes, **kwargs: Any) -> "JiebaTokenizer":
        return self._load(srsly.msgpack_loads(data))


@registry.tokenizers("medins_ie.JiebaTokenizer.v1")
def create_tokenizer(model: Optional[str] = None) -> Callable[[Language], JiebaTokenizer]:
    """Tokenizer factory for a pipeline config (registered on install: entry point ``spacy_tokenizers``)."""
    def make(nlp: Language) -> JiebaTokenizer:
        return JiebaTokenizer(nlp.vocab, model)

    return make


def make_nlp(model: Union[str, Path, None] = None, **config: Any) -> Language:
    """``spacy.blank("zh")`` with the jieba domain tokenizer and the ``medins_ie`` component."""
    import spacy

    model_str = None if model is None else str(model)
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"@tokenizers": "medins_ie.JiebaTokenizer.v1",
                                                         "model": model_str}}})
    nlp.add_pipe("medins_ie", config={"model": model_str, **config})
    return nlp
