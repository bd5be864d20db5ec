"""The model folder as a researcher meets it: edits that load and work, and edits that fail with file:line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import medins_ie
from medins_ie.cli import main
from medins_ie.model import ModelError, load_model
from medins_ie.paths import default_model_dir

TEXT = "2024年,本市长期照护保险基金支出1.5亿元。"


@pytest.fixture
def model(tmp_path) -> Path:
    dst = tmp_path / "m"
    shutil.copytree(default_model_dir(), dst)
    return dst


def append(path: Path, line: str, encoding: str = "utf-8") -> int:
    """Append one line; return its line number."""
    old = path.read_bytes() if path.exists() else b""
    if old and not old.endswith(b"\n"):
        old += b"\n"
    path.write_bytes(old + (line + "\n").encode(encoding))
    return old.count(b"\n") + 1


def error_of(model: Path) -> ModelError:
    with pytest.raises(ModelError) as info:
        load_model(model)
    return info.value


# ---------------------------------------------------------------- edits that used to be silent

def test_empty_surface_is_an_error_with_its_line(model):
    terms = model / "lexicons" / "terms.tsv"
    n = append(terms, "\tscheme\tsupplementary")
    err = error_of(model)
    assert err.path == terms and err.line == n and "empty surface" in str(err)
    assert f"terms.tsv:{n}:" in str(err)


def test_line_numbers_count_comments_and_blank_lines(model):
    terms = model / "lexicons" / "terms.tsv"
    lines = terms.read_text(encoding="utf-8").splitlines()
    comments = sum(1 for ln in lines[:10] if ln.startswith("#"))
    assert comments >= 3  # the file starts with a comment header: row number != line number
    n = append(terms, "某词\tscheme")
    assert error_of(model).line == n == len(lines) + 1


def test_period_pattern_with_an_unknown_group(model):
    n = append(model / "patterns" / "periods.jsonl", json.dumps(
        {"name": "fy", "pattern": "(?P<year>(?:19|20)\\d{2})财年"}, ensure_ascii=False))
    err = error_of(model)
    assert err.line == n and "'year'" in err.problem and "y = year" in err.hint


def test_month_range_needs_both_ends(model):
    n = append(model / "patterns" / "periods.jsonl", json.dumps(
        {"name": "to_month", "pattern": "至(?P<m2>1[0-2]|[1-9])月"}, ensure_ascii=False))
    err = error_of(model)
    assert err.line == n and "m2 without m1" in err.problem


def test_upper_case_multiplier_matches_folded_input(model):
    append(model / "lexicons" / "multipliers.tsv", "W\t10000")
    doc = medins_ie.load(model).extract("2024年,全县基金支出3W元。")
    assert doc.records[0].value == 30000.0 and doc.records[0].text == "3W元"


def test_new_metric_without_metric_units_row_is_an_error(model):
    tax_path = model / "taxonomy.json"
    tax = json.loads(tax_path.read_text(encoding="utf-8"))
    tax["metric"].append("arrears")
    tax_path.write_text(json.dumps(tax, ensure_ascii=False), encoding="utf-8")
    n = append(model / "lexicons" / "terms.tsv", "欠费\tmetric\tarrears")
    err = error_of(model)
    assert err.path.name == "terms.tsv" and err.line == n and "metric_units.tsv" in err.problem
    append(model / "lexicons" / "metric_units.tsv", "arrears\tamount")
    doc = medins_ie.load(model).extract("2024年,全县职工医保欠费300万元。")
    assert doc.records[0].metric == "arrears"


@pytest.mark.parametrize("file,line,needle", [
    ("lexicons/terms.tsv", "慢病\tsetting\tchronic_special_outpatient\tclause", "unknown option"),
    ("lexicons/terms.tsv", "慢病\tsettings\tchronic_special_outpatient", "unknown field"),
    ("lexicons/terms.tsv", "慢病\tsetting\tchronic", "not a setting label"),
    ("lexicons/terms.tsv", "升高\tdirection\tup", "not a direction"),
    ("lexicons/metric_units.tsv", "income\tamount,money", "not a quantity kind"),
    ("lexicons/units.tsv", "元整\tamount\tRMB", "not a type/unit pair"),
    ("lexicons/count_nouns.tsv", "诊所\tclinic", "not a count unit"),
    ("lexicons/per_units.tsv", "/周\tper_week", "not a measure label"),
    ("patterns/stocks.txt", "balance", "not a metric label"),
    ("patterns/noise.jsonl", '{"kind": "advert", "pattern": "广告"}', "unknown noise kind"),
    ("patterns/headings.jsonl", '{"level": 2, "pattern": "^第\\\\d+条"}', "marker"),
])
def test_unknown_options_kinds_and_labels(model, file, line, needle):
    n = append(model / file, line)
    err = error_of(model)
    assert err.path == model / file and err.line == n and needle in err.problem, str(err)
    assert err.hint


def test_traditional_surface_is_folded_like_the_text(model):
    append(model / "lexicons" / "terms.tsv", "長期照護保險\tscheme\tlong_term_care")
    nlp = medins_ie.load(model)
    assert nlp.extract(TEXT).records[0].scheme == "long_term_care"
    assert nlp.extract("2024年,本市長期照護保險基金支出1.5億元。").records[0].scheme == "long_term_care"


@pytest.mark.parametrize("name", ["lexicons/units.tsv", "lexicons/terms.tsv"])
def test_missing_required_file(model, name):
    (model / name).unlink()
    err = error_of(model)
    assert name in err.problem and "copy" in err.hint


# ---------------------------------------------------------------- raw Python errors, now with file and line

def test_bad_regex(model):
    n = append(model / "patterns" / "periods.jsonl", '{"name": "x", "pattern": "(?P<y>20\\\\d{2}年"}')
    err = error_of(model)
    assert err.line == n and "not a valid regular expression" in err.problem


def test_missing_key(model):
    n = append(model / "patterns" / "periods.jsonl", '{"name": "x", "patern": "20\\\\d{2}"}')
    err = error_of(model)
    assert err.line == n and "missing key(s) ['pattern']" in err.problem and "unknown key(s) ['patern']" in err.problem


def test_non_numeric_multiplier(model):
    n = append(model / "lexicons" / "multipliers.tsv", "万\tten thousand")
    err = error_of(model)
    assert err.line == n and "not a positive number" in err.problem


def test_short_row_says_tabs(model):
    n = append(model / "lexicons" / "terms.tsv", "长期照护保险 scheme long_term_care")
    err = error_of(model)
    assert err.line == n and "TABs" in err.hint


def test_broken_json(model):
    (model / "taxonomy.json").write_text('{\n  "record_types": {"amount": ["CNY"]},\n  "scheme": [\n}\n',
                                         encoding="utf-8")
    err = error_of(model)
    assert err.path.name == "taxonomy.json" and err.line == 4 and "not valid JSON" in err.problem
    n = append(model / "patterns" / "noise.jsonl", '{"kind": "spam", "pattern": "\\d+"}')
    (model / "taxonomy.json").write_bytes((default_model_dir() / "taxonomy.json").read_bytes())
    err = error_of(model)
    assert err.line == n and "backslash" in err.hint


def test_gbk_encoded_tsv(model):
    terms = model / "lexicons" / "terms.tsv"
    text = terms.read_text(encoding="utf-8") + "长期照护保险\tscheme\tlong_term_care\n"
    terms.write_bytes(text.encode("gb18030"))
    err = error_of(model)
    assert err.path == terms and err.line and "not UTF-8" in err.problem and "gb18030" in err.problem
    assert "UTF-8" in err.hint


def test_bom_prefixed_tsv_loads(model):
    terms = model / "lexicons" / "terms.tsv"
    terms.write_bytes(b"\xef\xbb\xbf" + "长期照护保险\tscheme\tlong_term_care\n".encode() + terms.read_bytes())
    assert medins_ie.load(model).extract(TEXT).records[0].scheme == "long_term_care"


def test_cli_prints_model_errors_without_traceback(model, tmp_path, capsys):
    append(model / "lexicons" / "multipliers.tsv", "万\tx")
    code = main(["extract", str(tmp_path / "none.txt"), "--model", str(model)])
    _, err = capsys.readouterr()
    assert code == 2 and "multipliers.tsv:" in err and "Traceback" not in err
    code = main(["eval", "fixtures", "--model", str(tmp_path / "missing")])
    _, err = capsys.readouterr()
    assert code == 2 and "no such model folder" in err and "Traceback" not in err


# ---------------------------------------------------------------- language knowledge as data

def test_qualifier_keys_come_from_the_taxonomy(model):
    tax_path = model / "taxonomy.json"
    tax = json.loads(tax_path.read_text(encoding="utf-8"))
    tax["qualifiers"]["funding"] = ["central_transfer"]
    tax_path.write_text(json.dumps(tax, ensure_ascii=False), encoding="utf-8")
    append(model / "lexicons" / "terms.tsv", "中央补助\tfunding\tcentral_transfer")
    nlp = medins_ie.load(model)
    assert "funding" in nlp.model.qualifier_fields
    doc = nlp.extract("2024年,全县城乡居民医保中央补助收入2.1亿元。")
    assert doc.records[0].qualifiers.get("funding") == "central_transfer"
    assert any(e.label == "qualifier" and e.value == "central_transfer" for e in doc.entities)


def test_per_unit_suffixes_are_data(model):
    text = "2024年,全县居民医保门诊次均费用85元/例。"
    assert medins_ie.load(model).extract(text).records[0].text == "85元"
    append(model / "lexicons" / "per_units.tsv", "/例\tper_visit")
    rec = medins_ie.load(model).extract(text).records[0]
    assert (rec.text, rec.measure) == ("85元/例", "per_visit")


def test_per_visit_suffix_spans_the_whole_unit():
    rec = medins_ie.extract("2024年,全县职工医保住院费用8500元/人次。").records[0]
    assert (rec.text, rec.value, rec.measure) == ("8500元/人次", 8500.0, "per_visit")


def test_yearly_per_capita_rate():
    rec = medins_ie.extract("2024年,全县城乡居民医保个人缴费380元/人/年。").records[0]
    assert (rec.text, rec.measure) == ("380元/人/年", "per_capita")
    rec = medins_ie.extract("2024年,全县城乡居民医保个人缴费380元/年。").records[0]
    assert (rec.text, rec.measure) == ("380元/年", "level")


def test_latin_thousand_multiplier():
    rec = medins_ie.extract("2024年,全县职工医保人均报销2.5K元。").records[0]
    assert (rec.text, rec.value, rec.unit) == ("2.5K元", 2500.0, "CNY")
    doc = medins_ie.extract("2024年,全县铺设光缆10km,基金支出1亿元。")
    assert [r.text for r in doc.records] == ["1亿元"]  # 10km is not ten thousand


@pytest.mark.parametrize("text,start,end", [
    ("2024年前10个月,全市医保基金支出12.5亿元。", "2024-01-01", "2024-10-31"),
    ("2024年1月至今。前三个月,全市医保基金支出3亿元。", "2024-01-01", "2024-03-31"),
])
def test_first_n_months_is_a_period(text, start, end):
    doc = medins_ie.extract(text)
    assert [r.text for r in doc.records] == [doc.records[-1].text]
    rec = doc.records[-1]
    assert rec.metric == "expenditure" and (rec.period.start, rec.period.end) == (start, end)
    assert not any(r.unit == "month" for r in doc.records)
    assert any(e.label == "period" and "前" in e.text for e in doc.entities)


def test_default_model_loads_and_error_pickles():
    import pickle

    assert load_model().per_units["人次"] == "per_visit"
    err = ModelError("x.tsv", 3, "bad", "write y")
    again = pickle.loads(pickle.dumps(err))
    assert (again.line, again.hint, str(again)) == (3, "write y", str(err))


def test_every_model_file_is_installed_with_the_package():
    # a file the package-data globs miss is absent from a non-editable install, and the model would load
    # without it (optional files default to empty): the packaged extractor would quietly bind less
    import fnmatch
    import tomllib

    root = Path(__file__).resolve().parents[1]
    config = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    dirs = {package: root / folder for package, folder in config["package-dir"].items()}
    missed = []
    for path in sorted((root / "models").rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts or path.suffix == ".py":
            continue
        package = next((p for p, d in dirs.items() if d == path.parent), None)
        globs = config["package-data"].get(package, []) if package else []
        if not any(fnmatch.fnmatch(path.name, g) for g in globs):
            missed.append(str(path.relative_to(root)))
    assert not missed, f"not in [tool.setuptools.package-data]: {missed}"
