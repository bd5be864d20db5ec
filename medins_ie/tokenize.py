"""spaCy integration: jieba tokenisation with the model's domain dictionary, records as ``doc.spans``.

Extraction itself does not need word boundaries (patterns and lexicons match on characters), so this
module is loaded only when a user asks for spaCy objects; importing ``medins_ie`` never imports spaCy.

    nlp = medins_ie.tokenize.make_nlp()          # spacy.blank("zh") + jieba + the "medins_ie" component
    doc = nlp(text)                              # tokens over the ORIGINAL text
    doc.spans["medins_ie"]                       # every record, labelled by type (amount/count/ratio)
    doc.spans["medins_entities"]                 # every entity (periods, schemes, metrics, ...)
    doc._.medins                                 # the full medins_ie Document
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any, Optional

from .model import Model, load_model
from .normalize import normalize

if TYPE_CHECKING:  # pragma: no cover
    import jieba
    from spacy.language import Language
    from spacy.tokens import Doc

USER_WORD_FREQ = 200000   # high enough that jieba keeps a domain word whole


@lru_cache(maxsize=4)
def jieba_tokenizer(model_path: Optional[str] = None) -> "jieba.Tokenizer":
    """A private ``jieba.Tokenizer`` with the model's domain words (the global jieba is left untouched)."""
    import jieba

    jieba.setLogLevel(60)
    model = load_model(model_path)
    tok = jieba.Tokenizer()
    tok.initialize()
    for word in domain_words(model):
        tok.add_word(word, USER_WORD_FREQ)
    return tok


def domain_words(model: Model) -> list[str]:
    """Term surfaces, unit words and the extra words of ``jieba_userdict.txt``."""
    words = {w for w in model.terms if len(w) > 1}
    words.update(u for u in model.units if len(u) > 1)
    if model.userdict_path is not None:
        for line in model.userdict_path.read_text(encoding="utf-8").splitlines():
            parts = line.split()
            if parts and not parts[0].startswith("#"):
                words.add(parts[0])
    return sorted(words)


def segment_words(text: str, model: Optional[Model] = None) -> list[str]:
    """Words of ``text`` (in its original script) whose concatenation is exactly ``text``.

    jieba runs on the normalized (simplified, half-width, gloss-free) text; its word boundaries are
    mapped back, so traditional script and pinyin glosses segment as well as simplified text.
    """
    model = model or load_model()
    if not text:
        return []
    norm = normalize(text, model.char_table)
    tok = jieba_tokenizer(str(model.path))
    bounds = [0]
    pos = 0
    for word in tok.cut(norm.text, HMM=True):
        pos += len(word)
        if pos < len(norm.text):
            bounds.append(norm.offsets.to_orig(pos))
    bounds.append(len(text))
    bounds = sorted(set(bounds))
    return [text[a:b] for a, b in zip(bounds, bounds[1:]) if b > a]


class JiebaTokenizer:
    """A spaCy tokenizer: jieba with the domain dictionary, tokens over the original text."""

    def __init__(self, vocab: Any, model: Optional[Model] = None):
        self.vocab = vocab
        self.model = model or load_model()

    def __call__(self, text: str) -> "Doc":
        from spacy.tokens import Doc

        words = segment_words(text, self.model)
        return Doc(self.vocab, words=words, spaces=[False] * len(words))

    # spaCy serialisation hooks: the tokenizer has no state of its own beyond the model path
    def to_bytes(self, **kwargs: Any) -> bytes:
        return str(self.model.path).encode("utf-8")

    def from_bytes(self, data: bytes, **kwargs: Any) -> "JiebaTokenizer":
        self.model = load_model(data.decode("utf-8"))
        return self

    def to_disk(self, path: Any, **kwargs: Any) -> None:
        from pathlib import Path

        Path(path).write_text(str(self.model.path), encoding="utf-8")

    def from_disk(self, path: Any, **kwargs: Any) -> "JiebaTokenizer":
        from pathlib import Path

        self.model = load_model(Path(path).read_text(encoding="utf-8"))
        return self


def _register() -> None:
    from spacy.language import Language
    from spacy.tokens import Doc

    if not Doc.has_extension("medins"):
        Doc.set_extension("medins", default=None)
    if "medins_ie" not in Language.factories:
        @Language.factory("medins_ie", default_config={"model": None})
        def _make(nlp: "Language", name: str, model: Optional[str]) -> "MedinsComponent":
            return MedinsComponent(model)


class MedinsComponent:
    """Pipeline component: runs medins_ie on ``doc.text`` and stores records and entities as span groups."""

    def __init__(self, model: Optional[str] = None):
        from .pipeline import Extractor

        self.extractor = Extractor(model)

    def __call__(self, doc: "Doc") -> "Doc":
        result = self.extractor.extract(doc.text)
        doc._.medins = result
        doc.spans["medins_ie"] = _spans(doc, [(r.span, r.type) for r in result.records])
        doc.spans["medins_entities"] = _spans(doc, [(e.span, e.label) for e in result.entities])
        return doc


def _spans(doc: "Doc", items: list[tuple[tuple[int, int], str]]) -> list[Any]:
    out = []
    for (start, end), label in items:
        span = doc.char_span(start, end, label=label, alignment_mode="expand")
        if span is not None:
            out.append(span)
    return out


def make_nlp(model: Optional[str] = None) -> "Language":
    """``spacy.blank("zh")`` with the jieba domain tokenizer and the ``medins_ie`` component."""
    import spacy

    _register()
    nlp = spacy.blank("zh")
    nlp.tokenizer = JiebaTokenizer(nlp.vocab, load_model(model))
    nlp.add_pipe("medins_ie", config={"model": model})
    return nlp
