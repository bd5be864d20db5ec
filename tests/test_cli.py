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


# ---------------------------------------------------------------- as a CLI user with many files meets it

class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_table_shows_qualifiers_and_fits_the_width(monkeypatch, capsys):
    from medins_ie.view import display_width

    monkeypatch.setenv("COLUMNS", "100")
    code, out, _ = run(["extract", str(SEEDS[1])], capsys)
    lines = out.splitlines()
    assert code == 0 and max(display_width(ln) for ln in lines) <= 100
    header = next(ln for ln in lines if ln.startswith("id "))
    assert "qualifiers" in header and "inpatient" in out and "remote" in out
    assert "all: " in lines[1] and "status=actual" in lines[1]  # a field the same everywhere is said once
    rows = [ln for ln in lines if ln[:1] == "r" and ln.split()[0][1:].isdigit()]
    assert len(rows) == 249
    monkeypatch.setenv("COLUMNS", "200")
    _, wide, _ = run(["extract", str(SEEDS[1])], capsys)
    assert "…" in out and max(display_width(ln) for ln in wide.splitlines()) <= 200


def test_records_format_and_json_has_one_shape(tmp_path, capsys):
    code, out, _ = run(["extract", str(SEEDS[0]), str(SEEDS[4]), "--format", "records"], capsys)
    lines = [json.loads(ln) for ln in out.splitlines()]
    assert code == 0 and {ln["document"] for ln in lines} == {str(SEEDS[0]), str(SEEDS[4])}
    assert all(ln["id"].startswith("r") and "span" in ln and "value" in ln for ln in lines)
    one = json.loads(run(["extract", str(SEEDS[4]), "--format", "json"], capsys)[1])
    two = json.loads(run(["extract", str(SEEDS[0]), str(SEEDS[4]), "--format", "json"], capsys)[1])
    assert isinstance(one, list) and isinstance(two, list) and two[1] == one[0]
    none = tmp_path / "empty.txt"
    none.write_bytes(b"")
    code, out, _ = run(["extract", str(none), "--format", "json"], capsys)
    assert json.loads(out) == [] and code == 1


def test_json_is_streamed_document_by_document():
    import argparse

    from medins_ie.cli import JsonWriter

    out = io.StringIO()
    writer = JsonWriter(out, argparse.Namespace())
    writer.write("a", medins_ie_extract("2024年,全县基金支出1亿元。"))
    first = out.getvalue()
    assert first.startswith("[\n{") and '"document": "a"' in first  # written before the next document exists
    writer.write("b", medins_ie_extract("2024年,全县基金收入2亿元。"))
    writer.close()
    assert [d["document"] for d in json.loads(out.getvalue())] == ["a", "b"]


def medins_ie_extract(text):
    import medins_ie

    return medins_ie.extract(text)


def test_csv_excel_bom(tmp_path, capsys):
    plain, excel = tmp_path / "plain.csv", tmp_path / "excel.csv"
    assert run(["extract", str(SEEDS[4]), "-f", "csv", "-o", str(plain)], capsys)[0] == 0
    assert run(["extract", str(SEEDS[4]), "-f", "csv", "-o", str(excel), "--excel"], capsys)[0] == 0
    assert not plain.read_bytes().startswith(b"\xef\xbb\xbf")
    assert excel.read_bytes().startswith(b"\xef\xbb\xbf")
    assert excel.read_bytes()[3:] == plain.read_bytes()
    rows = list(csv.DictReader(io.StringIO(excel.read_text(encoding="utf-8-sig"))))
    assert rows[0]["document"] == str(SEEDS[4]) and rows[0]["value"]


def test_empty_and_binary_inputs_are_named_and_nothing_readable_fails(tmp_path, capsys):
    files = {"empty.txt": b"", "blank.txt": b"  \n\n", "scan.pdf": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n",
             "chart.png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "nul.txt": b"\x00" * 64}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    paths = [str(tmp_path / n) for n in files]
    code, out, err = run(["extract", *paths, "-f", "jsonl"], capsys)
    assert code == 1 and out == "" and "nothing readable" in err
    for name in files:
        assert name in err
    assert "a PDF document" in err and "a PNG image" in err and "NUL" in err and "empty" in err
    code, out, err = run(["extract", *paths, str(SEEDS[4]), "-f", "jsonl"], capsys)
    assert code == 0 and len(out.splitlines()) == 1 and "scan.pdf" in err


def test_errors_replace_warns_on_stderr(tmp_path, capsys):
    bad = tmp_path / "bad.txt"
    bad.write_bytes("2024年,全县职工医保基金收入3亿元。".encode("utf-8") + b"\xff\xfe\x80")
    code, out, err = run(["extract", str(bad), "--errors", "replace", "-f", "jsonl"], capsys)
    assert code == 0 and "bad.txt" in err and "replaced" in err
    assert json.loads(out)["records"]
    code, _, err = run(["extract", str(bad), "--errors", "replace", "-f", "jsonl", "--quiet"], capsys)
    assert code == 0 and err == ""


def test_version_and_usage_on_a_terminal(monkeypatch, capsys):
    import pytest

    import medins_ie

    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0 and medins_ie.__version__ in capsys.readouterr().out
    monkeypatch.setattr(sys, "stdin", _Terminal())
    code, out, err = run(["extract"], capsys)
    assert code == 2 and "usage:" in err and "standard input" in err and out == ""


def test_progress_on_a_terminal_only(monkeypatch, capsys, tmp_path):
    names = [str(p) for p in SEEDS[:3]]
    term = _Terminal()
    monkeypatch.setattr(sys, "stderr", term)
    out_file = tmp_path / "o.jsonl"
    assert main(["extract", *names, "-f", "jsonl", "-o", str(out_file)]) == 0
    assert "0/3 [" in term.getvalue() and "file" in term.getvalue()  # a tqdm bar was drawn
    term2 = _Terminal()
    monkeypatch.setattr(sys, "stderr", term2)
    assert main(["extract", *names, "-f", "jsonl", "-o", str(out_file), "--quiet"]) == 0
    assert term2.getvalue() == ""
    monkeypatch.setattr(sys, "stderr", io.StringIO())  # piped: no bar
    assert main(["extract", *names, "-f", "jsonl", "-o", str(out_file)]) == 0
    assert sys.stderr.getvalue() == ""


def test_jobs_give_the_same_output(tmp_path, capsys):
    page = tmp_path / "page.html"
    page.write_text("<html><body><table><tr><td>项目</td><td>2024年</td></tr>"
                    "<tr><td>职工医保基金收入(万元)</td><td>4562.3</td></tr></table></body></html>", encoding="utf-8")
    names = [str(p) for p in SEEDS] + [str(page)]
    code1, one, _ = run(["extract", *names, "-f", "jsonl", "-j", "1"], capsys)
    code2, two, _ = run(["extract", *names, "-f", "jsonl", "-j", "2"], capsys)
    assert code1 == code2 == 0 and one == two and len(one.splitlines()) == 6
    html_doc = json.loads(one.splitlines()[-1])
    text = page.read_text(encoding="utf-8")
    assert all(text[r["span"][0]:r["span"][1]] == r["text"] for r in html_doc["records"])


def test_eval_thresholds_set_the_exit_code(capsys):
    gold = str(FIXTURES / "004_492748ae14ffc18a.gold.json")
    assert run(["eval", gold, "--min-entity-f1", "0.9", "--min-record-f1", "0.5"], capsys)[0] == 0
    code, _, err = run(["eval", gold, "--min-record-f1", "0.99"], capsys)
    assert code == 1 and "record F1" in err and "below 0.990" in err


def test_eval_refuses_malformed_gold_with_reasons(tmp_path, capsys):
    import shutil

    src = FIXTURES / "004_492748ae14ffc18a"
    shutil.copy(src.with_suffix(".txt"), tmp_path / "doc.txt")
    gold = json.loads((FIXTURES / "004_492748ae14ffc18a.gold.json").read_text(encoding="utf-8"))
    gold["document"] = "doc.txt"
    gold["records"][0]["span"] = [gold["records"][0]["span"][0] + 1, gold["records"][0]["span"][1] + 1]
    gold["records"][1]["metric"] = "revenue"
    gold["records"][2]["period"] = {"start": "2024-01-01", "end": None}
    (tmp_path / "doc.gold.json").write_text(json.dumps(gold, ensure_ascii=False), encoding="utf-8")
    code, out, err = run(["eval", str(tmp_path)], capsys)
    assert code == 2 and out == "" and "malformed" in err
    assert "record 0" in err and "slices" in err and "'revenue' not in taxonomy" in err and "both be set" in err
    (tmp_path / "doc.txt").unlink()
    code, _, err = run(["eval", str(tmp_path)], capsys)
    assert code == 2 and "its text is missing" in err and "doc.txt" in err and "Traceback" not in err


def test_eval_names_are_whole_and_diff_has_headers(tmp_path, capsys):
    import shutil

    long = "a_rather_long_fixture_name_from_a_crawl_2024_q1_county"
    shutil.copy(FIXTURES / "004_492748ae14ffc18a.txt", tmp_path / f"{long}.txt")
    gold = json.loads((FIXTURES / "004_492748ae14ffc18a.gold.json").read_text(encoding="utf-8"))
    gold["document"] = f"{long}.txt"
    (tmp_path / f"{long}.gold.json").write_text(json.dumps(gold, ensure_ascii=False), encoding="utf-8")
    code, out, _ = run(["eval", str(tmp_path), "--diff"], capsys)
    assert code == 0 and f"{long}.txt " in out
    assert f"== {long}.txt: " in out and "mismatch" in out
    assert any(ln.split()[:4] == ["kind", "span", "text", "detail"] for ln in out.splitlines())
    assert "gold -> predicted" in out
