"""Stage 2: lines -> blocks (noise, title/meta, headings with levels, body text) and sentence boundaries.

Works on the normalized text. Tables are carved out afterwards by ``tables.py``; this module only
says what each line is and, for headings, where the marker and the label are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator, Optional

from .model import Model

NOISE_MAX_LEN = 240          # longer lines are content, whatever words they contain
SPAM_MIN_HITS = 2
LABEL_MAX_LEN = 40
SHORT_HEADING_MAX_LEN = 30

_LINE_RE = re.compile(r"[^\n]*\n?")
_SENT_END = re.compile(r"(?:[!?！？]|(?<!\d)。|。(?!\d{1,2}[万亿元%]))+")  # not 。 as a decimal point
_HAS_DIGIT = re.compile(r"\d")
_HAS_FIGURE = re.compile(r"\d[\d.,]*\s*(?:余|多)?(?:万|亿|千)?(?:元|人|家|个|笔|件|%|天|张|次)")


@dataclass
class Line:
    """One line of the normalized text and what it is."""

    start: int
    end: int                      # excluding the newline
    kind: str = "text"            # blank | noise | meta | title | heading | text | table
    noise_kind: Optional[str] = None
    level: int = 0                # heading level (1 = top)
    label: Optional[tuple[int, int]] = None   # heading label span (without marker)
    body_start: Optional[int] = None          # where body text starts on a heading line

    def text(self, doc: str) -> str:
        return doc[self.start:self.end]


def split_lines(text: str) -> list[Line]:
    """Lines with offsets (newline excluded); a ``\\r`` before the ``\\n`` is part of the line break."""
    lines = []
    for m in _LINE_RE.finditer(text):
        s, e = m.span()
        if s == e:
            break
        body_end = e - 1 if text[e - 1:e] == "\n" else e
        if body_end > s and text[body_end - 1] == "\r":
            body_end -= 1
        lines.append(Line(s, body_end))
    return lines


def classify_noise(line_text: str, model: Model) -> Optional[str]:
    """The noise kind of a line (spam, chrome, footer, meta) or None for content."""
    stripped = line_text.strip()
    if not stripped or len(stripped) > NOISE_MAX_LEN:
        return None
    for kind, pattern in model.noise:
        if kind == "spam":
            if sum(1 for _ in zip(range(SPAM_MIN_HITS), pattern.finditer(stripped))) >= SPAM_MIN_HITS:
                return kind
        elif pattern.search(stripped):
            return kind
    return None


def match_heading(doc: str, line: Line, model: Model) -> Optional[tuple[int, int, Optional[tuple[int, int]]]]:
    """(level, marker end, label span) if the line starts with a heading marker.

    A pattern with a ``label`` group (``【参保总人数】``) gives the label itself; otherwise the label is
    read from the text after the marker.
    """
    text = doc[line.start:min(line.end, line.start + 32)]
    for level, pattern in model.headings:
        m = pattern.match(text)
        if m:
            label = None
            if "label" in pattern.groupindex and m.group("label"):
                label = (line.start + m.start("label"), line.start + m.end("label"))
            return level, line.start + m.end(), label
    return None


def heading_label(doc: str, start: int, end: int) -> tuple[Optional[tuple[int, int]], Optional[int]]:
    """Split a heading line's text after its marker into (label span, body start).

    The label runs to the first ``。`` or ``:`` when it is short and has no comma; a short line
    without terminal punctuation is all label; otherwise the line is a numbered paragraph (no label).
    """
    text = doc[start:end]
    cut = len(text)
    for i, ch in enumerate(text[:LABEL_MAX_LEN + 1]):
        if ch in "。:":
            cut = i
            break
        if ch in ",;":
            cut = -1
            break
    if 0 < cut <= LABEL_MAX_LEN and _HAS_FIGURE.search(text[:cut]):
        return None, start  # a figure in the first sentence: a numbered paragraph, not a label
    if 0 < cut <= LABEL_MAX_LEN and cut < len(text):
        body = start + cut + 1
        return (start, start + cut), (body if body < end else None)
    if cut == len(text) and len(text.strip()) <= LABEL_MAX_LEN and not text.rstrip().endswith("。"):
        return (start, end), None
    return None, start


def sentences(doc: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Sentence spans in ``doc[start:end]`` (ending after ``。!?``)."""
    pos = start
    for m in _SENT_END.finditer(doc, start, end):
        yield pos, m.end()
        pos = m.end()
    if pos < end:
        yield pos, end


def is_short_heading(doc: str, line: Line, n_quantities: int, has_term: bool) -> bool:
    """An unnumbered heading: a short line with a fund/metric term and no figure or sentence end."""
    text = doc[line.start:line.end].strip()
    return (0 < len(text) <= SHORT_HEADING_MAX_LEN and n_quantities == 0 and has_term
            and not text.endswith(("。", ",", ";")) and not _HAS_DIGIT.search(text))


def segment(doc: str, model: Model) -> list[Line]:
    """Classify every line: blank, noise (spam/chrome/footer/meta) or text; mark numbered headings."""
    lines = split_lines(doc)
    in_block = False  # lines under a "相关链接:" header are links, up to the next blank line
    for line in lines:
        text = doc[line.start:line.end]
        if not text.strip():
            line.kind = "blank"
            in_block = False
            continue
        if in_block:
            line.kind, line.noise_kind = "noise", "chrome"
            continue
        noise = classify_noise(text, model)
        if noise == "chrome_block":
            in_block, noise = True, "chrome"
        if noise:
            line.kind = "noise" if noise != "meta" else "meta"
            line.noise_kind = noise
            continue
        head = match_heading(doc, line, model)
        if head:
            line.kind = "heading"
            line.level, marker_end, label = head
            if label is not None:
                line.label, line.body_start = label, (marker_end if marker_end < line.end else None)
            else:
                line.label, line.body_start = heading_label(doc, marker_end, line.end)
    return lines
