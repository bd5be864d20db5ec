"""The medins-ie command line."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

from medins_ie.cli import main

from conftest import FIXTURES, SEEDS


def run(args, capsys, stdin: bytes | None = None, monkeypatch=None):
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_extract_json_has_records_with_spans(capsys):
    code, out, _ = run(["extract", str(SEEDS[4]), "--format", "json"], capsys)
    assert code == 0
    [doc] = json.loads(out)
    assert doc["document"] == str(SEEDS[4])
    text = SEEDS[4].read_text(encoding="utf-8")
    assert doc["records"] and all(text[r["span"][0]:r["span"][1]] == r["text"] for r in doc["records"])


def test_extract_csv_and_jsonl_and_table(capsys):
    code, out, _ = run(["extract", str(SEEDS[0]), str(SEEDS[4]), "--format", "csv"], capsys)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and {r["document"] for r in rows} == {str(SEEDS[0]), str(SEEDS[4])}
    assert rows[0]["metric"] and rows[0]["start"].isdigit()
    code, out, _ = run(["extract", str(SEEDS[0]), str(SEEDS[4]), "--format", "jsonl"], capsys)
    assert [json.loads(line)["document"] for line in out.splitlines()] == [str(SEEDS[0]), str(SEEDS[4])]
    code, out, _ = run(["extract", str(SEEDS[0])], capsys)
    assert "7.82億元" in out and "basic_medical" in out


def test_stdin(capsys, monkeypatch):
    code, out, _ = run(["extract", "-", "--format", "json"], capsys, stdin="2024年,全县基金支出1.5亿元。".encode(),
                       monkeypatch=monkeypatch)
    assert code == 0 and json.loads(out)[0]["records"][0]["value"] == 150000000.0


def test_bad_file_is_reported_and_the_rest_goes_on(tmp_path, capsys):
    bad = tmp_path / "bad.txt"
    bad.write_bytes("收入".encode("utf-8") + b"\x80\x80\xff" * 3)
    missing = tmp_path / "missing.txt"
    code, out, err = run(["extract", str(bad), str(missing), str(SEEDS[4]), "--format", "jsonl"], capsys)
    assert code == 1
    assert "bad.txt" in err and "missing.txt" in err and "2 of 3 input(s) failed" in err
    assert len(out.splitlines()) == 1


def test_gb18030_input(tmp_path, capsys):
    p = tmp_path / "gb.txt"
    p.write_bytes("2024年,全县城乡居民医保基金收入3.61亿元。".encode("gb18030"))
    code, out, _ = run(["extract", str(p), "--format", "json"], capsys)
    [doc] = json.loads(out)
    assert code == 0 and doc["records"][0]["value"] == 361000000.0
    assert any("gb" in w.lower() for w in doc["meta"]["warnings"])


def test_eval_and_fixtures_check(tmp_path, capsys):
    gold = FIXTURES / "004_492748ae14ffc18a.gold.json"
    out_json = tmp_path / "report.json"
    code, out, _ = run(["eval", str(gold), "--json", str(out_json), "--diff"], capsys)
    assert code == 0 and "TOTAL" in out and "binding accuracy" in out
    report = json.loads(out_json.read_text(encoding="utf-8"))
    assert report["total"]["gold"] == 34 and "diffs" in report["documents"][0]
    code, out, _ = run(["fixtures", "check", str(FIXTURES)], capsys)
    assert code == 0 and out.count(", ok") >= 15


def test_console_script_entry_point_runs():
    result = subprocess.run([sys.executable, "-m", "medins_ie.cli", "sample", "--format", "jsonl"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0
    assert json.loads(result.stdout.splitlines()[0])["records"]
