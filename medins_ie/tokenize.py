"""jieba word segmentation with the model's domain dictionary, over the original text.

Extraction itself does not need word boundaries (patterns and lexicons match on characters); words
are for spaCy users. This module never imports spaCy; the spaCy pipeline is in ``spacy_component``:

    nlp = medins_ie.tokenize.make_nlp()          # spacy.blank("zh") + this jieba tokenizer + "medins_ie"
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any, Optional

from .model import Model, load_model
from .normalize import normalize

if TYPE_CHECKING:  # pragma: no cover
    import jieba
    from spacy.language import Language

USER_WORD_FREQ = 200000   # high enough that jieba keeps a domain word whole


@lru_cache(maxsize=4)
def jieba_with(words: tuple[str, ...]) -> "jieba.Tokenizer":
    """A private ``jieba.Tokenizer`` that knows ``words`` (the global jieba is left untouched)."""
    import jieba

    jieba.setLogLevel(60)
    tok = jieba.Tokenizer()
    tok.initialize()
    for word in words:
        tok.add_word(word, USER_WORD_FREQ)
    return tok


def jieba_tokenizer(model_path: Optional[str] = None) -> "jieba.Tokenizer":
    """A private ``jieba.Tokenizer`` with the domain words of a model (default: the packaged one)."""
    return jieba_with(tuple(domain_words(load_model(model_path))))


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
    """Words of ``text`` (in its original script) whose concatenation is exactly ``text``."""
    model = model or load_model()
    return split_words(text, jieba_tokenizer(str(model.path)), model.char_table)


def split_words(text: str, tok: "jieba.Tokenizer", char_table: dict[int, str]) -> list[str]:
    """Words of ``text`` cut by ``tok``; their concatenation is exactly ``text``.

    jieba runs on the normalized (simplified, half-width, gloss-free) text; its word boundaries are
    mapped back, so traditional script and pinyin glosses segment as well as simplified text.
    """
    if not text:
        return []
    norm = normalize(text, char_table)
    bounds = [0]
    pos = 0
    for word in tok.cut(norm.text, HMM=True):
        pos += len(word)
        if pos < len(norm.text):
            bounds.append(norm.offsets.to_orig(pos))
    bounds.append(len(text))
    bounds = sorted(set(bounds))
    return [text[a:b] for a, b in zip(bounds, bounds[1:]) if b > a]


def make_nlp(model: Optional[str] = None, **config: Any) -> "Language":
    """``spacy.blank("zh")`` with the jieba domain tokenizer and the ``medins_ie`` component.

    ``config`` goes to the component (``spans_key``, ``entities_key``, ``span_label``); see
    ``medins_ie.spacy_component``.
    """
    from .spacy_component import make_nlp as _make_nlp

    return _make_nlp(model, **config)
