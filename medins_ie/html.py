"""HTML pages as input: a plain-text rendering for the extractor, with every span mapped back into the HTML.

    from medins_ie.html import extract_html
    doc = extract_html(page)                 # every span is [start, end) into ``page``
    for r in doc.records:
        assert page[r.span[0]:r.span[1]] == r.text

The rendering keeps the ``<title>`` and the visible text, puts each block element on its own line
and each table row on one line with ``" | "`` between cells (the layout ``tables`` reads), decodes
entities and collapses whitespace. Scripts, styles, ``<noscript>``/``<template>`` and comments are
dropped. Broken HTML (unclosed tags, stray ``<``, deep nesting) is rendered in linear time.
"""

from __future__ import annotations

import html as _html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Callable, Optional

if TYPE_CHECKING:  # pragma: no cover
    from .pipeline import Extractor
    from .records import Document, Meta, Period, Table

__all__ = ["html_to_text", "extract_html", "prepare_html", "looks_like_html"]

Span = tuple[int, int]

HIDDEN = frozenset({"noscript", "template"})   # script and style bodies the parser itself sets apart
RAW_TEXT = ("script", "style")
BLOCKS = frozenset({
    "address", "article", "aside", "blockquote", "body", "br", "caption", "center", "dd", "details", "dialog",
    "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
    "head", "header", "hgroup", "hr", "html", "legend", "li", "main", "menu", "nav", "ol", "option", "p", "pre",
    "section", "summary", "table", "tbody", "tfoot", "thead", "title", "tr", "ul",
})
CELLS = frozenset({"td", "th"})
HTML_MARKERS = ("<!doctype html", "<html", "<head", "<body", "<table", "<p>", "<p ", "<div", "<title", "<meta",
                "<br")
SNIFF_CHARS = 4096
# marked sections HTMLParser accepts; any other ``<![`` makes it raise, so it is read as text
MARKED_SECTIONS = frozenset({"temp", "cdata", "ignore", "include", "rcdata", "if", "else", "endif"})
MARKED_SECTION = re.compile(r"<!\[([a-zA-Z][-_.a-zA-Z0-9]*)?")
MAX_SPAN = 200         # a rowspan/colspan beyond this is read as this (a hostile page cannot blow up the text)
FIGURE_CELL = re.compile(r"^[-−+]?[\d,.]+%?$")   # a merged figure is written once; its other places are empty
EMPTY_CELL = "-"       # written for an empty first cell of a table row that has later cells
PLACEHOLDER = "\x01"   # stands in for a '<' or '&' the parser must not see (same length, so offsets hold)
TOKEN = re.compile(r"(?P<space>\s+)|(?P<entity>&(?:#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[a-zA-Z][a-zA-Z0-9]*;?))"
                   r"|(?P<text>[^\s&]+|&)")


# ------------------------------------------------------------------ public entry points

def html_to_text(html: str) -> tuple[str, list[int]]:
    """The page as plain text, and for each character of it the index in ``html`` it comes from."""
    rendered = _render(_check_html(html, "html_to_text"))
    return rendered.text, rendered.starts


def extract_html(html: str, extractor: Optional["Extractor"] = None) -> "Document":
    """Extract the figures of an HTML page; every span and text in the result refers to ``html`` itself."""
    text, finish = prepare_html(html)
    if extractor is None:
        from . import load

        extractor = load()
    return finish(extractor.extract(text))


def prepare_html(html: str) -> tuple[str, Callable[["Document"], "Document"]]:
    """The plain text to extract from for ``html``, and the function that maps the resulting Document onto ``html``.

    ``extract_html`` in two steps, for callers that extract many pages at once (``Extractor.pipe``).
    """
    html = _check_html(html, "prepare_html")
    rendered = _render(html)

    def finish(doc: "Document") -> "Document":
        _SpanMapper(html, rendered).map_document(doc)
        return doc

    return rendered.text, finish


def looks_like_html(text: str) -> bool:
    """Whether ``text`` starts like an HTML page or fragment (a cheap check of its first few KB)."""
    if not isinstance(text, str):
        return False
    head = text[:SNIFF_CHARS].lower()
    return any(marker in head for marker in HTML_MARKERS)


def _check_html(html: object, caller: str) -> str:
    if isinstance(html, str):
        return html
    if isinstance(html, (bytes, bytearray, memoryview)):
        raise TypeError(f"{caller}() takes the page as str, not bytes: decode it first, "
                        f"e.g. with medins_ie.io.decode_bytes(data).text")
    raise TypeError(f"{caller}() takes the page as str, not {type(html).__name__}")


# ------------------------------------------------------------------ rendering

@dataclass
class Rendered:
    """Plain text of a page; ``starts[i]``/``ends[i]`` bound the HTML that produced ``text[i]``."""

    text: str
    starts: list[int]
    ends: list[int]


def _render(html: str) -> Rendered:
    parser = _PageParser(html)
    parser.run()
    return parser.out.build()


def _parser_safe(html: str) -> str:
    """``html`` with the characters HTMLParser mishandles replaced one for one by a placeholder.

    Every ``&`` goes (entities are decoded here, from the original); so does every ``<`` after the
    last ``>`` (it can open nothing, and the parser rescans to the end for each one) and every
    ``<![`` that is not a marked section the parser knows.
    """
    safe = html.replace("&", PLACEHOLDER)
    last_gt = safe.rfind(">")
    unclosable = [last_gt + 1 + m.start() for m in re.finditer("<", safe[last_gt + 1:])]
    unknown_sections = [m.start() for m in MARKED_SECTION.finditer(safe)
                        if (m.group(1) or "").lower() not in MARKED_SECTIONS]
    if not unclosable and not unknown_sections:
        return safe
    chars = list(safe)
    for pos in unclosable + unknown_sections:
        chars[pos] = PLACEHOLDER
    return "".join(chars)


@dataclass
class _Copy:
    """A merged cell's rendered text with its source positions, written again where the merge reaches."""

    text: str
    starts: list[int]
    ends: list[int]
    rows_left: int = 0


@dataclass
class _TableState:
    """Where the renderer is inside one open ``<table>``: the row's cells and the merges reaching down."""

    cells_in_row: int = 0
    in_cell: bool = False
    col: int = 0                                                 # column index of the next cell in the row
    colspan: int = 1
    rowspan: int = 1
    below: dict[int, _Copy] = field(default_factory=dict)       # column -> a rowspan cell from a row above

    def new_row(self) -> None:
        self.cells_in_row, self.in_cell, self.col = 0, False, 0


class _PageParser(HTMLParser):
    """Walks the page's tags and text and feeds a ``_TextBuilder`` with source positions."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=False)
        self.html = html
        self.out = _TextBuilder()
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", html)]
        self._skip = 0
        self._pre = 0
        self._tables: list[_TableState] = []

    def run(self) -> None:
        """Parse the whole page; if the parser gives up on some construct, the rest is read as text."""
        try:
            self.feed(_parser_safe(self.html))
            self.close()
        except AssertionError:
            pos = self._pos()
            self.out.add_text(self.html[pos:], pos)

    def _pos(self) -> int:
        line, col = self.getpos()
        return self._line_starts[line - 1] + col

    # ---------------------------------------------------------------- tags
    def handle_starttag(self, tag: str, attrs: list[tuple[str, Optional[str]]]) -> None:
        pos = self._pos()
        if tag in HIDDEN:
            self._skip += 1
        elif tag == "table":
            self.out.line_break(pos)
            self._tables.append(_TableState())
        elif tag == "tr":
            self._end_row(pos)
            self.out.line_break(pos)
        elif tag in CELLS:
            self._start_cell(pos, attrs)
        elif tag in BLOCKS:
            if tag == "pre":
                self._pre += 1
            self._block_edge(pos)

    def handle_endtag(self, tag: str) -> None:
        pos = self._pos()
        if tag in HIDDEN:
            self._skip = max(0, self._skip - 1)
        elif tag == "table":
            self._end_row(pos)
            self.out.line_break(pos)
            if self._tables:
                self._tables.pop()
        elif tag == "tr":
            self._end_row(pos)
            self.out.line_break(pos)
        elif tag in CELLS:
            self._end_cell(pos)
            self.out.space(pos)
        elif tag in BLOCKS:
            if tag == "pre":
                self._pre = max(0, self._pre - 1)
            self._block_edge(pos)

    def _start_cell(self, pos: int, attrs: list[tuple[str, Optional[str]]]) -> None:
        if not self._tables:            # a stray cell outside any table: just a word boundary
            self.out.space(pos)
            return
        state = self._tables[-1]
        self._end_cell(pos)             # a cell left open (</td> omitted) ends where the next starts
        self._fill_from_above(pos)
        self._separate(state, pos)
        state.in_cell = True
        state.colspan, state.rowspan = _span_attr(attrs, "colspan"), _span_attr(attrs, "rowspan")
        self.out.begin_cell()

    def _separate(self, state: _TableState, pos: int) -> None:
        if state.cells_in_row:
            self.out.separator(pos)
        else:
            self.out.space(pos)
        state.cells_in_row += 1

    def _end_cell(self, pos: int) -> None:
        """A cell closes: a colspan writes it again to its right, a rowspan leaves it for the rows below."""
        if not self._tables or not self._tables[-1].in_cell:
            return
        state = self._tables[-1]
        state.in_cell = False
        text, starts, ends = self.out.end_cell()
        copy = _Copy(text, starts, ends) if not FIGURE_CELL.match(text) else _Copy(
            EMPTY_CELL, starts[:1], starts[:1]) if text else _Copy("", [], [])
        for k in range(state.colspan):
            if k:
                self._separate(state, pos)
                self.out.add_copy(copy.text, copy.starts, copy.ends)
            if state.rowspan > 1:
                state.below[state.col] = _Copy(copy.text, copy.starts, copy.ends, state.rowspan - 1)
            state.col += 1
            self._fill_from_above(pos)

    def _fill_from_above(self, pos: int) -> None:
        """Write the rowspan cells of the rows above that reach this row at the current column (and on)."""
        state = self._tables[-1]
        while state.col in state.below:
            copy = state.below[state.col]
            self._separate(state, pos)
            self.out.add_copy(copy.text, copy.starts, copy.ends)
            copy.rows_left -= 1
            if not copy.rows_left:
                del state.below[state.col]
            state.col += 1

    def _end_row(self, pos: int) -> None:
        if not self._tables:
            return
        state = self._tables[-1]
        self._end_cell(pos)
        if state.cells_in_row:          # rowspan cells that reach past the last cell of this row
            for col in sorted(c for c in state.below if c >= state.col):
                state.col = col
                self._fill_from_above(pos)
        state.new_row()

    def _block_edge(self, pos: int) -> None:
        """A block element starts or ends: a new line, or a space inside a table cell."""
        if self._tables and self._tables[-1].in_cell:
            self.out.space(pos)
        else:
            self.out.line_break(pos)

    # ---------------------------------------------------------------- text
    def handle_data(self, data: str) -> None:
        if self._skip or self.cdata_elem in RAW_TEXT:
            return
        pos = self._pos()
        self.out.add_text(self.html[pos:pos + len(data)], pos, keep_spaces=self._pre > 0)


def _span_attr(attrs: list[tuple[str, Optional[str]]], name: str) -> int:
    """A ``rowspan``/``colspan`` value: 1 when absent or unreadable, at most ``MAX_SPAN``."""
    for key, value in attrs:
        if key == name and value:
            digits = re.match(r"\s*(\d+)", value)
            if digits:
                return max(1, min(int(digits.group(1)), MAX_SPAN))
    return 1


class _TextBuilder:
    """Accumulates the rendered text with the source range of every character.

    Whitespace and line breaks are held back until more text follows, so lines carry no leading or
    trailing spaces and there are no empty lines.
    """

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._starts: list[int] = []
        self._ends: list[int] = []
        self._line_has_text = False
        self._pending_space: Optional[int] = None
        self._pending_break: Optional[int] = None
        self._pending_cells: list[int] = []
        self._cell_open = False
        self._cell_first: Optional[tuple[int, int]] = None    # (part, character) where the cell's text starts

    def build(self) -> Rendered:
        return Rendered("".join(self._parts), self._starts, self._ends)

    # ---------------------------------------------------------------- structure
    def space(self, pos: int) -> None:
        """Whitespace at ``pos``: one space before the next text on this line."""
        if self._line_has_text and self._pending_space is None and self._pending_break is None:
            self._pending_space = pos

    def line_break(self, pos: int) -> None:
        """A line ends at ``pos`` (a tag or a newline in ``<pre>``)."""
        self._pending_cells = []
        if self._line_has_text and self._pending_break is None:
            self._pending_break = pos
            self._pending_space = None

    def separator(self, pos: int) -> None:
        """A table cell starts at ``pos``: ``" | "`` after the previous cell, once text follows in the row."""
        self._pending_cells.append(pos)
        self._pending_space = None

    def begin_cell(self) -> None:
        """A table cell starts: its text is remembered until ``end_cell`` (for merged cells)."""
        self._cell_open, self._cell_first = True, None

    def end_cell(self) -> tuple[str, list[int], list[int]]:
        """The text of the cell since ``begin_cell`` with the source range of every character."""
        first = self._cell_first
        self._cell_open, self._cell_first = False, None
        if first is None:
            return "", [], []
        return "".join(self._parts[first[0]:]), self._starts[first[1]:], self._ends[first[1]:]

    def add_copy(self, text: str, starts: list[int], ends: list[int]) -> None:
        """Text written again at another place of a table (a merged cell), with its original source ranges."""
        if text:
            self._flush_pending()
            self._parts.append(text)
            self._starts.extend(starts)
            self._ends.extend(ends)
            self._line_has_text = True

    # ---------------------------------------------------------------- content
    def add_text(self, raw: str, pos: int, keep_spaces: bool = False) -> None:
        """Source text ``raw`` found at ``pos``: entities decoded, whitespace collapsed."""
        for m in TOKEN.finditer(raw):
            start = pos + m.start()
            kind = m.lastgroup
            if kind == "space":
                self._add_space(m.group(), start, keep_spaces)
            elif kind == "entity":
                self._add_entity(m.group(), start, pos + m.end())
            else:
                self._add_run(m.group(), start)

    def _add_space(self, run: str, start: int, keep_spaces: bool) -> None:
        if not keep_spaces:
            self.space(start)
        elif "\n" in run:
            self.line_break(start + run.index("\n"))
        elif self._line_has_text:
            self._add_run(run, start)

    def _add_entity(self, source: str, start: int, end: int) -> None:
        decoded = _html.unescape(source)
        if decoded == source:
            self._add_run(source, start)
        elif decoded.isspace():
            self.space(start)
        else:
            self._flush_pending()
            self._parts.append(decoded)
            self._starts.extend([start] * len(decoded))
            self._ends.extend([end] * len(decoded))
            self._line_has_text = True

    def _add_run(self, run: str, start: int) -> None:
        """Characters copied one for one from ``start`` on."""
        self._flush_pending()
        self._parts.append(run)
        self._starts.extend(range(start, start + len(run)))
        self._ends.extend(range(start + 1, start + len(run) + 1))
        self._line_has_text = True

    def _flush_pending(self) -> None:
        self._flush_break()
        if self._pending_cells:
            self._flush_cells()
        elif self._pending_space is not None:
            self._put(" ", self._pending_space, self._pending_space + 1)
        self._pending_space = None
        if self._cell_open and self._cell_first is None:
            self._cell_first = (len(self._parts), len(self._starts))

    def _flush_cells(self) -> None:
        """The separators of the cells started since the last text; a row's empty first cell becomes ``-``.

        (``tables`` drops an empty first cell, which would shift the row against its header.)
        """
        first = self._pending_cells[0]
        if not self._line_has_text:
            self._put(EMPTY_CELL, first, first)
        for pos in self._pending_cells:
            self._put(" ", pos, pos)
            self._put("|", pos, pos)
        self._put(" ", self._pending_cells[-1], self._pending_cells[-1])
        self._pending_cells = []
        self._line_has_text = True

    def _flush_break(self) -> None:
        if self._pending_break is not None:
            self._put("\n", self._pending_break, self._pending_break)
            self._pending_break = None
            self._line_has_text = False

    def _put(self, char: str, start: int, end: int) -> None:
        self._parts.append(char)
        self._starts.append(start)
        self._ends.append(end)


# ------------------------------------------------------------------ spans back into the HTML

class _SpanMapper:
    """Rewrites the spans and texts of a Document of the rendered text into spans of the HTML."""

    def __init__(self, html: str, rendered: Rendered):
        self.html = html
        self.starts = rendered.starts
        self.ends = rendered.ends

    def span(self, span: Optional[Span]) -> Optional[Span]:
        """The HTML range that produced rendered ``span`` (``None`` stays ``None``)."""
        if span is None:
            return None
        n = len(self.starts)
        s, e = max(0, min(span[0], n)), max(0, min(span[1], n))
        if n == 0:
            return (0, 0)
        if e <= s:
            point = self.starts[s] if s < n else self.ends[n - 1]
            return (point, point)
        start, end = self.starts[s], self.ends[e - 1]
        return (start, max(start, end))

    def text_of(self, span: Optional[Span]) -> Optional[str]:
        return None if span is None else self.html[span[0]:span[1]]

    def map_document(self, doc: "Document") -> None:
        for record in doc.records:
            record.span = self.span(record.span)  # type: ignore[assignment]
            record.text = self.html[record.span[0]:record.span[1]]
            for ev in record.evidence:
                ev.span = self.span(ev.span)  # type: ignore[assignment]
                ev.text = self.html[ev.span[0]:ev.span[1]]
            self._map_period(record.period)
        seen: set[tuple] = set()
        entities = []
        for entity in doc.entities:
            entity.span = self.span(entity.span)  # type: ignore[assignment]
            entity.text = self.html[entity.span[0]:entity.span[1]]
            key = (entity.label, entity.span, entity.value)
            if key not in seen:  # a merged cell written twice is one entity of the page
                seen.add(key)
                entities.append(entity)
        doc.entities = entities
        for table in doc.tables:
            self._map_table(table)
        self._map_meta(doc.meta)
        doc.text = self.html

    def _map_period(self, period: Optional["Period"]) -> None:
        if period is not None and period.span is not None:
            period.span = self.span(period.span)
            period.text = self.text_of(period.span)

    def _map_table(self, table: "Table") -> None:
        table.span = self.span(table.span)  # type: ignore[assignment]
        for cell in table.cells:
            if cell.span is not None:
                cell.span = self.span(cell.span)
                cell.text = self.text_of(cell.span) or ""

    def _map_meta(self, meta: "Meta") -> None:
        self._map_period(meta.report_period)
        if meta.title_span is not None:
            span = self._stripped(self.span(meta.title_span))
            meta.title_span, meta.title = span, self.text_of(span)

    def _stripped(self, span: Optional[Span]) -> Optional[Span]:
        """``span`` narrowed to exclude surrounding whitespace of the HTML."""
        if span is None:
            return None
        s, e = span
        piece = self.html[s:e]
        lead = len(piece) - len(piece.lstrip())
        trail = len(piece) - len(piece.rstrip())
        return (s + lead, max(s + lead, e - trail))
