"""Tables flattened into text: find them, rebuild rows and header paths, bind every numeric cell.

Three flattenings are read:

- ``rows``:    one row per line, cells split by ``|``, tabs or runs of 2+ spaces;
- ``stream``:  one cell per line (rows are recovered from where labels and numbers alternate);
- ``pipes``:   one cell per line ending in ``|`` with explicit empty cells (``|`` lines), rows of fixed width.

A table is a grid of cells; header rows give every value column a header path, row labels (with
row-spanning group labels carried down) give every row a path. Each numeric cell is bound like a
sentence whose context is section -> caption -> column path -> row path. A block that looks like a
table but cannot be aligned yields no records and a finding.
"""

from __future__ import annotations

import re
from collections import Counter
from contextvars import ContextVar
from itertools import combinations
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Optional

from .model import Model, trie_pattern
from .recognize import PeriodSpec, Quantity
from .records import Cell, Table
from .segment import Line
from .units import RATIO_METRICS, UnitHint, reader as unit_reader

if TYPE_CHECKING:
    from .relate import Relater, Scope

NUMERIC = re.compile(r"^[-−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?%?$")
EMPTY_MARK = re.compile(r"^(?:--?|—+|-|/|、|×|x|\s*)$")
UNIT_NOTE = re.compile(r"(?:单位\s*[:]?\s*\(?\s*(?P<u1>[^\s|]{1,12})\)?|\((?P<u2>[人次万亿元、,%家个月天]{1,12})\))")
# the model's function words (patterns/words.tsv) in force while a document's tables are read and bound
_WORDS: ContextVar[dict[str, dict[str, int]]] = ContextVar("medins_ie_table_words")


def _words(kind: str) -> dict[str, int]:
    return _WORDS.get()[kind]


def _is_total(text: str) -> bool:
    return text.replace(" ", "") in _words("total")
SEP_ROW = re.compile(r"\t|(?<![ \t])[ \t]*\|[ \t]*|(?<! ) {2,}")  # look-behinds keep it linear
MAX_HEADER_CELLS = 60
_WHITESPACE = re.compile(r"\s+")
_KV_LINE = re.compile(r"^[ \t]*[^:;\n]{1,8}:[^;\n]{0,40}(?:;[ \t]*[^:;\n]{1,8}:[^;\n]{0,40}){1,11};?[ \t]*$")
_SUBROW_PREFIX = re.compile(r"^\s*(?:其中\s*[:]?)?\s*|\s+")
_SENTENCE_PUNCT = re.compile(r"[。;,]")
_CAPTION_NUMBER = re.compile(r"表\s*[\d一二三四五六七八九十]|附件")
_TABLE_NUMBER = re.compile(r"^(?:附)?表\s*[\d一二三四五六七八九十]+(?:[-.]\d+)?\s")
_ATTACHMENT = re.compile(r"^附件\s*\d")
MAX_CELL_LEN = 30
MAX_STREAM_CELL_LEN = 24


@dataclass
class RawCell:
    text: str
    start: int
    end: int
    joined: bool = False       # pieces from two places (a row label wrapped round its values): text is the label

    @property
    def numeric(self) -> bool:
        return bool(NUMERIC.match(self.text))

    @property
    def empty(self) -> bool:
        return bool(EMPTY_MARK.match(self.text))


@dataclass
class FoundTable:
    """A table recovered from the normalized text (internal form)."""

    line_indexes: list[int]
    layout: str
    caption: Optional[RawCell] = None
    unit_note: Optional[str] = None
    header_rows: list[list[Optional[RawCell]]] = field(default_factory=list)
    col_paths: list[list[RawCell]] = field(default_factory=list)      # per grid column
    rows: list[list[Optional[RawCell]]] = field(default_factory=list)  # body rows, grid-aligned
    row_paths: list[list[RawCell]] = field(default_factory=list)
    label_cols: int = 1
    problem: Optional[str] = None
    cell_records: dict[tuple[int, int], int] = field(default_factory=dict)   # (row, col) -> bound index
    ctx_metric: Optional[str] = None


# ------------------------------------------------------------------ detection

def _split_line(doc: str, line: Line, sep: "re.Pattern[str]") -> list[RawCell]:
    """The text between the separators of a line; the first and last piece may be empty."""
    text = doc[line.start:line.end]
    out, pos = [], 0
    for m in sep.finditer(text):
        out.append(_raw(text, pos, m.start(), line.start))
        pos = m.end()
    out.append(_raw(text, pos, len(text), line.start))
    return out


def _cells_of_row_line(doc: str, line: Line) -> list[RawCell]:
    cells = _split_line(doc, line, SEP_ROW)
    text = doc[line.start:line.end]
    if cells and not cells[0].text:
        cells = cells[1:]
    if cells and not cells[-1].text and text.rstrip().endswith("|"):
        cells = cells[:-1]
    return cells


def _raw(text: str, s: int, e: int, base: int) -> RawCell:
    seg = text[s:e]
    ls = len(seg) - len(seg.lstrip())
    stripped = seg.strip()
    return RawCell(stripped, base + s + ls, base + s + ls + len(stripped))


def _is_row_line(doc: str, line: Line) -> bool:
    text = doc[line.start:line.end]
    if not ("|" in text or "\t" in text or "  " in text.strip()):
        return False
    cells = [c for c in _cells_of_row_line(doc, line) if c.text]
    return len(cells) >= 2 and all(len(c.text) <= MAX_CELL_LEN for c in cells) and not text.strip().endswith("。")


def _is_stream_cell(doc: str, line: Line) -> bool:
    text = doc[line.start:line.end].strip()
    if not text:
        return True
    if text.endswith("|"):
        text = text[:-1].strip()
        return len(text) <= MAX_CELL_LEN * 2 and "。" not in text
    return (len(text) <= MAX_STREAM_CELL_LEN and not _SENTENCE_PUNCT.search(text)
            and (NUMERIC.match(text) is not None or len(text) <= 14))


def _caption_before(doc: str, lines: list[Line], idx: int, used: set[int]) -> tuple[Optional[int], list[int]]:
    """The caption line (and unit-note lines) right above a table block."""
    extra: list[int] = []
    j = idx - 1
    caption = None
    steps = 0
    while j >= 0 and steps < 4 and j not in used:
        text = doc[lines[j].start:lines[j].end].strip()
        if not text:
            j -= 1
            continue
        steps += 1
        if lines[j].kind in ("noise", "meta"):
            break
        if len(text) > 60 or text.endswith(("。", ";", ",")):
            break
        if UNIT_NOTE.search(text) and len(text) <= 16:
            extra.append(j)
            j -= 1
            continue
        if any(w in text for w in _words("caption")) or _CAPTION_NUMBER.search(text):
            caption = j
        break
    return caption, extra


def _kv_cells(doc: str, line: Line) -> Optional[list[tuple[str, RawCell]]]:
    """(key, value cell) pairs of a "项目:上年结余;预算数:9.86;执行数:9.86" line, or None."""
    text = doc[line.start:line.end]
    if not _KV_LINE.match(text):
        return None
    out, pos = [], 0
    for part in text.split(";"):
        key, _, value = part.partition(":")
        vstart = pos + len(key) + 1
        cell = _raw(text, vstart, vstart + len(value), line.start)
        out.append((key.strip(), cell))
        pos += len(part) + 1
    return out


def _table_from_kv(doc: str, lines: list[Line], block: list[int], used: set[int]) -> FoundTable:
    """Rows written as key:value lists: the keys are the header, the first value labels the row."""
    rows = [_kv_cells(doc, lines[k]) or [] for k in block]
    keys = [k for k, _ in rows[0]]
    t = FoundTable(line_indexes=list(block), layout="kv")
    header_cells: list[Optional[RawCell]] = []
    for key_i, (key, cell) in enumerate(rows[0]):  # the header cells are the keys of the first line
        at = doc.rfind(key, lines[block[0]].start, cell.start)
        header_cells.append(RawCell(key, at, at + len(key)) if at >= 0 else None)
    body = [[cell for _, cell in row] for row in rows]
    _attach_caption(doc, lines, t, block[0], used)
    _finish_grid(t, [header_cells], body, len(keys))
    return t


def find_tables(doc: str, lines: list[Line], relater: "Relater", model: Model) -> list[FoundTable]:
    """Every flattened table block in the document, read into grids."""
    token = _WORDS.set(model.words)
    try:
        return _find_tables(doc, lines, relater, model)
    finally:
        _WORDS.reset(token)


def _find_tables(doc: str, lines: list[Line], relater: "Relater", model: Model) -> list[FoundTable]:
    tables: list[FoundTable] = []
    used: set[int] = set()
    n = len(lines)
    i = 0
    # a block a detector rejected is rejected from any later start too: never look at it again (linear time)
    kv_done = rows_done = pipes_done = 0
    while i < n:
        kv = _kv_cells(doc, lines[i]) if lines[i].kind in ("text", "heading") and i >= kv_done else None
        if kv is not None:
            keys = [k for k, _ in kv]
            j, block = i, []
            while j < n and lines[j].kind in ("text", "heading"):
                kvj = _kv_cells(doc, lines[j])
                if kvj is None or [k for k, _ in kvj] != keys:
                    break
                block.append(j)
                j += 1
            if len(block) >= 2 and any(c.numeric for k in block for _, c in (_kv_cells(doc, lines[k]) or [])):
                t = _table_from_kv(doc, lines, block, used)
                tables.append(t)
                used.update(t.line_indexes)
                i = j
                continue
            kv_done = max(j, i + 1)
        line = lines[i]
        if i >= pipes_done and line.kind in ("text", "heading") and "|" in doc[line.start:line.end]:
            block, j = _scan_block(doc, lines, i, lambda ln: ln.kind in ("text", "heading") and
                                   "|" in doc[ln.start:ln.end])
            width = _pipe_row_width(doc, lines, block) if len(block) >= 2 else None
            if width is not None:
                for t in _table_from_pipe_rows(doc, lines, block, width, used):
                    tables.append(t)
                    used.update(t.line_indexes)
                i = j
                continue
        if i >= rows_done and line.kind in ("text", "heading") and _is_row_line(doc, line):
            block, j = _scan_rows(doc, lines, i)
            if len(block) >= 2 and _has_numbers(doc, lines, block):
                for t in _table_from_rows(doc, lines, block, used):
                    tables.append(t)
                    used.update(t.line_indexes)
                i = j
                continue
            rows_done = max(j, i + 1)
        if i >= pipes_done and line.kind in ("text", "heading") and doc[line.start:line.end].rstrip().endswith("|"):
            block, j = _scan_block(doc, lines, i, lambda ln: doc[ln.start:ln.end].rstrip().endswith("|"))
            if len(block) >= 6 and _has_numbers(doc, lines, block):
                for t in _table_from_pipes(doc, lines, block):
                    tables.append(t)
                    used.update(t.line_indexes)
                i = j
                continue
            pipes_done = max(j, i + 1)
        i += 1
    # label, unit and value glued on one line ("基本医疗保险万人602.37"), under heading lines
    glued = _glued_pattern(model)
    i = 0
    while i < n:
        if i in used or lines[i].kind not in ("text", "heading") or not glued.match(doc, lines[i].start, lines[i].end):
            i += 1
            continue
        block, j = _scan_glued(doc, lines, i, glued, used)
        if sum(1 for k in block if glued.match(doc, lines[k].start, lines[k].end)) >= 3:
            t = _table_from_glued(doc, lines, block, glued, used)
            tables.append(t)
            used.update(t.line_indexes)
        i = max(j, i + 1)
    # one cell per line: runs of short lines with numbers among them
    i = 0
    while i < n:
        if i in used or lines[i].kind not in ("text", "heading", "blank"):
            i += 1
            continue
        j = i
        block = []
        while j < n and j not in used and lines[j].kind in ("text", "heading", "blank") and _is_stream_cell(doc, lines[j]):
            if doc[lines[j].start:lines[j].end].strip():
                block.append(j)
            j += 1
        nums = sum(1 for k in block if NUMERIC.match(doc[lines[k].start:lines[k].end].strip()))
        if len(block) >= 4 and nums >= 2:
            t = _table_from_stream(doc, lines, block, used, model)
            if t is not None:
                tables.append(t)
                used.update(t.line_indexes)
        i = max(j, i + 1)
    tables.sort(key=lambda t: t.line_indexes[0])

    def is_group(cell: RawCell, following: Optional[RawCell]) -> bool:
        # a numbered label-only row followed by its numbered sibling ("七、上级补助收入" then "八、…") is an item
        # whose values are missing, not a group
        a, b = _NUMBERED.match(cell.text.strip()), following is not None and _NUMBERED.match(following.text.strip())
        return not (a and b and _marker_kind(a.group()) == _marker_kind(b.group()))  # type: ignore[union-attr]

    def indent(cell: RawCell) -> int:  # leading white space before a label that opens its line
        line_start = doc.rfind("\n", 0, cell.start) + 1
        prefix = doc[line_start:cell.start]
        return len(prefix) if not prefix.strip() else -1

    for t in tables:
        _row_paths(t, is_group, indent)
        t.ctx_metric = _context_metric(doc, lines, t, relater)
    return tables


def _scan_block(doc: str, lines: list[Line], i: int, accepts: Callable[[Line], bool]) -> tuple[list[int], int]:
    """Indexes of the non-blank lines from ``i`` on that ``accepts`` takes (blank lines pass), and where it stopped."""
    block, j = [], i
    while j < len(lines):
        blank = not doc[lines[j].start:lines[j].end].strip()
        if not blank and not accepts(lines[j]):
            break
        if not blank:
            block.append(j)
        j += 1
    return block, j


def _scan_rows(doc: str, lines: list[Line], i: int) -> tuple[list[int], int]:
    """A block of row lines; a short label line between two row lines (a wrapped row label) belongs to it."""
    def is_row(ln: Line) -> bool:
        return ln.kind in ("text", "heading") and _is_row_line(doc, ln)

    def is_fragment(ln: Line) -> bool:
        text = doc[ln.start:ln.end].strip()
        return ln.kind in ("text", "heading") and 0 < len(text) <= 12 and not _SENTENCE_PUNCT.search(text) \
            and not NUMERIC.match(text)

    block, j = [], i
    while j < len(lines):
        ln = lines[j]
        if not doc[ln.start:ln.end].strip():
            j += 1
            continue
        if is_row(ln):
            block.append(j)
        elif block and is_fragment(ln):
            k, fragments = j + 1, 1
            while k < len(lines) and fragments <= 2 and (not doc[lines[k].start:lines[k].end].strip()
                                                         or is_fragment(lines[k])):
                fragments += bool(doc[lines[k].start:lines[k].end].strip())
                k += 1
            if k < len(lines) and fragments <= 2 and is_row(lines[k]):
                block.append(j)
            else:
                break
        else:
            break
        j += 1
    return block, j


_GLUED: dict[int, tuple[Model, "re.Pattern[str]"]] = {}


def _glued_pattern(model: Model) -> "re.Pattern[str]":
    """A line that is a label, a unit and a number glued together ("职工基本医疗保险万人71.85")."""
    hit = _GLUED.get(id(model))
    if hit is None or hit[0] is not model:
        hit = _GLUED[id(model)] = (model, _compile_glued(model))
    return hit[1]


def _compile_glued(model: Model) -> "re.Pattern[str]":
    unit = trie_pattern(sorted(model.units, key=len, reverse=True))
    mult = trie_pattern(sorted(model.multipliers, key=len, reverse=True))
    return re.compile(r"[ \t]*(?P<label>(?:[^\d\s|;,。]|\([^()\d]{1,12}\)){2,40}?)(?P<unit>(?:" + mult + r")?(?:"
                      + unit + r"))[ \t]*(?P<num>-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|-?\d+(?:\.\d+)?)[ \t]*$")


def _scan_glued(doc: str, lines: list[Line], i: int, glued: "re.Pattern[str]", used: set[int]) -> tuple[list[int], int]:
    """Glued rows with the heading lines (row groups) and blank lines among them."""
    block, j = [], i
    while j < len(lines) and j not in used:
        ln = lines[j]
        text = doc[ln.start:ln.end].strip()
        if not text:
            j += 1
            continue
        if glued.match(doc, ln.start, ln.end):
            block.append(j)
        elif ln.kind == "heading" and len(text) <= 20 and not any(ch.isdigit() for ch in text[2:]):
            block.append(j)
        else:
            break
        j += 1
    while block and not glued.match(doc, lines[block[-1]].start, lines[block[-1]].end):
        block.pop()
    return block, (block[-1] + 1 if block else j)


def _table_from_glued(doc: str, lines: list[Line], block: list[int], glued: "re.Pattern[str]",
                      used: set[int]) -> FoundTable:
    """Rows of label | unit | value; heading lines between them name row groups."""
    t = FoundTable(line_indexes=list(block), layout="glued")
    body: list[list[Optional[RawCell]]] = []
    for k in block:
        ln = lines[k]
        m = glued.match(doc, ln.start, ln.end)
        if m is None:
            text = doc[ln.start:ln.end]
            body.append([_raw(text, 0, len(text), ln.start), None, None])
            continue
        body.append([RawCell(m.group("label"), m.start("label"), m.end("label")),
                     RawCell(m.group("unit"), m.start("unit"), m.end("unit")),
                     RawCell(m.group("num"), m.start("num"), m.end("num"))])
    # a glued header line right above ("指标名称单位本期") is not data
    _attach_caption(doc, lines, t, block[0], used)
    _finish_grid(t, [[None, None, None]], body, 3)
    return t


def _has_numbers(doc: str, lines: list[Line], block: list[int]) -> bool:
    return any(NUMERIC.match(c.text) for k in block for c in _cells_of_row_line(doc, lines[k]))


def _attach_caption(doc: str, lines: list[Line], t: FoundTable, first: int, used: set[int]) -> None:
    cap, notes = _caption_before(doc, lines, first, used)
    for k in notes:
        t.unit_note = t.unit_note or _unit_note(doc[lines[k].start:lines[k].end])
        t.line_indexes.insert(0, k)
    if cap is not None:
        text = doc[lines[cap].start:lines[cap].end]
        t.caption = _raw(text, 0, len(text), lines[cap].start)
        if "|" in text:  # "| 表9-3 医疗保障情况 | ||||": the caption is the filled cell
            t.caption = next((c for c in _pipe_segments(doc, lines[cap]) if c.text), t.caption)
        t.unit_note = t.unit_note or _unit_note(text)
        t.line_indexes.insert(0, cap)
    t.line_indexes.sort()


def _unit_note(text: str) -> Optional[str]:
    m = UNIT_NOTE.search(text)
    if not m:
        return None
    return m.group("u1") or m.group("u2")


# ------------------------------------------------------------------ grids

def _table_from_rows(doc: str, lines: list[Line], block: list[int], used: set[int]) -> list[FoundTable]:
    """One row per line, cells split by tabs or runs of spaces."""
    grid = [_cells_of_row_line(doc, lines[k]) for k in block]
    width = Counter(len(r) for r in grid if any(c.numeric for c in r)).most_common(1)[0][0]
    return _tables_from_row_grid(doc, lines, block, grid, width, "rows", used)


_PIPE = re.compile(r"\|")
_NUMBERED = re.compile(r"^(?:[一二三四五六七八九十]{1,3}\s*[、.]|\d{1,2}\s*[、.](?!\d)|\(\s*[一二三四五六七八九十\d]{1,3}\s*\))")
_DIGIT = re.compile(r"\d")
_FIGURE = re.compile(r"\d[\d.,]*\s*(?:余|多)?[万亿千]?(?:元|人|家|个|%|次|张|天|件|例|项|笔)")
_PLACE_ENDS = ("区", "县", "市", "州", "旗", "盟", "镇", "乡", "院", "心", "级", "计")
_MD_RULE = re.compile(r"^:?-{3,}:?$")
_YEAR_CELL = re.compile(r"^(?:19|20)\d{2}(?:年)?$")


def _pipe_segments(doc: str, line: Line) -> list[RawCell]:
    """The text between the ``|`` of a line; the first and last segment may be empty."""
    return _split_line(doc, line, _PIPE)


def _join_segments(segs: list[RawCell], more: list[RawCell]) -> list[RawCell]:
    """A row continued on the next line: the text around the line break is one cell."""
    if not segs:
        return list(more)
    a, b = segs[-1], more[0]
    if not a.text:
        merged = b
    elif not b.text:
        merged = a
    else:  # a cell wrapped across the break
        merged = RawCell(a.text + b.text, a.start, b.end)
    return segs[:-1] + [merged] + more[1:]


def _row_cells(segs: list[RawCell]) -> list[RawCell]:
    """Cells of a pipe row: a leading and a trailing ``|`` only frame the row."""
    cells = list(segs)
    if cells and not cells[0].text:
        cells = cells[1:]
    if cells and not cells[-1].text:
        cells = cells[:-1]
    return cells


def _pipe_row_width(doc: str, lines: list[Line], block: list[int]) -> Optional[int]:
    """The width of a table written one row per line with ``|`` (None when rows are one cell per line)."""
    widths = Counter()
    single = 0
    for k in block:
        cells = _row_cells(_pipe_segments(doc, lines[k]))
        if any(c.numeric for c in cells):
            if len(cells) >= 2:
                widths[len(cells)] += 1
            else:
                single += 1
    if not widths or sum(widths.values()) < max(2, single):
        return None
    return widths.most_common(1)[0][0]


def _table_from_pipe_rows(doc: str, lines: list[Line], block: list[int], width: int,
                          used: set[int]) -> list["FoundTable"]:
    """Rows written with ``|``; a row broken over lines (``X |⏎| Y``) is joined, and the ``|`` around the
    break delimit an empty cell; lone ``|`` lines between rows are spacers."""
    rows: list[list[RawCell]] = []
    acc: list[RawCell] = []
    for k in block:
        segs = _pipe_segments(doc, lines[k])
        alone = _row_cells(segs)
        if acc:
            joined = _join_segments(acc, segs)
            # "X |" then "Y | Z |": a short row closed by its "|" (a rowspan label, a header's upper tier)
            closed = not acc[-1].text and len(acc) > 1 and segs[0].text and not segs[-1].text
            if len(alone) >= width or len(_row_cells(joined)) > width or closed:
                if any(c.text for c in acc):
                    rows.append(_row_cells(acc))
                acc = []
            else:
                acc = joined
                if len(_row_cells(acc)) >= width:
                    rows.append(_row_cells(acc))
                    acc = []
                continue
        if len(alone) >= width:
            rows.append(alone)
        else:
            acc = segs
    if acc and any(c.text for c in acc):
        rows.append(_row_cells(acc))
    return _tables_from_row_grid(doc, lines, block, rows, width, "rows", used)


def _is_header_of_years(row: list[RawCell]) -> bool:
    nums = [c for c in row if c.numeric]
    return bool(nums) and all(_YEAR_CELL.match(c.text) for c in nums) and not row[0].numeric


def _tables_from_row_grid(doc: str, lines: list[Line], block: list[int], grid: list[list[RawCell]], width: int,
                          layout: str, used: set[int]) -> list["FoundTable"]:
    """Tables printed one after another in one block are split at the caption of the next one."""
    out: list[FoundTable] = []
    start, seen_values, reheaded = 0, False, False
    for i, row in enumerate(grid):
        filled = [c for c in row if c.text and not c.empty]
        caption = 1 <= len(filled) <= 2 and any(_CAPTION_NUMBER.search(c.text) or c.text.rstrip().endswith("表")
                                                 for c in filled)
        # a row of short header words after figures heads a new part ("绩效指标 | 年度指标值 | 实际完成值")
        reheading = len(filled) >= 3 and all(len(c.text) <= 10 and not _DIGIT.search(c.text) for c in filled)
        if seen_values and not any(_DIGIT.search(c.text) for c in row) and (caption or reheading):
            out += _one_row_grid(doc, lines, _lines_of(grid[start:i], lines, block), grid[start:i], width, layout,
                                 used, reheaded)
            start, seen_values, reheaded = i, False, reheading
        seen_values = seen_values or (len(filled) >= 2 and any(c.numeric or _FIGURE.search(c.text) for c in row))
    rest = _lines_of(grid[start:], lines, block) if start else block
    out += _one_row_grid(doc, lines, rest, grid[start:], width, layout, used, reheaded)
    for before, after in zip(out, out[1:]):  # one unit note above the first table holds for the others
        after.unit_note = after.unit_note or before.unit_note
    return out


def _lines_of(rows: list[list[RawCell]], lines: list[Line], block: list[int]) -> list[int]:
    """The block lines that hold ``rows``."""
    cells = [c for r in rows for c in r if c.text]
    if not cells:
        return []
    lo, hi = min(c.start for c in cells), max(c.end for c in cells)
    return [k for k in block if lines[k].end >= lo and lines[k].start <= hi]


def _one_row_grid(doc: str, lines: list[Line], block: list[int], grid: list[list[RawCell]], width: int,
                  layout: str, used: set[int], rowspans: bool = False) -> list["FoundTable"]:
    """Caption, unit note, header and body from rows of cells; side-by-side halves become two tables.

    ``rowspans``: a part that a header row opened inside a larger table, where label cells span rows: a
    row shorter than the header lacks its leading labels, which it takes from the row above.
    """
    if not block:
        return []
    if rowspans:
        return _rowspan_part(doc, lines, block, grid, layout)
    t = FoundTable(line_indexes=list(block), layout=layout)
    header: list[list[Optional[RawCell]]] = []
    body: list[list[Optional[RawCell]]] = []
    pending: Optional[RawCell] = None
    for row in grid:
        filled = [c for c in row if c.text and not c.empty]
        is_value_row = any(c.numeric for c in row) and not (not body and _is_header_of_years(row))
        if not body and not is_value_row:
            if len(filled) <= 1 or (len(filled) == 2 and any(_CAPTION_NUMBER.match(c.text) for c in filled)):
                if len(filled) == 2:  # "表一 | 职工基本医疗保险基金收支表": number and name make one caption
                    filled = [RawCell(filled[0].text + " " + filled[1].text, filled[0].start, filled[1].end)]
                for c in filled:
                    note = _unit_note(c.text)
                    if note and len(c.text) <= 16:
                        t.unit_note = t.unit_note or note
                    elif t.caption is None and not _is_latin(c.text):
                        t.caption = c
                        t.unit_note = t.unit_note or note
                continue
            if len(filled) >= 2 and all(_is_latin(c.text) or c.numeric for c in filled[1:]) and \
                    _is_latin(filled[-1].text) and header:
                continue  # an English gloss of the header
            if all(_MD_RULE.match(c.text) for c in filled):
                continue  # a markdown rule row (|:---|---:|)
            # a header one cell short has no corner cell (" | 收入 | 支出"): its cells sit over the values
            header.append([None] * (width - len(row)) + [c if c.text else None for c in row])
            continue
        if len(row) > width and not any(c.numeric for c in row[:len(row) - width + 1]):
            # "全  市" split at its inner spaces: the leading pieces are one label
            k = len(row) - width + 1
            row = [RawCell("".join(c.text for c in row[:k]), row[0].start, row[k - 1].end)] + row[k:]
        if len(row) == 1 and not row[0].numeric and body:
            label = body[-1][0]
            if label is not None and not label.text.endswith(_PLACE_ENDS) and row[0].text.endswith(_PLACE_ENDS):
                # "高新技术产业 … values" then "开发区": the label wraps round its values
                body[-1][0] = RawCell(label.text + row[0].text, label.start, label.end, joined=True)
                continue
            pending = row[0]
            continue
        if pending is not None and row and not row[0].numeric:
            # "城乡一体化" alone, then "示范区 … values": the label starts on the line above
            row = [RawCell(pending.text + row[0].text, pending.start, row[0].end, joined=True)] + row[1:]
        pending = None
        body.append([c if c.text and not c.empty else None for c in row] + [None] * max(0, width - len(row)))
    if header and len(header) > 1:
        header = header[-2:] if all(sum(1 for c in h if c is not None) >= 2 for h in header[-2:]) else header[-1:]
    if t.caption is None:
        _attach_caption(doc, lines, t, block[0], used)
    elif t.unit_note is None:  # a unit note line above the caption row
        for k in _caption_before(doc, lines, block[0], used)[1]:
            t.unit_note = t.unit_note or _unit_note(doc[lines[k].start:lines[k].end])
    halves = _side_by_side(header, width)
    if halves is None:
        _finish_grid(t, header, body, width)
        return [t]
    out = []
    for lo, hi in halves:
        part = FoundTable(line_indexes=list(t.line_indexes), layout=layout, caption=t.caption,
                          unit_note=t.unit_note)
        _finish_grid(part, [h[lo:hi] for h in header], [r[lo:hi] for r in body], hi - lo)
        out.append(part)
    return out


def _rowspan_part(doc: str, lines: list[Line], block: list[int], grid: list[list[RawCell]],
                  layout: str) -> list["FoundTable"]:
    """A part headed by its first row whose label cells span rows: short rows are right-aligned."""
    head = list(grid[0])
    while head and not head[-1].text:
        head.pop()
    width = len(head)
    t = FoundTable(line_indexes=list(block), layout=layout)
    body: list[list[Optional[RawCell]]] = []
    above: list[Optional[RawCell]] = [None] * width
    lone: Optional[RawCell] = None
    for row in grid[1:]:
        cells = list(row)
        while len(cells) > width and not cells[-1].text:
            cells.pop()
        if not any(c.text for c in cells):
            continue
        if len([c for c in cells if c.text]) == 1 and len(cells) <= 2:
            lone = next(c for c in cells if c.text)  # a spanning label alone on its line ("产 出 指 标")
            continue
        missing = max(0, width - len(cells))
        if lone is not None and missing:
            # the spanning label heads the last column the row leaves out
            above = [None] * (missing - 1) + [lone] + above[missing:]
        lone = None
        full: list[Optional[RawCell]] = list(above[:missing]) + [c if c.text and not c.empty else None
                                                                 for c in cells[:width]]
        body.append(full)
        above = [c if c is not None else a for c, a in zip(full, above)]
    _finish_grid(t, [[c if c.text else None for c in head]], body, width)
    return [t]


def _is_latin(text: str) -> bool:
    letters = sum(1 for ch in text if ch.isascii() and ch.isalpha())
    return letters >= 3 and letters >= 0.5 * len(text.replace(" ", ""))


def _side_by_side(header: list[list[Optional[RawCell]]], width: int) -> Optional[list[tuple[int, int]]]:
    """Two tables printed side by side (income | expenditure): the header repeats itself half way."""
    if not header or width < 4 or width % 2:
        return None
    h = header[-1]
    half = width // 2
    key = [_WHITESPACE.sub("", c.text) if c is not None else "" for c in h]
    if key[:half] == key[half:] and any(key[:half]):
        return [(0, half), (half, width)]
    return None


def _pipe_stream(doc: str, lines: list[Line], block: list[int]) -> list[tuple[Optional[RawCell], bool, int]]:
    """(cell or None for an empty cell, is a row break, line index) for each line of a ``|`` block."""
    out: list[tuple[Optional[RawCell], bool, int]] = []
    for k in block:
        text = doc[lines[k].start:lines[k].end]
        body = text.rstrip()
        core = body.strip()
        if core and set(core) == {"|"}:
            out.append((None, len(core) > 1, k))
            continue
        cell = _raw(text, 0, len(body) - 1, lines[k].start)
        out.append((cell if cell.text else None, False, k))
    return out


def _split_pipe_tables(stream: list[tuple[Optional[RawCell], bool, int]]) -> list[list[tuple[Optional[RawCell], bool, int]]]:
    """Several tables printed back to back: a new one starts at a caption cell (附件N / ...表)."""
    parts: list[list[tuple[Optional[RawCell], bool, int]]] = [[]]
    seen_number = False
    for item in stream:
        cell = item[0]
        if cell is not None and seen_number and not cell.numeric and _is_caption_text(cell.text):
            parts.append([])
            seen_number = False
        parts[-1].append(item)
        if cell is not None and cell.numeric:
            seen_number = True
    return [p for p in parts if p]


def _is_caption_text(text: str) -> bool:
    text = text.strip()
    return bool(_ATTACHMENT.match(text)) or (len(text) >= 8 and text.endswith("表")) or \
        bool(_TABLE_NUMBER.match(text))


def _table_from_pipes(doc: str, lines: list[Line], block: list[int]) -> list[FoundTable]:
    """One cell per line ending with ``|``; a lone ``|`` is an empty cell, ``||`` ends a header row."""
    tables = []
    for part in _split_pipe_tables(_pipe_stream(doc, lines, block)):
        tables.append(_one_pipe_table(part))
    return tables


def _one_pipe_table(part: list[tuple[Optional[RawCell], bool, int]]) -> FoundTable:
    t = FoundTable(line_indexes=[k for _, _, k in part], layout="pipes")
    # leading caption cells: text cells each followed by a break, before any header row
    i = 0
    while i < len(part):
        cell, brk, _ = part[i]
        if brk or cell is None:
            i += 1
            continue
        nxt = part[i + 1] if i + 1 < len(part) else None
        if (nxt is not None and nxt[1] and cell.text.startswith("附件")) or _is_caption_text(cell.text):
            if t.caption is None or "表" in cell.text:
                t.caption = cell
            i += 1
            continue
        break
    rest = part[i:]
    first_num = next((j for j, (c, _, _) in enumerate(rest) if c is not None and c.numeric), len(rest))
    # header rows split at breaks, when the header has any
    breaks = [j for j, (_, b, _) in enumerate(rest[:first_num]) if b]
    header_segments: list[list[RawCell]] = []
    body_from = 0
    if breaks:
        prev = 0
        for b in breaks:
            seg = [c for c, brk, _ in rest[prev:b] if c is not None]
            if seg:
                header_segments.append(seg)
            prev = b + 1
        body_from = prev
    cells = [c for c, brk, _ in rest[body_from:] if not brk]
    # lone "|" lines and a unit note before the header are spacers, not empty cells
    while cells and (cells[0] is None or (_unit_note(cells[0].text) and len(cells[0].text) <= 16)):
        if cells[0] is not None:
            t.unit_note = t.unit_note or _unit_note(cells[0].text)
        cells.pop(0)
    levels = [seg for seg in header_segments if not (len(seg) == 1 and _unit_note(seg[0].text))]
    for seg in header_segments:
        for c in seg:
            t.unit_note = t.unit_note or _unit_note(c.text)
    if len(levels) >= 2 and len(levels[-1]) >= 2 and len(levels[-2]) >= 2:
        layout = best_two_level_layout(levels[-2], levels[-1], cells)
        if layout is not None:
            header, body = layout
            _finish_grid(t, header, body, len(header[0]))
            return t
    width = _infer_width(cells, header_segments)
    if width is None:
        t.problem = "cannot infer the column count of a '|' table"
        return t
    if not header_segments:
        header_segments = [[c for c in cells[:width] if c is not None]]
        cells = cells[width:]
    for seg in header_segments:
        for c in seg:
            t.unit_note = t.unit_note or _unit_note(c.text)
    body = [cells[j:j + width] for j in range(0, len(cells), width)]
    body = [r + [None] * (width - len(r)) for r in body]
    _realign_rowspans(body)
    header = _pipe_header(header_segments, width)
    _finish_grid(t, header, body, width)
    return t


MAX_HYPOTHESES = 4000


def best_two_level_layout(top: list[RawCell], children: list[RawCell], stream: list[Optional[RawCell]]
                          ) -> Optional[tuple[list[list[Optional[RawCell]]], list[list[Optional[RawCell]]]]]:
    """The most plausible reading of a two-level header over a one-cell-per-line body.

    Hypotheses: which top cells span children, and how many each spans (so the row width follows). Each is
    scored by how well the rows read (a label first, numbers after), by whether the totals add up (a 合计 or
    小计 child equals the sum of its siblings; a total column equals the sum of the groups after it), and by
    lexical fit (groups repeating the same children, no group under a corner or remark cell).
    """
    n1, n2 = len(top), len(children)
    best: Optional[tuple[float, list, list]] = None
    tried = 0
    for g in range(1, min(n1 - 1, n2 // 2) + 1):
        width = n1 - g + n2
        rows = _rows_with_openers(stream, width)
        if len(rows) < 1:
            continue
        shape = sum(1.0 for r in rows if r[0] is not None and not r[0].numeric and
                    any(c is not None and c.numeric for c in r[1:])) / len(rows)
        for groups in combinations(range(1, n1), g):
            for sizes in _compositions(n2, g, 2):
                tried += 1
                if tried > MAX_HYPOTHESES:
                    break
                header = _spanning_header(top, children, groups, sizes)
                score = 10 * shape + _totals_score(header, rows) + _lexical_score(top, children, groups, sizes)
                if best is None or score > best[0] + 1e-9:
                    best = (score, header, rows)
    if best is None:
        return None
    return best[1], best[2]


def _rows_with_openers(stream: list[Optional[RawCell]], width: int) -> list[list[Optional[RawCell]]]:
    """Rows of ``width`` cells; an empty cell right before a row's label only opens the row."""
    rows, pos, n = [], 0, len(stream)
    while pos < n:
        if stream[pos] is None and pos + 1 < n and stream[pos + 1] is not None and not stream[pos + 1].numeric:
            pos += 1
        row = stream[pos:pos + width]
        if any(c is not None for c in row):
            rows.append(row + [None] * (width - len(row)))
        pos += width
    return rows


def _compositions(total: int, parts: int, least: int) -> list[tuple[int, ...]]:
    """Ways to write ``total`` as ``parts`` ordered sizes, each at least ``least``."""
    if parts == 1:
        return [(total,)] if total >= least else []
    return [(first,) + rest for first in range(least, total - least * (parts - 1) + 1)
            for rest in _compositions(total - first, parts - 1, least)]


def _spanning_header(top: list[RawCell], children: list[RawCell], groups: tuple[int, ...],
                     sizes: tuple[int, ...]) -> list[list[Optional[RawCell]]]:
    row1: list[Optional[RawCell]] = []
    row2: list[Optional[RawCell]] = []
    k = 0
    span = dict(zip(groups, sizes))
    for i, cell in enumerate(top):
        if i in span:
            row1.extend([cell] * span[i])
            row2.extend(children[k:k + span[i]])
            k += span[i]
        else:
            row1.append(cell)
            row2.append(None)
    return [row1, row2]


def _value(cell: Optional[RawCell]) -> Optional[float]:
    if cell is None or not cell.numeric or cell.text.endswith("%"):
        return None
    return float(cell.text.replace(",", "").replace("−", "-"))


def _is_total_text(text: str) -> bool:
    t = _WHITESPACE.sub("", text)
    return t in _words("total") or t.endswith(tuple(_words("total")))


def _totals_score(header: list[list[Optional[RawCell]]], rows: list[list[Optional[RawCell]]]) -> float:
    """How often the totals the header implies add up in the rows."""
    row1, row2 = header
    width = len(row1)
    spans: list[tuple[int, int]] = []
    j = 0
    while j < width:
        k = j
        while k + 1 < width and row2[j] is not None and row1[k + 1] is row1[j]:
            k += 1
        spans.append((j, k + 1))
        j = k + 1
    checks: list[tuple[int, list[int]]] = []
    for a, b in spans:
        if b - a >= 2:
            cols = list(range(a, b))
            totals = [c for c in cols if row2[c] is not None and _is_total_text(row2[c].text)]
            for c in totals:
                checks.append((c, [x for x in cols if x != c]))
    for idx, (a, b) in enumerate(spans):
        if b - a == 1 and row1[a] is not None and _is_total_text(row1[a].text):
            # a total column ("资金合计") before groups: the sum of the grouped columns right after it
            after: list[int] = []
            for a2, b2 in spans[idx + 1:]:
                if b2 - a2 < 2:
                    break
                after += [c for c in range(a2, b2) if not _is_total_text(row2[c].text if row2[c] else "")]
            if after:
                checks.append((a, after))
    score = 0.0
    for r in rows:
        for total, parts in checks:
            tv = _value(r[total]) if total < len(r) else None
            pv = [_value(r[c]) for c in parts if c < len(r)]
            if tv is None or any(v is None for v in pv):
                continue
            score += 1.0 if abs(tv - sum(pv)) <= 0.011 * max(1, len(pv)) else -0.5  # type: ignore[arg-type]
    return score


def _lexical_score(top: list[RawCell], children: list[RawCell], groups: tuple[int, ...],
                   sizes: tuple[int, ...]) -> float:
    score = 0.0
    runs, k = [], 0
    for size in sizes:
        runs.append([_WHITESPACE.sub("", c.text) for c in children[k:k + size]])
        k += size
    for a, b in zip(runs, runs[1:]):
        if a == b:
            score += 2.0  # two groups with the same children (资助参保 / 直接救助 under each fund)
    for g, run in zip(groups, runs):
        text = _WHITESPACE.sub("", top[g].text)
        if text in ("备注", "说明") or _is_total_text(text):
            score -= 3.0
        if _is_total_text(run[0]) or _is_total_text(run[-1]):
            score += 1.0
    return score


def _pipe_header(segments: list[list[RawCell]], width: int) -> list[list[Optional[RawCell]]]:
    """Header rows over ``width`` columns; in a two-row header the first non-corner cell spans the children."""
    if len(segments) == 1:
        seg = segments[0]
        return [list(seg[:width]) + [None] * max(0, width - len(seg))]
    top, children = segments[0], segments[1]
    span = width - (len(top) - 1)
    if span == len(children) and len(top) >= 2:
        g = next((i for i, c in enumerate(top) if i > 0 and c.text != "备注" and not _is_total(c.text)), 1)
        return _two_rows(top, children, g)
    return [list(s[:width]) + [None] * max(0, width - len(s)) for s in segments]


def _infer_width(stream: list[Optional[RawCell]], header_segments: list[list[RawCell]]) -> Optional[int]:  # noqa: C901
    """The row width that makes a label start most rows."""
    best, best_score = None, -1.0
    for w in range(2, 13):
        rows = [stream[i:i + w] for i in range(0, len(stream), w)]
        if len(rows) < 2:
            break
        score = 0.0
        rows = rows[1:]  # the first row may be the header
        for r in rows:
            if r and r[0] is not None and not r[0].numeric:
                score += 1
            if any(c is not None and c.numeric for c in r[1:]):
                score += 0.5
            if r and r[0] is not None and r[0].numeric:
                score -= 1
        score /= len(rows)
        if header_segments and header_segments[0] and len(header_segments[0]) == w:
            score += 0.3
        if score > best_score + 1e-9:
            best, best_score = w, score
    return best


def _realign_rowspans(body: list[list[Optional[RawCell]]]) -> None:
    """Shift rows whose first column was row-spanned from above back into place."""
    if not body:
        return
    width = len(body[0])
    first_num = Counter(next((i for i, c in enumerate(r) if c is not None and c.numeric), width) for r in body)
    c0 = first_num.most_common(1)[0][0]
    if c0 >= width or c0 < 2:
        return
    prev: list[Optional[RawCell]] = [None] * width
    for r_i, row in enumerate(body):
        fn = next((i for i, c in enumerate(row) if c is not None and c.numeric), None)
        is_total = row[0] is not None and _is_total(row[0].text)
        if fn is not None and fn < c0 and is_total and all(c is None for c in row[width - (c0 - fn):]):
            shift = c0 - fn
            row[:] = [row[0]] + [None] * shift + row[1:width - shift]
        elif fn is not None and fn < c0 and all(c is None for c in row[width - (c0 - fn):]):
            shift = c0 - fn
            row[:] = prev[:shift] + row[:width - shift]
            body[r_i] = row
        prev = row


def _table_from_stream(doc: str, lines: list[Line], block: list[int], used: set[int],
                       model: Model) -> Optional[FoundTable]:
    """One cell per line: header cells first, then rows of [label] + values."""
    cells = []
    for k in block:
        text = doc[lines[k].start:lines[k].end]
        cells.append((_raw(text, 0, len(text), lines[k].start), k))
    t = FoundTable(line_indexes=list(block), layout="stream")
    # a unit note or caption can sit inside the block's first lines
    while cells and not cells[0][0].numeric and ((_unit_note(cells[0][0].text) and len(cells[0][0].text) <= 16)
                                                 or _is_caption_text(cells[0][0].text)):
        if _is_caption_text(cells[0][0].text):
            t.caption = cells[0][0]
        else:
            t.unit_note = _unit_note(cells[0][0].text)
        cells.pop(0)
    first_num = next((i for i, (c, _) in enumerate(cells) if c.numeric or c.empty), None)
    if first_num is None:
        return None
    head = [c for c, _ in cells[:first_num]]
    rest = [c for c, _ in cells[first_num:]]
    # rows: a text cell after a value starts a new row
    rows: list[tuple[Optional[RawCell], list[RawCell]]] = []
    label: Optional[RawCell] = None
    values: list[RawCell] = []
    leading_label = None
    for c in rest:
        if c.numeric or c.empty:
            values.append(c)
        else:
            if values or label is not None:
                rows.append((label, values))
            label, values = c, []
    rows.append((label, values))
    counts = Counter(len(v) for _, v in rows if v)
    if not counts:
        return None
    k = max(counts)  # the widest row is the full width; shorter rows skip total columns
    labelled = any(lab is not None for lab, _ in rows)
    # header cells that end the header but label the first row ("人次" before its values)
    if labelled and rows[0][0] is None and head:
        # first body row has no label in the body: its label is the last header cell if the header is long
        n_head = len(head)
        if n_head == k + 2 or (n_head > k + 1 and _is_corner(head[0])):
            leading_label = head[-1]
            head = head[:-1]
            rows[0] = (leading_label, rows[0][1])
    corner = None
    if head and _is_corner(head[0]) and labelled:
        corner, head = head[0], head[1:]
    if len(head) > MAX_HEADER_CELLS:
        t.problem = f"{len(head)} header cells is more than a table header"
        return t
    head = _merge_fragments(head, k, model)
    header = _stream_header(head, k)
    if header is None:
        t.problem = f"cannot align {len(head)} header cells with {k} value columns"
        header = [[None] * k]
    width = k + 1
    body: list[list[Optional[RawCell]]] = []
    for lab, vals in rows:
        if not vals:
            continue
        if len(vals) < k:
            vals = _align_short_row(vals, header, k)
        body.append([lab] + list(vals[:k]) + [None] * max(0, k - len(vals)))
    header = [[corner if i == 0 else None] + h for i, h in enumerate(header)]
    if t.caption is None:
        _attach_caption(doc, lines, t, block[0], used)
    _finish_grid(t, header, body, width)
    return t


def _is_corner(cell: RawCell) -> bool:
    return cell.text.replace(" ", "") in _words("corner")


def _merge_fragments(head: list[RawCell], k: int, model: Model) -> list[RawCell]:
    """Join header cells that a line break split (``普通`` + ``门诊``) while there are too many."""
    out = list(head)

    def joinable(a: RawCell, b: RawCell) -> bool:
        ab = a.text + b.text
        if b.text[:1] in "“\"(" or a.text[-1:] in "“\"(":
            return True
        for m in model.term_re.finditer(ab):
            if m.start() < len(a.text) < m.end():
                return True
        ta = model.terms.get(a.text.lower())
        tb = model.terms.get(b.text.lower())
        if ta and tb and ta[0].field in ("location", "institution") and tb[0].field == "setting":
            return True
        return False

    changed = True
    while len(out) > k and changed:
        changed = False
        for i in range(len(out) - 1):
            if joinable(out[i], out[i + 1]):
                a, b = out[i], out[i + 1]
                out[i:i + 2] = [RawCell(a.text + b.text, a.start, b.end)]
                changed = True
                break
    return out


def _stream_header(head: list[RawCell], k: int) -> Optional[list[list[Optional[RawCell]]]]:
    """One header row if the cells match the value columns; two rows when one group cell spans children."""
    if len(head) == k:
        return [list(head)]
    if len(head) == k + 1:
        # two levels with one group: row 1 has n1 cells, row 2 the group's m children
        # prefer the split whose top row ends with a total column (合计 spans both header rows)
        splits = sorted(range(2, len(head)), key=lambda n1: (
            not _is_total(head[n1 - 1].text), -n1))
        for n1 in splits:
            top, children = head[:n1], head[n1:]
            m = len(children)
            if n1 - 1 + m != k:
                continue
            # the group is the last top cell that is not a total
            g = max((i for i, c in enumerate(top) if not _is_total(c.text)), default=None)
            if g is None:
                continue
            return _two_rows(top, children, g)
    return None


def _two_rows(top: list[RawCell], children: list[RawCell], group: int) -> list[list[Optional[RawCell]]]:
    """A two-row header: ``top[group]`` spans ``children``, every other top cell spans both rows."""
    row1: list[Optional[RawCell]] = []
    row2: list[Optional[RawCell]] = []
    for i, c in enumerate(top):
        if i == group:
            row1.extend([c] * len(children))
            row2.extend(children)
        else:
            row1.append(c)
            row2.append(None)
    return [row1, row2]


def _align_short_row(vals: list[RawCell], header: list[list[Optional[RawCell]]], k: int) -> list[Optional[RawCell]]:
    """A row shorter than the header (an ``占比`` row) skips the total columns."""
    leaf = [next((h[c] for h in reversed(header) if h[c] is not None), None) for c in range(k)]
    non_total = [c for c in range(k) if leaf[c] is None or not _is_total(leaf[c].text)]
    out: list[Optional[RawCell]] = [None] * k
    if len(vals) == len(non_total):
        for v, c in zip(vals, non_total):
            out[c] = v
        return out
    return list(vals) + [None] * (k - len(vals))


def _finish_grid(t: FoundTable, header: list[list[Optional[RawCell]]], body: list[list[Optional[RawCell]]],
                 width: int) -> None:
    t.header_rows = header
    t.rows = body
    # label columns: leading columns that hold no numbers in any row
    lc = 0
    while lc < width and all(r[lc] is None or not r[lc].numeric for r in body):
        lc += 1
    t.label_cols = lc
    t.col_paths = []
    for c in range(width):
        path = []
        for h in header:
            cell = h[c] if c < len(h) else None
            if cell is not None and (not path or path[-1] is not cell):
                path.append(cell)
        t.col_paths.append(path)
    _row_paths(t, lambda cell, following: True)


def _next_label(rows: list[list[Optional[RawCell]]], i: int) -> Optional[RawCell]:
    if i + 1 < len(rows):
        return next((c for c in rows[i + 1] if c is not None and c.text), None)
    return None


def _marker_kind(marker: str) -> str:
    """一、 / 1. / (1): the kind of a numbering, so siblings can be told from children."""
    m = marker.strip()
    if m.startswith("("):
        return "paren"
    return "cn" if m[0] in "一二三四五六七八九十" else "digit"


def _row_paths(t: FoundTable, is_group: Callable[[RawCell, Optional[RawCell]], bool],
               indent: Callable[[RawCell], int] = lambda c: -1) -> None:
    """Every body row's label path: its own labels under the rows it is part of, under the group a
    label-only row opened above it.

    ``is_group`` says whether a label-only row names a group ("基本医疗保险") or is an item whose values are
    missing ("七、上级补助收入" with empty cells). A row opening with 其中, and the rows indented like it, are
    parts of the row above them ("五、年末滚存结余 / 其中:统筹基金 / 个人账户"); a numbered or total row is a
    top-level row again. ``indent`` is a label's indentation on its line (-1 when unknown).
    """
    lc = t.label_cols
    t.row_paths = []
    carry: list[Optional[RawCell]] = [None] * lc
    group: Optional[RawCell] = None
    chain: list[tuple[int, int, RawCell, bool]] = []   # open rows: (level, indentation, label, in a 其中 list)
    for r_i, row in enumerate(t.rows):
        labels = row[:lc]
        has_values = any(c is not None and c.numeric for c in row[lc:])
        label = next((c for c in row if c is not None and c.text), None)
        if not has_values and label is not None and is_group(label, _next_label(t.rows, r_i)):
            group = label  # a label-only row names the group of the rows below it
            chain = []
            t.row_paths.append([group])
            continue
        first = next((c for c in labels if c is not None), None)
        if first is not None and first.text.replace(" ", "") in _words("grand_total"):
            group = None  # a grand total closes the group
        path: list[RawCell] = [group] if group is not None else []
        if lc == 1 and first is not None:
            level, in_list = _row_level(first, indent(first), chain)
            chain = [c for c in chain if c[0] < level] + [(level, indent(first), first, in_list)]
            t.row_paths.append(path + [c[2] for c in chain])
            continue
        for i, c in enumerate(labels):
            if c is not None:
                carry[i] = c
                for j in range(i + 1, lc):
                    carry[j] = None
            if carry[i] is not None:
                path.append(carry[i])
        t.row_paths.append(path)


def _row_level(label: RawCell, ind: int, chain: list[tuple[int, int, RawCell, bool]]) -> tuple[int, bool]:
    """How deep a row sits under the rows above it, and whether it belongs to a 其中 list."""
    text = label.text.strip()
    if _NUMBERED.match(text) or _is_total(text) or text.replace(" ", "").endswith(tuple(_words("total"))):
        return 0, False
    if text.startswith("其中"):
        return (chain[-1][0] + 1 if chain else 0), True
    if ind >= 0:
        same = [c for c in chain if c[1] == ind]
        if same:
            return same[-1][0], same[-1][3]
        if chain and chain[-1][1] >= 0 and ind > chain[-1][1]:
            last = chain[-1]
            return (last[0], True) if last[3] else (last[0] + 1, True)
        return 0, False
    if chain and chain[-1][3]:  # no indentation to read: a 其中 list runs on
        return chain[-1][0], True
    return 0, False


# ------------------------------------------------------------------ binding

def _context_metric(doc: str, lines: list[Line], t: FoundTable, relater: "Relater") -> Optional[str]:
    """The metric of the prose right above the table (for captions that name none)."""
    first = t.line_indexes[0]
    for j in range(first - 1, max(-1, first - 12), -1):
        ln = lines[j]
        if ln.kind not in ("text", "heading"):
            continue
        for term in relater.terms_in(ln.start, ln.end):
            m = term.get("metric")
            if m is not None and not m.weak:
                return m.label
        if doc[ln.start:ln.end].strip():
            break
    return None


def bind_table(t: FoundTable, relater: "Relater") -> None:
    """Bind every numeric cell (and every quantity inside a label cell) of a recovered table."""
    token = _WORDS.set(relater.model.words)
    try:
        _bind_table(t, relater)
    finally:
        _WORDS.reset(token)


def _bind_table(t: FoundTable, relater: "Relater") -> None:
    if t.problem:
        return
    model = relater.model
    units = unit_reader(model)
    base = relater.section_scope()
    if t.caption is not None:
        caption = relater.label_scope(t.caption.start, t.caption.end, keep_status=True)  # "…分配表" plans
        if caption.scheme is not None:  # the caption is the table's own heading: even 医保 there names its scope
            caption.weak_scheme = False
        base = base.overlay(caption)
    # units, innermost first: row labels, column headers, the caption, the unit note
    outer = [h for h in (units.hint(t.caption.text) if t.caption else None,
                         units.hint("单位:" + t.unit_note) if t.unit_note else None) if h is not None]
    col_scopes = [base.overlay(_with_year_cell(relater.label_scope_cells(path), path)) for path in t.col_paths]
    col_cues = [relater.cue_of_cells(path) for path in t.col_paths]
    col_hints = [[h for h in (units.hint(c.text) for c in reversed(path) if c is not None) if h is not None]
                 for path in t.col_paths]
    col_own = []  # a column's own strong metric, which beats a weak one in the row label
    for path in t.col_paths:
        own = relater.label_scope_cells(path)
        col_own.append(own.metric if own.metric is not None and not own.weak_metric else None)
    last_row_scheme = None
    prose_factor = relater.prose_money_factor()
    prose_cells: set[int] = set()
    place_rows = _is_place_column(t, model)
    # a table of income and expenditure (收支表): its 总计 adds incomes to balances, no one metric
    mixed_rows = t.caption is not None and any(w in t.caption.text for w in _words("accounts"))
    for r, row in enumerate(t.rows):
        path = t.row_paths[r] if r < len(t.row_paths) else []
        row_scope = relater.label_scope_cells(path)
        row_cue = relater.cue_of_cells(path)
        row_hints = [h for h in (units.hint(c.text) for c in reversed(path)) if h is not None]
        grand_total_row = bool(path) and _WHITESPACE.sub("", path[-1].text) in _words("grand_total") and \
            _WHITESPACE.sub("", path[-1].text) not in ("合计",) and mixed_rows
        if place_rows and path and row_scope.region is None:
            # a row of a place column ("县(市、区)") is about the place it names, as written
            name = _WHITESPACE.sub("", path[-1].text)
            name = name[:-2] if name.endswith("本级") and len(name) > 3 else name  # 安顺市本级: the city itself
            if not _is_total(name) and not any(
                    a.field == "region" for t_ in relater.terms_in(path[-1].start, path[-1].end) for a in t_.assignments):
                known = next((a.label for a in model.terms.get(name, ()) if a.field == "region"), None)
                if known == "@issuer":  # "全  市"
                    known = relater.info.region
                row_scope.region = (known or name, path[-1].start, path[-1].end)
        if path and relater.unknown_rate(path[-1].end, row_scope.metric):
            row_scope.metric, row_scope.weak_metric = ("other", -1, -1), False  # "补助资金拨付及时率": its own rate
        if (row_scope.scheme is not None and not row_scope.weak_scheme) or row_scope.fund is not None:
            last_row_scheme = (row_scope.scheme, row_scope.fund)
        elif row_scope.account is not None and last_row_scheme is not None and len(path) == 1 and any(
                a.field == "account" for a in model.terms.get(_SUBROW_PREFIX.sub("", path[-1].text), ())):
            # "职工医保 / 统筹基金 / 个人账户": an account row is a part of the scheme row above it
            row_scope.scheme, row_scope.fund = last_row_scheme
        for c, cell in enumerate(row):
            if cell is None or cell.empty:
                continue
            scope = col_scopes[c].overlay(row_scope) if c < len(col_scopes) else base
            if row_scope.weak_metric and c < len(col_scopes) and col_own[c] is not None:
                scope.metric, scope.weak_metric = col_own[c], False  # "住院救助" (weak) under "救助人次"
            if not cell.numeric:
                # quantities written inside a label or remark cell ("含市里257万元", "3.63%经办经费"); a label
                # that spans rows is repeated in each of them but read once
                if cell.start not in prose_cells and relater.quantities_in(cell.start, cell.end):
                    prose_cells.add(cell.start)
                    relater.sentence(cell.start, cell.end, scope)
                continue
            if grand_total_row and row_scope.metric is None and (c >= len(col_own) or col_own[c] is None):
                # "总计" under year columns of a T-account: the sum of income and balances, no one metric
                scope.metric, scope.weak_metric = ("other", -1, -1), False
            if scope.metric is None and t.ctx_metric is not None:
                scope.metric = (t.ctx_metric, -1, -1)
            own_col = col_hints[c] if c < len(col_hints) else []
            if own_col and own_col[0].kinds == 1 and own_col[0].ratio:
                hints = own_col + row_hints + outer  # "同比增减(%)": a column of changes in per cent
            else:
                hints = row_hints + own_col + outer
            q = _cell_quantity(cell, scope, hints, prose_factor, model)
            col_cue = col_cues[c] if c < len(col_cues) else None  # rows may be wider than the header
            # a column of changes (同比增减%) changes whatever the row measures, even a rate (次均费用)
            cue = col_cue if col_cue is not None and col_cue[0] in ("yoy_change", "difference") else (
                row_cue or col_cue)
            idx = relater.bind_cell(q, scope, cue, base.status)
            if idx is not None:
                t.cell_records[(r, c)] = idx
    for path in t.col_paths:
        for cell in path:
            if cell is not None and any(not q.bare for q in relater.quantities_in(cell.start, cell.end)):
                relater.sentence(cell.start, cell.end, base)  # "市中心调剂2500万元" inside a header


def _is_place_column(t: FoundTable, model: Model) -> bool:
    """Whether the row labels are places: the label column's header names places (县(市、区), 地区)."""
    words = model.meta.get("place_column_words", ())
    for path in t.col_paths[:max(1, t.label_cols)]:
        for cell in path:
            if cell is not None and any(w in _WHITESPACE.sub("", cell.text) for w in words):
                return True
    return False


def _with_year_cell(scope: "Scope", path: list[RawCell]) -> "Scope":
    """A header cell that is a bare year ("2015", "2023年") gives its column that year."""
    if scope.period is None:
        for cell in reversed(path):
            if cell is not None and _YEAR_CELL.match(cell.text):
                scope.period = PeriodSpec(cell.start, cell.end, "year", year=int(cell.text[:4]))
                break
    return scope


def _cell_quantity(cell: RawCell, scope: "Scope", hints: list[UnitHint], prose_factor: float,
                   model: Model) -> Quantity:
    """The quantity of a numeric cell: its type, unit and scale from the innermost unit hint that fits."""
    from .relate import natural_count

    text = cell.text.replace(",", "").replace("−", "-")
    if text.endswith("%"):
        return Quantity(cell.start, cell.end, round(float(text[:-1]), 6), "ratio", "%", "cell")
    value = float(text)
    metric = scope.metric[0] if scope.metric else None
    count_unit = natural_count(model, metric)
    money_metric = "amount" in model.metric_units.get(metric or "", ())
    if money_metric:
        count_unit = None if "amount" == model.metric_units[metric][0] else count_unit  # type: ignore[index]
    for h in hints:
        kind = h.resolve(metric, count_unit, money_metric)
        if kind is not None:
            qtype, unit, mult = kind
            if qtype == "amount":
                return Quantity(cell.start, cell.end, round(value * mult, 6), "amount", "CNY", "cell",
                                multiplier=mult, per=h.per)
            return Quantity(cell.start, cell.end, round(value * mult, 6), qtype, unit, "cell", multiplier=mult)
    if count_unit is not None:
        return Quantity(cell.start, cell.end, value, "count", count_unit, "cell")
    if metric in RATIO_METRICS:
        return Quantity(cell.start, cell.end, value, "ratio", "%", "cell")
    return Quantity(cell.start, cell.end, round(value * prose_factor, 6), "amount", "CNY", "cell",
                    multiplier=prose_factor)


def to_public(t: FoundTable, ids: dict[int, str], span: Callable[[int, int], tuple[int, int]],
              original: str) -> Table:
    """The user-facing ``Table`` (spans into the original string)."""
    def text_of(c: RawCell) -> str:
        if c.joined:
            return _WHITESPACE.sub("", c.text)
        s, e = span(c.start, c.end)
        return _WHITESPACE.sub("", original[s:e])  # a header split over lines reads as one

    cells: list[Cell] = []
    for r, row in enumerate(t.rows):
        path = t.row_paths[r] if r < len(t.row_paths) else []
        for c, cell in enumerate(row):
            if cell is None or not cell.text or c < t.label_cols:  # row labels live in row_header
                continue
            s, e = span(cell.start, cell.end)
            rec = t.cell_records.get((r, c))
            cells.append(Cell(row=r, col=c, text=original[s:e], span=(s, e),
                              row_header=[text_of(x) for x in path],
                              col_header=[text_of(x) for x in t.col_paths[c]] if c < len(t.col_paths) else [],
                              record=ids.get(rec) if rec is not None else None))
    first_start = min((c.start for row in t.rows for c in row if c is not None), default=0)
    last_end = max((c.end for row in t.rows for c in row if c is not None), default=first_start + 1)
    if t.caption is not None:
        first_start = min(first_start, t.caption.start)
    s, e = span(first_start, max(last_end, first_start + 1))
    header_rows = [[text_of(c) if c is not None else "" for c in row] for row in t.header_rows]
    return Table(id="", caption=text_of(t.caption) if t.caption else None, span=(s, e), unit_note=t.unit_note,
                 layout=t.layout, header_rows=header_rows, cells=cells)
