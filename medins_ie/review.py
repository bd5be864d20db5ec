"""Review page: one self-contained HTML file that shows what was extracted over the original text.

    html = doc.to_html(text)                               # one document
    html = medins_ie.review.render_page(items)             # several, with an index first
    medins-ie review a.txt b.txt -o review.html            # the same from the command line

The page shows the text with every record highlighted (coloured by metric or by scheme), quantities
that gave no record outlined, a details panel (hover or click a highlight: every field, and the
evidence spans highlighted in the text), a sortable and filterable records table, the recovered
tables as grids and the findings, each linked to the spans it concerns.

It needs no network: styles and script are inline, and the page's Content-Security-Policy forbids
every fetch. All input text is escaped, so markup in a document stays text. The work is linear in
the size of the document; see ``docs/review.md`` for the limits.
"""

from __future__ import annotations

import bisect
import gc
import heapq
import json
import re
import sys
from dataclasses import dataclass
from html import escape
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Optional, Sequence, Union

from .records import Cell, Document, Record
from .taxonomy import Taxonomy, default_taxonomy

if TYPE_CHECKING:  # pragma: no cover
    from .pipeline import Extractor

__all__ = ["ReviewItem", "render_page", "document_html", "check_source", "review_files", "write_review"]

QUANTITY_LABELS = frozenset({"amount", "count", "ratio"})
BLOCK_CHARS = 2000        # the text is cut into blocks of about this size (at line ends) that render lazily
PALETTE = ("#ffd8a8", "#b2f2bb", "#a5d8ff", "#fcc2d7", "#ffec99", "#d0bfff", "#99e9f2", "#ffc9c9",
           "#c0eb75", "#eebefa", "#bac8ff", "#ffe8cc", "#96f2d7", "#e9ecef", "#f3d9fa", "#d3f9d8")
_NEEDS_FIX = re.compile("[\r\x00\ud800-\udfff]")   # characters the HTML parser would drop or change
_SURROGATE = re.compile("[\ud800-\udfff]")        # a lone surrogate cannot be written as UTF-8
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


@dataclass
class ReviewItem:
    """One document of a review page: its name, source text and result, or why it could not be read."""

    name: str
    text: str = ""
    document: Optional[Document] = None
    error: Optional[str] = None


# ------------------------------------------------------------------ public entry points

def check_source(doc: Document, text: str) -> None:
    """Raise ``ValueError`` unless ``text`` is the string ``doc`` was extracted from (its spans slice it)."""
    if not isinstance(text, str):
        raise TypeError(f"the source text must be a str, not {type(text).__name__}")
    for r in doc.records:
        s, e = r.span
        if not (0 <= s <= e <= len(text)) or text[s:e] != r.text:
            raise ValueError(f"this text is not the source of the Document: record {r.id} says {r.text!r} at "
                             f"{s}..{e}, the text has {text[s:e]!r} there; pass the exact string that was extracted")


def document_html(doc: Document, text: str, name: Optional[str] = None, title: Optional[str] = None) -> str:
    """The review page of one document (``text`` must be the string it was extracted from)."""
    return render_page([ReviewItem(name or doc.meta.title or "document", text, doc)], title=title)


def render_page(items: Sequence[ReviewItem], title: Optional[str] = None,
                taxonomy: Optional[Taxonomy] = None) -> str:
    """The review page of ``items``: an index when there are several, then one section per document."""
    # many small acyclic lists are built; the cyclic collector would rescan the whole (large) heap again
    # and again, so it is paused as the extractor does, and switched back on (if it was on) at the end
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _render_page(items, title, taxonomy)
    finally:
        if collecting:
            gc.enable()


def _render_page(items: Sequence[ReviewItem], title: Optional[str], taxonomy: Optional[Taxonomy]) -> str:
    tax = taxonomy or default_taxonomy()
    labels = _Labels(tax, [it.document for it in items if it.document is not None])
    for it in items:
        if it.document is not None:
            check_source(it.document, it.text)
    if title is None:
        title = f"medins_ie review: {items[0].name}" if len(items) == 1 else f"medins_ie review: {len(items)} documents"
    if not items:
        return _render_page([ReviewItem("(no document)", "", Document())], title, taxonomy)
    parts: list[str] = [
        "<!DOCTYPE html>\n<html lang=\"zh\">\n<head>\n<meta charset=\"utf-8\">\n",
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        "script-src 'unsafe-inline'; img-src data:\">\n",
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
        f"<title>{_esc(title)}</title>\n<style>\n{_asset('review.css')}\n{labels.css()}</style>\n</head>\n<body>\n",
        f"<header class=\"page\"><h1>{_esc(title)}</h1></header>\n",
    ]
    if len(items) > 1:
        parts.append(_index(items))
    for n, it in enumerate(items):
        if it.document is not None:
            parts.append(_section(n, it, labels))
    parts.append(f"<script type=\"application/json\" id=\"labels\">{_json(labels.data())}</script>\n")
    parts.append(f"<script>\n{_asset('review.js')}\n</script>\n</body>\n</html>\n")
    return "".join(parts)


def review_files(paths: Iterable[Union[str, Path]], extractor: Optional["Extractor"] = None,
                 errors: str = "strict", encoding: Optional[str] = None,
                 html: Optional[bool] = None) -> list[ReviewItem]:
    """Read and extract each file (``-`` is stdin); a file that fails becomes an item with its ``error``.

    ``html``: True reads every input as HTML, False never, None detects it.
    """
    from .html import extract_html, looks_like_html
    from .io import DecodeError, decode_bytes, read_file

    if extractor is None:
        from . import load

        extractor = load()
    items: list[ReviewItem] = []
    for path in paths:
        name = str(path)
        try:
            if name == "-":
                decoded = decode_bytes(sys.stdin.buffer.read(), name="<stdin>", errors=errors, encoding=encoding)
            else:
                decoded = read_file(path, errors=errors, encoding=encoding)
            text = decoded.text
            as_html = looks_like_html(text) if html is None else html
            doc = extract_html(text, extractor) if as_html else extractor.extract(text)
            doc.meta.warnings = [f"read as {decoded.encoding}"] + list(decoded.warnings) + doc.meta.warnings
            items.append(ReviewItem(name, text, doc))
        except DecodeError as exc:
            items.append(ReviewItem(name, error=str(exc).split("; pass errors=")[0]))
        except (OSError, ValueError, TypeError) as exc:
            items.append(ReviewItem(name, error=f"{type(exc).__name__}: {exc}"))
    return items


def write_review(paths: Sequence[str], output: Optional[str] = None, model: Optional[str] = None,
                 errors: str = "strict", encoding: Optional[str] = None, html: Optional[bool] = None,
                 title: Optional[str] = None) -> int:
    """What ``medins-ie review`` does: write the page to ``output`` (stdout when None); the exit code."""
    from . import load

    try:
        extractor = load(model)
    except (OSError, ValueError) as exc:
        print(f"medins-ie: cannot load the model: {exc}", file=sys.stderr)
        return 2
    items = review_files(paths, extractor, errors=errors, encoding=encoding, html=html)
    failed = [it for it in items if it.error]
    for it in failed:
        err = it.error or ""
        print(f"medins-ie: {err}" if it.name in err else f"medins-ie: {it.name}: {err}", file=sys.stderr)
    page = render_page(items, title=title)
    if output and output != "-":
        Path(output).write_text(page, encoding="utf-8")
        print(f"medins-ie: wrote {output} ({len(items) - len(failed)} document(s), "
              f"{sum(len(it.document.records) for it in items if it.document)} records)", file=sys.stderr)
    else:
        sys.stdout.write(page)
    if failed:
        print(f"medins-ie: {len(failed)} of {len(items)} input(s) failed", file=sys.stderr)
    return 1 if failed else 0


# ------------------------------------------------------------------ labels and colours

class _Labels:
    """Index of every scheme and metric label (taxonomy order first), with a colour for each."""

    def __init__(self, tax: Taxonomy, docs: list[Document]):
        schemes, metrics = _label_order(tax)
        self._s = {k: i for i, k in enumerate(schemes)}
        self._m = {k: i for i, k in enumerate(metrics)}
        for doc in docs:  # labels of an edited model that its taxonomy does not list still get a colour
            for r in doc.records:
                if r.scheme is not None:
                    self._s.setdefault(r.scheme, len(self._s))
                self._m.setdefault(r.metric, len(self._m))

    def scheme(self, label: Optional[str]) -> int:
        """Index of a scheme label; -1 for none."""
        return -1 if label is None else self._s[label]

    def metric(self, label: str) -> int:
        return self._m[label]

    def css(self) -> str:
        rules = [f".by-metric mark.r.m{i},.sw.m{i}{{background:{PALETTE[i % len(PALETTE)]}}}"
                 for i in range(len(self._m))]
        rules += [f".by-scheme mark.r.s{i},.sw.s{i}{{background:{PALETTE[(i * 5 + 3) % len(PALETTE)]}}}"
                  for i in range(len(self._s))]
        return "\n".join(rules) + "\n"

    def data(self) -> dict[str, Any]:
        return {"scheme": list(self._s), "metric": list(self._m)}


def _label_order(tax: Taxonomy) -> tuple[list[str], list[str]]:
    """Scheme and metric labels in the order of the taxonomy file (``Taxonomy`` keeps sets), then the rest sorted."""
    from .paths import default_model_dir

    try:
        raw = json.loads((default_model_dir() / "taxonomy.json").read_text(encoding="utf-8"))
        schemes = [x for x in raw["scheme"] if x in tax.labels["scheme"]]
        metrics = [x for x in raw["metric"] if x in tax.labels["metric"]]
    except (OSError, KeyError, ValueError):
        schemes, metrics = [], []
    return (schemes + sorted(tax.labels["scheme"] - set(schemes)),
            metrics + sorted(tax.labels["metric"] - set(metrics)))


# ------------------------------------------------------------------ one document

def _section(n: int, item: ReviewItem, labels: _Labels) -> str:
    doc, text = item.document, item.text
    assert doc is not None
    u16 = _utf16(text)
    rec_ix = {r.id: i for i, r in enumerate(doc.records)}
    body = _text_html(text, doc, labels, u16)
    meta = doc.meta
    facts = [f"{len(doc.records)} records", f"{len(doc.tables)} tables", f"{len(doc.findings)} findings",
             f"{len(text):,} characters"]
    if meta.region:
        facts.append(meta.region)
    if meta.report_period and meta.report_period.start:
        facts.append(f"{meta.report_period.start} – {meta.report_period.end}")
    data = {
        "name": item.name,
        "records": [_record_row(r, u16, labels, rec_ix) for r in doc.records],
        "entities": _entity_rows(doc, u16),
        "findings": [[f.kind, f.severity, f.message, [rec_ix[x] for x in f.records if x in rec_ix]]
                     for f in doc.findings],
        "warnings": list(meta.warnings),
    }
    return "".join([
        f"<section class=\"doc by-metric\" id=\"doc-{n}\" data-json=\"data-{n}\">\n",
        "<div class=\"bar\">",
        f"<h2 title=\"{_esc(item.name)}\">{_esc(meta.title or item.name)}</h2>",
        f"<span class=\"facts\">{_esc(item.name)} · {_esc(' · '.join(facts))}</span>",
        "<span class=\"ctl\">colour by <label><input type=\"radio\" name=\"by-", str(n),
        "\" value=\"metric\" checked> metric</label> <label><input type=\"radio\" name=\"by-", str(n),
        "\" value=\"scheme\"> scheme</label> <label title=\"underline every tagged term, period and region\">"
        "<input type=\"checkbox\" class=\"ents\"> entities</label></span>",
        "<div class=\"legend\"></div></div>\n",
        "<div class=\"cols\">\n<div class=\"text\" lang=\"zh\">", body, "</div>\n",
        "<div class=\"side\">\n<div class=\"details\"><p class=\"hint\">Hover or click a highlighted figure "
        "to see its record; click a row, a table cell or a finding to find it in the text.</p></div>\n",
        "<div class=\"tabs\"><button data-tab=\"records\" class=\"on\">Records</button>"
        f"<button data-tab=\"tables\">Tables ({len(doc.tables)})</button>"
        f"<button data-tab=\"findings\">Findings ({len(doc.findings)})</button></div>\n",
        "<div class=\"pane records on\"><div class=\"filters\"></div><table class=\"rt\"><thead></thead>"
        "<tbody></tbody></table><div class=\"pager\"></div></div>\n",
        "<div class=\"pane tables\">", _tables_html(doc, u16, rec_ix), "</div>\n",
        "<div class=\"pane findings\">", _findings_html(doc, rec_ix), "</div>\n",
        "</div>\n</div>\n",
        f"<script type=\"application/json\" id=\"data-{n}\">{_json(data)}</script>\n",
        "</section>\n",
    ])


def _marks(doc: Document) -> list[tuple[int, int, str, int]]:
    """Highlights as properly nested pieces ``(start, end, kind, index)``, in document order.

    Kind ``r`` is a record, ``u`` a quantity entity that gave no record. A highlight that crosses the
    end of one it starts inside is split there, so every record's pieces still add up to its text.
    """
    recorded = {r.span for r in doc.records}
    heap = [(r.span[0], -r.span[1], 0, i, "r") for i, r in enumerate(doc.records)]
    heap += [(e.span[0], -e.span[1], 1, i, "u") for i, e in enumerate(doc.entities)
             if e.label in QUANTITY_LABELS and e.span not in recorded]
    heapq.heapify(heap)
    out: list[tuple[int, int, str, int]] = []
    open_ends: list[int] = []
    while heap:
        s, neg_e, rank, i, kind = heapq.heappop(heap)
        e = -neg_e
        if s >= e:
            continue
        while open_ends and open_ends[-1] <= s:
            open_ends.pop()
        if open_ends and open_ends[-1] < e:
            heapq.heappush(heap, (open_ends[-1], -e, rank, i, kind))
            e = open_ends[-1]
        out.append((s, e, kind, i))
        open_ends.append(e)
    return out


def _text_html(text: str, doc: Document, labels: _Labels, u16: Callable[[int], int]) -> str:
    """The text as blocks of escaped lines with ``<mark>`` elements; ``data-o`` is each block's start offset."""
    out: list[str] = []
    out.append("<div class=\"blk\" data-o=\"0\">")
    pos = 0
    closes: list[int] = []          # ends of the open marks, innermost last
    block_start = 0

    def plain(a: int, b: int) -> None:
        nonlocal block_start
        while a < b:
            if not closes and b - block_start > BLOCK_CHARS:
                nl = text.find("\n", max(a, block_start + BLOCK_CHARS - 1), b)
                if nl != -1 and nl + 1 < len(text):
                    out.append(_esc_text(text[a:nl + 1]))
                    block_start = a = nl + 1
                    out.append(f"</div><div class=\"blk\" data-o=\"{u16(a)}\">")
                    continue
            out.append(_esc_text(text[a:b]))
            return

    for s, e, kind, i in _marks(doc):
        while closes and closes[-1] <= s:
            end = closes.pop()
            plain(pos, end)
            out.append("</mark>")
            pos = end
        plain(pos, s)
        pos = s
        if kind == "r":
            r = doc.records[i]
            out.append(f"<mark class=\"r m{labels.metric(r.metric)} s{labels.scheme(r.scheme)}\" data-r=\"{i}\">")
        else:
            ent = doc.entities[i]
            out.append(f"<mark class=\"u\" data-u=\"{i}\" title=\"{_esc(ent.label)} without a record\">")
        closes.append(e)
    while closes:
        end = closes.pop()
        plain(pos, end)
        out.append("</mark>")
        pos = end
    plain(pos, len(text))
    out.append("</div>")
    return "".join(out)


def _record_row(r: Record, u16: Callable[[int], int], labels: _Labels, rec_ix: dict[str, int]) -> list[Any]:
    # texts that a span of the page can give are left out (the script reads them off the text): smaller pages
    p = r.period
    period: Optional[list[Any]] = None if p is None else ([None, u16(p.span[0]), u16(p.span[1])] if p.span else [p.text, None, None]) \
        + [p.start, p.end, p.kind]
    return [r.id, r.type, r.value, r.unit, r.text, u16(r.span[0]), u16(r.span[1]), labels.scheme(r.scheme),
            r.account, labels.metric(r.metric), r.measure, r.status, period, r.region, r.qualifiers,
            [[e.role, u16(e.span[0]), u16(e.span[1])] for e in r.evidence],
            rec_ix.get(r.related) if r.related else None]


def _entity_rows(doc: Document, u16: Callable[[int], int]) -> list[int]:
    """Non-quantity entities as one flat list of ``start, end, used`` (1 when a record cites it as evidence)."""
    cited = {e.span for r in doc.records for e in r.evidence}
    out: list[int] = []
    for e in doc.entities:
        if e.label not in QUANTITY_LABELS:
            out += (u16(e.span[0]), u16(e.span[1]), int(e.span in cited))
    return out


def _tables_html(doc: Document, u16: Callable[[int], int], rec_ix: dict[str, int]) -> str:
    if not doc.tables:
        return "<p class=\"hint\">No table was recovered from this document.</p>"
    out: list[str] = []
    for t in doc.tables:
        out.append(f"<div class=\"grid\" data-s=\"{u16(t.span[0])}\" data-e=\"{u16(t.span[1])}\">")
        cap = " · ".join(x for x in (t.id, t.caption, f"unit: {t.unit_note}" if t.unit_note else "", t.layout) if x)
        out.append(f"<p class=\"cap\"><a href=\"#\" class=\"goto\">{_esc(cap)}</a></p><table>")
        n_cols = max([c.col for c in t.cells] + [len(h) - 1 for h in t.header_rows] + [0]) + 1
        if t.header_rows:
            out.append("<thead>")
            for hrow in t.header_rows:
                out.append("<tr>" + "".join(f"<th>{_esc(h)}</th>" for h in hrow)
                           + "<th></th>" * (n_cols - len(hrow)) + "</tr>")
            out.append("</thead>")
        rows: dict[int, dict[int, Cell]] = {}
        heads: dict[int, list[str]] = {}
        for c in t.cells:
            rows.setdefault(c.row, {})[c.col] = c
            if c.row_header and c.row not in heads:
                heads[c.row] = c.row_header
        out.append("<tbody>")
        for row in sorted(rows):
            cells = rows[row]
            out.append("<tr>")
            for col in range(n_cols):
                cell = cells.get(col)
                if cell is None:
                    label = " / ".join(heads.get(row, [])) if col == 0 else ""
                    out.append(f"<th>{_esc(label)}</th>" if col == 0 else "<td></td>")
                elif cell.record is not None and cell.record in rec_ix:
                    out.append(f"<td class=\"c\" data-r=\"{rec_ix[cell.record]}\" title=\"{_esc(cell.record)}\">"
                               f"{_esc(cell.text)}</td>")
                else:
                    out.append(f"<td>{_esc(cell.text)}</td>")
            out.append("</tr>")
        out.append("</tbody></table></div>")
    return "".join(out)


def _findings_html(doc: Document, rec_ix: dict[str, int]) -> str:
    if not doc.findings:
        return "<p class=\"hint\">No finding: every checked sum, balance and ratio adds up.</p>"
    out = ["<ul class=\"fl\">"]
    for k, f in enumerate(doc.findings):
        chips = "".join(f"<a href=\"#\" class=\"chip\" data-r=\"{rec_ix[x]}\">{_esc(x)}</a>" for x in f.records
                        if x in rec_ix)
        gap = f" · gap {f.relative_gap:.2%}" if f.relative_gap is not None else ""
        out.append(f"<li class=\"f sev-{_esc(f.severity)}\" data-f=\"{k}\"><span class=\"sev\">{_esc(f.severity)}"
                   f"</span> <b>{_esc(f.kind)}</b>{_esc(gap)}<br>{_esc(f.message)}<br>{chips}</li>")
    out.append("</ul>")
    return "".join(out)


def _index(items: Sequence[ReviewItem]) -> str:
    out = ["<nav class=\"index\"><h2>Documents</h2><table><thead><tr><th>#</th><th>file</th><th>title</th>"
           "<th>records</th><th>tables</th><th>findings</th><th>errors</th></tr></thead><tbody>"]
    for n, it in enumerate(items):
        if it.document is None:
            out.append(f"<tr class=\"failed\"><td>{n + 1}</td><td>{_esc(it.name)}</td><td colspan=\"4\"></td>"
                       f"<td>{_esc(it.error or 'not read')}</td></tr>")
            continue
        d = it.document
        worst = sum(f.severity == "error" for f in d.findings)
        out.append(f"<tr><td>{n + 1}</td><td><a href=\"#doc-{n}\">{_esc(it.name)}</a></td>"
                   f"<td>{_esc(d.meta.title or '')}</td><td>{len(d.records)}</td><td>{len(d.tables)}</td>"
                   f"<td>{len(d.findings)}{f' ({worst} error)' if worst else ''}</td><td></td></tr>")
    out.append("</tbody></table></nav>\n")
    return "".join(out)


# ------------------------------------------------------------------ helpers

def _utf16(text: str) -> Callable[[int], int]:
    """Maps a ``str`` index of ``text`` to the UTF-16 index a browser uses (they differ past astral characters)."""
    astral = [m.start() for m in _ASTRAL.finditer(text)]
    if not astral:
        return lambda i: i
    return lambda i: i + bisect.bisect_left(astral, i)


def _esc(s: object) -> str:
    return escape(str(s), quote=True)


def _esc_text(s: str) -> str:
    """Escaped text whose DOM text is exactly ``s`` (a carriage return or NUL would be changed by the parser)."""
    out = escape(s, quote=False)
    if _NEEDS_FIX.search(out):
        out = _NEEDS_FIX.sub(lambda m: "&#13;" if m.group() == "\r" else "\ufffd", out)
    return out


def _json(data: Any) -> str:
    """JSON safe inside a ``<script>`` element (no ``<``, ``>`` or ``&``; lone surrogates replaced)."""
    s = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    s = s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return _SURROGATE.sub("\ufffd", s)


def _asset(name: str) -> str:
    return resources.files("medins_ie").joinpath(name).read_text(encoding="utf-8")
