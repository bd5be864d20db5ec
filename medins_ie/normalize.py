"""Stage 1: fold the input to one simplified, half-width, lower-case-ASCII form while keeping a map back to the original.

Character folding (traditional -> simplified, full -> half width) is a precomputed one-to-one
``str.translate`` table, so it never moves an offset. Only removals (pinyin glosses such as the
``(yī)`` in ``醫(yī)保``, zero-width characters) shorten the text; they are recorded as cuts in an
``OffsetMap`` that turns any normalized span back into a span of the original string.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Optional

# A pinyin gloss: lowercase latin letters with tone marks in brackets right after a CJK character.
# Tone marks are required unless the syllable is short, so "(DRG)" or "(含生育保险)" never match.
_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ"
_GLOSS = re.compile(
    r"\((?<=[\u3400-\u9fff]\()(?:[a-zü]{0,6}[" + _TONED + r"][a-zü" + _TONED + r"]{0,6})\)"
    r"|[\u200b\u200c\u200d\u2060\ufeff\u00ad]"
)
# a number broken by a line break in wrapped prose ("受益群众达12.3⏎4万人次"): the break is cut (contract 7.1)
_BROKEN_NUMBER = re.compile(r"(?<=\d)\r?\n(?=\d[\d.]*(?:余|多)?[万亿千]?(?:元|人|家|个|笔|件|%|天|张|次|例|所|项))"
                            r"|(?<=\d\.)\r?\n(?=\d)|(?<=\d)\r?\n(?=\.\d)"
                            r"|(?<=\d[万亿])\r?\n(?=人次|人|元|家|户|笔|件|张|例)")
_NEWLINE = re.compile(r"\r?\n")
_PROSE_LINE = re.compile(r"[\u4e00-\u9fff]")
MIN_WRAPPED_LINE = 20
_LOST_SPACES = re.compile(r"\?{2,}|(?<=\d)\?(?=[ \t]*(?:\||$))", re.M)  # runs, and "12,418.00?" cells


@lru_cache(maxsize=4)
def build_char_table(opencc_dir: Optional[str] = None, extra: tuple[tuple[str, str], ...] = ()) -> dict[int, str]:
    """A ``str.translate`` table: OpenCC's one-character t2s mappings, full-width to half-width, odd spaces.

    Built once per process from OpenCC's own data file; only one-to-one mappings are kept so
    that folding never changes the length of the text.
    """
    table: dict[int, str] = {}
    if opencc_dir is None:
        import opencc  # the data ships with opencc-python-reimplemented

        opencc_dir = str(Path(opencc.__file__).parent / "dictionary")
    with open(Path(opencc_dir) / "TSCharacters.txt", encoding="utf-8") as fh:
        for line in fh:
            trad, _, simp = line.rstrip("\n").partition("\t")
            first = simp.split(" ")[0] if simp else ""
            if len(trad) == 1 and len(first) == 1 and trad != first:
                table[ord(trad)] = first
    for cp in range(0xFF01, 0xFF5F):  # full-width ASCII block
        table[cp] = chr(cp - 0xFEE0).lower()
    for cp in range(ord("A"), ord("Z") + 1):  # DRG = drg: matching is case-blind without a slow flag
        table[cp] = chr(cp).lower()
    for cp in (0x3000, 0x00A0, 0x2002, 0x2003, 0x2009, 0x202F):
        table[cp] = " "
    for src, dst in extra:
        if len(src) == 1 and len(dst) == 1:
            table[ord(src)] = dst
    return table


@dataclass(frozen=True)
class OffsetMap:
    """Maps offsets of the normalized text back to the original (identity where nothing was cut)."""

    norm_starts: tuple[int, ...] = (0,)
    orig_starts: tuple[int, ...] = (0,)

    def to_orig(self, i: int) -> int:
        """Original index of the character at normalized index ``i``."""
        k = bisect.bisect_right(self.norm_starts, i) - 1
        return self.orig_starts[k] + (i - self.norm_starts[k])

    def span_to_orig(self, start: int, end: int) -> tuple[int, int]:
        """Original ``[start, end)`` of a non-empty normalized span; cut text inside it is included."""
        if len(self.norm_starts) == 1:
            return start + self.orig_starts[0], end + self.orig_starts[0]
        return self.to_orig(start), self.to_orig(end - 1) + 1


@dataclass(frozen=True)
class Normalized:
    """The normalized text and how to get back to the original."""

    text: str
    offsets: OffsetMap

    def span(self, start: int, end: int) -> tuple[int, int]:
        return self.offsets.span_to_orig(start, end)


def _wrapped_prose(text: str, at: int) -> bool:
    """Whether the line ending at ``at`` is wrapped prose (long, with Chinese text), not a table cell."""
    start = text.rfind("\n", 0, at) + 1
    line = text[start:at]
    return len(line) >= MIN_WRAPPED_LINE and bool(_PROSE_LINE.search(line)) and "|" not in line and "\t" not in line


def normalize(text: str, table: dict[int, str]) -> Normalized:
    """Fold ``text`` with ``table``, blank runs of two or more ``?`` (lost spaces), and cut pinyin glosses."""
    folded = text.translate(table)
    if "?" in folded:
        folded = _LOST_SPACES.sub(lambda m: " " * len(m.group()), folded)
    cuts = [m.span() for m in _GLOSS.finditer(folded)]
    if "\n" in folded:
        # tried only where a line breaks: a scan of every position would cost more than the rest of this stage
        hits = (_BROKEN_NUMBER.match(folded, nl.start()) for nl in _NEWLINE.finditer(folded))
        broken = [m.span() for m in hits if m is not None and _wrapped_prose(folded, m.start())]
        if broken:
            cuts = sorted(cuts + broken)
    if not cuts:
        return Normalized(folded, OffsetMap())
    pieces: list[str] = []
    norm_starts, orig_starts = [0], [0]
    pos = npos = 0
    for s, e in cuts:
        pieces.append(folded[pos:s])
        npos += s - pos
        pos = e
        norm_starts.append(npos)
        orig_starts.append(pos)
    pieces.append(folded[pos:])
    return Normalized("".join(pieces), OffsetMap(tuple(norm_starts), tuple(orig_starts)))
