"""Loading a rule model: the data files of a model folder, validated and compiled once into matchers.

A model folder (the packaged ``models/default``, or a researcher's edited copy) holds:

- ``meta.json``          name, version, pipeline, default scheme, issuer and place patterns, word lists
- ``taxonomy.json``      canonical labels (see ``taxonomy.py``); qualifier keys come from here
- ``lexicons/terms.tsv`` surface -> (field, label, options); fields are scheme, account, metric, the qualifier
                         keys of the taxonomy, measure/status/direction cues, regions, includes and ignore
- ``lexicons/units.tsv``, ``multipliers.tsv``, ``per_units.tsv``, ``count_nouns.tsv``, ``metric_units.tsv``,
  ``regions.tsv``
- ``patterns/periods.jsonl``, ``asof.txt``, ``noise.jsonl``, ``headings.jsonl``, ``inline_markers.txt``,
  ``plan_titles.txt``, ``stocks.txt``
- ``jieba_userdict.txt`` extra words for the tokenizer (term surfaces are added automatically)

Nothing in Python names a surface form; adding a row to a file is enough. ``load_model`` checks every
file it reads and raises one ``ModelError`` naming the file, the line and what to write instead.
Surfaces go through the same folding as the input text (traditional -> simplified, full -> half width,
ASCII lower case), so ``醫療救助`` or ``K`` in a lexicon match as the text is matched.
"""

from __future__ import annotations

import codecs
import json
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional, Union

import regex

from .normalize import build_char_table
from .paths import default_model_dir
from .taxonomy import Taxonomy

__all__ = ["Model", "ModelError", "Assignment", "Unit", "load_model", "trie_pattern", "PERIOD_GROUPS"]

LABEL_FIELDS = ("scheme", "account", "metric", "measure", "status")
CUE_FIELDS = ("direction", "region", "includes", "ignore")
TERM_OPTIONS = ("scope=clause", "weak", "population")
DIRECTIONS = ("+", "-")
# named groups a period pattern may use, and what each means to the resolver (recognize.find_periods)
PERIOD_GROUPS = {
    "y": "year (four digits)", "m1": "first month of a range (needs m2)", "m2": "last month of a range (needs m1)",
    "m": "one month", "d": "day of month (needs m)", "q": "quarter (一二三四 or 1-4)",
    "qn": "the first N quarters (前三季度)", "mn": "the first N months (前10个月)",
    "qx": "a quarter whose number is lost (2024季度): the report period of that year",
    "h": "half year (上 or 下)", "end": "year or month end (末, 底, 终: an as-of date)",
    "mlist": "a list of months (1、2月)", "prev": "the year before the report year (上年)",
    "lastyear": "the year before publication (去年)", "thisyear": "the year of publication (今年)",
    "rmonth": "the report's last month (本月, 当月)", "pend": "the end of the period in force (期末, 季末)",
    "now": "the date the text gives for its information (截至目前, 目前)",
    "wyear": "the whole year in force (全年)",
    "y2": "the last year of a range (2019至2021年, 2023年1月至2024年6月; with m1/m2)",
    "d2": "the last day of a date range (needs y2 and m2)",
    "lastperiod": "the report period a year earlier (上年同期)", "thisperiod": "the report period (本期)",
}
PERIOD_KEYS = ("name", "pattern")
NOISE_KINDS = ("chrome_block", "spam", "chrome", "footer", "meta")
NOISE_KEYS = ("kind", "pattern")
HEADING_KEYS = ("level", "pattern")
MAX_HEADING_LEVEL = 9
# a missing optional file reads as empty; these would leave an extractor that quietly binds far less
REQUIRED_FILES = ("taxonomy.json", "lexicons/terms.tsv", "lexicons/units.tsv", "patterns/periods.jsonl",
                  "patterns/words.tsv", "patterns/scoping.tsv")
# meta.json keys the code reads, with the JSON type each must have (other keys are allowed and ignored)
META_TYPES: dict[str, type | tuple[type, ...]] = {
    "name": str, "version": str, "language": str, "description": str, "pipeline": list,
    "default_scheme": str, "default_scheme_metrics": list, "national_region": str, "issuer_pattern": str,
    "place_pattern": str, "national_words": list, "title_words": list, "published_labels": list,
    "issuer_labels": list, "qualifier_groups": list, "place_stop_chars": str,
    "short_place_left": str, "title_place_pattern": str, "place_column_words": list, "programme_schemes": list,
    "unfunded_metric_words": list, "classifiers": list, "policy_metrics": list, "case_classifiers": list,
}


class ModelError(ValueError):
    """A model folder that cannot be loaded: the file, the line, what is wrong and what to write instead."""

    def __init__(self, path: Union[str, Path], line: Optional[int], problem: str, hint: Optional[str] = None):
        self.path = Path(path)
        self.line = line
        self.problem = problem
        self.hint = hint
        where = f"{self.path}:{line}" if line else str(self.path)
        super().__init__(f"{where}: {problem}" + (f"\n  hint: {hint}" if hint else ""))

    def __reduce__(self) -> tuple:
        return (ModelError, (self.path, self.line, self.problem, self.hint))


@dataclass(frozen=True)
class Assignment:
    """What a matched term says: ``field`` = ``label``, with options (``scope=clause``, ``weak``)."""

    field: str
    label: str
    clause_scope: bool = False
    weak: bool = False
    population: bool = False     # a population word (职工, 城乡居民): under a programme's figure it names members


@dataclass(frozen=True)
class Place:
    """An administrative division from the gazetteer: GB/T 2260 code, full name, level, parent code."""

    code: str
    name: str
    level: str
    parent: str = ""


@dataclass(frozen=True)
class Unit:
    """The record type and unit a unit word gives a number (``元`` -> amount, CNY)."""

    type: str
    unit: str


@dataclass
class Model:
    """A loaded rule model: label sets, lexicons and compiled patterns."""

    path: Path
    meta: dict
    taxonomy: Taxonomy
    terms: dict[str, tuple[Assignment, ...]]
    units: dict[str, Unit]
    multipliers: dict[str, float]
    count_nouns: dict[str, str]
    regions: dict[str, str]
    char_table: dict[int, str]
    term_re: "re.Pattern[str]"
    quantity_re: "regex.Pattern[str]"
    cn_quantity_re: "regex.Pattern[str]"
    period_re: "re.Pattern[str]"
    period_names: tuple[str, ...]
    period_groups: tuple[tuple[tuple[str, str], ...], ...]   # per pattern: (group, renamed group)
    asof_re: "regex.Pattern[str]"
    noise: tuple[tuple[str, "regex.Pattern[str]"], ...]
    headings: tuple[tuple[int, "regex.Pattern[str]"], ...]
    inline_markers: tuple[str, ...]
    plan_title_words: tuple[str, ...]
    userdict_path: Optional[Path] = None
    metric_units: dict[str, tuple[str, ...]] = field(default_factory=dict)
    unit_defaults: dict[str, str] = field(default_factory=dict)
    stocks: frozenset[str] = frozenset()
    qualifier_siblings: dict[str, tuple[str, ...]] = field(default_factory=dict)
    places: dict[str, Place] = field(default_factory=dict)   # surface as written -> division
    place_candidates: dict[str, tuple[Place, ...]] = field(default_factory=dict)  # surface -> every division
    scoping: dict[str, frozenset[str]] = field(default_factory=dict)   # boundary -> fields that pass it
    place_suffixes: frozenset[str] = frozenset()   # the last characters of full place names (市, 县, 区 …)
    place_names: frozenset[str] = frozenset()      # full place names, found from their suffix
    place_max_len: int = 0
    place_lengths: dict[str, tuple[int, ...]] = field(default_factory=dict)  # suffix -> name lengths, longest first
    place_suffix_re: "re.Pattern[str]" = field(default_factory=lambda: re.compile(r"(?!)"))
    continuation_words: tuple[str, ...] = ()
    programme_schemes: frozenset[str] = frozenset()   # schemes whose breakdowns by population stay theirs
    unqualified: dict[str, frozenset[str]] = field(default_factory=dict)   # metric -> qualifier keys it never takes
    per_units: dict[str, str] = field(default_factory=dict)      # "人次" (after "/") -> per_visit
    metric_by_unit: dict[tuple[str, str], str] = field(default_factory=dict)   # (metric, kind) -> its sibling
    metric_by_scheme: dict[tuple[str, str], str] = field(default_factory=dict)   # (scheme, metric) -> metric
    after_metric: dict[str, str] = field(default_factory=dict)   # word after a person count -> its metric
    words: dict[str, dict[str, int]] = field(default_factory=dict)   # kind -> word -> value (patterns/words.tsv)
    qualifier_fields: tuple[str, ...] = ()                       # the taxonomy's qualifier keys bound from terms

    @property
    def name(self) -> str:
        return str(self.meta.get("name", self.path.name))


# ---------------------------------------------------------------- reading files

def _text(path: Path) -> str:
    """A data file as text: UTF-8, with or without a byte-order mark; anything else is a ModelError."""
    data = path.read_bytes()
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        guess = ""
        for enc in ("gb18030", "big5"):
            try:
                data.decode(enc)
                guess = f" (it reads as {enc})"
                break
            except UnicodeDecodeError:
                continue
        raise ModelError(path, line, f"not UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start}{guess}",
                         "save the file as UTF-8 (in most editors: Save As, encoding UTF-8)") from None


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, stripped-of-newline line) for every line that is not blank or a ``#`` comment."""
    if not path.exists():
        return
    for n, line in enumerate(_text(path).splitlines(), 1):
        if line.strip() and not line.lstrip().startswith("#"):
            yield n, line


def _rows(path: Path, columns: tuple[str, ...], required: int) -> Iterator[tuple[int, list[str]]]:
    """TSV rows with at least ``required`` non-empty leading cells (named by ``columns`` in errors)."""
    layout = " <TAB> ".join(columns)
    for n, line in _lines(path):
        cells = [c.strip() for c in line.split("\t")]
        if len(cells) < required:
            spaced = len(line.split()) >= required
            raise ModelError(path, n, f"{len(cells)} column(s), needs {required}: {line!r}",
                             f"write {layout}" + (" (columns are separated by TABs, not spaces)" if spaced else ""))
        for i in range(required):
            if not cells[i]:
                raise ModelError(path, n, f"empty {columns[i]} in {line!r}", f"write {layout}")
        yield n, cells


def _word_lines(path: Path) -> Iterator[tuple[int, str]]:
    for n, line in _lines(path):
        yield n, line.strip()


def _json_line(text: str, key: str) -> Optional[int]:
    """The first line of a JSON text that names ``key`` (for errors about a value)."""
    needle = json.dumps(key, ensure_ascii=False)
    for n, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return n
    return None


def _json_file(path: Path) -> tuple[Any, str]:
    text = _text(path)
    try:
        return json.loads(text), text
    except json.JSONDecodeError as exc:
        raise ModelError(path, exc.lineno, f"not valid JSON: {exc.msg} (column {exc.colno})",
                         "check quotes, commas and brackets; a validator such as `python -m json.tool` shows where") \
            from None


def _jsonl(path: Path, keys: tuple[str, ...]) -> Iterator[tuple[int, dict]]:
    """Objects of a JSON-lines file, each with exactly the allowed ``keys`` (all of them required)."""
    example = "{" + ", ".join(f'"{k}": ...' for k in keys) + "}"
    for n, line in _lines(path):
        line = line.strip()
        if line.startswith("//"):
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            hint = "write one JSON object per line: " + example
            if "\\" in line and "Invalid \\escape" in exc.msg:
                hint = "a backslash in a JSON string is written twice: \\\\d for the regex \\d"
            raise ModelError(path, n, f"not valid JSON: {exc.msg} (column {exc.colno})", hint) from None
        if not isinstance(obj, dict):
            raise ModelError(path, n, f"a JSON {type(obj).__name__}, not an object", "write " + example)
        missing = [k for k in keys if k not in obj]
        unknown = [k for k in obj if k not in keys]
        if missing or unknown:
            what = "; ".join(filter(None, [missing and f"missing key(s) {missing}",
                                           unknown and f"unknown key(s) {unknown}"]))
            raise ModelError(path, n, what, "write " + example)
        yield n, obj


def _compile(engine: Any, pattern: Any, path: Path, line: Optional[int], what: str = "pattern") -> Any:
    if not isinstance(pattern, str) or not pattern:
        raise ModelError(path, line, f"{what} must be a non-empty string, not {pattern!r}")
    try:
        return engine.compile(pattern)
    except (re.error, regex.error) as exc:
        pos = getattr(exc, "pos", None)
        at = f" at position {pos}: ...{pattern[max(0, pos - 10):pos + 10]!r}" if pos is not None else ""
        raise ModelError(path, line, f"{what} is not a valid regular expression ({exc.msg if hasattr(exc, 'msg') else exc}){at}",
                         "escape literal ( ) [ ] . * + ? with a backslash; in JSON the backslash is doubled") from None


# ---------------------------------------------------------------- folding

class _Folder:
    """Folds surfaces as the input text is folded, so what is written in a lexicon is what gets matched."""

    def __init__(self, table: dict[int, str]):
        self.table = table
        # regex sources are folded only outside ASCII: \D or \S must keep their case
        self.pattern_table = {k: v for k, v in table.items() if k > 127}

    def surface(self, s: str) -> str:
        return s.translate(self.table).lower()

    def pattern(self, p: str) -> str:
        return p.translate(self.pattern_table)


# ---------------------------------------------------------------- the files

def trie_pattern(words: list[str]) -> str:
    """A regex alternation over ``words`` shaped as a trie: linear to match, longest alternative first."""
    trie: dict = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = True

    def build(node: dict) -> str:
        end = node.get("", False)
        alts = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch != ""]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        if end:
            return "(?:" + body + ")?"
        return body

    return build(trie)


def _cjk_chars(pattern: str) -> set[str]:
    """The CJK characters a match of ``pattern`` can start with (every CJK character it mentions when its
    parse cannot tell: a safe superset)."""
    mentioned = {ch for ch in pattern if "\u3400" <= ch <= "\u9fff"}
    try:
        from re import _parser  # type: ignore[attr-defined]  # the stdlib's own regex parser

        first = _first_chars(_parser.parse(pattern))
    except Exception:  # an unfamiliar construct, or a Python without re._parser
        return mentioned
    return mentioned if first is None else {ch for ch in first if "\u3400" <= ch <= "\u9fff"}


def _first_chars(seq: Any) -> Optional[set[str]]:
    """Characters a parsed regex sequence can start with; None when it could start with anything."""
    from re import _constants as c  # type: ignore[attr-defined]

    out: set[str] = set()
    for op, av in seq:
        if op is c.LITERAL:
            return out | {chr(av)}
        if op is c.IN:
            chars = set()
            for iop, iav in av:
                if iop is c.LITERAL:
                    chars.add(chr(iav))
                elif iop is c.RANGE and iav[1] - iav[0] < 64:
                    chars.update(chr(x) for x in range(iav[0], iav[1] + 1))
                elif iop is c.CATEGORY and iav is c.CATEGORY_DIGIT:
                    chars.update("0123456789")
                else:
                    return None
            return out | chars
        if op in (c.AT, c.ASSERT, c.ASSERT_NOT):
            continue  # zero-width: the next item starts the match
        if op is c.SUBPATTERN:
            inner = _first_chars(av[-1])
            if inner is None:
                return None
            return out | inner  # a group that can match empty is not expected in a period pattern
        if op is c.BRANCH:
            union: set[str] = set()
            for branch in av[1]:
                inner = _first_chars(branch)
                if inner is None:
                    return None
                union |= inner
            return out | union
        if op in (c.MAX_REPEAT, c.MIN_REPEAT):
            lo, _, item = av
            inner = _first_chars(item)
            if inner is None:
                return None
            out |= inner
            if lo > 0:
                return out
            continue  # optional: what follows may start the match too
        return None
    return None  # the whole sequence can match empty


def _load_taxonomy(path: Path) -> Taxonomy:
    data, text = _json_file(path)
    if not isinstance(data, dict):
        raise ModelError(path, 1, "must be a JSON object")
    for key in ("record_types", "qualifiers"):
        if not isinstance(data.get(key), dict):
            raise ModelError(path, _json_line(text, key), f"{key!r} must be an object",
                             "copy the key from the default model's taxonomy.json")
    for key in LABEL_FIELDS + ("period_kind",):
        value = data.get(key)
        if not (isinstance(value, list) and value and all(isinstance(v, str) and v for v in value)):
            raise ModelError(path, _json_line(text, key), f"{key!r} must be a non-empty list of label strings",
                             f'write "{key}": ["label", ...]')
    for rtype, units in data["record_types"].items():
        if not (isinstance(units, list) and all(isinstance(u, str) for u in units)):
            raise ModelError(path, _json_line(text, rtype), f"record type {rtype!r} needs a list of unit strings")
    for key, allowed in data["qualifiers"].items():
        if allowed != "list:scheme" and not (isinstance(allowed, list) and all(isinstance(v, str) for v in allowed)):
            raise ModelError(path, _json_line(text, key), f"qualifier {key!r} needs a list of value strings",
                             'write "key": ["value", ...] (or "list:scheme" for a list of schemes)')
    return Taxonomy(
        record_types={k: tuple(v) for k, v in data["record_types"].items()},
        labels={k: frozenset(data[k]) for k in LABEL_FIELDS + ("period_kind",)},
        qualifiers=data["qualifiers"],
    )


def _check_meta(path: Path, taxonomy: Taxonomy, qualifier_fields: tuple[str, ...]) -> dict:
    if not path.exists():
        return {}
    meta, text = _json_file(path)
    if not isinstance(meta, dict):
        raise ModelError(path, 1, "must be a JSON object")
    for key, typ in META_TYPES.items():
        if key in meta and not isinstance(meta[key], typ):
            want = typ.__name__ if isinstance(typ, type) else "/".join(t.__name__ for t in typ)
            raise ModelError(path, _json_line(text, key), f"{key!r} must be a JSON {'array' if typ is list else want}")
    for key in ("national_words", "title_words", "published_labels", "issuer_labels", "pipeline"):
        if not all(isinstance(w, str) and w for w in meta.get(key, [])):
            raise ModelError(path, _json_line(text, key), f"{key!r} must list non-empty strings")
    for key in ("issuer_pattern", "place_pattern"):
        if key in meta:
            compiled = _compile(re, meta[key], path, _json_line(text, key), key)
            if "region" not in compiled.groupindex:
                raise ModelError(path, _json_line(text, key), f"{key} has no (?P<region>...) group",
                                 "wrap the place name part of the pattern in (?P<region>...)")
    scheme = meta.get("default_scheme")
    if scheme is not None and scheme not in taxonomy.labels["scheme"]:
        raise ModelError(path, _json_line(text, "default_scheme"), f"default_scheme {scheme!r} is not a scheme label",
                         "use one of " + ", ".join(sorted(taxonomy.labels["scheme"])))
    for metric in meta.get("default_scheme_metrics", []):
        if metric not in taxonomy.labels["metric"]:
            raise ModelError(path, _json_line(text, metric), f"default_scheme_metrics: {metric!r} is not a metric label",
                             "use one of " + ", ".join(sorted(taxonomy.labels["metric"])))
    for group in meta.get("qualifier_groups", []):
        if not (isinstance(group, list) and all(k in qualifier_fields for k in group)):
            raise ModelError(path, _json_line(text, "qualifier_groups"),
                             f"qualifier_groups: {group!r} must be a list of qualifier keys",
                             "qualifier keys are " + ", ".join(qualifier_fields))
    return meta


def _load_regions(path: Path, fold: _Folder, places: dict[str, tuple["Place", ...]]) -> dict[str, str]:
    """Region surfaces -> their label. A region is labelled as the text writes it (安徽, 安徽省, 延边州): the
    gazetteer's names and aliases, and the extra names of ``regions.tsv`` (provinces' short forms), which
    also learn the division of a name on their row that the gazetteer knows (浙江 -> 浙江省's)."""
    regions: dict[str, str] = {surface: surface for surface in places}
    for _, row in _rows(path, ("name", "aliases (comma-separated)"), 1):
        surfaces = [fold.surface(x.strip()) for x in [row[0]] + (row[1].split(",") if len(row) > 1 else [])
                    if x.strip()]
        known = next((places[x] for x in surfaces if x in places), None)
        for surface in [row[0]] + (row[1].split(",") if len(row) > 1 else []):
            if surface.strip():
                regions[fold.surface(surface.strip())] = surface.strip()
        if known is not None:
            for x in surfaces:
                places.setdefault(x, known)
    return regions


def _load_terms(path: Path, taxonomy: Taxonomy, regions: dict[str, str], fold: _Folder,
                qualifier_fields: tuple[str, ...]) -> tuple[dict[str, tuple[Assignment, ...]], dict[str, int]]:
    """Terms by folded surface, and the first line that uses each metric label (for cross-file checks)."""
    fields = LABEL_FIELDS + qualifier_fields + CUE_FIELDS
    terms: dict[str, list[Assignment]] = {}
    metric_lines: dict[str, int] = {}
    for n, row in _rows(path, ("surface", "field", "label", "options"), 3):
        surface, fld, label = row[0], row[1], row[2]
        opts = (row[3] if len(row) > 3 else "").replace(",", " ").split()
        if fld not in fields:
            raise ModelError(path, n, f"unknown field {fld!r}", "the field is one of " + ", ".join(fields))
        allowed: Optional[frozenset[str] | tuple[str, ...]] = None
        if fld in LABEL_FIELDS:
            allowed = taxonomy.labels[fld]
        elif fld == "includes":
            allowed = taxonomy.labels["scheme"]
        elif fld in qualifier_fields:
            allowed = tuple(taxonomy.qualifiers[fld])
        elif fld == "direction":
            allowed = DIRECTIONS
        elif fld == "ignore" and label != "-":
            raise ModelError(path, n, f"ignore rows take the label '-', not {label!r}", f"write {surface}\tignore\t-")
        if allowed is not None and label not in allowed:
            what = {"includes": "a scheme label (includes)", "direction": "a direction"}.get(fld, f"a {fld} label")
            raise ModelError(path, n, f"{label!r} is not {what} of the taxonomy",
                             "use one of " + ", ".join(sorted(allowed)) + "; a new label is added to taxonomy.json first")
        bad = [o for o in opts if o not in TERM_OPTIONS]
        if bad:
            raise ModelError(path, n, f"unknown option(s) {bad}", "options are " + ", ".join(TERM_OPTIONS)
                             + " (comma- or space-separated, in the fourth column)")
        if fld == "metric":
            metric_lines.setdefault(label, n)
        a = Assignment(fld, label, clause_scope="scope=clause" in opts, weak="weak" in opts,
                       population="population" in opts)
        have = terms.setdefault(fold.surface(surface), [])
        if a not in have:  # a traditional and a simplified row fold to one surface
            have.append(a)
    for alias, name in regions.items():
        terms.setdefault(alias, []).append(Assignment("region", name))
    return {k: tuple(v) for k, v in terms.items()}, metric_lines


def _load_units(path: Path, taxonomy: Taxonomy, fold: _Folder) -> dict[str, Unit]:
    units: dict[str, Unit] = {}
    pairs = ", ".join(f"{t} {u}" for t, us in taxonomy.record_types.items() for u in us)
    for n, row in _rows(path, ("surface", "type", "unit", "notes"), 3):
        if row[1] not in taxonomy.record_types or row[2] not in taxonomy.record_types[row[1]]:
            raise ModelError(path, n, f"{row[1]} {row[2]} is not a type/unit pair of the taxonomy",
                             "use one of: " + pairs)
        units[fold.surface(row[0])] = Unit(row[1], row[2])
    return units


def _load_multipliers(path: Path, fold: _Folder) -> dict[str, float]:
    out: dict[str, float] = {}
    for n, row in _rows(path, ("surface", "factor"), 2):
        try:
            factor = float(row[1])
        except ValueError:
            factor = math.nan
        if not (math.isfinite(factor) and factor > 0):
            raise ModelError(path, n, f"factor {row[1]!r} is not a positive number",
                             "write the factor in digits: 万\t10000")
        out[fold.surface(row[0])] = factor
    return out


def _load_per_units(path: Path, taxonomy: Taxonomy, fold: _Folder) -> dict[str, str]:
    out: dict[str, str] = {}
    for n, row in _rows(path, ("suffix", "measure"), 2):
        suffix = fold.surface(row[0])
        if not suffix.startswith("/") or len(suffix) < 2:
            raise ModelError(path, n, f"suffix {row[0]!r} must start with '/' and name the unit it divides by",
                             "write /人次\tper_visit")
        if row[1] not in taxonomy.labels["measure"]:
            raise ModelError(path, n, f"{row[1]!r} is not a measure label",
                             "use one of " + ", ".join(sorted(taxonomy.labels["measure"])))
        out[suffix[1:]] = row[1]
    return out


def _load_count_nouns(path: Path, taxonomy: Taxonomy, fold: _Folder) -> dict[str, str]:
    out: dict[str, str] = {}
    for n, row in _rows(path, ("noun", "unit"), 2):
        if row[1] not in taxonomy.record_types.get("count", ()):
            raise ModelError(path, n, f"{row[1]!r} is not a count unit",
                             "use one of " + ", ".join(taxonomy.record_types.get("count", ())))
        out[fold.surface(row[0])] = row[1]
    return out


def _kind_ok(kind: str, taxonomy: Taxonomy) -> bool:
    rtype, _, unit = kind.partition(":")
    return rtype in taxonomy.record_types and (not unit or unit in taxonomy.record_types[rtype])


def _load_metric_units(path: Path, taxonomy: Taxonomy) -> tuple[dict[str, tuple[str, ...]], dict[str, str]]:
    metric_units: dict[str, tuple[str, ...]] = {}
    defaults: dict[str, str] = {}
    for n, row in _rows(path, ("metric", "compatible kinds", "default for"), 2):
        if row[0] not in taxonomy.labels["metric"]:
            raise ModelError(path, n, f"{row[0]!r} is not a metric label",
                             "use one of " + ", ".join(sorted(taxonomy.labels["metric"])))
        kinds = [k.strip() for k in row[1].split(",") if k.strip()]
        own = [k.strip() for k in (row[2] if len(row) > 2 else "").split(",") if k.strip()]
        for k in kinds + own:
            if not _kind_ok(k, taxonomy):
                raise ModelError(path, n, f"{k!r} is not a quantity kind",
                                 "a kind is a type (amount, count, ratio) or type:unit (count:person)")
        metric_units[row[0]] = tuple(kinds)
        for k in own:
            defaults[k] = row[0]
    return metric_units, defaults


def _place_lengths(names: Iterable[str]) -> dict[str, tuple[int, ...]]:
    """For each last character of a place name, the lengths of the names ending in it, longest first."""
    by_suffix: dict[str, set[int]] = {}
    for name in names:
        by_suffix.setdefault(name[-1], set()).add(len(name))
    return {ch: tuple(sorted(lengths, reverse=True)) for ch, lengths in by_suffix.items()}


def _renamed_groups(pattern: str, i: int) -> str:
    """``pattern`` with every named group (and back-reference) suffixed ``__i``: stdlib re needs unique names."""
    pattern = re.sub(r"\(\?P<(\w+)>", lambda m: "(?P<%s__%d>" % (m.group(1), i), pattern)
    return re.sub(r"\(\?P=(\w+)\)", lambda m: "(?P=%s__%d)" % (m.group(1), i), pattern)


def _load_periods(path: Path, fold: _Folder) -> tuple[list[str], list[str]]:
    names, patterns = [], []
    for n, obj in _jsonl(path, PERIOD_KEYS):
        if not isinstance(obj["name"], str) or not obj["name"]:
            raise ModelError(path, n, "name must be a non-empty string")
        pattern = fold.pattern(obj["pattern"]) if isinstance(obj["pattern"], str) else obj["pattern"]
        groups = set(_compile(re, pattern, path, n).groupindex)
        unknown = sorted(groups - set(PERIOD_GROUPS))
        if unknown:
            raise ModelError(path, n, f"unknown group name(s) {unknown}: the resolver would ignore them",
                             "use " + "; ".join(f"{g} = {w}" for g, w in PERIOD_GROUPS.items()))
        for a, b in (("m1", "m2"), ("m2", "m1"), ("d", "m")):
            if a in groups and b not in groups:
                raise ModelError(path, n, f"group {a} without {b}", f"a month range needs both m1 and m2; "
                                 f"a day (d) needs its month (m): add (?P<{b}>...)")
        names.append(obj["name"])
        patterns.append(pattern)
    return names, patterns


def _load_noise(path: Path, fold: _Folder) -> tuple[tuple[str, "regex.Pattern[str]"], ...]:
    out = []
    for n, obj in _jsonl(path, NOISE_KEYS):
        if obj["kind"] not in NOISE_KINDS:
            raise ModelError(path, n, f"unknown noise kind {obj['kind']!r}", "use one of " + ", ".join(NOISE_KINDS))
        out.append((obj["kind"], _compile(regex, fold.pattern(str(obj["pattern"])) if isinstance(
            obj["pattern"], str) else obj["pattern"], path, n)))
    return tuple(out)


def _load_headings(path: Path, fold: _Folder) -> tuple[tuple[int, "regex.Pattern[str]"], ...]:
    out = []
    for n, obj in _jsonl(path, HEADING_KEYS):
        level = obj["level"]
        if not (isinstance(level, int) and not isinstance(level, bool) and 1 <= level <= MAX_HEADING_LEVEL):
            raise ModelError(path, n, f"level {level!r} must be a whole number from 1 to {MAX_HEADING_LEVEL}")
        pattern = fold.pattern(obj["pattern"]) if isinstance(obj["pattern"], str) else obj["pattern"]
        compiled = _compile(regex, pattern, path, n)
        if "marker" not in compiled.groupindex:
            raise ModelError(path, n, "no (?P<marker>...) group", "wrap the numbering (一、, (二)) in (?P<marker>...)")
        out.append((level, compiled))
    return tuple(out)


def _load_stocks(path: Path, taxonomy: Taxonomy) -> frozenset[str]:
    out = set()
    for n, word in _word_lines(path):
        if word not in taxonomy.labels["metric"] and not (":" in word and _kind_ok(word, taxonomy)):
            raise ModelError(path, n, f"{word!r} is not a metric label or a quantity kind",
                             "stocks.txt lists metric labels or kinds (count:bed), one a line")
        out.add(word)
    return frozenset(out)


def _char_escape(cell: str) -> str:
    """A character as written in char_table.tsv: itself, an escape (\\n, \\t) or a code point (U+0420)."""
    if cell in ("\\n", "\\t"):
        return {"\\n": "\n", "\\t": "\t"}[cell]
    if re.fullmatch(r"U\+[0-9A-Fa-f]{4,6}", cell):
        return chr(int(cell[2:], 16))
    return cell


def _load_char_table(path: Path) -> tuple[tuple[str, str], ...]:
    out = []
    for n, row in _rows(path, ("from", "to"), 2):
        row = [_char_escape(c) for c in row]
        if len(row[0]) != 1 or len(row[1]) != 1:
            raise ModelError(path, n, "each side must be one character (folding never changes the text length)")
        out.append((row[0], row[1]))
    return tuple(out)


def _quantity_pattern(units: dict[str, Unit], multipliers: dict[str, float], per_units: dict[str, str]) -> str:
    # 。 as a decimal point only right before a multiplier or unit ("2817。36万元", not "共3人。2024年")
    num = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+。\d{1,2}(?=[万亿元%])|\d+(?:\.\d+)?"
    mult = trie_pattern(list(multipliers)) or "(?!)"
    unit = trie_pattern(list(units)) or "(?!)"
    per = trie_pattern(list(per_units)) or "(?!)"
    # a Latin multiplier (k) counts only when no other letter follows it: 10km is not ten thousand;
    # a rate may be divided twice (元/人/年)
    return (
        r"(?<![\d.A-Za-z_])(?P<neg>[-−])?(?P<num>" + num + r")"
        r"(?:(?P<yi>亿)(?P<num2>\d+(?:\.\d+)?))?"
        r"(?P<approx>余|多)?(?:[ \t]?(?P<mult>" + mult + r")(?![a-z]))?(?P<approx2>余|多)?"
        r"(?:(?<![ \t])[ \t]?(?P<unit>" + unit + r"))?"
        r"(?P<per>/(?:" + per + r")(?:/(?:" + per + r"))?)?"
    )


def _cn_quantity_pattern(units: dict[str, Unit]) -> str:
    digits = "零〇一二两三四五六七八九十百千万亿点"
    unit = trie_pattern([u for u in units if not u.startswith(("%", "‰", "个百分点", "百分点"))])
    # the look-behinds make a run of numerals start a match only at its first character: linear time
    return (
        r"(?<!百分之)(?<![" + digits + r"])(?:(?P<pct>百分之[" + digits + r"]{1,12})"
        r"|(?P<cn>[" + digits + r"]{1,24})(?P<cnunit>" + unit + r"))"
    )


# ---------------------------------------------------------------- assembly

def load_model(path: Union[str, Path, None] = None) -> Model:
    """Load a model folder (default: the packaged one), validate every file and compile its patterns.

    Raises ``ModelError`` (a ``ValueError``) naming the file and line of the first problem found.
    """
    root = Path(path) if path is not None else default_model_dir()
    if not root.is_dir():
        raise ModelError(root, None, "no such model folder",
                         "pass the folder that holds taxonomy.json (a copy of the packaged models/default)")
    if not (root / "taxonomy.json").is_file():
        raise ModelError(root, None, "not a model folder (no taxonomy.json)",
                         "pass the folder that holds taxonomy.json (a copy of the packaged models/default)")
    missing = [f for f in REQUIRED_FILES if not (root / f).is_file()]
    if missing:
        raise ModelError(root, None, "not a complete model folder: missing " + ", ".join(missing),
                         "copy the missing files from the packaged model: "
                         "python -c 'import medins_ie.paths as p; print(p.default_model_dir())'")
    # the cache key holds the files' modification times: an edited model copy is read again
    stamp = tuple(sorted((str(p), p.stat().st_mtime_ns) for p in root.rglob("*") if p.is_file()))
    return _load_model_cached(str(root.resolve()), stamp)


@lru_cache(maxsize=8)
def _load_model_cached(root_str: str, stamp: tuple = ()) -> Model:
    root = Path(root_str)
    lex, pat = root / "lexicons", root / "patterns"
    taxonomy = _load_taxonomy(root / "taxonomy.json")
    qualifier_fields = tuple(k for k, v in taxonomy.qualifiers.items() if isinstance(v, list))
    meta = _check_meta(root / "meta.json", taxonomy, qualifier_fields)
    extra = _load_char_table(root / "char_table.tsv")
    char_table = build_char_table(None, extra)
    fold = _Folder(char_table)

    place_candidates = _load_place_candidates(lex / "divisions.tsv", fold)
    places = {surface: found[0] for surface, found in place_candidates.items()}
    regions = _load_regions(lex / "regions.tsv", fold, place_candidates)
    terms, metric_lines = _load_terms(lex / "terms.tsv", taxonomy, regions, fold, qualifier_fields)
    units = _load_units(lex / "units.tsv", taxonomy, fold)
    multipliers = _load_multipliers(lex / "multipliers.tsv", fold)
    per_units = _load_per_units(lex / "per_units.tsv", taxonomy, fold)
    count_nouns = _load_count_nouns(lex / "count_nouns.tsv", taxonomy, fold)
    metric_units, unit_defaults = _load_metric_units(lex / "metric_units.tsv", taxonomy)
    for metric, n in metric_lines.items():
        if metric not in metric_units:
            raise ModelError(lex / "terms.tsv", n, f"metric {metric!r} has no row in lexicons/metric_units.tsv, "
                             "so no quantity would ever bind to it",
                             f"add a row to metric_units.tsv: {metric}<TAB>amount,ratio (the kinds it can measure)")

    period_names, period_patterns = _load_periods(pat / "periods.jsonl", fold)
    period_src = "|".join("(?P<_p%d>%s)" % (i, _renamed_groups(p, i)) for i, p in enumerate(period_patterns))
    # (?<![\d.]) keeps "2.66个月" or "20243" from yielding a month/year inside a larger number
    # the look-ahead lets the engine skip, in one test, every position where no period can start
    starts = "".join(sorted({ch for p in period_patterns for ch in _cjk_chars(p)}))
    # a period never starts inside a number ("2.66个月"), except after a list marker at a line start ("2.1-11月")
    period_re = re.compile(r"(?=[\d" + re.escape(starts) + r"])(?<!\d)(?:(?<!\d\.)|(?<=\n\d\.)|(?<=\n\d\d\.))"
                           r"(?:" + (period_src or "(?!)") + ")")
    asof = [fold.surface(w) for _, w in _word_lines(pat / "asof.txt")]
    asof_re = regex.compile("(?:" + trie_pattern(asof) + r")\s{0,2}$") if asof else regex.compile(r"(?!)")

    userdict = root / "jieba_userdict.txt"
    if userdict.exists():
        _text(userdict)  # an encoding problem is reported here, not when spaCy is first used
    return Model(
        path=root, meta=meta, taxonomy=taxonomy, terms=terms, units=units, multipliers=multipliers,
        count_nouns=count_nouns, regions=regions, char_table=char_table,
        # full place names are found from their suffix (recognize.find_terms): a trie of three thousand
        # names would make every position of the text ten times slower to scan
        term_re=re.compile(trie_pattern(sorted(t for t in terms if t not in places or not _ends_place(t)))
                           or "(?!)"),
        place_suffixes=frozenset(PLACE_SUFFIXES),
        place_suffix_re=re.compile("[" + PLACE_SUFFIXES + "]"),
        place_names=frozenset(t for t in places if _ends_place(t)),
        place_max_len=max((len(t) for t in places), default=0),
        place_lengths=_place_lengths(t for t in places if _ends_place(t)),
        quantity_re=regex.compile(_quantity_pattern(units, multipliers, per_units)),
        cn_quantity_re=regex.compile(_cn_quantity_pattern(units)),
        period_re=period_re, period_names=tuple(period_names), asof_re=asof_re,
        period_groups=tuple(tuple((k.rsplit("__", 1)[0], k) for k in period_re.groupindex
                                  if k.endswith(f"__{i}")) for i in range(len(period_names))),
        noise=_load_noise(pat / "noise.jsonl", fold), headings=_load_headings(pat / "headings.jsonl", fold),
        inline_markers=tuple(fold.surface(w) for _, w in _word_lines(pat / "inline_markers.txt")),
        plan_title_words=tuple(("!" + fold.surface(w[1:])) if w.startswith("!") else fold.surface(w)
                               for _, w in _word_lines(pat / "plan_titles.txt")),
        userdict_path=userdict if userdict.exists() else None,
        metric_units=metric_units,
        unit_defaults=unit_defaults,
        stocks=_load_stocks(pat / "stocks.txt", taxonomy),
        qualifier_siblings={k: tuple(x for x in group if x != k)
                            for group in meta.get("qualifier_groups", []) for k in group},
        per_units=per_units,
        qualifier_fields=qualifier_fields,
        places=places, place_candidates=place_candidates,
        scoping=_load_scoping(pat / "scoping.tsv"),
        continuation_words=tuple(fold.surface(w) for _, w in _word_lines(pat / "continuation.txt")),
        programme_schemes=_scheme_set(meta, "programme_schemes", taxonomy, root / "meta.json"),
        words=_load_words(pat / "words.tsv", fold),
        after_metric=_load_after_metric(lex / "metric_after.tsv", taxonomy, fold),
        metric_by_scheme=_load_metric_by_scheme(lex / "metric_by_scheme.tsv", taxonomy),
        metric_by_unit=_load_metric_by_unit(lex / "metric_by_unit.tsv", taxonomy),
        unqualified=_load_metric_qualifiers(lex / "metric_qualifiers.tsv", taxonomy, qualifier_fields),
    )


PLACE_SUFFIXES = "省市县区州旗盟"


def _ends_place(name: str) -> bool:
    return len(name) >= 2 and name[-1] in PLACE_SUFFIXES


SCOPE_FIELDS = ("scheme", "account", "metric", "period", "region", "status", "qualifiers", "includes")
BOUNDARIES = ("title", "headline", "heading", "intro", "continuation", "sentence")


def _load_scoping(path: Path) -> dict[str, frozenset[str]]:
    """Boundary -> the fields that pass it; a boundary the file does not name lets every field pass."""
    policy = {b: frozenset(SCOPE_FIELDS) for b in BOUNDARIES}
    for n, row in _rows(path, ("boundary", "fields that pass (comma-separated)"), 1):
        boundary = row[0]
        fields = frozenset(f.strip() for f in (row[1] if len(row) > 1 else "").split(",") if f.strip())
        if boundary not in BOUNDARIES:
            raise ModelError(path, n, f"unknown boundary {boundary!r}", "the boundary is one of " + ", ".join(BOUNDARIES))
        unknown = sorted(fields - set(SCOPE_FIELDS))
        if unknown:
            raise ModelError(path, n, f"unknown field(s) {unknown}", "fields are " + ", ".join(SCOPE_FIELDS))
        policy[boundary] = fields
    return policy


def _load_place_candidates(path: Path, fold: _Folder) -> dict[str, tuple[Place, ...]]:
    """Every surface of the gazetteer -> all the divisions it can name, in file order (朝阳区: Beijing's first)."""
    places: dict[str, tuple[Place, ...]] = {}
    levels = ("province", "city", "county")
    for n, row in _rows(path, ("code", "name", "level", "parent", "aliases (comma-separated)"), 3):
        code, name, level = row[0], row[1], row[2]
        if not (code.isdigit() and len(code) == 6):
            raise ModelError(path, n, f"code {code!r} is not a six-digit division code", "write e.g. 430300")
        if level not in levels:
            raise ModelError(path, n, f"unknown level {level!r}", "the level is one of " + ", ".join(levels))
        place = Place(code, name, level, row[3] if len(row) > 3 else "")
        surfaces = [fold.surface(name)] + [fold.surface(a.strip()) for a in (row[4].split(",") if len(row) > 4 else [])
                                           if a.strip()]
        for surface in dict.fromkeys(surfaces):
            if place not in places.get(surface, ()):
                places[surface] = places.get(surface, ()) + (place,)
    return places


def _scheme_set(meta: dict, key: str, taxonomy: Taxonomy, path: Path) -> frozenset[str]:
    values = meta.get(key, ())
    bad = [v for v in values if v not in taxonomy.labels["scheme"]]
    if bad:
        raise ModelError(path, None, f"{key} names {bad}, which are not scheme labels of the taxonomy",
                         "use scheme labels from taxonomy.json")
    return frozenset(values)


def _load_metric_qualifiers(path: Path, taxonomy: Taxonomy,
                            qualifier_fields: tuple[str, ...]) -> dict[str, frozenset[str]]:
    out: dict[str, frozenset[str]] = {}
    for n, row in _rows(path, ("metric", "qualifier keys (comma-separated)"), 2):
        if row[0] not in taxonomy.labels["metric"]:
            raise ModelError(path, n, f"{row[0]!r} is not a metric label of the taxonomy",
                             "use a metric label from taxonomy.json")
        keys = frozenset(k.strip() for k in row[1].split(",") if k.strip())
        bad = sorted(keys - set(qualifier_fields))
        if bad:
            raise ModelError(path, n, f"unknown qualifier key(s) {bad}", "keys are " + ", ".join(qualifier_fields))
        out[row[0]] = keys
    return out


def _load_metric_by_unit(path: Path, taxonomy: Taxonomy) -> dict[tuple[str, str], str]:
    out: dict[tuple[str, str], str] = {}
    for n, row in _rows(path, ("metric", "quantity kind", "metric it becomes"), 3):
        for label in (row[0], row[2]):
            if label not in taxonomy.labels["metric"]:
                raise ModelError(path, n, f"{label!r} is not a metric label of the taxonomy",
                                 "use a metric label from taxonomy.json")
        if not _kind_ok(row[1], taxonomy):
            raise ModelError(path, n, f"{row[1]!r} is not a quantity kind", "write type:unit, e.g. count:person")
        out[(row[0], row[1])] = row[2]
    return out


WORD_KINDS = ("corner", "total", "grand_total", "caption", "includes", "enum", "change", "after_change", "compare",
              "benchmark", "policy", "accounts", "to_value", "copula",
              "threshold", "rate")


def _load_words(path: Path, fold: _Folder) -> dict[str, dict[str, int]]:
    """Function words by kind (word -> its value, 0 when the kind has none)."""
    out: dict[str, dict[str, int]] = {k: {} for k in WORD_KINDS}
    for n, row in _rows(path, ("kind", "word", "value"), 2):
        if row[0] not in WORD_KINDS:
            raise ModelError(path, n, f"unknown kind {row[0]!r}", "the kind is one of " + ", ".join(WORD_KINDS))
        value = 0
        if len(row) > 2 and row[2]:
            if row[2] not in ("1", "-1"):
                raise ModelError(path, n, f"value {row[2]!r} is not a sign", "write 1 or -1")
            value = int(row[2])
        out[row[0]][fold.surface(row[1])] = value
    return out


def _load_metric_by_scheme(path: Path, taxonomy: Taxonomy) -> dict[tuple[str, str], str]:
    out: dict[tuple[str, str], str] = {}
    for n, row in _rows(path, ("scheme", "metric", "metric it becomes"), 3):
        if row[0] not in taxonomy.labels["scheme"]:
            raise ModelError(path, n, f"{row[0]!r} is not a scheme label of the taxonomy", "use a scheme label")
        for label in (row[1], row[2]):
            if label not in taxonomy.labels["metric"]:
                raise ModelError(path, n, f"{label!r} is not a metric label of the taxonomy", "use a metric label")
        out[(row[0], row[1])] = row[2]
    return out


def _load_after_metric(path: Path, taxonomy: Taxonomy, fold: _Folder) -> dict[str, str]:
    out: dict[str, str] = {}
    for n, row in _rows(path, ("word", "metric"), 2):
        if row[1] not in taxonomy.labels["metric"]:
            raise ModelError(path, n, f"{row[1]!r} is not a metric label of the taxonomy", "use a metric label")
        out[fold.surface(row[0])] = row[1]
    return out
