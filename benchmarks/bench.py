#!/usr/bin/env python
"""Throughput, per-stage, cold-start, memory, scaling and parallel benchmark for ``medins_ie``.

Run from the repository root (or anywhere; the repo root is put on ``sys.path``)::

    python benchmarks/bench.py            # full run (several minutes: includes a 20 M-char document)
    python benchmarks/bench.py --quick    # x2 corpus, no 20 M-char document, well under a minute
    python benchmarks/bench.py --json out.json

Everything that compares speeds (jieba vs extract, per-stage) runs in this one process on the same
corpus. Cold start and peak memory run in fresh subprocesses of this same script (``--_child ...``).
See benchmarks/README.md for what each number means. This is not part of the test suite.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import gc
import json
import logging
import os
import platform
import pstats
import statistics
import subprocess
import sys
import time
import traceback
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Callable, Optional

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

FIXTURES = ROOT / "fixtures"
SEED_GLOB = "00[0-4]_*.txt"
FIRST_DOC_PREFIX = "004_"          # the small seed used for the cold-start "first document"
SCALING_SIZES = (1_000, 100_000, 1_000_000, 20_000_000)   # characters
BIG_CHARS = 20_000_000             # the "20 MB" document for the memory runs (characters)
PIPE_DOCS = 200
SECTIONS = ("throughput", "stages", "profile", "cold_start", "memory", "scaling", "pipe")

perf = time.perf_counter


# --------------------------------------------------------------------------- corpus
def seed_texts() -> list[str]:
    paths = sorted(FIXTURES.glob(SEED_GLOB))
    if len(paths) != 5:
        raise SystemExit(f"expected 5 seed documents {FIXTURES}/{SEED_GLOB}, found {len(paths)}")
    return [p.read_text(encoding="utf-8") for p in paths]


def first_doc_text() -> str:
    (path,) = sorted(FIXTURES.glob(FIRST_DOC_PREFIX + "*.txt"))
    return path.read_text(encoding="utf-8")


def corpus(reps: int) -> list[str]:
    """The five seeds as a list, repeated ``reps`` times; every element is its own document."""
    return seed_texts() * reps


def build_doc(n_chars: int) -> str:
    """One document of about ``n_chars`` characters: the seeds joined by blank lines, repeated, cut at a
    line break at or before ``n_chars`` (so no line is cut in half)."""
    base = "\n\n".join(t.strip("\n") for t in seed_texts()) + "\n\n"
    text = base * (n_chars // len(base) + 1)
    cut = text.rfind("\n", 0, n_chars + 1)
    return text[:cut + 1] if cut > n_chars // 2 else text[:n_chars]


def _quiet_jieba():
    import jieba
    jieba.setLogLevel(logging.WARNING)
    return jieba


# --------------------------------------------------------------------------- helpers
def fmt_rate(chars_per_s: float) -> str:
    return f"{chars_per_s / 1e3:,.1f}k chars/s"


def mb(n_bytes: float) -> float:
    return n_bytes / (1024 * 1024)


def maxrss_bytes() -> int:
    import resource
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r if sys.platform == "darwin" else r * 1024      # Linux reports KiB, macOS bytes


def vmhwm_bytes() -> Optional[int]:
    """Peak RSS of this process image from /proc (``VmHWM``). Unlike ``ru_maxrss`` it starts afresh at
    exec: on Linux a child's ``ru_maxrss`` keeps the peak of the parent it was forked from, so a
    subprocess started from this (bigger) benchmark process would report the parent's peak."""
    try:
        with open("/proc/self/status") as fh:
            for ln in fh:
                if ln.startswith("VmHWM:"):
                    return int(ln.split()[1]) * 1024
    except OSError:
        pass
    return None


def current_rss_bytes() -> Optional[int]:
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return None


def git_rev() -> str:
    if os.environ.get("MEDINS_BENCH_REV"):          # set when benchmarking an exported snapshot
        return os.environ["MEDINS_BENCH_REV"]
    try:
        rev = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "medins_ie", "models"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return rev + ("+dirty(medins_ie/models)" if dirty else "")
    except Exception:  # noqa: BLE001
        return "?"


def section(title: str) -> None:
    print()
    print(f"== {title} " + "=" * max(0, 74 - len(title)))
    sys.stdout.flush()


def time_once(fn: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    t0 = perf()
    out = fn()
    return perf() - t0, out


def time_small(fn: Callable[[], Any], min_time: float = 0.2, repeat: int = 3) -> float:
    """Seconds per call of a fast ``fn``: loops until one round takes ``min_time``; best of ``repeat``."""
    n = 1
    while True:
        t0 = perf()
        for _ in range(n):
            fn()
        dt = perf() - t0
        if dt >= min_time or n >= 1 << 20:
            break
        n *= 2
    best = dt / n
    for _ in range(repeat - 1):
        t0 = perf()
        for _ in range(n):
            fn()
        best = min(best, (perf() - t0) / n)
    return best


# --------------------------------------------------------------------------- 1/2 throughput
def bench_throughput(docs: list[str], runs: int = 3) -> dict[str, Any]:
    import medins_ie
    jieba = _quiet_jieba()
    n_chars = sum(map(len, docs))

    jieba.initialize()                      # load the prefix dictionary outside the timing
    jieba.lcut(docs[0]); jieba.lcut(docs[0], HMM=False)
    ex = medins_ie.load()
    ex.extract(docs[0])                     # warm: model compiled, regex caches filled

    methods: dict[str, Callable[[], Any]] = {
        "jieba.lcut": lambda: [jieba.lcut(t) for t in docs],
        "jieba.lcut(HMM=False)": lambda: [jieba.lcut(t, HMM=False) for t in docs],
        "medins_ie extract": lambda: [ex.extract(t) for t in docs],
    }
    times: dict[str, list[float]] = defaultdict(list)
    n_records = None
    for _ in range(runs):                   # interleaved rounds, so drift hits every method alike
        for name, fn in methods.items():
            dt, out = time_once(fn)
            times[name].append(dt)
            if name == "medins_ie extract":
                n_records = sum(len(d.records) for d in out)
            del out
    res: dict[str, Any] = {"docs": len(docs), "chars": n_chars, "runs": runs, "records": n_records,
                           "methods": {}}
    for name, ts in times.items():
        best = min(ts)
        res["methods"][name] = {"best_s": best, "all_s": ts, "chars_per_s": n_chars / best,
                                "us_per_char": best / n_chars * 1e6}
    m = res["methods"]
    res["ratio_extract_vs_jieba"] = m["medins_ie extract"]["best_s"] / m["jieba.lcut"]["best_s"]
    res["ratio_extract_vs_jieba_nohmm"] = m["medins_ie extract"]["best_s"] / m["jieba.lcut(HMM=False)"]["best_s"]

    print(f"corpus: {len(docs)} documents, {n_chars:,} chars; best of {runs} runs (interleaved)")
    print(f"{'method':<24}{'best s':>9}{'chars/s':>18}{'us/char':>10}   all runs (s)")
    for name, r in m.items():
        print(f"{name:<24}{r['best_s']:>9.3f}{fmt_rate(r['chars_per_s']):>18}{r['us_per_char']:>10.2f}   "
              + ", ".join(f"{t:.3f}" for t in r["all_s"]))
    print(f"extract records: {n_records:,}")
    print(f"ratio extract / jieba.lcut           = {res['ratio_extract_vs_jieba']:.2f}x the time "
          f"({1 / res['ratio_extract_vs_jieba']:.2f}x the throughput)")
    print(f"ratio extract / jieba.lcut(HMM=False) = {res['ratio_extract_vs_jieba_nohmm']:.2f}x the time")
    return res


# --------------------------------------------------------------------------- 3 stages
# (label, module, attribute path). Every module of the package that holds the same object under
# the same name (``from .normalize import normalize``) is patched too.
STAGES = [
    ("normalize", "medins_ie.normalize", "normalize"),
    ("segment", "medins_ie.segment", "segment"),
    ("meta.document_info", "medins_ie.meta", "document_info"),
    ("recognize.find_quantities", "medins_ie.recognize", "find_quantities"),
    ("recognize.find_periods", "medins_ie.recognize", "find_periods"),
    ("recognize.find_terms", "medins_ie.recognize", "find_terms"),
    ("tables.find_tables", "medins_ie.tables", "find_tables"),
    ("tables.bind_table", "medins_ie.tables", "bind_table"),
    ("relate.Relater.__init__", "medins_ie.relate", "Relater.__init__"),
    ("structure.build_tree", "medins_ie.structure", "build_tree"),
    ("relate.Relater.bind_tree", "medins_ie.relate", "Relater.bind_tree"),
    ("relate.Relater.line_is_short_heading", "medins_ie.relate", "Relater.line_is_short_heading"),
    ("validate.check", "medins_ie.validate", "check"),
    ("pipeline.Extractor._build", "medins_ie.pipeline", "Extractor._build"),
]


class StageTimer:
    """Accumulates *exclusive* wall time per wrapped callable: time of nested wrapped calls is
    subtracted from the caller (``bind_tree`` -> ``bind_table``, ``_build`` -> ``check``,
    ``document_info`` -> ``find_periods``, ``find_tables`` -> ``find_quantities`` ...)."""

    def __init__(self) -> None:
        self.excl: dict[str, float] = defaultdict(float)
        self.calls: Counter = Counter()
        self._stack: list[float] = []
        self._undo: list[tuple[Any, str, Any]] = []

    def wrapper(self, label: str, fn: Callable) -> Callable:
        stack, excl, calls = self._stack, self.excl, self.calls

        @functools.wraps(fn)
        def timed(*args, **kwargs):
            stack.append(0.0)
            t0 = perf()
            try:
                return fn(*args, **kwargs)
            finally:
                dt = perf() - t0
                child = stack.pop()
                excl[label] += dt - child
                calls[label] += 1
                if stack:
                    stack[-1] += dt
        timed.__bench_original__ = fn  # type: ignore[attr-defined]
        return timed

    def _set(self, owner: Any, name: str, value: Any) -> None:
        self._undo.append((owner, name, owner.__dict__[name]))
        setattr(owner, name, value)

    def install(self) -> list[str]:
        """Patch every stage; returns warnings for stages that could not be found."""
        import importlib
        warnings = []
        for label, modname, attr in STAGES:
            try:
                mod = importlib.import_module(modname)
                if "." in attr:
                    cls_name, meth = attr.split(".")
                    cls = getattr(mod, cls_name)
                    self._set(cls, meth, self.wrapper(label, cls.__dict__[meth]))
                    continue
                orig = getattr(mod, attr)
            except (ImportError, AttributeError, KeyError) as exc:
                warnings.append(f"stage {label}: not found ({exc!r}); skipped")
                continue
            w = self.wrapper(label, orig)
            for name, m in list(sys.modules.items()):
                if (name == "medins_ie" or name.startswith("medins_ie.")) and m is not None \
                        and m.__dict__.get(attr) is orig:
                    self._set(m, attr, w)
        return warnings

    def restore(self) -> None:
        while self._undo:
            owner, name, value = self._undo.pop()
            setattr(owner, name, value)


def bench_stages(docs: list[str], plain_best: Optional[float]) -> dict[str, Any]:
    import medins_ie
    ex = medins_ie.load()
    ex.extract(docs[0])
    timer = StageTimer()
    warnings = timer.install()
    try:
        gc.collect()
        t0 = perf()
        for t in docs:
            ex.extract(t)
        total = perf() - t0
    finally:
        timer.restore()
    # sanity: nothing left patched
    import medins_ie.pipeline as pl
    leftover = [n for n in ("normalize", "segment", "document_info") if hasattr(getattr(pl, n), "__bench_original__")]
    for w in warnings:
        print("WARNING:", w)
    if leftover:
        print("WARNING: stages still patched after restore:", leftover)

    staged = sum(timer.excl.values())
    rows = sorted(timer.excl.items(), key=lambda kv: -kv[1])
    rows.append(("(other: extract body, _resolve_overlaps, loops)", total - staged))
    print(f"one instrumented pass over the corpus: {total:.3f} s"
          + (f" (uninstrumented best {plain_best:.3f} s, overhead {100 * (total / plain_best - 1):+.1f}%)"
             if plain_best else ""))
    print(f"{'stage (exclusive time)':<48}{'seconds':>9}{'%':>7}{'calls':>9}")
    for label, sec in rows:
        print(f"{label:<48}{sec:>9.3f}{100 * sec / total:>6.1f}%{timer.calls.get(label, 0) or '':>9}")
    return {"total_s": total, "stages": {k: {"s": v, "pct": 100 * v / total, "calls": timer.calls.get(k, 0)}
                                         for k, v in rows}, "warnings": warnings}


# --------------------------------------------------------------------------- cProfile
def bench_profile(docs: list[str], top: int = 15) -> dict[str, Any]:
    import medins_ie
    ex = medins_ie.load()
    ex.extract(docs[0])
    prof = cProfile.Profile()
    prof.enable()
    for t in docs:
        ex.extract(t)
    prof.disable()
    st = pstats.Stats(prof)
    pkg = str(ROOT / "medins_ie")
    entry = {"extract", "_extract_normalized", "<lambda>"}   # the driver itself: 100% by definition

    def where(key):
        file, line, fn = key
        rel = os.path.relpath(file, ROOT) if file.startswith(str(ROOT)) else file
        return f"{fn} ({rel}:{line})"

    rows = []
    for key, (cc, nc, tt, ct, _callers) in st.stats.items():  # type: ignore[attr-defined]
        rows.append((key, nc, tt, ct))
    total = max(ct for *_, ct in rows)
    in_pkg = [r for r in rows if r[0][0].startswith(pkg) and r[0][2] not in entry]
    by_cum = sorted(in_pkg, key=lambda r: -r[3])[:top]
    by_tot = sorted(rows, key=lambda r: -r[2])[:top]
    print(f"cProfile of extract over the corpus: {total:.2f} s profiled (profiling inflates times)")
    print(f"top {top} package functions by cumulative time (extract/_extract_normalized left out):")
    print(f"{'cum s':>8}{'%':>7}{'tot s':>8}{'calls':>10}  function")
    for key, nc, tt, ct in by_cum:
        print(f"{ct:>8.3f}{100 * ct / total:>6.1f}%{tt:>8.3f}{nc:>10}  {where(key)}")
    print(f"top {top} functions by own (tot) time, any module:")
    print(f"{'tot s':>8}{'%':>7}{'cum s':>8}{'calls':>10}  function")
    for key, nc, tt, ct in by_tot:
        print(f"{tt:>8.3f}{100 * tt / total:>6.1f}%{ct:>8.3f}{nc:>10}  {where(key)}")
    enc = lambda r: {"function": where(r[0]), "calls": r[1], "tottime": r[2], "cumtime": r[3]}  # noqa: E731
    return {"profiled_s": total, "by_cumulative": [enc(r) for r in by_cum], "by_tottime": [enc(r) for r in by_tot]}


# --------------------------------------------------------------------------- children
def run_child(args: list[str], timeout: float = 7200) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--_child", *args]
    t0 = perf()
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=str(ROOT))
    wall = perf() - t0
    out = None
    for line in p.stdout.splitlines():
        if line.startswith("@@RESULT "):
            out = json.loads(line[len("@@RESULT "):])
    if p.returncode != 0 or out is None:
        err = (p.stderr or p.stdout).strip().splitlines()
        return {"error": f"exit {p.returncode}: " + " | ".join(err[-6:]), "process_wall_s": wall}
    out["process_wall_s"] = wall
    return out


def child_main(kind: str, reps: int, big_chars: int, tracemalloc_on: bool) -> None:
    """Runs in a fresh interpreter; prints one ``@@RESULT {json}`` line."""
    res: dict[str, Any] = {"kind": kind}
    if kind == "cold":
        t0 = perf()
        import medins_ie
        t1 = perf()
        ex = medins_ie.load()
        t2 = perf()
        doc = ex.extract(first_doc_text())
        t3 = perf()
        res.update(import_s=t1 - t0, load_s=t2 - t1, first_doc_s=t3 - t2, total_s=t3 - t0,
                   records=len(doc.records))
    elif kind in ("mem-corpus", "mem-big", "mem-jieba-big"):
        import tracemalloc
        if kind == "mem-jieba-big":
            jieba = _quiet_jieba()
            jieba.initialize()
            run = lambda texts: [jieba.lcut(t) for t in texts]  # noqa: E731
        else:
            import medins_ie
            ex = medins_ie.load()
            ex.extract(first_doc_text())
            run = lambda texts: [ex.extract(t) for t in texts]  # noqa: E731
        texts = corpus(reps) if kind == "mem-corpus" else [build_doc(big_chars)]
        res["chars"] = sum(map(len, texts))
        gc.collect()
        res["rss_before_mb"] = mb(current_rss_bytes() or 0)
        res["maxrss_before_mb"] = mb(maxrss_bytes())
        res["peak_rss_before_mb"] = mb(vmhwm_bytes() or maxrss_bytes())
        if tracemalloc_on:
            tracemalloc.start()
        t0 = perf()
        out = run(texts)                    # results are kept alive until the peak is read
        res["elapsed_s"] = perf() - t0
        if tracemalloc_on:
            res["tracemalloc_peak_mb"] = mb(tracemalloc.get_traced_memory()[1])
            tracemalloc.stop()
        res["maxrss_mb"] = mb(maxrss_bytes())
        res["peak_rss_mb"] = mb(vmhwm_bytes() or maxrss_bytes())
        res["rss_after_mb"] = mb(current_rss_bytes() or 0)
        if kind == "mem-jieba-big":
            res["tokens"] = sum(len(x) for x in out)
        else:
            res["records"] = sum(len(d.records) for d in out)
    else:
        raise SystemExit(f"unknown child kind {kind}")
    print("@@RESULT " + json.dumps(res), flush=True)


# --------------------------------------------------------------------------- 4 cold start
def bench_cold(n: int = 3) -> dict[str, Any]:
    runs = [run_child(["cold"]) for _ in range(n)]
    ok = [r for r in runs if "error" not in r]
    if not ok:
        print("cold start FAILED:", runs[0].get("error"))
        return {"runs": runs}
    keys = ("import_s", "load_s", "first_doc_s", "total_s", "process_wall_s")
    med = {k: statistics.median(r[k] for r in ok) for k in keys}
    print(f"fresh interpreter, median of {len(ok)} (first document = {FIRST_DOC_PREFIX}*, "
          f"{len(first_doc_text()):,} chars, {ok[0]['records']} records)")
    labels = {"import_s": "import medins_ie", "load_s": "medins_ie.load()", "first_doc_s": "first extract",
              "total_s": "total (in-process)", "process_wall_s": "process wall incl. interpreter start"}
    for k in keys:
        print(f"  {labels[k]:<40}{1000 * med[k]:>9.1f} ms   runs: "
              + ", ".join(f"{1000 * r[k]:.1f}" for r in ok))
    return {"median": med, "runs": runs}


# --------------------------------------------------------------------------- 5 memory
def bench_memory(reps: int, big_chars: Optional[int], prev: Optional[dict[str, Any]] = None,
                 save: Optional[Callable[[dict[str, Any]], None]] = None) -> dict[str, Any]:
    """Each figure from a fresh process. RSS comes from a run without tracemalloc (which costs memory of
    its own); the tracemalloc peak from a second fresh run with it on. ``prev``: child results of an
    interrupted run (``--resume``), reused; ``save`` is called after every child with the partial result."""
    jobs = [("corpus", "mem-corpus", False), ("corpus", "mem-corpus", True)]
    if big_chars:
        jobs += [("jieba-big", "mem-jieba-big", False), ("big", "mem-big", False), ("big", "mem-big", True)]
    res: dict[str, Any] = {"incomplete": True}
    for label, kind, traced in jobs:
        slot = "tracemalloc_run" if traced else "rss_run"
        base = ["--reps", str(reps), "--big-chars", str(big_chars or 0)]
        old = ((prev or {}).get(label) or {}).get(slot)
        if old and "error" not in old and old.get("chars") and (
                label == "corpus" or old["chars"] == len(build_doc(big_chars or 0))):
            out = old
        else:
            out = run_child([kind, *base] + (["--tracemalloc"] if traced else []))
        res.setdefault(label, {"rss_run": {}, "tracemalloc_run": {}})[slot] = out
        if save:
            save(res)
    del res["incomplete"]
    print(f"{'run':<34}{'chars':>12}{'RSS before':>12}{'peak before':>13}{'peak RSS':>10}{'ru_maxrss':>11}"
          f"{'tracemalloc':>13}{'time s':>9}")
    print("(peak RSS = VmHWM of the child; ru_maxrss shown too but on Linux it can carry over the peak of the\n"
          " forking parent; 'before' = after imports, load and building the input, before the timed run)")
    names = {"corpus": "extract, corpus (results kept)", "big": "extract, one big document",
             "jieba-big": "jieba.lcut only, same big doc"}
    for label, r in res.items():
        p, t = r["rss_run"], r["tracemalloc_run"]
        if "error" in p:
            print(f"{names[label]:<34} FAILED: {p['error']}")
            continue
        tm = f"{t['tracemalloc_peak_mb']:.1f} MB" if t and "tracemalloc_peak_mb" in t else (
            "FAILED" if t else "-")
        print(f"{names[label]:<34}{p['chars']:>12,}{p['rss_before_mb']:>9.0f} MB{p['peak_rss_before_mb']:>10.0f} MB"
              f"{p['peak_rss_mb']:>7.0f} MB{p['maxrss_mb']:>8.0f} MB"
              f"{tm:>13}{p['elapsed_s']:>9.1f}")
        if t and "error" in t:
            print(f"   tracemalloc run FAILED: {t['error']}")
    return res


# --------------------------------------------------------------------------- 6 scaling
def bench_scaling(sizes: tuple[int, ...], quick: bool = False,
                  reuse: Optional[dict[int, dict[str, Any]]] = None) -> dict[str, Any]:
    """``reuse`` maps a size to timings already taken in a fresh memory subprocess (the 20 M-char
    document costs many minutes per extract, so it is not run a second time in this process)."""
    import medins_ie
    jieba = _quiet_jieba()
    jieba.initialize()
    ex = medins_ie.load()
    ex.extract(first_doc_text())
    rows = []
    print(f"{'size (chars)':>14}{'extract s':>11}{'us/char':>9}{'records':>9}{'jieba s':>10}{'us/char':>9}"
          f"{'ratio':>7}")
    for n in sizes:
        if reuse and n in reuse:
            row = dict(reuse[n], target_chars=n, from_subprocess=True)
            row["jieba_us_per_char"] = row["jieba_s"] / row["chars"] * 1e6
            row["extract_us_per_char"] = row["extract_s"] / row["chars"] * 1e6
            row["ratio"] = row["extract_s"] / row["jieba_s"]
            print(f"{row['chars']:>14,}{row['extract_s']:>11.1f}{row['extract_us_per_char']:>9.2f}{row['records']:>9,}"
                  f"{row['jieba_s']:>10.1f}{row['jieba_us_per_char']:>9.2f}{row['ratio']:>7.2f}"
                  "  (timed in the fresh memory subprocesses of section 5, one run each)")
            rows.append(row)
            continue
        text = build_doc(n)
        row = {"target_chars": n, "chars": len(text)}
        try:
            if len(text) < 200_000:
                row["extract_s"] = time_small(lambda: ex.extract(text))
                row["records"] = len(ex.extract(text).records)
            else:
                reps = 3 if len(text) <= 2_000_000 and not quick else 1
                best, recs = float("inf"), None
                for _ in range(reps):
                    dt, doc = time_once(lambda: ex.extract(text))
                    best, recs = min(best, dt), len(doc.records)
                    del doc
                row["extract_s"], row["records"] = best, recs
        except Exception as exc:  # noqa: BLE001  -- report, do not fix the package here
            row["extract_error"] = f"{type(exc).__name__}: {exc}"
            traceback.print_exc()
        if len(text) < 200_000:
            row["jieba_s"] = time_small(lambda: jieba.lcut(text))
        else:
            reps = 3 if len(text) <= 2_000_000 and not quick else 1
            row["jieba_s"] = min(time_once(lambda: jieba.lcut(text))[0] for _ in range(reps))
        row["jieba_us_per_char"] = row["jieba_s"] / len(text) * 1e6
        if "extract_s" in row:
            row["extract_us_per_char"] = row["extract_s"] / len(text) * 1e6
            row["ratio"] = row["extract_s"] / row["jieba_s"]
            print(f"{len(text):>14,}{row['extract_s']:>11.4f}{row['extract_us_per_char']:>9.2f}{row['records']:>9,}"
                  f"{row['jieba_s']:>10.4f}{row['jieba_us_per_char']:>9.2f}{row['ratio']:>7.2f}")
        else:
            print(f"{len(text):>14,}  extract FAILED: {row['extract_error']}   jieba {row['jieba_s']:.3f}s")
        rows.append(row)
        sys.stdout.flush()
    ok = [r for r in rows if "extract_us_per_char" in r]
    if len(ok) >= 2:
        a, b = ok[1] if len(ok) > 2 else ok[0], ok[-1]   # skip the 1 KB row (fixed costs dominate)
        growth = b["extract_us_per_char"] / a["extract_us_per_char"]
        jgrowth = b["jieba_us_per_char"] / a["jieba_us_per_char"]
        print(f"cost per char from {a['chars']:,} to {b['chars']:,} chars: extract x{growth:.2f}, "
              f"jieba x{jgrowth:.2f} ({'flat' if growth < 1.25 else 'NOT flat: grows with document size'})")
    return {"rows": rows}


# --------------------------------------------------------------------------- 7 parallel
def bench_pipe(n_docs: int, runs: int = 2) -> dict[str, Any]:
    import medins_ie
    ex = medins_ie.load()
    seeds = seed_texts()
    docs = (seeds * (n_docs // len(seeds) + 1))[:n_docs]
    n_chars = sum(map(len, docs))
    ex.extract(docs[0])
    res: dict[str, Any] = {"docs": n_docs, "chars": n_chars}
    counts: dict[int, list[int]] = {}
    firsts: dict[int, list[Optional[str]]] = {}
    for n_proc in (1, 2):
        best = float("inf")
        for _ in range(runs):
            dt, out = time_once(lambda: list(ex.pipe(docs, n_process=n_proc)))
            best = min(best, dt)
            counts[n_proc] = [len(d.records) for d in out]
            firsts[n_proc] = [d.records[0].text if d.records else None for d in out]
            del out
        res[f"n_process={n_proc}"] = {"best_s": best, "chars_per_s": n_chars / best}
    per_seed = counts[1][:len(seeds)]
    res["speedup"] = res["n_process=1"]["best_s"] / res["n_process=2"]["best_s"]
    res["same_order_as_single"] = counts[1] == counts[2] and firsts[1] == firsts[2]
    res["counts_follow_input"] = all(c == per_seed[i % len(seeds)] for i, c in enumerate(counts[2]))
    res["records"] = sum(counts[1])
    print(f"{n_docs} documents ({n_chars:,} chars), pipe(batch_size=16), best of {runs} "
          f"(process pool start-up included)")
    for n_proc in (1, 2):
        r = res[f"n_process={n_proc}"]
        print(f"  n_process={n_proc}: {r['best_s']:.3f} s   {fmt_rate(r['chars_per_s'])}")
    print(f"  speed-up n_process=2 / n_process=1: x{res['speedup']:.2f}  (machine has {os.cpu_count()} CPUs)")
    print(f"  results in input order (per-document record counts and first record identical to "
          f"n_process=1): {'yes' if res['same_order_as_single'] else 'NO'}; "
          f"counts repeat with the seeds: {'yes' if res['counts_follow_input'] else 'NO'}")
    return res


# --------------------------------------------------------------------------- main
def machine_info() -> dict[str, Any]:
    import medins_ie
    info = {
        "platform": platform.platform(), "machine": platform.machine(),
        "processor": platform.processor() or "?", "cpu_count": os.cpu_count(),
        "cpu_affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "medins_ie": getattr(medins_ie, "__version__", "?"), "git": git_rev(),
    }
    try:
        with open("/proc/cpuinfo") as fh:
            model = next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), None)
        if model:
            info["cpu_model"] = model
    except OSError:
        pass
    for pkg in ("jieba", "regex"):
        try:
            from importlib.metadata import version
            info[pkg] = version(pkg)
        except Exception:  # noqa: BLE001
            info[pkg] = "?"
    return info


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="x2 corpus, no 20 M-char document")
    ap.add_argument("--json", metavar="OUT", help="write every number to this JSON file")
    ap.add_argument("--only", metavar="LIST",
                    help="run only these sections, comma-separated: " + ",".join(SECTIONS))
    ap.add_argument("--resume", action="store_true",
                    help="with --json: keep the sections already in that file (without errors), run the rest")
    ap.add_argument("--_child", help=argparse.SUPPRESS)
    ap.add_argument("--reps", type=int, default=20, help=argparse.SUPPRESS)
    ap.add_argument("--big-chars", type=int, default=BIG_CHARS, metavar="N",
                    help="size in characters of the big document (memory + last scaling row); default "
                         "20,000,000")
    ap.add_argument("--tracemalloc", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a._child:
        child_main(a._child, a.reps, a.big_chars, a.tracemalloc)
        return 0

    reps = 2 if a.quick else 20
    sizes = tuple(s for s in SCALING_SIZES if not (a.quick and s >= BIG_CHARS))
    big = None if a.quick else a.big_chars
    sizes = tuple(sorted(set(s for s in sizes if s < BIG_CHARS) | ({big} if big else set())))
    pipe_docs = 40 if a.quick else PIPE_DOCS
    t_start = perf()

    info = machine_info()
    print("medins_ie benchmark" + (" (--quick)" if a.quick else ""))
    print(f"machine: {info['platform']} | {info.get('cpu_model', info['processor'])} | "
          f"{info['cpu_count']} CPUs (affinity {info['cpu_affinity']}) | {info['python']}")
    print(f"versions: medins_ie {info['medins_ie']} (git {info['git']}), jieba {info['jieba']}, "
          f"regex {info['regex']}")
    results: dict[str, Any] = {"machine": info, "quick": a.quick, "corpus_reps": reps}
    prev_memory = None
    only = set(a.only.split(",")) if a.only else set(SECTIONS)
    if only - set(SECTIONS):
        raise SystemExit(f"unknown section(s) {sorted(only - set(SECTIONS))}; known: {','.join(SECTIONS)}")
    if a.resume and a.json and Path(a.json).exists():
        old = json.loads(Path(a.json).read_text(encoding="utf-8"))
        if old.get("quick") != a.quick:
            raise SystemExit("--resume: the JSON file was written with a different --quick setting")
        if old.get("machine", {}).get("git") != info["git"]:
            print(f"WARNING: resuming a run of git {old.get('machine', {}).get('git')} at git {info['git']}")
        results["wall_s"] = old.get("wall_s", 0)
        for k in SECTIONS:
            if isinstance(old.get(k), dict) and "error" not in old[k] and "incomplete" not in old[k]:
                results[k] = old[k]
                only.discard(k)
        prev_memory = old.get("memory") if isinstance(old.get("memory"), dict) else None
        print("resumed: kept " + (", ".join(k for k in SECTIONS if k in results) or "nothing")
              + "; running " + (", ".join(k for k in SECTIONS if k in only) or "nothing"))
    docs = corpus(reps)

    def step(key: str, title: str, fn: Callable[[], Any]) -> None:
        if key not in only:
            return
        section(title)
        try:
            results[key] = fn()
        except Exception as exc:  # noqa: BLE001  -- a crash in one part is reported, the rest still runs
            traceback.print_exc(file=sys.stdout)
            results[key] = {"error": f"{type(exc).__name__}: {exc}"}
            print(f"FAILED: {type(exc).__name__}: {exc}")
        if a.json:                          # partial results survive a run that is killed half-way
            Path(a.json).write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")

    step("throughput", f"1-2. throughput: seeds x{reps}", lambda: bench_throughput(docs))
    plain = results.get("throughput", {}).get("methods", {}).get("medins_ie extract", {}).get("best_s")
    step("stages", "3. per-stage breakdown of extract (same corpus, exclusive time)",
         lambda: bench_stages(docs, plain))
    step("profile", "3b. cProfile hot spots (same corpus)", lambda: bench_profile(docs))
    step("cold_start", "4. cold start (fresh subprocess)", bench_cold)
    def save_memory(partial: dict[str, Any]) -> None:
        if a.json:
            Path(a.json).write_text(json.dumps(dict(results, memory=partial), indent=2, ensure_ascii=False),
                                    encoding="utf-8")

    step("memory", "5. peak memory (fresh subprocesses)", lambda: bench_memory(reps, big, prev_memory, save_memory))
    reuse = {}
    mem = results.get("memory", {})
    try:
        e, j = mem["big"]["rss_run"], mem["jieba-big"]["rss_run"]
        if "error" not in e and "error" not in j:
            reuse[big] = {"chars": e["chars"], "extract_s": e["elapsed_s"], "records": e["records"],
                          "jieba_s": j["elapsed_s"]}
    except (KeyError, TypeError):
        pass
    step("scaling", "6. scaling: one document of growing size", lambda: bench_scaling(sizes, a.quick, reuse))
    step("pipe", f"7. parallel: Extractor.pipe over {pipe_docs} documents", lambda: bench_pipe(pipe_docs))

    results["wall_s"] = perf() - t_start + (results.get("wall_s", 0) if a.resume else 0)
    section(f"done in {results['wall_s']:.0f} s")
    if a.json:
        Path(a.json).write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
        print(f"numbers written to {a.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
