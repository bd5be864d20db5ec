"""Document-level facts: title, issuer and its region, publication date, default report period and status."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterator, Optional

from .model import Model, Place
from .periods import Resolved, resolve
from .recognize import PeriodSpec, find_periods, find_terms
from .segment import Line

TITLE_MAX_LEN = 90
TITLE_SEARCH_LINES = 25
HEADLINE_SEARCH_LINES = 6
OPENING_LINES = 12
SINGLE_DAYS = ("iso_date", "year_month_day", "month_day")
_INFO_DATE = re.compile(r"(?<!\d)(?P<m>1[0-2]|0?[1-9])月(?P<d>3[01]|[12]\d|0?[1-9])日(?:电|[,，]?\s*(?:记者|笔者|从|据))")
_STAMP = re.compile(r"(?<!\d)((?:19|20)\d{2})-(\d{1,2})-(\d{1,2})\s+\d{1,2}:\d{2}")
_DATE_LINE = re.compile(r"^\s*((?:19|20)\d{2})\s*[年/.-]\s*(\d{1,2})\s*[月/.-]\s*(\d{1,2})\s*日?\s*$")


@dataclass
class DocInfo:
    """What the whole document says about itself (normalized coordinates)."""

    title: Optional[tuple[int, int]] = None
    issuer: Optional[str] = None
    region: Optional[str] = None
    published: Optional[str] = None
    published_year: Optional[int] = None
    report: Optional[Resolved] = None
    report_spec: Optional[PeriodSpec] = None
    status: str = "actual"
    national: bool = False
    headline: bool = False          # the title is a news headline (found without a title word)
    info_date: Optional[str] = None  # the date the text gives for its information (9月3日,记者…了解到), else
                                     # the dateline's, else the publication date (spec 7.1, 截至目前)
    title_lines: list[int] = field(default_factory=list)


def _early_lines(lines: list[Line], limit: int) -> Iterator[tuple[int, Line]]:
    """The first ``limit`` content lines (blank, noise and meta lines skipped), up to the first heading."""
    seen = 0
    for i, line in enumerate(lines):
        if line.kind in ("blank", "noise", "meta"):
            continue
        seen += 1
        if seen > limit or line.kind == "heading":
            return
        yield i, line


def _find_title(doc: str, lines: list[Line], model: Model) -> Optional[int]:
    words = model.meta.get("title_words", [])
    for i, line in _early_lines(lines, TITLE_SEARCH_LINES):
        text = doc[line.start:line.end].strip()
        if len(text) <= TITLE_MAX_LEN and any(w in text for w in words) and not text.endswith(("。", ":", ",")):
            return i
    return None


def _find_headline(doc: str, lines: list[Line], model: Model) -> Optional[int]:
    """A news headline without a title word: an early short line that names a fund term, not a breadcrumb."""
    for i, line in _early_lines(lines, HEADLINE_SEARCH_LINES):
        text = doc[line.start:line.end].strip().rstrip("|").strip()
        if not (8 <= len(text) <= TITLE_MAX_LEN) or ">" in text or "|" in text or text.endswith(("。", ":", ",", ";")):
            continue
        if any(model.terms[m.group()][0].field in ("scheme", "metric") for m in model.term_re.finditer(text.lower())):
            return i
    return None


def places_in(text: str, model: Model) -> list[tuple[str, Place]]:
    """Gazetteer places named in ``text`` (leftmost-longest, as the term matcher reads them), in order."""
    text = text.lower()
    out = []
    for t in find_terms(text, model):
        place = model.places.get(text[t.start:t.end])
        if place is not None:
            out.append((text[t.start:t.end], place))
    return out


def _known_suffix(name: str, model: Model) -> Optional[str]:
    """The gazetteer place that ends ``name`` when the words before it are not part of the name.

    "现将通山县" -> 通山县 and "湖南省湘潭市" -> 湘潭市; but "桐岚县" (a place the gazetteer does not know) is not
    岚县: a prefix without a stop character is part of the name.
    """
    stop = model.meta.get("place_stop_chars", "")
    for i in range(len(name) - 1):
        if name[i:] in model.places:
            prefix = name[:i]
            if not prefix or any(ch in stop for ch in prefix) or _known_suffix(prefix, model) == prefix:
                return name[i:]
            return None
    return None


def _region_from(text: str, model: Model, keys: tuple[str, ...] = ("issuer_pattern", "place_pattern")) -> Optional[str]:
    """A place named by an issuer or place pattern; a known place never takes the words before it."""
    stop = model.meta.get("place_stop_chars", "")
    for key in keys:
        pat = model.meta.get(key)
        if not pat:
            continue
        for m in re.finditer(pat, text):
            name = m.group("region")
            if name in model.places:
                return name
            known = _known_suffix(name, model)
            if known is not None:
                return model.places[known].name if model.places[known].name != known and \
                    model.places[known].level != "province" else known
            if not any(ch in stop for ch in name[:-1]):  # "年度全市", "我县" are not place names
                return name
    return None


def _deepest_place(text: str, model: Model) -> Optional[str]:
    """The most specific gazetteer place named in ``text`` (a county over its city over its province).

    A place named by a short form (南宁, 绵阳日报) stands for its division: the document's region is its full name.
    """
    found = places_in(text, model)
    if not found:
        return None
    rank = {"county": 0, "city": 1, "province": 2}
    surface, place = min(found, key=lambda sp: rank.get(sp[1].level, 3))
    return surface if place.name == surface or place.level == "province" else place.name


def _issuer_body(text: str, model: Model, region: Optional[str]) -> Optional[str]:
    """The issuing body, in simplified script ("拉萨市医疗保障局"), preferring one in the issuing region."""
    pat = model.meta.get("issuer_pattern")
    if not pat:
        return region
    stop = model.meta.get("place_stop_chars", "")
    found = []
    for m in re.finditer(pat, text):
        name = m.group("region")
        known = _known_suffix(name, model)
        if known is not None:
            found.append(m.group(0)[len(name) - len(known):])
        elif not any(ch in stop for ch in name[:-1]):
            found.append(m.group(0))
    return next((f for f in found if region and f.startswith(region)), found[0] if found else region)


def document_info(doc: str, lines: list[Line], model: Model) -> DocInfo:
    """Title, issuer/region, publication date, report period and status of the document."""
    info = DocInfo()
    national_words = model.meta.get("national_words", [])
    t = _find_title(doc, lines, model)
    if t is None:
        t = _find_headline(doc, lines, model)
        info.headline = t is not None
    title_text = ""
    if t is not None:
        line = lines[t]
        line.kind = "title"
        info.title = (line.start, line.end)
        info.title_lines.append(t)
        title_text = doc[line.start:line.end]
        # a repeated title (scraped pages often print it twice) is a title too
        for j in range(t + 1, min(len(lines), t + 8)):
            other = doc[lines[j].start:lines[j].end].strip()
            if lines[j].kind == "text" and other and other != title_text.strip() and _similar(other, title_text):
                lines[j].kind = "title"
                info.title_lines.append(j)

    meta_text = " ".join(doc[ln.start:ln.end] for ln in lines if ln.kind == "meta")
    # a publication date may sit in a chrome line too ("来源:… 发布时间:2025-01-09"): look at the page head
    head_text = meta_text + " " + " ".join(doc[ln.start:ln.end] for ln in lines[:TITLE_SEARCH_LINES]
                                         if ln.kind in ("noise", "text") and ln.noise_kind != "spam")
    for label in model.meta.get("published_labels", []):
        m = re.search(label + r"\s*[:|]?\s*\|?\s*((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})", head_text)
        if m:
            y, mo, d = map(int, m.groups())
            info.published, info.published_year = f"{y:04d}-{mo:02d}-{d:02d}", y
            break
    if info.published is None:  # a date stamp with a time of day in the page head ("2013-07-18 09:12  来源:…")
        m = _STAMP.search(head_text)
        if m:
            y, mo, d = map(int, m.groups())
            info.published, info.published_year = f"{y:04d}-{mo:02d}-{d:02d}", y
    if info.published is None:  # a signature date on a line of its own, near the end
        for line in reversed(lines[-40:]):
            m = _DATE_LINE.match(doc[line.start:line.end])
            if m and line.kind == "text":
                y, mo, d = map(int, m.groups())
                info.published, info.published_year = f"{y:04d}-{mo:02d}-{d:02d}", y
                line.kind = "meta"
                break

    opening = "\n".join(doc[ln.start:ln.end] for ln in lines[:12] if ln.kind in ("text", "meta", "title"))
    info.region = (_region_from(title_text, model, ("issuer_pattern",))
                   or _deepest_place(title_text, model)
                   or _region_from(meta_text, model, ("issuer_pattern",))
                   or _region_from(title_text, model, ("place_pattern",))
                   or _deepest_place(meta_text, model)
                   or _region_from(title_text, model, ("title_place_pattern",))
                   or _region_from(opening, model, ("issuer_pattern",))
                   or _region_from(meta_text, model, ("place_pattern",)))
    if info.region is None:  # a headline without a title word, a newspaper name ("绵阳日报")
        head_lines = [doc[ln.start:ln.end] for ln in lines[:TITLE_SEARCH_LINES] if ln.kind != "blank"]
        info.region = next((r for r in (_deepest_place(t, model) for t in head_lines[:8]) if r), None)
    if info.region is None:
        tail = [doc[ln.start:ln.end] for ln in lines[-40:] if ln.kind == "text" and ln.end - ln.start <= 30]
        for text in reversed(tail):
            info.region = _region_from(text, model)
            if info.region:
                break
    if info.region is None:
        head = doc[: min(len(doc), 3000)]
        info.region = _region_from(head, model)
    info.issuer = _issuer_body(title_text + "\n" + meta_text + "\n" + opening + "\n" + "\n".join(
        doc[ln.start:ln.end] for ln in lines[-40:] if ln.kind == "text"), model, info.region)
    if any(w in title_text for w in national_words) or any(w in meta_text for w in national_words):
        info.national = True
        info.region = model.meta.get("national_region", "全国")

    info.report_spec, info.report = _report_period(doc, lines, model, info)
    info.info_date = _info_date(doc, lines, info)
    plan = [w for w in model.plan_title_words if not w.startswith("!")]
    keep_actual = [w[1:] for w in model.plan_title_words if w.startswith("!")]
    if any(w in title_text for w in plan) and not any(w in title_text for w in keep_actual):
        info.status = "planned"
    return info


def _info_date(doc: str, lines: list[Line], info: DocInfo) -> Optional[str]:
    """The date of the information: a month and day that a news lead or dateline attaches to it."""
    seen = 0
    for line in lines:
        if line.kind not in ("text", "heading"):
            continue
        seen += 1
        if seen > OPENING_LINES:
            break
        m = _INFO_DATE.search(doc, line.start, line.end)
        if m:
            year = info.published_year or (info.report.year if info.report else None)
            if year is None:
                break
            month, day = int(m.group("m")), int(m.group("d"))
            if info.published is not None and f"{year:04d}-{month:02d}-{day:02d}" > info.published:
                year -= 1
            return f"{year:04d}-{month:02d}-{day:02d}"
    return info.published


def _report_period(doc: str, lines: list[Line], model: Model,
                   info: DocInfo) -> tuple[Optional[PeriodSpec], Optional[Resolved]]:
    """The period the document reports on: the title's (its year, else the publication year), else the first
    dated period in the opening lines. A single day (a publication stamp) is never a report period."""
    if info.title:
        specs = [s for s in find_periods(doc, model, info.title[0], info.title[1]) if not s.comparison]
        for spec in specs:
            if spec.year is not None:
                return spec, resolve(spec, None, stock=False)
        for spec in specs:
            if spec.year is None and spec.year_offset == 0 and info.published_year is not None:
                report = resolve(spec, info.published_year, stock=False)
                if report is not None and info.published is not None and report.start > info.published:
                    report = resolve(spec, info.published_year - 1, stock=False)  # "四季度" published in January
                return spec, report
    seen = 0
    for line in lines:
        if line.kind not in ("text", "heading"):
            continue
        seen += 1
        if seen > OPENING_LINES:
            break
        for spec in find_periods(doc, model, line.start, line.end):
            if spec.year is not None and not spec.comparison and not spec.since and spec.name not in SINGLE_DAYS:
                spec = PeriodSpec(spec.start, spec.end, spec.name, spec.year, spec.m1, spec.m2, spec.day, spec.asof)
                return spec, resolve(spec, None, stock=False)
    return None, None


def _similar(a: str, b: str) -> bool:
    a, b = a.strip(), b.strip()
    if not a or not b or len(a) > TITLE_MAX_LEN or sum(1 for ch in a if "\u4e00" <= ch <= "\u9fff") < 6:
        return False  # a repeated title is a title: "12406" sharing digits with it is not
    common = len(set(a) & set(b))
    return common >= 0.8 * min(len(set(a)), len(set(b)))
