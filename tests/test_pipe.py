"""``Extractor.pipe(n_process=2)`` from a plain script, as the README shows it (no ``__main__`` guard)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import medins_ie

SCRIPT = textwrap.dedent("""
    import medins_ie
    print("START", flush=True)
    texts = ["2024年,全县基金支出%d亿元。" % i for i in range(1, 41)]
    nlp = medins_ie.load()
    docs = list(nlp.pipe(texts, n_process=2, batch_size=4))
    print("VALUES", ",".join(str(d.records[0].value) for d in docs), flush=True)
""")


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=180)


def test_pipe_in_a_script_without_main_guard(tmp_path):
    (tmp_path / "noguard.py").write_text(SCRIPT, encoding="utf-8")
    for args in (["noguard.py"], ["-m", "noguard"]):  # run as a file and as a module
        result = _run(args, tmp_path)
        assert result.returncode == 0, result.stderr[-2000:]
        assert result.stdout.count("START") == 1, result.stdout  # the workers did not run the script again
        values = result.stdout.split("VALUES ", 1)[1].strip().split(",")
        assert [float(v) for v in values] == [i * 1e8 for i in range(1, 41)]


def test_pipe_ships_str_subclasses_and_reports_non_text():
    class Page(str):
        pass

    texts = [Page("2024年,全县基金支出1亿元。"), 42, "2024年,全县基金收入2亿元。"] * 4
    docs = list(medins_ie.load().pipe(texts, n_process=2, batch_size=1))
    assert [len(d.records) for d in docs] == [1, 0, 1] * 4
    assert all("not int" in d.meta.warnings[0] for d in docs[1::3])
