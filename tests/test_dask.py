"""medins_ie.dask on a distributed.LocalCluster of 2 worker processes: poisoned documents, a worker killed
mid-job, resume, the model loaded once per worker, Dask DataFrames, and the crawl command."""

from __future__ import annotations

import dataclasses
import os
import signal
import sys

import pytest

if os.environ.get("CI"):   # CI installs the test extras: there, a missing dask is a failure, not a skip
    import dask  # noqa: F401
    import distributed  # noqa: F401
    import pyarrow  # noqa: F401
dask = pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")
pq = pytest.importorskip("pyarrow.parquet")
pd = pytest.importorskip("pandas")

import dask.bag as db  # noqa: E402
import dask.dataframe as dd  # noqa: E402

from medins_ie import flat  # noqa: E402
from medins_ie import dask as mdask  # noqa: E402
from medins_ie.cli import main  # noqa: E402

from conftest import FIXTURES  # noqa: E402

KILLER = "KILLS_ITS_WORKER"   # a document containing this makes the test plugin end its worker process


class PoisonPlugin(distributed.WorkerPlugin):
    """On every worker (restarted ones too): a document holding ``KILLER`` ends the process, as a crash would."""

    name = "medins-poison"

    def setup(self, worker):  # noqa: ANN001
        import medins_ie.pipeline as pipeline

        original = pipeline.Extractor._flat_values
        if getattr(original, "poisoned", False):
            return

        def poisoned(self, source, html):  # noqa: ANN001
            if KILLER in source:
                os._exit(1)
            return original(self, source, html)

        poisoned.poisoned = True
        pipeline.Extractor._flat_values = poisoned


@pytest.fixture(scope="module")
def cluster():
    import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  memory_limit="3GiB") as c:
        yield c


@pytest.fixture(scope="module")
def client(cluster):
    with distributed.Client(cluster) as c:
        c.register_plugin(PoisonPlugin())
        yield c


@pytest.fixture
def allowed_failures(cluster):
    """Set how many worker deaths a task survives before it is failed as a killer (KilledWorker)."""
    def set_(n: int) -> None:
        cluster.scheduler.allowed_failures = n
    yield set_
    cluster.scheduler.allowed_failures = dask.config.get("distributed.scheduler.allowed-failures")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, extractor):
    """24 fixture documents as files, with the records extract gives for each."""
    folder = tmp_path_factory.mktemp("corpus")
    texts = sorted(FIXTURES.glob("*.txt"))[:24]
    expected = {}
    for p in texts:
        text = p.read_text(encoding="utf-8")
        (folder / p.name).write_text(text, encoding="utf-8")
        expected[str(folder / p.name)] = [dataclasses.replace(r, evidence=[]) for r in extractor.extract(text).records]
    return folder, expected


def _read(out) -> tuple[dict[str, list], list[dict]]:
    records: dict[str, list] = {}
    for row in pq.read_table(out / "records").to_pylist():
        records.setdefault(row["document"], []).append(flat.record_of(row))
    return records, pq.read_table(out / "errors").to_pylist()


def _check_complete(out, expected) -> list[dict]:
    records, errors = _read(out)
    for doc, want in expected.items():
        assert records.get(doc, []) == want, doc
    assert set(records) <= set(expected)
    return errors


def test_poisoned_documents_become_error_rows(client, corpus, tmp_path, allowed_failures):
    folder, expected = corpus
    allowed_failures(0)   # each killing attempt costs a worker restart: keep them few
    (folder.parent / "poison").mkdir(exist_ok=True)
    binary = folder.parent / "poison" / "binary.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xff\xff\xff")
    killer = folder.parent / "poison" / "killer.txt"
    killer.write_text("2024年,职工医保基金收入4.21亿元。" + KILLER, encoding="utf-8")
    missing = folder.parent / "poison" / "missing.txt"
    items = sorted(expected)[:6] + [str(binary), str(killer), str(missing)] + sorted(expected)[6:12]
    out = tmp_path / "out"
    report = mdask.to_parquet(items, out, client=client, partition_size=3, paths=True)
    assert report.partitions == report.written == 5
    assert report.recovered >= 1   # the killer's partition (and any queued on the worker it took down)
    assert report.documents == len(items) and report.failed == 3
    errors = _check_complete(out, {d: expected[d] for d in items if d in expected})
    reasons = {e["document"]: e["reason"] for e in errors}
    assert set(reasons) == {str(binary), str(killer), str(missing)}
    assert reasons[str(binary)].startswith("DecodeError")
    assert reasons[str(missing)].startswith("FileNotFoundError")
    assert "worker died" in reasons[str(killer)] and "KilledWorker" in reasons[str(killer)]


def test_a_worker_killed_mid_job_does_not_stop_it(client, corpus, tmp_path, allowed_failures):
    folder, expected = corpus
    allowed_failures(1)   # the task that was running on the killed worker is simply run again
    items = sorted(expected) * 3
    items = [(f"{n}:{p}", p) for n, p in enumerate(items)]
    killed: list[int] = []

    def kill_one_busy_worker(report) -> None:
        if report.written != 1 or killed:
            return
        busy = [w for w, tasks in client.processing().items() if tasks]
        pids = client.run(os.getpid, workers=busy[:1])
        for pid in pids.values():
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    out = tmp_path / "out"
    report = mdask.to_parquet(items, out, client=client, partition_size=3, paths=True, progress=kill_one_busy_worker)
    assert killed, "no worker was busy to be killed"
    assert report.written == report.partitions == 24 and report.failed == 0 and report.recovered == 0
    records, errors = _read(out)
    assert errors == []
    for doc_id, path in items:
        assert records.get(doc_id, []) == expected[path], doc_id
    client.wait_for_workers(2, timeout=60)


def test_an_interrupted_run_resumes_where_it_stopped(client, corpus, tmp_path):
    folder, expected = corpus

    class Stop(Exception):
        pass

    def stop_after_three(report) -> None:
        if report.written >= 3:
            raise Stop

    out = tmp_path / "out"
    with pytest.raises(Stop):
        mdask.to_parquet(folder, out, client=client, partition_size=2, progress=stop_after_three)
    first = sorted(p.name for p in (out / "records").glob("part-*.parquet"))
    assert 3 <= len(first) < 12
    report = mdask.to_parquet(folder, out, client=client, partition_size=2)
    assert report.partitions == 12 and report.skipped >= 3 and report.skipped + report.written == 12
    assert report.documents == 2 * report.written
    assert _check_complete(out, expected) == []
    for part in (out / "records").glob("part-*.parquet"):   # every file has the documented schema
        assert pq.read_schema(part).equals(flat.arrow_schema(), check_metadata=False), part.name
    frame = pd.read_parquet(out / "records")                # and pandas reads the folder as one table
    assert list(frame.columns) == list(flat.NAMES) and len(frame) == sum(len(v) for v in expected.values())
    assert frame["value"].dtype == "float64" and frame["span_start"].dtype == "int64"
    assert set(frame["document"]) == {d for d, v in expected.items() if v}
    again = mdask.to_parquet(folder, out, client=client, partition_size=2)
    assert again.skipped == 12 and again.written == 0
    with pytest.raises(ValueError, match="other inputs"):
        mdask.to_parquet(folder, out, client=client, partition_size=3)


def test_the_model_is_loaded_once_per_worker(client, corpus):
    folder, expected = corpus
    records, errors = mdask.extract_bag(db.from_sequence(sorted(expected), npartitions=8), paths=True)
    frame, errs = dask.compute(records, errors)
    assert len(frame) == sum(len(v) for v in expected.values()) and len(errs) == 0
    loads = client.run(mdask.model_loads)
    assert loads and all(n == 1 for n in loads.values()), loads


def test_bags_of_texts_and_series_give_dask_dataframes(client, corpus):
    folder, expected = corpus
    paths = sorted(expected)[:8]
    texts = [open(p, encoding="utf-8").read() for p in paths]
    records, errors = mdask.extract_bag(db.from_sequence(list(zip(paths, texts)) + [("bad", None)], npartitions=3))
    assert isinstance(records, dd.DataFrame) and list(records.columns) == list(flat.NAMES)
    frame, errs = dask.compute(records, errors)
    assert list(errs["document"]) == ["bad"] and errs["reason"].iloc[0].startswith("TypeError")
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    got: dict[str, list] = {}
    for row in rows:
        got.setdefault(row["document"], []).append(flat.record_of(row))
    assert got == {p: expected[p] for p in paths if expected[p]}

    series = dd.from_pandas(pd.Series(texts, index=[f"doc{i}" for i in range(len(texts))]), npartitions=2)
    frame2, _ = dask.compute(*mdask.extract_series(series))
    assert sorted(set(frame2["document"])) == sorted(f"doc{i}" for i, p in enumerate(paths) if expected[p])
    assert len(frame2) == sum(len(expected[p]) for p in paths)


def test_crawl_command_on_a_running_scheduler(client, corpus, tmp_path, capsys):
    folder, expected = corpus
    address = client.scheduler.address
    out = tmp_path / "out"
    assert main(["crawl", str(folder), "-o", str(out), "--scheduler", address, "--partition-size", "5"]) == 0
    err = capsys.readouterr().err
    assert "5 partitions (0 from an earlier run), 24 documents" in err
    assert _check_complete(out, expected) == []
    assert main(["crawl", str(folder), "-o", str(out), "--scheduler", address, "--partition-size", "5"]) == 0
    assert "5 partitions (5 from an earlier run)" in capsys.readouterr().err
    assert main(["crawl", str(folder), "-o", str(out), "--scheduler", address, "--partition-size", "4"]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert main(["crawl", str(tmp_path / "nowhere"), "-o", str(out)]) == 2
