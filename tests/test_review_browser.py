"""The review page in a real browser: headless Chromium (Debian's package) driven over the DevTools protocol.

Skipped when no Chromium is installed, unless ``MEDINS_REQUIRE_BROWSER=1`` (``.ci/run`` sets it after
installing Chromium), when a missing browser is a failure.
"""

from __future__ import annotations

import json
import os

import pytest

import medins_ie
from medins_ie.cli import main

from browser import Browser, chromium_path
from conftest import SEEDS

if chromium_path() is None:
    if os.environ.get("MEDINS_REQUIRE_BROWSER") == "1":
        raise RuntimeError("MEDINS_REQUIRE_BROWSER=1 but no Chromium is installed (apt-get install chromium)")
    pytest.skip("Chromium is not installed (apt-get install chromium): the review page's browser test needs it",
                allow_module_level=True)

# every record's marks, concatenated in document order, keyed by the record's index
MARK_TEXTS = """(() => { const out = {};
  for (const m of document.querySelectorAll("#doc-0 .text mark.r")) {
    const k = m.dataset.r; out[k] = (out[k] || "") + m.textContent; }
  return out; })()"""
EVIDENCE = """(() => { const out = [];
  for (const [name, hl] of CSS.highlights) if (name.startsWith("ev-")) for (const r of hl) out.push(r.toString());
  return out.sort(); })()"""
IN_TEXT_VIEW = """((sel) => { const m = document.querySelector(sel), p = m.closest(".text");
  const a = m.getBoundingClientRect(), b = p.getBoundingClientRect();
  return a.top >= b.top && a.bottom <= b.bottom; })"""


@pytest.fixture(scope="module")
def browser():
    with Browser(1400, 900) as b:
        yield b


def _open(browser: Browser, page) -> None:
    browser.open(page.as_uri())
    assert browser.eval("window.medinsReview.length") >= 1, "the page's script did not start"


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name[:3])
def test_seed_page_highlights_every_record_and_shows_the_clicked_one(browser, seed, tmp_path):
    page = tmp_path / f"{seed.stem}.html"
    assert main(["review", str(seed), "-o", str(page)]) == 0
    _open(browser, page)
    text = seed.read_text(encoding="utf-8")
    doc = medins_ie.extract(text)

    assert browser.eval('document.querySelector("#doc-0 .text").textContent') == text
    marks = browser.eval(MARK_TEXTS)
    assert len(marks) == len(doc.records)
    for i, rec in enumerate(doc.records):
        assert marks[str(i)] == rec.text, rec.id
    assert browser.requests() == [page.as_uri()], "the page fetched something"

    # click the record with the most evidence: the details panel shows it, its evidence is highlighted
    i = max(range(len(doc.records)), key=lambda k: (len(doc.records[k].evidence), -k))
    rec = doc.records[i]
    browser.click_element(f'#doc-0 mark.r[data-r="{i}"]')
    details = browser.eval('document.querySelector("#doc-0 .details").innerText')
    assert details.startswith(f"{rec.id} {rec.text}")
    for value in (rec.unit, rec.type, rec.metric, rec.measure, rec.status, rec.scheme, rec.account, rec.region,
                  rec.period and rec.period.start, rec.period and rec.period.end, *rec.qualifiers):
        if value:
            assert str(value) in details, (value, details)
    for ev in rec.evidence:
        assert f"{ev.role}: 「{ev.text}」" in details
    assert browser.eval(EVIDENCE) == sorted(ev.text for ev in rec.evidence)
    sel = f'#doc-0 mark.r[data-r="{i}"]'
    assert browser.eval(f'document.querySelector({json.dumps(sel)}).classList.contains("sel")')
    shot = browser.screenshot(tmp_path / f"{seed.stem}.png")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000


def test_records_table_sorts_filters_and_scrolls_to_the_span(browser, tmp_path, seed_docs):
    text, doc = seed_docs["001"]
    page = tmp_path / "001.html"
    page.write_text(doc.to_html(text), encoding="utf-8")
    _open(browser, page)
    rows = 'Array.from(document.querySelectorAll("#doc-0 table.rt tbody tr"))'
    assert browser.eval(f"{rows}.length") == min(200, len(doc.records))
    assert "of " + str(len(doc.records)) in browser.eval('document.querySelector("#doc-0 .pager").innerText')

    late = len(doc.records) - 1     # selecting a record past the first 200 turns the table to its page
    browser.click_element(f'#doc-0 mark.r[data-r="{late}"]')
    assert browser.eval(f"{rows}.some(tr => tr.dataset.r === '{late}' && tr.classList.contains('sel'))")

    browser.click_element('#doc-0 table.rt th[data-c="2"]')          # value, ascending, from the first page
    shown = browser.eval(f"{rows}.map(tr => +tr.dataset.r)")
    values = [doc.records[i].value for i in shown]
    assert values == sorted(values) and values[0] == min(r.value for r in doc.records)
    browser.click_element('#doc-0 .pager button[data-p="1"]')
    second = [doc.records[i].value for i in browser.eval(f"{rows}.map(tr => +tr.dataset.r)")]
    assert len(second) == len(doc.records) - 200 and second == sorted(second) and second[0] >= values[-1]

    browser.eval("""(() => { const s = document.querySelector('#doc-0 select[data-f="metric"]');
        s.value = "fund_payment"; s.dispatchEvent(new Event("change", {bubbles: true})); })()""")
    shown = browser.eval(f"{rows}.map(tr => +tr.dataset.r)")
    assert shown and {doc.records[i].metric for i in shown} == {"fund_payment"}
    assert len(shown) == sum(r.metric == "fund_payment" for r in doc.records)

    last = shown[-1]   # a row low in the table: its span is far down the text
    browser.click_element(f'#doc-0 table.rt tr[data-r="{last}"]')
    sel = f'#doc-0 mark.r[data-r="{last}"]'
    assert browser.eval(f'document.querySelector({json.dumps(sel)}).classList.contains("sel")')
    assert browser.eval(f"{IN_TEXT_VIEW}({json.dumps(sel)})"), "the clicked row's span is not scrolled into view"


def test_table_cells_and_findings_link_to_their_records(browser, tmp_path, seed_docs):
    text, doc = seed_docs["001"]
    page = tmp_path / "001.html"
    page.write_text(doc.to_html(text), encoding="utf-8")
    _open(browser, page)
    browser.click_element('#doc-0 .tabs button[data-tab="tables"]')
    cell = next(c for t in doc.tables for c in t.cells if c.record)
    i = next(k for k, r in enumerate(doc.records) if r.id == cell.record)
    browser.click_element(f'#doc-0 .grid td.c[data-r="{i}"]')
    assert browser.eval('document.querySelector("#doc-0 .details h3").innerText').startswith(cell.record)
    mark = json.dumps(f'#doc-0 mark.r[data-r="{i}"]')
    assert browser.eval(f"{IN_TEXT_VIEW}({mark})")

    browser.click_element('#doc-0 .tabs button[data-tab="findings"]')
    k, f = next((k, f) for k, f in enumerate(doc.findings) if f.records)
    browser.click_element(f'#doc-0 li.f[data-f="{k}"] b')
    flagged = browser.eval('Array.from(document.querySelectorAll("#doc-0 mark.fnd")).map(m => m.dataset.r)')
    ids = [r.id for r in doc.records]
    assert sorted({ids[int(x)] for x in flagged}) == sorted(set(f.records))


def test_markup_in_a_document_stays_text_in_the_browser(browser, tmp_path):
    text = ("基金收入7.82亿元。<script>window.pwned = 1</script><b>粗体</b>\n"
            "<img src=x onerror=\"window.pwned = 2\"><style>body{display:none}</style>支出1.5亿元\r\n")
    page = tmp_path / "markup.html"
    page.write_text(medins_ie.extract(text).to_html(text, name="<script>window.pwned = 3</script>"), encoding="utf-8")
    _open(browser, page)
    assert browser.eval("typeof window.pwned") == "undefined"
    assert browser.eval('document.querySelector("#doc-0 .text").textContent') == text
    assert browser.eval('document.querySelectorAll("#doc-0 .text b, #doc-0 .text img, #doc-0 .text script").length') == 0
    assert browser.requests() == [page.as_uri()]


def test_index_of_several_documents(browser, tmp_path):
    page = tmp_path / "seeds.html"
    assert main(["review", *map(str, SEEDS), "-o", str(page)]) == 0
    _open(browser, page)
    assert browser.eval("window.medinsReview.length") == len(SEEDS)
    links = browser.eval('Array.from(document.querySelectorAll("nav.index a")).map(a => a.textContent)')
    assert links == [str(p) for p in SEEDS]
    browser.click_element('nav.index a[href="#doc-3"]')
    assert browser.eval("location.hash") == "#doc-3"
    texts = browser.eval('Array.from(document.querySelectorAll("section.doc .text")).map(t => t.textContent)')
    assert texts == [p.read_text(encoding="utf-8") for p in SEEDS]
    # a click in the fourth document shows its record in its own panel
    browser.click_element('#doc-3 mark.r[data-r="0"]')
    rec = medins_ie.extract(SEEDS[3].read_text(encoding="utf-8")).records[0]
    assert browser.eval('document.querySelector("#doc-3 .details h3").innerText').startswith(rec.id)
