"""How the review page scales: render time, page size, and the page's own work in headless Chromium.

    python benchmarks/review_bench.py                       # 100 K, 1 M and 7 M characters
    python benchmarks/review_bench.py --sizes 100000,1000000 --no-browser

The documents are the five seeds joined and repeated (as in ``bench.py``). Render time is reported
per character and as a ratio to the smallest size (1.0 = linear). In the browser: the time from
navigation to the load event (the page's script has run by then: it is inline), then selecting the
last record (details shown, text scrolled; the first selection also indexes the marks) and one in the
middle, sorting the records table by value, and switching on every entity highlight.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "benchmarks")]

import medins_ie  # noqa: E402
from bench import build_doc  # noqa: E402

perf = time.perf_counter


def tree_rss_mb(root: int) -> float:
    """Resident memory of a process and all its descendants (Linux /proc), in MB."""
    parent: dict[int, int] = {}
    rss: dict[int, int] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
                fields = stat[stat.rindex(")") + 2:].split()
                parent[int(d.name)], rss[int(d.name)] = int(fields[1]), int(fields[21])
            except (OSError, ValueError, IndexError):
                continue
    tree, grew = {root}, True
    while grew:
        new = {pid for pid, pp in parent.items() if pp in tree} - tree
        tree |= new
        grew = bool(new)
    import resource
    return sum(rss.get(pid, 0) for pid in tree) * resource.getpagesize() / 1e6


def browser_run(page: Path, n_records: int) -> dict[str, float]:
    from browser import Browser, chromium_path

    if chromium_path() is None:
        return {}
    out: dict[str, float] = {}
    with Browser(1400, 900, timeout=600) as b:
        t0 = perf()
        b.open(page.as_uri())
        out["load_s"] = perf() - t0
        t0 = perf()
        b.eval(f"window.medinsReview[0].select({n_records - 1}, true)")   # the first builds the mark index
        out["select_first_ms"] = (perf() - t0) * 1000
        assert b.eval("document.querySelector('.details h3').innerText").startswith(f"r{n_records}")
        t0 = perf()
        b.eval(f"window.medinsReview[0].select({n_records // 2}, true)")
        out["select_ms"] = (perf() - t0) * 1000
        t0 = perf()
        b.click_element('#doc-0 table.rt th[data-c="2"]')
        out["sort_ms"] = (perf() - t0) * 1000
        t0 = perf()
        b.eval("window.medinsReview[0].toggleEntities(true)")
        out["entities_ms"] = (perf() - t0) * 1000
        out["browser_mb"] = tree_rss_mb(b.proc.pid)
        b.screenshot(page.with_suffix(".png"))
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="100000,1000000,7000000")
    ap.add_argument("--no-browser", action="store_true")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    ex = medins_ie.load()
    base_rate = None
    tmp = Path(tempfile.mkdtemp(prefix="review-bench-"))
    print(f"{'chars':>10} {'records':>8} {'extract s':>9} {'render s':>8} {'us/char':>7} {'ratio':>5} {'page MB':>7}"
          f" {'load s':>6} {'1st sel ms':>10} {'select ms':>9} {'sort ms':>7} {'ents ms':>7} {'browser MB':>10}")
    for n in sizes:
        text = build_doc(n)
        t0 = perf()
        doc = ex.extract(text)
        t_ex = perf() - t0
        t0 = perf()
        html = doc.to_html(text, name=f"{n} chars")
        t_r = perf() - t0
        rate = t_r / len(text)
        base_rate = base_rate or rate
        page = tmp / f"review-{n}.html"
        page.write_text(html, encoding="utf-8")
        b = {} if args.no_browser else browser_run(page, len(doc.records))
        print(f"{len(text):>10,} {len(doc.records):>8,} {t_ex:>9.1f} {t_r:>8.2f} {rate * 1e6:>7.2f} "
              f"{rate / base_rate:>5.2f} {page.stat().st_size / 1e6:>7.1f} "
              + (" ".join(f"{b[k]:>{w}.{p}f}" for k, w, p in (("load_s", 6, 1), ("select_first_ms", 10, 0),
                                                          ("select_ms", 9, 0), ("sort_ms", 7, 0),
                                                          ("entities_ms", 7, 0), ("browser_mb", 10, 0))) if b else "(no browser)"),
              flush=True)
    print(f"pages and screenshots in {tmp}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
