"""Loading a rule model: the data files of a model folder, compiled once into matchers.

A model folder (the packaged ``models/default``, or a researcher's edited copy) holds:

- ``meta.json``          name, version, pipeline (component names in order)
- ``taxonomy.json``      canonical labels (see ``taxonomy.py``)
- ``lexicons/terms.tsv`` surface -> (field, label, options); fields are scheme, account, metric, qualifier keys,
                         measure/status/direction cues and regions
- ``lexicons/regions.tsv``, ``units.tsv``, ``multipliers.tsv``, ``count_nouns.tsv``
- ``patterns/periods.jsonl``, ``asof.txt``, ``noise.jsonl``, ``headings.jsonl``, ``inline_markers.txt``,
  ``plan_titles.txt``
- ``jieba_userdict.txt`` extra words for the tokenizer (term surfaces are added automatically)

Nothing in Python names a surface form; adding a row to a file is enough.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterator, Optional, Union

import re

import regex

from .normalize import build_char_table
from .paths import default_model_dir
from .taxonomy import Taxonomy

QUALIFIER_FIELDS = ("setting", "location", "settlement", "institution", "payment_method")
TERM_FIELDS = ("scheme", "account", "metric", "measure", "status", "direction", "region", "includes",
               "ignore") + QUALIFIER_FIELDS


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
    scoping: dict[str, frozenset[str]] = field(default_factory=dict)   # boundary -> fields that pass it
    continuation_words: tuple[str, ...] = ()
    programme_schemes: frozenset[str] = frozenset()   # schemes whose breakdowns by population stay theirs
    unqualified: dict[str, frozenset[str]] = field(default_factory=dict)   # metric -> qualifier keys it never takes

    @property
    def name(self) -> str:
        return str(self.meta.get("name", self.path.name))


# ---------------------------------------------------------------- file readers

def _rows(path: Path) -> Iterator[list[str]]:
    """Non-comment, non-empty TSV rows."""
    if not path.exists():
        return
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.rstrip("\n\r")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            yield line.split("\t")


def _lines(path: Path) -> list[str]:
    return [r[0].strip() for r in _rows(path)]


def _jsonl(path: Path) -> list[dict]:
    out = []
    if path.exists():
        with open(path, encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                line = line.strip()
                if line and not line.startswith("#") and not line.startswith("//"):
                    try:
                        out.append(json.loads(line))
                    except json.JSONDecodeError as exc:
                        raise ValueError(f"{path}:{n}: not valid JSON: {exc}") from exc
    return out


def _cjk_chars(pattern: str) -> set[str]:
    """Every CJK character a pattern mentions: a safe superset of the characters a match can start with."""
    return {ch for ch in pattern if "\u3400" <= ch <= "\u9fff"}


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


# ---------------------------------------------------------------- assembly

def _load_terms(path: Path, taxonomy: Taxonomy, regions: dict[str, str]) -> dict[str, tuple[Assignment, ...]]:
    terms: dict[str, list[Assignment]] = {}
    for n, row in enumerate(_rows(path), 1):
        if len(row) < 3:
            raise ValueError(f"{path}: row {n} {row!r} needs surface, field and label")
        surface, fld, label = row[0].strip(), row[1].strip(), row[2].strip()
        opts = set((row[3] if len(row) > 3 else "").replace(",", " ").split())
        if fld not in TERM_FIELDS:
            raise ValueError(f"{path}: row {n}: unknown field {fld!r}")
        if fld in ("scheme", "account", "metric", "measure", "status") and label not in taxonomy.labels[fld]:
            raise ValueError(f"{path}: row {n}: {label!r} is not a {fld} label of the taxonomy")
        if fld == "includes" and label not in taxonomy.labels["scheme"]:
            raise ValueError(f"{path}: row {n}: includes {label!r} is not a scheme label of the taxonomy")
        if fld in QUALIFIER_FIELDS and label not in taxonomy.qualifiers.get(fld, ()):
            raise ValueError(f"{path}: row {n}: {label!r} is not a {fld} qualifier of the taxonomy")
        terms.setdefault(surface.lower(), []).append(
            Assignment(fld, label, clause_scope="scope=clause" in opts, weak="weak" in opts,
                       population="population" in opts))
    for alias, name in regions.items():
        terms.setdefault(alias, []).append(Assignment("region", name))
    return {k: tuple(v) for k, v in terms.items()}


def _quantity_pattern(units: dict[str, Unit], multipliers: dict[str, float]) -> str:
    num = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
    mult = trie_pattern(list(multipliers))
    unit = trie_pattern(list(units))
    return (
        r"(?<![\d.A-Za-z_])(?P<neg>[-−])?(?P<num>" + num + r")"
        r"(?:(?P<yi>亿)(?P<num2>\d+(?:\.\d+)?))?"
        r"(?P<approx>余|多)?(?P<mult>" + mult + r")?(?P<approx2>余|多)?"
        r"(?P<unit>" + unit + r")?"
        r"(?P<per>/(?:月|年|人|日|天|次|床日))?"
    )


def _cn_quantity_pattern(units: dict[str, Unit]) -> str:
    digits = "零〇一二两三四五六七八九十百千万亿点"
    unit = trie_pattern([u for u in units if not u.startswith(("%", "‰", "个百分点", "百分点"))])
    # the look-behinds make a run of numerals start a match only at its first character: linear time
    return (
        r"(?<!百分之)(?<![" + digits + r"])(?:(?P<pct>百分之[" + digits + r"]{1,12})"
        r"|(?P<cn>[" + digits + r"]{1,24})(?P<cnunit>" + unit + r"))"
    )


def load_model(path: Union[str, Path, None] = None) -> Model:
    """Load a model folder (default: the packaged one) and compile its patterns."""
    root = Path(path) if path is not None else default_model_dir()
    if not (root / "taxonomy.json").is_file():
        raise FileNotFoundError(f"medins_ie: {root} is not a model folder (no taxonomy.json)")
    # the cache key holds the files' modification times: an edited model copy is read again
    stamp = tuple(sorted((str(p), p.stat().st_mtime_ns) for p in root.rglob("*") if p.is_file()))
    return _load_model_cached(str(root.resolve()), stamp)


@lru_cache(maxsize=8)
def _load_model_cached(root_str: str, stamp: tuple = ()) -> Model:
    root = Path(root_str)
    meta = json.loads((root / "meta.json").read_text(encoding="utf-8")) if (root / "meta.json").exists() else {}
    taxonomy = Taxonomy.from_file(root / "taxonomy.json")
    lex, pat = root / "lexicons", root / "patterns"

    places = _load_places(lex / "divisions.tsv")
    # a region is labelled as the text writes it (安徽, 安徽省, 延边州); the gazetteer adds the division code
    regions: dict[str, str] = {surface: surface for surface in places}
    for row in _rows(lex / "regions.tsv"):
        for surface in [row[0]] + (row[1].split(",") if len(row) > 1 else []):
            if surface.strip():
                regions[surface.strip()] = surface.strip()
    terms = _load_terms(lex / "terms.tsv", taxonomy, regions)
    units = {r[0]: Unit(r[1], r[2]) for r in _rows(lex / "units.tsv")}
    for u in units.values():
        if u.type not in taxonomy.record_types or u.unit not in taxonomy.record_types[u.type]:
            raise ValueError(f"{lex / 'units.tsv'}: {u} is not a type/unit pair of the taxonomy")
    multipliers = {r[0]: float(r[1]) for r in _rows(lex / "multipliers.tsv")}
    count_nouns = {r[0]: r[1] for r in _rows(lex / "count_nouns.tsv")}

    periods = _jsonl(pat / "periods.jsonl")
    asof = _lines(pat / "asof.txt")
    # stdlib re (about twice as fast here) needs unique group names: "y" of pattern 3 becomes "y__3"
    period_src = "|".join("(?P<_p%d>%s)" % (i, re.sub(r"\(\?P<(\w+)>", lambda m: "(?P<%s__%d>" % (m.group(1), i),
                                                     p["pattern"])) for i, p in enumerate(periods))
    # (?<![\d.]) keeps "2.66个月" or "20243" from yielding a month/year inside a larger number
    # the look-ahead lets the engine skip, in one test, every position where no period can start
    starts = "".join(sorted({ch for p in periods for ch in _cjk_chars(p["pattern"])}))
    period_re = re.compile(r"(?=[\d" + re.escape(starts) + r"])(?<![\d.])(?:" + period_src + ")")
    asof_re = regex.compile("(?:" + trie_pattern(asof) + r")\s{0,2}$") if asof else regex.compile(r"(?!)")

    noise = tuple((n["kind"], regex.compile(n["pattern"])) for n in _jsonl(pat / "noise.jsonl"))
    headings = tuple((int(h["level"]), regex.compile(h["pattern"])) for h in _jsonl(pat / "headings.jsonl"))

    term_re = re.compile(trie_pattern(sorted(terms)))  # surfaces are lower case; so is folded ASCII
    extra = tuple(tuple(r[:2]) for r in _rows(root / "char_table.tsv") if len(r) >= 2)
    userdict = root / "jieba_userdict.txt"
    metric_units = {r[0]: tuple(r[1].split(",")) for r in _rows(lex / "metric_units.tsv")}
    unit_defaults = {kind: r[0] for r in _rows(lex / "metric_units.tsv") if len(r) > 2 for kind in r[2].split(",")}
    return Model(
        path=root, meta=meta, taxonomy=taxonomy, terms=terms, units=units, multipliers=multipliers,
        count_nouns=count_nouns, regions=regions, char_table=build_char_table(None, extra),  # type: ignore[arg-type]
        term_re=term_re,
        quantity_re=regex.compile(_quantity_pattern(units, multipliers)),
        cn_quantity_re=regex.compile(_cn_quantity_pattern(units)),
        period_re=period_re, period_names=tuple(p["name"] for p in periods), asof_re=asof_re,
        noise=noise, headings=headings,
        inline_markers=tuple(_lines(pat / "inline_markers.txt")),
        plan_title_words=tuple(_lines(pat / "plan_titles.txt")),
        userdict_path=userdict if userdict.exists() else None,
        metric_units=metric_units,
        unit_defaults=unit_defaults,
        stocks=frozenset(_lines(pat / "stocks.txt")),
        qualifier_siblings={k: tuple(x for x in group if x != k)
                            for group in meta.get("qualifier_groups", []) for k in group},
        places=places,
        scoping=_load_scoping(pat / "scoping.tsv"),
        continuation_words=tuple(_lines(pat / "continuation.txt")),
        programme_schemes=frozenset(meta.get("programme_schemes", ())),
        unqualified={r[0].strip(): frozenset(k.strip() for k in r[1].split(",") if k.strip())
                     for r in _rows(lex / "metric_qualifiers.tsv") if len(r) > 1},
    )


SCOPE_FIELDS = ("scheme", "account", "metric", "period", "region", "status", "qualifiers", "includes")
BOUNDARIES = ("title", "headline", "heading", "intro", "continuation", "sentence")


def _load_scoping(path: Path) -> dict[str, frozenset[str]]:
    """Boundary -> the fields that pass it; a boundary the file does not name lets every field pass."""
    policy = {b: frozenset(SCOPE_FIELDS) for b in BOUNDARIES}
    for n, row in enumerate(_rows(path), 1):
        boundary = row[0].strip()
        fields = frozenset(f.strip() for f in (row[1] if len(row) > 1 else "").split(",") if f.strip())
        unknown = fields - set(SCOPE_FIELDS)
        if boundary not in BOUNDARIES or unknown:
            raise ValueError(f"{path}: row {n}: unknown boundary or fields {boundary!r} {sorted(unknown)}; "
                             f"boundaries are {BOUNDARIES}, fields {SCOPE_FIELDS}")
        policy[boundary] = fields
    return policy


def _load_places(path: Path) -> dict[str, Place]:
    """Every surface of the gazetteer (full names and aliases) -> its division; the first code wins a clash."""
    places: dict[str, Place] = {}
    for row in _rows(path):
        if len(row) < 3:
            continue
        code, name, level = row[0].strip(), row[1].strip(), row[2].strip()
        place = Place(code, name, level, row[3].strip() if len(row) > 3 else "")
        places.setdefault(name, place)
        for alias in (row[4].split(",") if len(row) > 4 else []):
            if alias.strip():
                places.setdefault(alias.strip(), place)
    return places
