"""Turning a parsed period expression into ISO dates, given the year its context supplies."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from typing import Optional

from .recognize import PeriodSpec


@dataclass(frozen=True)
class Resolved:
    """A period with dates: ``kind`` is ``interval`` or ``instant``."""

    start: str
    end: str
    kind: str

    @property
    def year(self) -> int:
        return int(self.end[:4])


def _last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _iso(year: int, month: int, day: int) -> str:
    return f"{year:04d}-{month:02d}-{day:02d}"


def resolve(spec: PeriodSpec, year: Optional[int], stock: bool,
            report: Optional[Resolved] = None) -> Optional[Resolved]:
    """Dates for ``spec``; ``year`` fills a missing year; ``stock`` decides what an as-of date means.

    An as-of date (截至…, …底/末) is an instant for a stock and the year to that date for a flow.
    """
    y = spec.year if spec.year is not None else year
    if y is None:
        return None
    y += spec.year_offset
    if spec.number_lost:  # "2024季度": the quarter number is lost
        if report is not None and report.year == y:
            return report
        return Resolved(_iso(y, 1, 1), _iso(y, 12, 31), "interval")
    m1 = spec.m1 if spec.m1 is not None else 1
    m2 = spec.m2 if spec.m2 is not None else 12
    if spec.asof:
        day = spec.day if spec.day is not None else _last_day(y, m2)
        day = min(day, _last_day(y, m2))
        end = _iso(y, m2, day)
        if stock:
            return Resolved(end, end, "instant")
        return Resolved(_iso(y, 1, 1), end, "interval")
    if m1 > m2:
        m1, m2 = m2, m1
    return Resolved(_iso(y, m1, 1), _iso(y, m2, _last_day(y, m2)), "interval")
