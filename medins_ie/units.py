"""Units written away from their numbers: unit notes (``单位:人、万元``) and bracketed units in table headers
(``参保人数(万人)``, ``次均费用(元)``, ``补助标准(元/人·年)``).

A ``UnitHint`` says what the numbers under a header or a note are; ``cell_kind`` picks, for one table cell,
the innermost hint that fits the cell's metric (cell > row > column > caption > note).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Optional

from .model import Model, trie_pattern

_SPLIT = re.compile(r"[、,，;；]")
RATIO_METRICS = frozenset({"reimbursement_ratio", "coverage_rate"})


@dataclass(frozen=True)
class UnitHint:
    """The kinds of numbers a note or header admits: money (with its multiplier), counts, ratios."""

    money: Optional[float] = None
    counts: tuple[tuple[str, float], ...] = ()   # (count unit, multiplier)
    ratio: bool = False
    per: str = ""                                # "人" in 元/人: the amount is per person

    @property
    def kinds(self) -> int:
        return (self.money is not None) + len(self.counts) + self.ratio

    def resolve(self, metric: Optional[str], natural_count: Optional[str],
                money_metric: bool = False) -> Optional[tuple[str, str, float]]:
        """(type, unit, multiplier) for a number of ``metric`` under this hint, or None if it does not say.

        ``money_metric``: the metric measures money first (a prepayment may be counted, but is money).
        """
        if self.kinds == 1:
            if self.money is not None:
                return ("amount", "CNY", self.money)
            if self.ratio:
                return ("ratio", "%", 1.0)
            unit, mult = self.counts[0]
            return ("count", unit, mult)
        if metric in RATIO_METRICS and self.ratio:
            return ("ratio", "%", 1.0)
        if money_metric and self.money is not None:
            return ("amount", "CNY", self.money)
        if natural_count is not None and self.counts:
            mult = dict(self.counts).get(natural_count)
            if mult is not None:
                return ("count", natural_count, mult)
            if self.money is None:
                return ("count", natural_count, self.counts[0][1])
        if natural_count is None and self.money is not None and metric not in RATIO_METRICS:
            return ("amount", "CNY", self.money)
        return None


class UnitReader:
    """Reads unit hints with a model's unit and multiplier tables (one per model)."""

    def __init__(self, model: Model):
        self.model = model
        units = sorted(model.units, key=len, reverse=True)
        mults = sorted(model.multipliers, key=len, reverse=True)
        unit_alt = trie_pattern(units)
        mult_alt = trie_pattern(mults)
        token = r"(?:" + mult_alt + r")?(?:" + unit_alt + r")(?:\(次\))?(?:/[\u4e00-\u9fff·.]{1,4})?"
        # "单位:人、万元", "单位:(人次、万元)", "(万人)", "(元/人·年)", "(人(次))"
        self._note = re.compile(r"单位\s*[:]?\s*\(?\s*(?P<note>" + token + r"(?:\s*[、,]\s*" + token + r"){0,5})")
        self._bracket = re.compile(r"\(\s*(?P<note>" + token + r"(?:\s*[、,]\s*" + token + r"){0,5})\s*\)")
        self._alone = re.compile(token)
        self._token = re.compile(r"(?P<mult>" + mult_alt + r")?(?P<unit>" + unit_alt + r")(?P<ci>\(次\))?"
                                 r"(?:/(?P<per>[\u4e00-\u9fff]))?")

    @lru_cache(maxsize=4096)
    def hint(self, text: str) -> Optional[UnitHint]:
        """The unit hint a header, caption or note states, if any (the last bracketed unit wins)."""
        m = self._note.search(text)
        found = [m] if m else list(self._bracket.finditer(text))
        if not found and self._alone.fullmatch(text.strip()):
            return self._parse(text.strip())  # a unit cell of its own ("万人", "亿元")
        if not found:
            return None
        return self._parse(found[-1].group("note"))

    def _parse(self, note: str) -> Optional[UnitHint]:
        money: Optional[float] = None
        counts: list[tuple[str, float]] = []
        ratio = False
        per = ""
        for part in _SPLIT.split(note):
            m = self._token.match(part.strip())
            if not m:
                continue
            mult = self.model.multipliers.get(m.group("mult") or "", 1.0)
            surface = m.group("unit")
            unit = self.model.units[surface]
            both = re.fullmatch(r"(.+)\((.+)\)", surface)  # 人(次): persons or person-times, by the metric
            if both and both.group(1) in self.model.units:
                counts.append((self.model.units[both.group(1)].unit, mult))
            if unit.type == "amount":
                money = mult
                per = m.group("per") or per
            elif unit.type == "ratio":
                ratio = True
            else:
                counts.append((unit.unit, mult))
                if m.group("ci") and unit.unit == "person":
                    counts.append(("person_time", mult))  # 人(次): persons or person-times, by the metric
        if money is None and not counts and not ratio:
            return None
        return UnitHint(money, tuple(dict.fromkeys(counts)), ratio, per)


_READERS: dict[int, UnitReader] = {}


def reader(model: Model) -> UnitReader:
    """The unit reader of ``model`` (built once per model)."""
    r = _READERS.get(id(model))
    if r is None or r.model is not model:
        r = _READERS[id(model)] = UnitReader(model)
    return r
