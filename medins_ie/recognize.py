"""Stage 4: typed mentions in the normalized text — quantities, periods and lexicon terms.

Each recogniser is one compiled pattern from the model applied with ``finditer`` (linear time);
the results are plain tuples-with-names in normalized coordinates, merged in span order.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Optional

from .model import Assignment, Model

_COMPARED_AFTER = re.compile(r"\s?(?:相比|比较|对比)")
_ORDINAL = re.compile(r"第[ \t]?$")
_SINCE_BEFORE = re.compile(r"[自从]\s*$")
_SINCE_RIGHT_AFTER = re.compile(r"\s?(?:起|以来)")
_SINCE_AFTER = re.compile(r"[^,。;]{0,14}?(?:以来|起)")
CN_Q = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


@dataclass(slots=True)
class Quantity:
    """A number with its multiplier and unit (``unit_surface`` empty for a bare number)."""

    start: int
    end: int
    value: float
    type: Optional[str]          # amount | count | ratio, or None when no unit says it
    unit: Optional[str]
    unit_surface: str = ""
    has_multiplier: bool = False
    per: str = ""
    negative: bool = False
    multiplier: float = 1.0
    per_measure: str = ""        # the measure a per-unit suffix sets (元/人次 -> per_visit), from per_units.tsv
    shared_unit: bool = False    # a bare number that takes the unit of the list it belongs to

    @property
    def bare(self) -> bool:
        return not self.unit_surface and not self.has_multiplier and not self.shared_unit


@dataclass(slots=True)
class PeriodSpec:
    """A parsed period expression; the year may be missing and is resolved in context."""

    start: int
    end: int
    name: str
    year: Optional[int] = None
    m1: Optional[int] = None
    m2: Optional[int] = None
    day: Optional[int] = None
    asof: bool = False           # 截至/截止 before it, or 底/末 after it
    months: tuple[int, ...] = ()
    comparison: bool = False     # "比2023年末": the base of a comparison, not the period of a figure
    year_offset: int = 0         # "上年结余": the year before the one the context supplies
    from_publication: bool = False  # 去年/今年 count from the publication date, not from the report
    relative: str = ""           # "month": 本月 (the report's last month); "period": 期末 (the end of the period)
    since: bool = False          # "自2020年10月…以来": the start of a cumulative span
    start_from: Optional["PeriodSpec"] = None   # an as-of date after 自X以来: the span starts at X
    number_lost: bool = False    # "2024季度": a quarter without its number (group ``qx``)
    dateline: bool = False       # "3月2日电": a news dateline, not a period of the figures
    year2: Optional[int] = None  # a range's last year (2019至2021年, 2023年1月1日至2024年6月30日)
    day2: Optional[int] = None   # a date range's last day


@dataclass(slots=True)
class Term:
    """A lexicon term and what it assigns (``period``: one written inside it, as 上年 in 上年结余)."""

    start: int
    end: int
    assignments: tuple[Assignment, ...]
    period: Optional["PeriodSpec"] = None

    def get(self, field: str) -> Optional[Assignment]:
        for a in self.assignments:
            if a.field == field:
                return a
        return None


def _int(s: Optional[str]) -> Optional[int]:
    return int(s) if s else None


def find_periods(text: str, model: Model, pos: int = 0, endpos: Optional[int] = None) -> list[PeriodSpec]:
    """Period expressions in ``text[pos:endpos]``."""
    out: list[PeriodSpec] = []
    endpos = len(text) if endpos is None else endpos
    for m in model.period_re.finditer(text, pos, endpos):
        idx = int(m.lastgroup[2:])  # the enclosing "_pN" group closes last
        gd = {}
        for short, full in model.period_groups[idx]:
            v = m.group(full)
            if v is not None:
                gd[short] = v
        spec = PeriodSpec(m.start(), m.end(), model.period_names[idx], year=_int(gd.get("y")))
        q, qn, h = gd.get("q"), gd.get("qn"), gd.get("h")
        if gd.get("y2"):
            spec.year2, spec.day2 = int(gd["y2"]), _int(gd.get("d2"))
        if gd.get("m1"):
            spec.m1, spec.m2 = int(gd["m1"]), int(gd["m2"])
        elif q:
            spec.m1, spec.m2 = 3 * CN_Q[q] - 2, 3 * CN_Q[q]
        elif qn:
            spec.m1, spec.m2 = 1, 3 * CN_Q[qn]
        elif gd.get("mn"):  # "前10个月": the first N months of the year
            n = _small_number(gd["mn"])
            if n is None or not 1 <= n <= 12:
                continue
            spec.m1, spec.m2 = 1, n
        elif h:
            spec.m1, spec.m2 = (1, 6) if h == "上" else (7, 12)
        elif gd.get("mlist"):
            spec.months = tuple(int(x) for x in _digits(gd["mlist"]))
            spec.m1, spec.m2 = min(spec.months), max(spec.months)
        elif gd.get("m"):
            spec.m1 = spec.m2 = int(gd["m"])
            spec.day = _int(gd.get("d"))
        elif gd.get("lastperiod") or gd.get("thisperiod"):
            spec.relative, spec.year_offset = "report", (-1 if gd.get("lastperiod") else 0)
        elif gd.get("rmonth"):
            spec.relative = "month"
        elif gd.get("end"):
            spec.m1 = spec.m2 = 12
            spec.asof = True
        elif gd.get("now"):
            spec.relative, spec.asof = "now", True
        elif gd.get("pend"):
            spec.relative, spec.asof = "period", True
        elif gd.get("prev"):
            spec.year_offset = -1
        elif gd.get("qx"):
            spec.number_lost = True
        elif gd.get("lastyear") or gd.get("thisyear"):
            spec.year_offset = -1 if gd.get("lastyear") else 0
            spec.from_publication = True
        if gd.get("end") in ("底", "末") or spec.day is not None:
            spec.asof = True
        if model.asof_re.search(text, max(0, m.start() - 6), m.start()):
            spec.asof = True
        if text.startswith("电", m.end()):
            spec.dateline = True
        if (m.start() > 0 and text[m.start() - 1] in "比较") or _COMPARED_AFTER.match(text, m.end()):
            spec.comparison = True  # "比2023年末", "与上年相比": the base of a comparison
        if (_SINCE_BEFORE.search(text, max(0, m.start() - 2), m.start()) and
                _SINCE_AFTER.match(text, m.end(), min(len(text), m.end() + 16))) or \
                _SINCE_RIGHT_AFTER.match(text, m.end()):
            spec.since = True  # 自2020年10月…以来, 2024年1月起
        out.append(spec)
    for a, b in zip(out, out[1:]):  # "今年3月底": the month takes the year 今年 names
        if a.from_publication and a.end == b.start and b.year is None and not b.relative:
            b.from_publication, b.year_offset = True, a.year_offset
    return out


def _small_number(s: str) -> Optional[int]:
    """An integer written in digits or as a Chinese numeral up to 99 (十, 十一, 二十), else None."""
    if s.isdigit():
        return int(s)
    if "十" in s:
        tens, _, ones = s.partition("十")
        t = CN_DIGITS.get(tens, 0) if tens else 1
        o = CN_DIGITS.get(ones, 0) if ones else 0
        if (tens and not t) or (ones and not o):
            return None
        return 10 * t + o
    return CN_DIGITS.get(s)


def _digits(s: str) -> list[str]:
    out, cur = [], ""
    for ch in s:
        if ch.isdigit():
            cur += ch
        elif cur:
            out.append(cur)
            cur = ""
    if cur:
        out.append(cur)
    return out


def find_quantities(text: str, model: Model, pos: int = 0, endpos: Optional[int] = None) -> list[Quantity]:
    """Arabic-digit and Chinese-numeral quantities in ``text[pos:endpos]`` (bare numbers included)."""
    endpos = len(text) if endpos is None else endpos
    out: list[Quantity] = []
    multipliers, units, count_nouns, per_units = model.multipliers, model.units, model.count_nouns, model.per_units
    for m in model.quantity_re.finditer(text, pos, endpos):
        neg, num, yi, num2, _, mult, _, unit_surface, per = m.groups()  # one call, not nine
        if _ORDINAL.search(text, max(0, m.start() - 3), m.start()):
            continue  # "第 3268541 位访客", "第3次": an ordinal, not a quantity
        try:
            value = float(num.replace(",", "").replace("。", "."))
        except ValueError:
            continue
        unit_surface = unit_surface or ""
        factor = multipliers.get(mult, 1.0) if mult else 1.0
        has_mult = bool(mult)
        if yi:  # "3亿7694万元"
            value = value * 1e8 + float(num2) * factor
            has_mult, scale = True, 1e4
        else:
            scale = factor
        end = m.end()
        if not unit_surface:
            utype = unit = None
        elif unit_surface == "个" and _starts_with_any(text, end, count_nouns):
            utype, unit = "count", count_nouns[_starts_with_any(text, end, count_nouns)]
        else:
            u = units[unit_surface]
            utype, unit = u.type, u.unit
        if utype == "ratio":
            if has_mult:  # "5万%" is not a ratio we understand
                continue
            if unit_surface == "‰":
                value /= 10.0
        elif not yi:
            value *= factor
        if neg:
            value = -value
        if not math.isfinite(value):
            continue
        per_measure = ""
        if per:  # "元/人/年": the first suffix that makes a rate decides
            per_measure = next((x for x in (per_units.get(p, "") for p in per[1:].split("/")) if x != "level"), "")
        out.append(Quantity(m.start(), end, round(value, 6), utype, unit, unit_surface, has_mult,
                            per[1:] if per else "", bool(neg), scale, per_measure))
    for m in model.cn_quantity_re.finditer(text, pos, endpos):
        q = _cn_quantity(m, model)
        if q is not None:
            out.append(q)
    out.sort(key=lambda q: q.start)
    _share_list_units(text, out)
    return out


_LIST_SEP = re.compile(r"\s*(?:、|和|及|与|,)\s*")


def _share_list_units(text: str, quantities: list[Quantity]) -> None:
    """Bare numbers in a list take the unit written after its last item ("分别提高4.1和2.7个百分点")."""
    for i in range(len(quantities) - 2, -1, -1):
        q, nxt = quantities[i], quantities[i + 1]
        if not q.bare or nxt.type is None:
            continue
        if not _LIST_SEP.fullmatch(text, q.end, nxt.start):
            continue
        if q.start > 0 and (text[q.start - 1].isdigit() or text[q.start - 1] in "年月第."):
            continue
        quantities[i] = Quantity(q.start, q.end, round(q.value * nxt.multiplier, 6) if nxt.type != "ratio" else q.value,
                                 nxt.type, nxt.unit, "", nxt.has_multiplier, nxt.per, q.negative, nxt.multiplier,
                                 per_measure=nxt.per_measure, shared_unit=True)


def _starts_with_any(text: str, pos: int, words: dict[str, str]) -> Optional[str]:
    best = None
    for w in words:
        if text.startswith(w, pos) and (best is None or len(w) > len(best)):
            best = w
    return best


def _cn_quantity(m, model: Model) -> Optional[Quantity]:
    import cn2an  # imported lazily: most documents have no Chinese-numeral amounts

    try:
        if m.group("pct"):
            digits = m.group("pct")[3:]
            value = 100.0 if digits == "百" else float(cn2an.cn2an(digits, "smart"))  # 百分之百
            return Quantity(m.start(), m.end(), value, "ratio", "%", "百分之")
        surface = m.group("cn")
        if len(surface) < 2 or surface in ("千万", "万亿") or not any(ch in surface for ch in "万亿千"):
            return None  # small Chinese-numeral counts (三期, 两家) are out of scope
        value = float(cn2an.cn2an(surface, "smart"))
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    u = model.units[m.group("cnunit")]
    return Quantity(m.start(), m.end(), value, u.type, u.unit, m.group("cnunit"), True)


def find_terms(text: str, model: Model, pos: int = 0, endpos: Optional[int] = None) -> list[Term]:
    """Leftmost-longest lexicon terms and gazetteer places in ``text[pos:endpos]``."""
    endpos = len(text) if endpos is None else endpos
    terms = model.terms
    found = [(m.start(), m.end()) for m in model.term_re.finditer(text, pos, endpos)]
    names, lengths = model.place_names, model.place_lengths
    places = []
    for m in model.place_suffix_re.finditer(text, pos, endpos):
        end = m.end()
        for n in lengths.get(m.group(), ()):  # the longest name that ends here
            start = end - n
            if start >= pos and text[start:end] in names:
                places.append((start, end))
                break
    if places:
        merged, last_end = [], -1
        for s, e in sorted(found + places, key=lambda se: (se[0], -se[1])):
            if s >= last_end:
                merged.append((s, e))
                last_end = e
        found = merged
    left_ok = model.meta.get("short_place_left", "")
    out = []
    for s, e in found:
        surface = text[s:e]
        if e - s <= 2 and s > 0 and surface in model.places:
            # a two-character place (浚县, 眉县) inside a word ("规范县外") is not a place
            before = text[s - 1]
            if "\u4e00" <= before <= "\u9fff" and before not in left_ok:
                continue
        out.append(Term(s, e, terms[surface]))
    return out
