"""The HTML review page, checked without a browser: its text, marks, escaping, data and command line."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest

import medins_ie
from medins_ie.cli import main
from medins_ie.review import ReviewItem, render_page

from conftest import SEEDS


class PageText(HTMLParser):
    """The DOM text of the page's text panes, and the text of each record's marks, as a browser builds them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.docs: list[str] = []
        self.marks: list[dict[int, str]] = []
        self.unrecorded: list[list[str]] = []
        self.scripts: list[str] = []
        self._depth = 0          # element depth inside a text pane (0: outside)
        self._open: list[tuple[str, str | None]] = []   # marks: (kind, key)
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script":
            self._in_script = True
            self.scripts.append("")
        if self._depth:
            self._depth += 1
            if tag == "mark":
                kind = "r" if "data-r" in a else "u"
                self._open.append((kind, a.get("data-r")))
                if kind == "u":
                    self.unrecorded[-1].append("")
        elif tag == "div" and a.get("class") == "text":
            self._depth = 1
            self.docs.append("")
            self.marks.append({})
            self.unrecorded.append([])

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False
        if self._depth:
            self._depth -= 1
            if tag == "mark":
                self._open.pop()

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data
        if not self._depth:
            return
        self.docs[-1] += data
        for kind, key in self._open:
            if kind == "r":
                self.marks[-1][int(key)] = self.marks[-1].get(int(key), "") + data
            else:
                self.unrecorded[-1][-1] += data


def parse(page: str) -> PageText:
    p = PageText()
    p.feed(page)
    p.close()
    return p


def page_data(page: str, n: int = 0) -> dict:
    m = re.search(rf'<script type="application/json" id="data-{n}">(.*?)</script>', page, re.S)
    assert m, "no data script"
    return json.loads(m.group(1))


@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.name[:3])
def test_page_text_is_the_source_and_every_record_has_its_highlight(path, extractor):
    text = path.read_text(encoding="utf-8")
    doc = extractor.extract(text)
    page = doc.to_html(text, name=path.name)
    parsed = parse(page)
    assert parsed.docs == [text]
    assert len(parsed.marks[0]) == len(doc.records) > 0
    for i, rec in enumerate(doc.records):
        assert parsed.marks[0][i] == rec.text, rec.id
    data = page_data(page)
    assert [r[0] for r in data["records"]] == [r.id for r in doc.records]
    assert [tuple(r[5:7]) for r in data["records"]] == [r.span for r in doc.records]


def test_tables_and_findings_link_their_records(seed_docs):
    text, doc = seed_docs["001"]
    page = doc.to_html(text)
    ids = {r.id: i for i, r in enumerate(doc.records)}
    grid_cells = re.findall(r'<td class="c" data-r="(\d+)" title="([^"]+)">', page)
    linked = [c for t in doc.tables for c in t.cells if c.record]
    assert len(grid_cells) == len(linked) > 0
    assert all(ids[rid] == int(ix) for ix, rid in grid_cells)
    assert page.count('<div class="grid"') == len(doc.tables)
    chips = re.findall(r'<a href="#" class="chip" data-r="(\d+)">([^<]+)</a>', page)
    assert len(chips) == sum(len(f.records) for f in doc.findings) > 0
    assert all(ids[rid] == int(ix) for ix, rid in chips)
    assert page.count('<li class="f ') == len(doc.findings)


def test_markup_in_the_document_stays_text():
    text = ("收入7.82亿元。<script>window.pwned = 1</script><b>粗体</b> & &amp; </script><!-- x -->\n"
            "<img src=x onerror=\"window.pwned = 2\">支出1.5亿元\r\n")
    doc = medins_ie.extract(text)
    assert doc.records, "the figures around the markup are still found"
    page = doc.to_html(text, name="</script><script>window.pwned=3</script>", title="<i>t</i>")
    parsed = parse(page)
    assert parsed.docs == [text]
    assert "<script>window.pwned" not in page and "<img" not in page and "<b>" not in page
    assert "<i>t</i>" not in page and "&lt;i&gt;t&lt;/i&gt;" in page
    # the page's own scripts: the data blocks stay JSON (no '<' can close them) and parse back exactly
    assert page_data(page)["name"] == "</script><script>window.pwned=3</script>"
    assert all("</" not in s for s in parsed.scripts[:-1])


def test_characters_the_html_parser_would_change_keep_their_offsets():
    text = "收入\r\n7.82亿元,\x00支出𠀀𠀁1.5亿元。"
    doc = medins_ie.extract(text)
    page = doc.to_html(text)
    dom = parse(page).docs[0]
    assert dom == text.replace("\x00", "\ufffd")            # NUL is the one character a browser must replace
    u16 = [len(text[:r.span[0]].encode("utf-16-le")) // 2 for r in doc.records]
    assert [r[5] for r in page_data(page)["records"]] == u16   # the script's offsets count UTF-16 units


def test_overlapping_highlights_are_split_so_each_record_keeps_its_text():
    text = "基金收入7.82亿元和支出1.5亿元。"
    doc = medins_ie.extract(text)
    a, b = doc.records[0], doc.records[1]
    # a record that crosses another one's end (never produced today, but the page must stay exact)
    b.span, b.text = (a.span[1] - 2, b.span[1]), text[a.span[1] - 2:b.span[1]]
    marks = parse(doc.to_html(text)).marks[0]
    assert marks[0] == a.text and marks[1] == b.text


def test_the_text_must_be_the_documents_source(seed_docs):
    text, doc = seed_docs["000"]
    with pytest.raises(ValueError, match="not the source"):
        doc.to_html(text[1:])
    with pytest.raises(TypeError, match="str"):
        doc.to_html(None)  # type: ignore[arg-type]


def test_quantities_without_a_record_are_marked_apart():
    text = "基金收入7.82亿元。"
    doc = medins_ie.extract(text)
    doc.entities.append(medins_ie.Entity("count", "1", (0, 1)))   # an entity that gave no record
    parsed = parse(doc.to_html(text))
    assert parsed.unrecorded == [["基"]]
    assert parsed.marks[0][0] == doc.records[0].text


def test_long_text_is_cut_into_blocks_at_line_ends(seed_docs):
    text, doc = seed_docs["001"]
    page = doc.to_html(text)
    offsets = [int(x) for x in re.findall(r'<div class="blk" data-o="(\d+)">', page)]
    assert len(offsets) > 1 and offsets[0] == 0 and offsets == sorted(offsets)
    assert all(text[o - 1] == "\n" for o in offsets[1:])
    assert parse(page).docs == [text]


def test_empty_document_gives_a_page():
    page = medins_ie.extract("").to_html("")
    assert parse(page).docs == [""]
    assert page_data(page)["records"] == []


def test_no_document_gives_an_empty_page():
    page = render_page([])
    assert "medins_ie review: 0 documents" in page and parse(page).docs == [""]


def test_several_documents_get_an_index_and_failures_are_listed(seed_docs):
    items = [ReviewItem(k, t, d) for k, (t, d) in sorted(seed_docs.items())]
    items.append(ReviewItem("broken.txt", error="cannot decode broken.txt"))
    page = render_page(items)
    parsed = parse(page)
    assert parsed.docs == [it.text for it in items[:-1]]
    assert re.findall(r'<a href="#doc-(\d+)">', page) == [str(i) for i in range(len(items) - 1)]
    assert "cannot decode broken.txt" in page
    for n, it in enumerate(items[:-1]):
        assert len(page_data(page, n)["records"]) == len(it.document.records)


def test_page_needs_no_network():
    page = medins_ie.extract("基金收入7.82亿元。").to_html("基金收入7.82亿元。")
    assert "default-src 'none'" in page
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page)
    assert "@import" not in page and "url(" not in page


def test_cli_review_writes_one_page_for_several_files(tmp_path, capsys):
    out = tmp_path / "review.html"
    bad = tmp_path / "bad.txt"   # does not exist
    rc = main(["review", str(SEEDS[0]), str(SEEDS[1]), str(bad), "-o", str(out), "--title", "two seeds"])
    err = capsys.readouterr().err
    assert rc == 1 and "bad.txt" in err and "1 of 3 input(s) failed" in err
    page = out.read_text(encoding="utf-8")
    assert "<title>two seeds</title>" in page
    assert parse(page).docs == [SEEDS[0].read_text(encoding="utf-8"), SEEDS[1].read_text(encoding="utf-8")]
    assert page.count('<tr class="failed">') == 1


def test_cli_review_to_stdout(capsys):
    assert main(["review", str(SEEDS[2])]) == 0
    page = capsys.readouterr().out
    assert page.startswith("<!DOCTYPE html>") and parse(page).docs == [SEEDS[2].read_text(encoding="utf-8")]
