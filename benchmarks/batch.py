#!/usr/bin/env python
"""Batch benchmark: the flat path in 1 vs 2 processes, JSON serialisation against extract, Dask 1 vs 2 workers.

    python benchmarks/batch.py                                  # all sections (~6-8 min on 2 cores)
    python benchmarks/batch.py --only flat --rounds 5
    python benchmarks/batch.py --json benchmarks/results-batch.json | tee benchmarks/results-batch.txt

Every speed is a ratio of two timings taken in this one run on the same input, in interleaved rounds so
that drift of a shared machine hits both sides; the load average is printed beside each round. See
benchmarks/README.md ("Batch benchmark") for what each number means. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

FIXTURES = ROOT / "fixtures"
SECTIONS = ("flat", "serialize", "dask")
perf = time.perf_counter


def machine() -> dict[str, Any]:
    """What the numbers ran on: CPU model, CPU count, memory, Python, git revision."""
    info: dict[str, Any] = {"platform": platform.platform(), "python": platform.python_version(),
                            "cpus": os.cpu_count()}
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        for line in lscpu.splitlines():
            key, _, value = line.partition(":")
            if key.strip() in ("Model name", "CPU(s)", "Thread(s) per core", "Hypervisor vendor"):
                info[key.strip()] = value.strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    try:
        info["nproc"] = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
        rev = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "medins_ie", "models"],
                               capture_output=True, text=True).stdout.strip()
        info["revision"] = rev.stdout.strip() + ("+dirty" if dirty else "")
    except OSError:
        pass
    return info


def load() -> float:
    return round(os.getloadavg()[0], 2)


def _spin(n: int = 2_000_000) -> float:
    start = perf()
    x = 0
    for i in range(n):
        x += i * i % 7
    return perf() - start


def capacity() -> float:
    """How much of two CPUs this process can get right now: a pure-Python loop in 2 processes at once against 1.

    2.0 on an idle 2-core machine; less when other people's work holds the cores. The ceiling of any
    2-process speed-up measured at the same moment.
    """
    import multiprocessing

    one = min(_spin() for _ in range(2))
    with multiprocessing.get_context("fork").Pool(2) as pool:
        pool.map(_spin, [10, 10])
        start = perf()
        pool.map(_spin, [2_000_000, 2_000_000])
        two = perf() - start
    return round(2 * one / two, 2)


class CpuMeter:
    """CPU seconds of this process and of every process it started (pool workers, forkserver) since creation.

    Children are sampled while they live (a pool's workers are gone when it closes), so call ``sample()`` often.
    """

    def __init__(self) -> None:
        import psutil

        self._me = psutil.Process()
        self._own0 = time.process_time()
        self._base = {c.pid: self._cpu(c) for c in self._me.children(recursive=True)}
        self._last: dict[int, float] = dict(self._base)

    @staticmethod
    def _cpu(proc: Any) -> float:
        try:
            t = proc.cpu_times()
            return t.user + t.system
        except Exception:  # the process ended between listing and reading
            return 0.0

    def sample(self) -> None:
        for c in self._me.children(recursive=True):
            cpu = self._cpu(c)
            if cpu:
                self._last[c.pid] = max(cpu, self._last.get(c.pid, 0.0))

    def done(self) -> tuple[float, float]:
        self.sample()
        workers = sum(v - self._base.get(pid, 0.0) for pid, v in self._last.items())
        return time.process_time() - self._own0, workers


def idle(seconds: float = 3.0) -> float:
    """Fraction of all CPUs idle over the next ``seconds`` (from /proc/stat; 1.0 where it is unreadable)."""
    def read() -> tuple[int, int]:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
        return fields[3] + fields[4], sum(fields[:8])
    try:
        idle0, total0 = read()
        time.sleep(seconds)
        idle1, total1 = read()
    except OSError:
        return 1.0
    return round((idle1 - idle0) / max(1, total1 - total0), 2)


def wait_for_capacity(minimum: float, max_wait: float) -> tuple[float, float]:
    """Wait (polling, at most ``max_wait`` s) until the CPUs were at least ``minimum`` / 2 idle for 3 s.

    ``minimum`` is in CPUs of a 2-CPU machine (1.9: both nearly idle). Returns the 2-process capacity measured
    then (see ``capacity``) and the seconds waited. ``minimum`` 0 does not wait.
    """
    start = perf()
    while minimum > 0 and idle() * 2 < minimum and perf() - start < max_wait:
        time.sleep(7)
    return capacity(), round(perf() - start, 1)


def corpus(n_docs: int, seed: int = 12) -> list[str]:
    """``n_docs`` documents: every fixture text (``fixtures/*.txt``) repeated, in a seeded shuffled order."""
    texts = [p.read_text(encoding="utf-8") for p in sorted(FIXTURES.glob("*.txt"))]
    docs = [texts[i % len(texts)] for i in range(n_docs)]
    random.Random(seed).shuffle(docs)
    return docs


def spread(values: list[float]) -> dict[str, float]:
    return {"median": round(statistics.median(values), 3), "min": round(min(values), 3),
            "max": round(max(values), 3)}


# --------------------------------------------------------------------------- flat: 1 vs 2 processes
def bench_flat(docs: list[str], rounds: int, batch_size: int, min_capacity: float = 0.0,
               max_wait: float = 0.0) -> dict[str, Any]:
    import medins_ie

    ex = medins_ie.load()
    ex.extract(docs[0])

    def run(n: int) -> tuple[float, int, float, float]:
        """Wall time, rows, this process's CPU time and its worker processes' CPU time."""
        cpu = CpuMeter()
        start = perf()
        rows = 0
        for b in ex.pipe_flat(docs, batch_size=batch_size, n_process=n):
            rows += len(b)
            cpu.sample()
        wall = perf() - start
        own, workers = cpu.done()
        return wall, rows, own, workers

    result: dict[str, Any] = {"documents": len(docs), "characters": sum(map(len, docs)), "batch_size": batch_size,
                              "rounds": []}
    print(f"\n== flat path: Extractor.pipe_flat on {len(docs):,} documents ({result['characters']:,} characters), "
          f"batch_size={batch_size}, pool start-up included")
    print(f"{'round':>5} {'1 process s':>12} {'2 processes s':>14} {'ratio':>7} {'load before/after':>18} "
          f"{'capacity':>9} {'CPU share 1p/2p':>16}")
    for r in range(rounds):
        cap, waited = wait_for_capacity(min_capacity, max_wait)
        before = load()
        order = (1, 2) if r % 2 == 0 else (2, 1)   # alternate which side runs first
        times, share, cpu = {}, {}, {}
        for n in order:
            times[n], rows, own, workers = run(n)
            cpu[n] = (round(own, 2), round(workers, 2))
            share[n] = round((own + workers) / (times[n] * n), 2)
        after = load()
        ratio = times[1] / times[2]
        result["rounds"].append({"one": round(times[1], 3), "two": round(times[2], 3), "ratio": round(ratio, 3),
                                 "rows": rows, "load_before": before, "load_after": after, "capacity": cap,
                                 "waited_s": waited, "cpu_one": cpu[1], "cpu_two": cpu[2],
                                 "cpu_share_one": share[1], "cpu_share_two": share[2]})
        print(f"{r + 1:>5} {times[1]:>12.2f} {times[2]:>14.2f} {ratio:>6.2f}x {before:>8.2f}/{after:<8.2f} "
              f"{cap:>8.2f}x {share[1]:>8.2f}/{share[2]:<7.2f}")
    ratios = [x["ratio"] for x in result["rounds"]]
    result["ratio"] = spread(ratios)
    best1, best2 = min(x["one"] for x in result["rounds"]), min(x["two"] for x in result["rounds"])
    result["ratio_of_best"] = round(best1 / best2, 3)
    result["docs_per_s_one"] = round(len(docs) / best1, 1)
    print(f"ratio 2 processes over 1: median {result['ratio']['median']:.2f}x, min {result['ratio']['min']:.2f}x, "
          f"max {result['ratio']['max']:.2f}x; best-of-rounds {result['ratio_of_best']:.2f}x; "
          f"one process {result['docs_per_s_one']:.0f} docs/s")
    return result


# --------------------------------------------------------------------------- JSON against extract
def bench_serialize(reps: int) -> dict[str, Any]:
    import medins_ie

    ex = medins_ie.load()
    rows = []

    def best(f: Callable[[], Any]) -> float:
        times = []
        for _ in range(reps):
            start = perf()
            f()
            times.append(perf() - start)
        return min(times)

    for path in sorted(FIXTURES.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        doc = ex.extract(text)
        if not doc.records:
            continue
        js = doc.to_json()
        t_ex, t_to, t_from = best(lambda: ex.extract(text)), best(doc.to_json), \
            best(lambda: medins_ie.Document.from_json(js))
        assert medins_ie.Document.from_json(js) == doc
        rows.append({"document": path.name, "records": len(doc.records), "extract_ms": round(t_ex * 1e3, 2),
                     "to_json_ms": round(t_to * 1e3, 2), "from_json_ms": round(t_from * 1e3, 2),
                     "to_json_over_extract": round(t_to / t_ex, 3), "from_json_over_extract": round(t_from / t_ex, 3)})
    largest = max(rows, key=lambda r: r["records"])
    result = {"documents": rows, "largest": largest,
              "max_to_json_over_extract": max(r["to_json_over_extract"] for r in rows),
              "max_from_json_over_extract": max(r["from_json_over_extract"] for r in rows),
              "total_extract_ms": round(sum(r["extract_ms"] for r in rows), 1),
              "total_to_json_ms": round(sum(r["to_json_ms"] for r in rows), 1),
              "total_from_json_ms": round(sum(r["from_json_ms"] for r in rows), 1)}
    print(f"\n== serialisation: Document.to_json / from_json against extract of the same document "
          f"(best of {reps}, {len(rows)} fixtures with records)")
    print(f"largest ({largest['document']}, {largest['records']} records): extract {largest['extract_ms']:.1f} ms, "
          f"to_json {largest['to_json_ms']:.1f} ms ({largest['to_json_over_extract']:.2f}x), from_json "
          f"{largest['from_json_ms']:.1f} ms ({largest['from_json_over_extract']:.2f}x)")
    print(f"all fixtures: extract {result['total_extract_ms']:.0f} ms, to_json {result['total_to_json_ms']:.0f} ms, "
          f"from_json {result['total_from_json_ms']:.0f} ms; worst document: to_json "
          f"{result['max_to_json_over_extract']:.2f}x, from_json {result['max_from_json_over_extract']:.2f}x extract")
    return result


# --------------------------------------------------------------------------- Dask: 1 vs 2 workers, and the pool
def _peak_rss_mb() -> float:
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def bench_dask(docs: list[str], rounds: int, partition_size: int, min_capacity: float = 0.0,
               max_wait: float = 0.0) -> dict[str, Any]:
    import shutil

    import medins_ie
    from distributed import Client, LocalCluster
    from medins_ie import dask as mdask
    from medins_ie.flat import ParquetSink

    work = Path(tempfile.mkdtemp(prefix="medins-bench-"))
    src = work / "in"
    src.mkdir()
    for i, text in enumerate(docs):
        (src / f"{i:06d}.txt").write_text(text, encoding="utf-8")
    paths = sorted(str(p) for p in src.iterdir())
    result: dict[str, Any] = {"documents": len(docs), "partition_size": partition_size, "rounds": []}
    print(f"\n== Dask: to_parquet of {len(docs):,} files (partitions of {partition_size}) on a LocalCluster, "
          f"against the process pool (pipe_flat + ParquetSink) doing the same files to Parquet")
    print(f"{'round':>5} {'pool 2p s':>10} {'dask 1w s':>10} {'dask 2w s':>10} {'2w/1w':>7} {'dask/pool':>10} "
          f"{'start 1w/2w s':>14} {'worker MB':>10} {'load':>11} {'capacity':>9}")
    ex = medins_ie.load()
    try:
        for r in range(rounds):
            cap, waited = wait_for_capacity(min_capacity, max_wait)
            row: dict[str, Any] = {"capacity": cap, "waited_s": waited}
            before = load()
            out = work / "pool"
            start = perf()
            with ParquetSink(out) as sink:
                for batch in ex.pipe_flat([Path(p) for p in paths], n_process=2):
                    sink.write(batch)
            row["pool_two"] = round(perf() - start, 3)
            shutil.rmtree(out)
            for n in (1, 2):
                start = perf()
                with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None) as cl, \
                        Client(cl) as client:
                    row[f"start_{n}"] = round(perf() - start, 3)
                    out = work / f"dask{n}"
                    start = perf()
                    report = mdask.to_parquet(paths, out, client=client, partition_size=partition_size, paths=True)
                    row[f"dask_{n}"] = round(perf() - start, 3)
                    assert report.documents == len(paths) and report.failed == 0
                    row[f"worker_peak_mb_{n}"] = sorted(round(v, 1) for v in client.run(_peak_rss_mb).values())
                    row[f"records_{n}"] = report.records
                    row[f"parquet_bytes_{n}"] = sum(f.stat().st_size for f in (out / "records").glob("*.parquet"))
                shutil.rmtree(out)
            row["ratio"] = round(row["dask_1"] / row["dask_2"], 3)
            row["overhead"] = round(row["dask_2"] / row["pool_two"], 3)
            row["load_before"], row["load_after"] = before, load()
            result["rounds"].append(row)
            print(f"{r + 1:>5} {row['pool_two']:>10.2f} {row['dask_1']:>10.2f} {row['dask_2']:>10.2f} "
                  f"{row['ratio']:>6.2f}x {row['overhead']:>9.2f}x {row['start_1']:>6.1f}/{row['start_2']:<7.1f} "
                  f"{max(row['worker_peak_mb_2']):>10.0f} {before:>5.2f}/{row['load_after']:<5.2f} "
                  f"{row['capacity']:>8.2f}x")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result["ratio"] = spread([x["ratio"] for x in result["rounds"]])
    result["overhead"] = spread([x["overhead"] for x in result["rounds"]])
    result["worker_peak_mb"] = max(max(x["worker_peak_mb_2"]) for x in result["rounds"])
    result["docs_per_s_two_workers"] = round(len(docs) / min(x["dask_2"] for x in result["rounds"]), 1)
    last = result["rounds"][-1]
    result["parquet_bytes_per_record"] = round(last["parquet_bytes_2"] / last["records_2"], 1)
    result["records_per_document"] = round(last["records_2"] / len(docs), 1)
    print(f"dask 2 workers over 1: median {result['ratio']['median']:.2f}x ({result['ratio']['min']:.2f}-"
          f"{result['ratio']['max']:.2f}); dask 2 workers / pool 2 processes: median {result['overhead']['median']:.2f}x "
          f"({result['overhead']['min']:.2f}-{result['overhead']['max']:.2f}); peak RSS per worker "
          f"{result['worker_peak_mb']:.0f} MB; {result['docs_per_s_two_workers']:.0f} docs/s with 2 workers; "
          f"{result['records_per_document']:.1f} records per document, {result['parquet_bytes_per_record']:.0f} bytes "
          f"of Parquet per record")
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=2200, help="documents in the corpus (default 2,200)")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds of the flat section (default 3)")
    ap.add_argument("--dask-rounds", type=int, default=2, help="rounds of the Dask section (default 2)")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--partition-size", type=int, default=100)
    ap.add_argument("--only", help="comma-separated sections: " + ",".join(SECTIONS))
    ap.add_argument("--min-capacity", type=float, default=0.0,
                    help="before each flat and dask round, wait until the machine's 2-process capacity reaches this (e.g. 1.9)")
    ap.add_argument("--max-wait", type=float, default=900.0, help="longest wait for --min-capacity, per round (s)")
    ap.add_argument("--json", help="write every number to this JSON file")
    args = ap.parse_args()
    sections = args.only.split(",") if args.only else list(SECTIONS)
    results: dict[str, Any] = {"machine": machine(), "started": time.strftime("%Y-%m-%d %H:%M:%S"),
                               "load_at_start": list(os.getloadavg())}
    m = results["machine"]
    print(f"machine: {m.get('Model name', platform.processor())}, {m.get('nproc')} CPUs (lscpu: {m.get('CPU(s)')}), "
          f"{m.get('Hypervisor vendor', 'no hypervisor')} VM; Python {m['python']}; revision {m.get('revision')}")
    print(f"load average at start: {results['load_at_start']}")
    docs = corpus(args.docs)
    if "flat" in sections:
        results["flat"] = bench_flat(docs, args.rounds, args.batch_size, args.min_capacity, args.max_wait)
    if "serialize" in sections:
        results["serialize"] = bench_serialize(5)
    if "dask" in sections:
        results["dask"] = bench_dask(docs, args.dask_rounds, args.partition_size, args.min_capacity, args.max_wait)
    results["load_at_end"] = list(os.getloadavg())
    print(f"\nload average at end: {results['load_at_end']}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
