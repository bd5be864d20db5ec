"""Turning a parsed period expression into ISO dates, given the year its context supplies."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from functools import lru_cache
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


@lru_cache(maxsize=4096)
def _last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


@lru_cache(maxsize=4096)
def _months(year: int, m1: int, m2: int) -> "Resolved":
    """Months m1..m2 of one year as an interval (cached: every figure of a report asks for the same few)."""
    return Resolved(_iso(year, m1, 1), _iso(year, m2, _last_day(year, m2)), "interval")


def _shift_year(iso: str, years: int) -> str:
    y, m, d = int(iso[:4]) + years, int(iso[5:7]), int(iso[8:10])
    return _iso(y, m, min(d, _last_day(y, m)))


def _iso(year: int, month: int, day: int) -> str:
    return f"{year:04d}-{month:02d}-{day:02d}"


def resolve(spec: PeriodSpec, year: Optional[int], stock: bool,
            report: Optional[Resolved] = None, now: Optional[str] = None) -> Optional[Resolved]:
    """Dates for ``spec`` (see ``_resolve``); after 自X以来 a flow runs from X to the as-of date (spec 7.1).

    ``now`` is the date the text gives for its information (截至目前, 今年以来 end there).
    """
    if spec.relative == "now":
        if now is None:
            return None
        return Resolved(now, now, "instant") if stock else Resolved(now[:4] + "-01-01", now, "interval")
    if spec.since and spec.from_publication and now is not None and spec.year_offset == 0:
        return Resolved(now[:4] + "-01-01", now, "interval")  # 今年以来
    if spec.since and not stock and now is not None and spec.start_from is None:
        since = _resolve(spec, year, False, report)  # "自2006年开展以来…累计": from then to the information date
        if since is not None and since.start <= now:
            return Resolved(since.start, now, "interval")
    out = _resolve(spec, year, stock, report)
    if spec.start_from is not None and out is not None and not stock:
        start = _resolve(spec.start_from, year, False, report)
        if start is not None and start.start <= out.end:
            return Resolved(start.start, out.end, "interval")
    return out


def _resolve(spec: PeriodSpec, year: Optional[int], stock: bool,
             report: Optional[Resolved] = None) -> Optional[Resolved]:
    """Dates for ``spec``; ``year`` fills a missing year; ``stock`` decides what an as-of date means.

    An as-of date (截至…, …底/末) is an instant for a stock and the year to that date for a flow.
    """
    if spec.relative == "report" and report is not None:  # 本期, 上年同期: the report period (a year earlier)
        shift = spec.year_offset
        start, end = _shift_year(report.start, shift), _shift_year(report.end, shift)
        return Resolved(start, end, report.kind)
    if spec.relative == "month" and report is not None:  # 本月 / 本月末: the report's last month
        y, m = int(report.end[:4]), int(report.end[5:7])
        if spec.asof:
            end = _iso(y, m, _last_day(y, m))
            return Resolved(end, end, "instant") if stock else Resolved(_iso(y, 1, 1), end, "interval")
        return Resolved(_iso(y, m, 1), _iso(y, m, _last_day(y, m)), "interval")
    y = spec.year if spec.year is not None else year
    if y is None:
        return None
    y += spec.year_offset
    if spec.asof and spec.year is None and spec.m1 in (None, 12) and spec.day is None and report is not None \
            and report.kind == "interval" and int(report.end[:4]) == y and not report.end.endswith("12-31") \
            and spec.name in ("year_end_word", "period_end"):
        # 年末/期末 in a report of part of a year: the end of the report period (spec 7.1)
        return Resolved(report.end, report.end, "instant") if stock else Resolved(report.start, report.end, "interval")
    if spec.number_lost:  # "2024季度": the quarter number is lost
        if report is not None and report.year == y:
            return report
        return Resolved(_iso(y, 1, 1), _iso(y, 12, 31), "interval")
    m1 = spec.m1 if spec.m1 is not None else 1
    m2 = spec.m2 if spec.m2 is not None else 12
    if spec.year2 is not None and spec.year2 >= y:  # one interval from the first start to the last end (7.1)
        last = min(spec.day2 or _last_day(spec.year2, m2), _last_day(spec.year2, m2))
        return Resolved(_iso(y, m1, 1), _iso(spec.year2, m2, last), "interval")
    if spec.asof:
        day = spec.day if spec.day is not None else _last_day(y, m2)
        day = min(day, _last_day(y, m2))
        end = _iso(y, m2, day)
        if stock:
            return Resolved(end, end, "instant")
        return Resolved(_iso(y, 1, 1), end, "interval")
    if m1 > m2:
        m1, m2 = m2, m1
    return _months(y, m1, m2)
