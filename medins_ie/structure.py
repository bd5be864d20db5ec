"""Stage 4b: the document tree that binding reads, built across lines before any figure is bound.

    document > section (a heading and what it governs) > block > sentence > clause > group

Blocks are ``paragraph`` (one or more lines: a sentence wrapped over a line break stays one sentence),
``intro`` (a paragraph ending in ``:`` — ``各分项为:`` — whose ``items`` are the numbered lines or
paragraphs below it), and ``table`` (a recovered grid, whose row and column header paths are the
table's own levels). Sentences, clauses and groups (brackets, ``其中``, ``分别``) are read inside a
block by the sentence machine of ``relate.py``; a sentence that opens with ``其中`` continues the
sentence before it.

Every node knows the words that frame its children (``label``): a heading's label, an intro's last
clause, a table's caption. Binding folds the frames of a figure's ancestors, outermost first, under the
scoping policy of the model (``patterns/scoping.tsv``); the figure's own words override.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterator, Optional

from .segment import Line

if TYPE_CHECKING:
    from .relate import Relater
    from .tables import FoundTable

_ENDS_SENTENCE = re.compile(r"[。!?！？;；:：]\s*$")
_ITEM_MARKER = re.compile(r"\s*(?:\(\s*\d{1,2}\s*\)|\d{1,2}\s*[、.)](?!\d)|[①②③④⑤⑥⑦⑧⑨⑩]|[一二三四五六七八九十]是)")
MAX_JOIN = 40   # a paragraph joins at most this many wrapped lines (a page-long run stays linear)


@dataclass(eq=False)
class Node:
    """One node of the document tree (normalized coordinates)."""

    kind: str                                  # document | section | paragraph | intro | item | table
    start: int
    end: int
    level: float = 0.0                         # sections: heading level (1 = top)
    label: Optional[tuple[int, int]] = None    # the words that frame the children
    text_end: int = -1                         # paragraphs, intros, items: the end of their own text
    children: list["Node"] = field(default_factory=list)
    parent: Optional["Node"] = field(default=None, repr=False)
    table: Optional["FoundTable"] = field(default=None, repr=False)
    short: bool = False                        # a section opened by a short unnumbered heading line
    numbered: bool = False                     # an item with its own marker ((1), 1、, ①, 一是)

    def __post_init__(self) -> None:
        if self.text_end < 0:
            self.text_end = self.end

    def add(self, child: "Node") -> "Node":
        child.parent = self
        self.children.append(child)
        self.end = max(self.end, child.end)
        return child

    def walk(self) -> Iterator["Node"]:
        yield self
        for c in self.children:
            yield from c.walk()

    def ancestors(self) -> Iterator["Node"]:
        node = self.parent
        while node is not None:
            yield node
            node = node.parent


def build_tree(doc: str, lines: list[Line], tables: list["FoundTable"], relater: "Relater") -> Node:
    """The tree of one document from its classified lines and recovered tables."""
    root = Node("document", 0, len(doc))
    stack: list[Node] = [root]          # open sections, outermost first
    in_table = {i for t in tables for i in t.line_indexes}
    table_at: dict[int, list["FoundTable"]] = {}
    for t in tables:  # side-by-side halves start on the same line
        table_at.setdefault(t.line_indexes[0], []).append(t)
    intro: Optional[Node] = None        # an open intro, waiting for its items
    para: Optional[Node] = None         # a paragraph that the next line may continue
    joined = 0

    def container() -> Node:
        return intro if intro is not None else stack[-1]

    def open_section(level: float, line: Line, label: Optional[tuple[int, int]], short: bool = False) -> Node:
        while len(stack) > 1 and stack[-1].level >= level:
            stack.pop()
        node = stack[-1].add(Node("section", line.start, line.end, level=level, label=label, short=short))
        stack.append(node)
        return node

    for idx, line in enumerate(lines):
        if idx in in_table:
            para = None
            for t in table_at.get(idx, ()):
                container().add(Node("table", t_start(t, lines), t_end(t, lines), table=t,
                                     label=(t.caption.start, t.caption.end) if t.caption else None))
            continue
        if line.kind == "blank":
            para = None
            continue
        if line.kind == "title":  # a headline's figures are content (they restate the lead)
            if relater.quantities_in(line.start, line.end):
                root.add(Node("paragraph", line.start, line.end))
            para = None
            continue
        if line.kind not in ("heading", "text"):
            continue
        if line.kind == "heading":
            para = None
            if intro is not None and _is_item(doc, line) and (not intro.children or intro.children[0].numbered):
                start = line.body_start if line.body_start is not None and line.body_start < line.end else line.end
                intro.add(Node("item", start, line.end, label=line.label, numbered=True))
                continue
            intro = None
            section = open_section(float(line.level), line, line.label)
            if line.body_start is not None and line.body_start < line.end:
                body = section.add(Node("paragraph", line.body_start, line.end))
                if _ends_with_colon(doc, body):
                    intro = _make_intro(doc, body)
            continue
        # body text
        if relater.line_is_short_heading(line):
            para, intro = None, None
            level = stack[-1].level if len(stack) > 1 else 1.0
            open_section(level, line, (line.start, line.end), short=True)
            continue
        if para is not None and joined < MAX_JOIN and not _ENDS_SENTENCE.search(doc[para.start:para.end]):
            para.end = para.text_end = line.end  # a sentence wrapped over a line break
            for anc in para.ancestors():
                anc.end = max(anc.end, line.end)
            joined += 1
            if _ends_with_colon(doc, para):
                intro = _make_intro(doc, para)
            continue
        if intro is not None and intro.children and not _is_item(doc, line) and intro.children[0].numbered:
            intro = None  # a list of numbered items has ended; an unnumbered list runs to a blank line
        para = container().add(Node("paragraph", line.start, line.end))
        joined = 0
        if intro is not None and container() is intro:
            para.kind, para.numbered = "item", _is_item(doc, line)
        if _ends_with_colon(doc, para):
            intro = _make_intro(doc, para)
    return root


def _is_item(doc: str, line: Line) -> bool:
    return bool(_ITEM_MARKER.match(doc, line.start, line.end))


def _ends_with_colon(doc: str, node: Node) -> bool:
    return doc[node.start:node.end].rstrip().endswith((":", "："))


def _make_intro(doc: str, para: Node) -> Node:
    """Turn a paragraph ending in ``:`` into an intro framed by its last clause."""
    para.kind = "intro"
    text = doc[para.start:para.end].rstrip()
    cut = max(text.rfind(ch) for ch in "。;,") + 1
    para.label = (para.start + cut, para.start + len(text))
    return para


def t_start(t: "FoundTable", lines: list[Line]) -> int:
    return lines[t.line_indexes[0]].start


def t_end(t: "FoundTable", lines: list[Line]) -> int:
    return lines[t.line_indexes[-1]].end


def describe(node: Node, doc: str, depth: int = 0) -> str:
    """An indented outline of the tree (for debugging and docs)."""
    text = doc[node.start:node.end].replace("\n", "⏎")
    head = f"{'  ' * depth}{node.kind}"
    if node.kind == "section":
        head += f"[{node.level:g}]"
    out = [f"{head}: {text[:50]}"]
    for c in node.children:
        out.append(describe(c, doc, depth + 1))
    return "\n".join(out)
