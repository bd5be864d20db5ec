"""Stage 5: bind every quantity to scheme, account, metric, measure, status, period, region, qualifiers.

One left-to-right pass over each line's mentions with a scope stack:

    document -> heading stack -> inline section (一是…) -> sentence -> ``;`` part -> clause -> parenthetical

A ``Scope`` holds what is in force. Terms update it; a quantity takes a snapshot. Punctuation
moves between scopes: ``,``/``、`` start a clause (clause-scoped terms and pending cues lapse),
``;`` restores the item fields (account, metric, ...) of the sentence, ``。`` restores the section,
``(`` pushes a copy that ``)`` drops (a breakdown inherits the figure it breaks down), and ``(含…)``
adds an ``includes`` qualifier instead of changing the scheme.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Optional

from .meta import DocInfo
from .model import Model
from .periods import Resolved, resolve
from .recognize import PeriodSpec, Quantity, Term
from .segment import Line, is_short_heading, sentences
from .units import RATIO_METRICS

if TYPE_CHECKING:
    from .structure import Node

MAX_PAREN_DEPTH = 16
METRIC_HISTORY = 8    # metric words remembered per clause group (bounded: a sentence can be a whole page)
TITLE_CLAUSE = -3     # marks qualifiers that come from the document title
_TOPIC = 1 << 30      # an account_clause that never lapses within its sentence
BARE_GAP = 1          # a bare number must follow its metric word within this many characters
_HAN = re.compile(r"[\u4e00-\u9fff]")
RATE_MEASURES = ("per_capita", "per_visit", "per_month")
_PUNCT = re.compile(r"[,、;()。!?《》〔〕\[\]【】]|其中|分别")  # ":" joins a label to its value
_CLAUSE_BREAK = re.compile(r"[,;。\n|]")
_LIST_GAP = re.compile(r"^[、,和及与 ]*$")
_MONEY = frozenset({"income", "expenditure", "current_balance", "cumulative_balance", "medical_cost",
                    "fund_payment", "prepayment"})

Ev = tuple[str, int, int]   # (field-or-role, start, end) evidence in normalized coordinates


_DIRECTIONS: dict[int, tuple[Model, "re.Pattern[str]", "re.Pattern[str]"]] = {}


def _direction_patterns(model: Model) -> tuple["re.Pattern[str]", "re.Pattern[str]"]:
    """The direction words right before a figure (增长 2.4%) and right after one, compiled once per model."""
    hit = _DIRECTIONS.get(id(model))
    if hit is None or hit[0] is not model:
        def alternation(words: dict[str, int]) -> str:
            return "|".join(map(re.escape, sorted(words, key=len, reverse=True))) or "(?!)"
        before = re.compile("(" + alternation(model.words["change"]) + ")了?$")
        after = re.compile("(" + alternation(model.words["after_change"]) + ")")
        hit = _DIRECTIONS[id(model)] = (model, before, after)
    return hit[1], hit[2]


def _starting_in(starts: list[int], items: list, start: int, end: int) -> list:
    """The items (sorted, with their ``starts``) that start in ``[start, end)``."""
    return items[bisect.bisect_left(starts, start):bisect.bisect_left(starts, end)]


def after_is(doc: str, pos: int, text: str) -> bool:
    return doc.startswith(text, pos)


def natural_count(model: Model, metric: Optional[str]) -> Optional[str]:
    """The count unit a metric is measured in (enrollment -> person), if it is a count metric."""
    for kind in model.metric_units.get(metric or "", ()):
        if kind.startswith("count:"):
            return kind.split(":", 1)[1]
    return None


def _printed_decimals(text: str) -> int:
    m = re.search(r"\d+\.(\d+)", text)
    return len(m.group(1)) if m else 0


@dataclass
class Scope:
    """What is in force at a point of the text: label plus the span that said it."""

    scheme: Optional[tuple[str, int, int]] = None        # population/main scheme
    fund: Optional[tuple[str, int, int]] = None          # clause-scoped paying fund (大病保险, 医疗救助 ...)
    account: Optional[tuple[str, int, int]] = None
    metric: Optional[tuple[str, int, int]] = None
    period: Optional[PeriodSpec] = None
    region: Optional[tuple[str, int, int]] = None
    status: Optional[tuple[str, int, int]] = None
    quals: dict[str, tuple] = field(default_factory=dict)   # key -> (label, start, end, clause, clause_scoped, weak)
    includes: tuple[str, ...] = ()
    heading_includes: tuple[str, ...] = ()               # "(含生育保险)" in a heading holds for its section
    explicit_scheme: bool = False                        # a scheme term in this sentence (not inherited)
    metrics: tuple = ()                                  # metric terms since the sentence or ";" began
    prior_metrics: tuple = ()                            # metric terms of the paragraph's earlier sentences
    account_clause: int = -1                             # clause in which the account was stated
    weak_scheme: bool = False                            # the scheme came from a weak word (医保基金)
    weak_metric: bool = False                            # the metric came from a weak word (救助, 费用)
    fund_clause: int = -1                                # clause in which the paying fund was named
    status_clause: int = -1                              # clause of a clause-scoped status word (下达 in 省下达的)
    metric_clause: int = -1                              # clause in which the metric in force was named

    def copy(self) -> "Scope":
        new = Scope.__new__(Scope)  # dataclasses.replace is several times slower on this hot path
        new.__dict__.update(self.__dict__)
        new.quals = dict(self.quals)
        return new

    def restrict(self, fields: frozenset[str]) -> "Scope":
        """A copy keeping only the ``fields`` a boundary lets pass (the model's scoping policy)."""
        out = self.copy()
        if "scheme" not in fields:
            out.scheme, out.fund, out.weak_scheme = None, None, False
        if "account" not in fields:
            out.account = None
        if "metric" not in fields:
            out.metric, out.metrics, out.weak_metric = None, (), False
        if "period" not in fields:
            out.period = None
        if "region" not in fields:
            out.region = None
        if "status" not in fields:
            out.status = None
        if "qualifiers" not in fields:
            out.quals = {}
        if "includes" not in fields:
            out.includes, out.heading_includes = (), ()
        return out

    def overlay(self, other: "Scope") -> "Scope":
        """This scope with every field that ``other`` sets taking precedence."""
        out = self.copy()
        if (other.scheme is not None and not (other.weak_scheme and (self.scheme is not None or self.fund is not None))) \
                or other.fund is not None:  # a scheme named below replaces both levels
            out.scheme, out.fund = other.scheme or self.scheme, other.fund
            out.weak_scheme = other.weak_scheme
        for name in ("account", "period", "region", "status"):
            value = getattr(other, name)
            if value is not None:
                setattr(out, name, value)
        if other.metric is not None:
            out.metric, out.weak_metric = other.metric, other.weak_metric
        out.quals.update(other.quals)
        if other.metrics:
            out.metrics = (self.metrics + other.metrics)[-METRIC_HISTORY:]
        if other.period is not None and other.period.year is None and self.period is not None:
            if self.period.year is not None:
                out.period = replace(other.period, year=self.period.year + self.period.year_offset)
            elif self.period.year_offset and not other.period.relative:
                # "上年结余" in a "上年数" column: the year before the year before
                out.period = replace(other.period, year_offset=other.period.year_offset + self.period.year_offset)
        if other.includes:
            out.includes = other.includes
        if other.heading_includes:
            out.heading_includes = other.heading_includes
        return out


@dataclass
class SentenceEnd:
    """What a sentence leaves behind: the includes in force, its final scope, its last level figure."""

    includes: tuple[str, ...]
    state: Scope
    last_level: Optional[int]


@dataclass(slots=True)
class Bound:
    """A quantity with its bound fields (normalized coordinates), before records are built."""

    q: Quantity
    type: str
    unit: str
    value: float
    scheme: Optional[str]
    account: Optional[str]
    metric: str
    measure: str
    status: str
    period: Optional[Resolved]
    period_span: Optional[tuple[int, int]]
    region: Optional[str]
    qualifiers: dict[str, Any]
    evidence: list[Ev]
    related: Optional[int] = None          # index into the bound list
    parent: Optional[int] = None           # the figure a parenthetical breaks down
    parent_soft: bool = False              # the breakdown is a 其中 list (may be partial or nested)
    sentence: int = 0
    table: Optional[str] = None
    q_text: str = ""                       # the quantity as written (normalized text)

    @property
    def decimals(self) -> int:
        """Digits printed after the decimal point."""
        return _printed_decimals(self.q_text)


@dataclass
class _Frame:
    base: Scope
    last_level: Optional[int] = None       # index of the last level record in this frame
    cue: Optional[tuple[str, int, int]] = None
    sign: int = 0
    includes_frame: bool = False
    parent_record: Optional[int] = None
    soft: bool = False                     # opened by 其中, closed by the end of the sentence
    list_cue: Optional[tuple] = None       # (cue, sign, end) of the last figure, for "分别占A%、B%和C%"
    recent: list = field(default_factory=list)      # terms since the last figure
    respectively: list = field(default_factory=list)  # (field, [terms]) after 分别
    resp_i: int = 0
    framed_status: Optional[tuple[str, int, int]] = None   # a table's caption or document status
    levels: list = field(default_factory=list)             # the level figures bound in this frame, in order
    resp_levels: list = field(default_factory=list)        # the figures a 分别 after them distributes over
    resp_j: int = 0
    base_cue: Optional[str] = None                         # the comparison base in force (环比: difference)
    base_asof: bool = False                                # that base is a date (比上年末): stocks compared at dates
    list_item: Optional[tuple] = None                      # (account, end) of the last figure, for lists
    last_measure: Optional[tuple] = None                   # (measure, end) of the last figure


class Relater:
    """Binds the quantities of one document; create one per document."""

    def __init__(self, doc: str, model: Model, info: DocInfo, terms: list[Term], quantities: list[Quantity],
                 periods: list[PeriodSpec]):
        self.doc, self.model, self.info = doc, model, info
        self.terms, self.quantities, self.periods = terms, quantities, periods
        self._t_starts = [t.start for t in terms]
        self._q_starts = [q.start for q in quantities]
        self._p_starts = [p.start for p in periods]
        self.bound: list[Bound] = []
        words = model.words
        self._includes = tuple(words["includes"])
        self._enum = tuple(words["enum"])
        self._compare = words["compare"]
        self._change = words["change"]
        self._benchmark = tuple(words["benchmark"])
        self._policy = tuple(words["policy"])
        self._policy_re = re.compile("|".join(map(re.escape, self._policy)) or "(?!)")
        self._after_metric = model.after_metric
        self._change_before, self._change_after = _direction_patterns(model)
        self._copula = tuple(words["copula"])
        self._rate_nouns = tuple(words["rate"])
        self._threshold = frozenset(words["threshold"])
        self._to_value = re.compile("|".join(map(re.escape, model.words["to_value"])) or "(?!)")
        self._label_cache: dict[tuple[int, int, bool], Scope] = {}
        self._money_factor: Optional[float] = None
        self._events_cache: Optional[tuple[list[int], list[tuple[int, int, str, Any]]]] = None
        self.sentence_no = 0
        self.doc_scope = Scope()
        if info.region:
            self.doc_scope.region = (info.region, -1, -1)
        if info.status == "planned":
            self.doc_scope.status = ("planned", -1, -1)
        self.heading_stack: list[tuple[float, Scope]] = []
        self._list_parent: Optional[int] = None   # the figure the items of the list being bound break down
        if info.title is not None:  # what the title says holds for the whole document
            title = self.label_scope(*info.title).restrict(model.scoping["headline" if info.headline else "title"])
            if info.headline and (title.scheme is not None or title.fund is not None):
                # a headline names the topic: any scheme word of a sentence, even 基本医疗保险, replaces it
                label = (title.fund or title.scheme)[0]  # type: ignore[index]
                title.scheme, title.fund, title.weak_scheme = (label, -1, -1), None, True
            # qualifiers of the title ("跨省异地就医…通报") describe the benefits, not IT or admin counts
            title.quals = {k: v[:3] + (TITLE_CLAUSE,) + v[4:] for k, v in title.quals.items()}
            self.doc_scope = self.doc_scope.overlay(title)

    # ------------------------------------------------------------ events
    def release(self) -> None:
        """Drop the per-document indexes (they can be as large as the records)."""
        self._events_cache = None
        self._label_cache.clear()

    def _all_events(self) -> tuple[list[int], list[tuple[int, int, str, Any]]]:
        """Every mention and punctuation mark of the document, in order (built once, sliced per sentence)."""
        if self._events_cache is None:
            evs: list[tuple[int, int, str, Any]] = [(q.start, q.end, "q", q) for q in self.quantities]
            evs += [(p.start, p.end, "p", p) for p in self.periods]
            evs += [(t.start, t.end, "t", t) for t in self.terms]
            evs += [(m.start(), m.end(), "punct", m.group()) for m in _PUNCT.finditer(self.doc)]
            evs.sort(key=lambda e: (e[0], -e[1]))
            self._events_cache = ([e[0] for e in evs], evs)
        return self._events_cache

    def _events(self, start: int, end: int) -> list[tuple[int, int, str, Any]]:
        """Mentions and punctuation in ``[start, end)``, in order, nested ones dropped."""
        starts, evs = self._all_events()
        i = bisect.bisect_left(starts, start)
        out, covered = [], start
        n = len(evs)
        while i < n:
            ev = evs[i]
            if ev[0] >= end:
                break
            if ev[0] >= covered:
                out.append(ev)
                covered = ev[1]
            i += 1
        return out

    # ------------------------------------------------------------ scopes
    def section_scope(self) -> Scope:
        scope = self.doc_scope.copy()
        for _, s in self.heading_stack:
            scope = scope.overlay(s)
        return scope

    def label_scope(self, start: int, end: int, keep_status: bool = False) -> Scope:
        """The fields a heading or inline label states (cached: table headers are asked for every cell).

        A heading's plan words name a method ("总额预算…工作开展情况"), so headings drop status;
        table headers ("预算数", "执行数") keep it.
        """
        key = (start, end, keep_status)
        hit = self._label_cache.get(key)
        if hit is None:
            hit = self._label_cache[key] = self._label_scope(start, end, keep_status)
        return hit.copy()

    def _label_scope(self, start: int, end: int, keep_status: bool) -> Scope:
        scope = Scope()
        book = 0
        last_scheme_end = -1
        in_includes = False
        for s, e, kind, item in self._events(start, end):
            if kind == "punct":
                book = max(0, book + (1 if item in "《〔" else -1 if item in "》〕" else 0))
                if item == "(":
                    in_includes = self.doc.startswith(self._includes, e)
                elif item == ")":
                    in_includes = False
                continue
            if book > 0:
                continue
            if kind == "t" and in_includes and item.get("scheme") is not None:
                label = item.get("scheme").label
                if label not in scope.includes:
                    scope.includes = scope.includes + (label,)
                    scope.heading_includes = scope.includes
                continue
            if kind == "t":
                if item.get("scheme") is not None:
                    between = self.doc[last_scheme_end:s] if last_scheme_end >= 0 else ""
                    last_scheme_end = e
                    if any(sep in between for sep in self._enum):
                        continue  # "城镇职工基本医疗保险、大额医疗补助、生育保险基金": the first scheme leads
                self._apply_term(scope, item, clause=0, in_label=True)
                if item.period is not None:  # "上年结余" in a row label: the year before the column's
                    scope.period = item.period
                if not keep_status:
                    scope.status = None
            elif kind == "p":
                scope.period = item
        return scope

    def push_heading(self, level: float, scope: Scope) -> None:
        while self.heading_stack and self.heading_stack[-1][0] >= level:
            self.heading_stack.pop()
        self.heading_stack.append((level, scope))

    # ------------------------------------------------------------ terms
    def _apply_term(self, scope: Scope, term: Term, clause: int, in_label: bool = False,
                    frame: Optional[_Frame] = None) -> None:
        for a in term.assignments:
            ev = (a.label, term.start, term.end)
            f = a.field
            if f == "scheme":
                if a.population and frame is not None and frame.parent_record is not None and \
                        frame.base.scheme is not None and frame.base.scheme[0] in self.model.programme_schemes:
                    continue  # "长护险参保476.3万人,其中职工121.5万人": the members of the programme
                if frame is not None and scope.account_clause != clause:
                    scope.account = frame.base.account  # a new subject drops the last clause's account
                if frame is not None:
                    # "(含生育保险)" qualifies the fund named before it, until another is named; one in a
                    # heading holds while sentences name the heading's own scheme
                    same = scope.scheme is not None and scope.scheme[0] == a.label and not a.clause_scope
                    scope.includes = scope.heading_includes if same else ()
                if a.clause_scope:
                    scope.fund = ev
                    scope.fund_clause = clause
                elif not a.weak or scope.scheme is None or (scope.weak_scheme and scope.scheme[1] < 0):
                    scope.scheme = ev
                    scope.weak_scheme = a.weak
                if not a.weak:
                    scope.explicit_scheme = True
            elif f in ("account", "metric"):
                inherited = frame is not None and getattr(scope, f) is getattr(frame.base, f)
                # a weak metric word (费用, 救助) names the figures of its own clause when the metric in force
                # was named in an earlier clause ("…支付…3757.2万元,…,次均分娩费用4318元")
                later = f == "metric" and frame is not None and frame.parent_record is None and \
                    scope.metric_clause < clause and self._figure_follows(term.end)  # not the parts of a 其中
                applied = not a.weak or getattr(scope, f) is None or (f == "metric" and (inherited or later))
                if applied:
                    setattr(scope, f, ev)
                    if f == "account":
                        scope.account_clause = clause
                    else:
                        scope.weak_metric = a.weak
                        scope.metric_clause = clause
                if f == "metric":  # every metric word is remembered, a weak one as weak (the 4th item)
                    scope.metrics = scope.metrics[-(METRIC_HISTORY - 1):] + (ev + (a.weak,),)
            elif f == "ignore":
                continue
            elif f == "includes":
                if a.label not in scope.includes:
                    scope.includes = scope.includes + (a.label,)
            elif f == "region":
                if term.start > 0 and self.doc[term.start - 1] == "除":  # "除西藏外" excludes a place
                    continue
                label = self.info.region if a.label == "@issuer" else a.label
                if label:
                    scope.region = (label, term.start, term.end)
            elif f == "status":
                scope.status = ev
                scope.status_clause = clause if a.clause_scope else -1
            elif f in ("measure", "direction"):
                if frame is not None:
                    if f == "measure":
                        # "较上年同期多支出X": the comparison base names the measure; 多支出 only its direction
                        if not (a.label == "difference" and frame.cue is not None and frame.cue[0] == "yoy_change"):
                            frame.cue = ev
                        if a.label in ("yoy_change", "difference"):
                            frame.base_cue = a.label  # "环比增加3.1万人,增长0.2%": the base holds for the clause group
                            if self.doc[term.end - 1] in "末底":
                                frame.base_asof = True  # 较上年末: the base is a date
                    else:
                        frame.sign = -1 if a.label == "-" else 1
            else:  # qualifier: the first of its key in a clause stands, a later clause replaces it
                held = scope.quals.get(f)
                if held is None or held[3] != clause or in_label or (held[5] and not a.weak):
                    at = -2 if in_label else clause
                    for sibling in self.model.qualifier_siblings.get(f, ()):
                        if sibling in scope.quals and scope.quals[sibling][3] not in (at, TITLE_CLAUSE):
                            del scope.quals[sibling]  # a label's 异地就医直接结算 keeps both
                    scope.quals[f] = (a.label, term.start, term.end, at, a.clause_scope, a.weak)

    # ------------------------------------------------------------ lines
    def bind_tree(self, root: "Node") -> None:
        """Bind every figure of the document by walking its tree (``structure.py``)."""
        for child in root.children:
            self._bind_node(child)
        self._restate_title()
        self._rate_parts()

    def _rate_parts(self) -> None:
        """Amounts right after a rate in its sentence that add up to it are parts of the rate
        (``按每人340元的标准筹资,农民自缴60元,各级财政配套280元``: 60 and 280 are per person too)."""
        bound = self.bound
        for i, whole in enumerate(bound):
            if whole.measure not in RATE_MEASURES or whole.table:
                continue
            run: list[Bound] = []
            total = 0.0
            for part in bound[i + 1:i + 6]:
                if part.sentence != whole.sentence or part.measure != "level" or \
                        (part.type, part.unit) != (whole.type, whole.unit):
                    break
                run.append(part)
                total += part.value
                if len(run) >= 2 and abs(total - whole.value) <= 0.005 * abs(whole.value):
                    for p in run:
                        p.measure = whole.measure
                    break

    def _restate_title(self) -> None:
        """A figure of the title that the body states again takes the fields of the body's figure
        (``长护险累计支付护理费用超9亿元`` above ``自2020年10月…以来…累计支付护理费用超9亿元``)."""
        if self.info.title is None:
            return
        t0, t1 = self.info.title
        for b in self.bound:
            if not t0 <= b.q.start < t1:
                continue
            body = next((o for o in self.bound if o.q.start >= t1 and o.type == b.type and
                         (o.unit == b.unit or o.type == "count") and abs(o.value - b.value) <= 1e-6 * abs(b.value)
                         and o.measure == b.measure), None)
            if body is not None:
                b.scheme, b.account, b.metric, b.status = body.scheme, body.account, body.metric, body.status
                b.period, b.period_span, b.region = body.period, body.period_span, body.region

    def _bind_node(self, node: "Node") -> None:
        kind = node.kind
        if kind == "table":
            from .tables import bind_table

            bind_table(node.table, self)
            return
        depth = len(self.heading_stack)
        if kind == "section":
            scope = self.label_scope(*node.label) if node.label else Scope()
            self.heading_stack.append((node.level, scope.restrict(self.model.scoping["heading"])))
        elif kind in ("paragraph", "item", "intro"):
            if kind == "item" and node.label is not None:
                self.heading_stack.append((0, self.label_scope(*node.label).restrict(self.model.scoping["heading"])))
            end = self._body(node.start, node.text_end, self.section_scope(),
                             self._list_parent if kind == "item" else None)
            if kind == "intro" and end is not None:
                # "…基本医疗保险参保总人数261,356人,其中:" frames the items below it (its period, scheme,
                # metric); its last figure is what they break down
                frame = end.state.restrict(self.model.scoping["intro"])
                frame.explicit_scheme = False
                self.heading_stack.append((0, frame))
                saved, self._list_parent = self._list_parent, end.last_level
                for child in node.children:
                    self._bind_node(child)
                self._list_parent = saved
                del self.heading_stack[depth:]
                return
        for child in node.children:
            self._bind_node(child)
        del self.heading_stack[depth:]

    def _body(self, start: int, end: int, section: Scope, part_of: Optional[int] = None) -> Optional[SentenceEnd]:
        """Bind the sentences of a paragraph; ``part_of`` is the figure a list item breaks down."""
        inline: Optional[Scope] = None
        carried: tuple[str, ...] = ()  # "(含生育保险)" holds until another scheme is named in the paragraph
        before: Optional[SentenceEnd] = None
        for s, e in sentences(self.doc, start, end):
            head = self.doc[s:e].lstrip()
            offset = s + (e - s - len(head))
            marker = next((m for m in self.model.inline_markers if head.startswith(m)), None)
            if marker:
                inline, before = None, None  # 一是/二是 opens a sub-section: nothing carries into it
                qs = [q for q in self._quantities_in(s, e) if not q.bare]
                if not qs:
                    lab = self.label_scope(offset + len(marker), e)
                    inline = lab
                    continue
            base = section.overlay(inline) if inline is not None else section
            parent = None
            if before is not None and head.startswith(self.model.continuation_words):
                # "…248.62万人。其中,参加职工医保52.84万人": the breakdown continues the sentence before it
                base = base.overlay(before.state.restrict(self.model.scoping["continuation"]))
                parent = before.last_level
            if carried and not base.includes:
                base = base.copy()
                base.includes = carried
            if before is not None and parent is None:
                # what a paragraph states (its period, by the scoping policy) holds for its next sentences
                # until another is named
                carry = before.state.restrict(self.model.scoping["sentence"])
                if before.state.period is None or before.state.period is base.period or before.state.period.since:
                    carry.period = None
                base = base.overlay(carry)
            if before is not None and (before.state.metrics or before.state.prior_metrics):
                # the metric words of the paragraph so far stay a last resort for a figure whose unit
                # neither the metric in force nor a default suits ("…住院6128人(次)812.64万元" after 补偿)
                base = base.copy()
                base.prior_metrics = (before.state.prior_metrics + before.state.metrics)[-METRIC_HISTORY:]
            before = self.sentence(s, e, base, parent, part_of)
            carried = before.includes
        return before

    def _quantities_in(self, start: int, end: int) -> list[Quantity]:
        return _starting_in(self._q_starts, self.quantities, start, end)

    def line_is_short_heading(self, line: Line) -> bool:
        qs = [q for q in self._quantities_in(line.start, line.end) if not q.bare or q.has_multiplier]
        has_term = any(a.field in ("scheme", "metric") for t in self.terms_in(line.start, line.end)
                       for a in t.assignments)
        return is_short_heading(self.doc, line, len(qs), has_term)

    # ------------------------------------------------------------ the sentence machine
    def sentence(self, start: int, end: int, base: Scope, parent: Optional[int] = None,
                 part_of: Optional[int] = None) -> "SentenceEnd":
        """Bind the quantities of one sentence; says what is still in force at its end.

        ``parent`` is the level figure of the sentence this one continues (a sentence opening with 其中);
        ``part_of`` the figure that the list item holding this sentence breaks down.
        """
        self.sentence_no += 1
        state = base.copy()
        state.explicit_scheme = False
        sentence_base = state.copy()
        frames = [_Frame(base=sentence_base, last_level=parent, parent_record=part_of)]
        clause = 0
        book = 0
        clause_start: Optional[int] = None
        for s, e, kind, item in self._events(start, end):
            frame = frames[-1]
            if kind == "punct":
                ch = item
                if ch in "《〔":
                    book += 1
                elif ch in "》〕":
                    book = max(0, book - 1)
                elif ch == "(" or ch == "[" or ch == "【":
                    if len(frames) >= MAX_PAREN_DEPTH:
                        clause += 1
                        continue
                    after = self.doc[e:e + 3]
                    inc = after.startswith(self._includes)
                    frames.append(_Frame(base=state.copy(), includes_frame=inc, parent_record=frame.last_level))
                    clause += 1
                elif ch == "分别":
                    by_field: dict[str, list[Term]] = {}
                    for t in frame.recent:
                        a = t.assignments[0]
                        if a.field not in ("measure", "direction", "status", "ignore"):
                            by_field.setdefault(a.field, []).append(t)
                    frame.respectively = [(f, ts) for f, ts in by_field.items() if len(ts) >= 2]
                    frame.resp_i = 0
                    # "结算318.6万人次,支付4.07亿元,同比分别增长12.4%和9.8%": the i-th change is of the i-th figure
                    frame.resp_levels = [i for i in frame.levels if i >= 0] if not frame.respectively else []
                    continue
                elif ch == "其中":
                    if len(frames) < MAX_PAREN_DEPTH and frame.last_level is not None:
                        frames.append(_Frame(base=state.copy(), parent_record=frame.last_level, soft=True))
                    continue
                elif ch in ")]】":
                    while len(frames) > 2 and frames[-1].soft:
                        frames.pop()
                    if len(frames) > 1:
                        closed = frames.pop()
                        saved = closed.base
                        if closed.includes_frame:
                            saved = saved.copy()
                            saved.includes = state.includes
                        state = saved
                    clause += 1
                elif ch == ";":
                    while len(frames) > 1 and frames[-1].soft:  # a 其中 breakdown ends with its clause group
                        state = frames.pop().base
                    frame = frames[-1]
                    fb = frame.base
                    if state.account_clause != _TOPIC:
                        state.account = fb.account
                    state.metric, state.fund = fb.metric, fb.fund
                    state.metrics = fb.metrics
                    frame.respectively, frame.list_cue = [], None
                    frame.cue, frame.sign = None, 0
                    frame.last_level = None
                    clause += 1
                else:  # , 、 and sentence ends inside the span
                    if not (ch == "," and frame.cue is not None and self.doc.startswith(self._copula, e) and (
                            frame.last_measure is None or frame.last_measure[1] < frame.cue[1])):
                        frame.cue, frame.sign = None, 0  # "增幅最低,为18.3%" keeps the change it announced
                    if ch == "," and self.doc[s - 1:s] == "中" and state.account_clause == clause:
                        state.account_clause = _TOPIC  # "统筹基金支出中,住院支出…": the account is the topic
                    clause += 1
                    clause_start = e
                continue
            if clause_start is not None:
                # an account named in an earlier clause carries on only into "…,支出0.63亿元" (a clause that
                # opens with its metric word); "…,剩余39980.94万元" starts a new subject
                opens_with_metric = kind == "t" and s - clause_start <= 1 and item.get("metric") is not None
                if state.account_clause < clause and not opens_with_metric:
                    state.account = frame.base.account
                clause_start = None
            if book > 0:
                continue
            if kind == "t":
                if frame.includes_frame and any(a.field == "scheme" for a in item.assignments):
                    label = next(a.label for a in item.assignments if a.field == "scheme")
                    if label not in state.includes:
                        state.includes = state.includes + (label,)
                    continue
                self._apply_term(state, item, clause, frame=frame)
                if item.period is not None:  # "上年结余" names its own period
                    state.period = item.period
                if len(frame.recent) < 64:
                    frame.recent.append(item)
            elif kind == "p":
                if item.comparison:  # "比2023年末净增1.12万人": a change against that date
                    frame.cue = (self._comparison_measure(item, frames), s, e)
                    frame.base_cue = frame.cue[0]
                    frame.base_asof = item.asof
                elif item.asof and state.period is not None and state.period.since and state.period.start < s:
                    state.period = replace(item, start_from=state.period)  # 自X以来…截至Y
                elif item.dateline:
                    pass  # "中新网贵阳3月2日电": when the news was filed, not the period of its figures
                elif item.from_publication and item.year_offset == 0 and item.m1 is None and not item.since \
                        and state.period is not None \
                        and state.period is not sentence_base.period and state.period.m1 is not None:
                    pass  # "截至3月底,该县今年参加…": 今年 names the year of the date already in force
                else:
                    state.period = item
            elif kind == "q":
                use = state
                if frame.respectively and not item.bare:  # "总收入、总支出分别为A和B": the i-th gets the i-th
                    use = state.copy()
                    for _, ts in frame.respectively:
                        if frame.resp_i < len(ts):
                            self._apply_term(use, ts[frame.resp_i], -5)
                    if use.period is not None and len(use.period.months) >= 2 and frame.resp_i < len(use.period.months):
                        mo = use.period.months[frame.resp_i]
                        use.period = replace(use.period, m1=mo, m2=mo, months=())
                    frame.resp_i += 1
                elif state.period is not None and len(state.period.months) >= 2 and "分别" in self.doc[
                        max(state.period.end, start):item.start]:
                    use = state.copy()
                    mo = state.period.months[min(frame.resp_i, len(state.period.months) - 1)]
                    use.period = replace(state.period, m1=mo, m2=mo, months=())
                    frame.resp_i += 1
                if self._bind(item, use, frame, frames, clause) is not None:
                    frame.recent = []
        return SentenceEnd(state.includes, state, frames[0].last_level)

    def _bind(self, q: Quantity, state: Scope, frame: _Frame, frames: list[_Frame], clause: int) -> Optional[int]:
        model = self.model
        metric_ev = state.metric
        metric = metric_ev[0] if metric_ev else None
        qtype, unit = q.type, q.unit
        if q.bare and not q.has_multiplier:
            # a bare number counts only right after a metric word that implies its unit
            if not (metric_ev and 0 <= q.start - metric_ev[2] <= BARE_GAP):
                return None
            default = natural_count(model, metric)
            if default is not None:
                qtype, unit = "count", default
            elif metric in RATIO_METRICS and 0 <= q.value <= 200:
                qtype, unit = "ratio", "%"  # "参合率99.12": the rate a metric word governs, % dropped
            else:
                return None
        elif qtype is None:  # "1611.08万": a multiplier and no unit
            if metric in _MONEY:
                qtype, unit = "amount", "CNY"
            else:
                default = natural_count(model, metric)
                if default is None:
                    return None
                qtype, unit = "count", default
        programme = (state.fund or state.scheme or ("", -1, -1))[0]
        if (programme, metric) in model.metric_by_scheme:
            metric = model.metric_by_scheme[(programme, metric)]  # "医疗救助资助…参保42.36万人": assisted persons
        if unit == "other" and q.unit_surface in model.meta.get("classifiers", ()) and \
                not _HAN.match(self.doc, q.end):  # "组成3个检查组" counts the noun after it
            # "机构2875个": a classifier counts what the metric in force counts
            unit = "institution" if natural_count(model, metric) == "institution" else unit
        elif q.unit_surface in model.meta.get("case_classifiers", ()) and \
                natural_count(model, metric) in ("person", "person_time"):
            # "结算出院病例4.37万例" counts discharges (visits); "查处违规参保人38例" persons
            unit = natural_count(model, metric)  # type: ignore[assignment]
        kind = f"{qtype}:{unit}"
        allowed = model.metric_units.get(metric or "", ())
        if metric is not None and not (qtype in allowed or kind in allowed) and (metric, kind) in model.metric_by_unit:
            metric = model.metric_by_unit[(metric, kind)]  # 享受待遇 counted in 万人: persons, not visits
        elif metric is None or not (qtype in allowed or kind in allowed):
            # the nearest metric word of this clause group that suits the unit, else the unit's default
            # this clause's own metric words first (even weak ones), then strong words, then weak ones
            recent = list(reversed(state.metrics))
            own = [m for m in recent if 0 <= m[2] <= q.start and not _CLAUSE_BREAK.search(self.doc, m[2], q.start)]
            history = own + [m for m in recent if not m[3]] + [m for m in recent if m[3]]
            metric_ev = next((m[:3] for m in history if m[2] <= q.start and (
                qtype in model.metric_units.get(m[0], ()) or kind in model.metric_units.get(m[0], ()))), None)
            default = model.unit_defaults.get(kind) or model.unit_defaults.get(qtype)
            if metric_ev is None and default is None:
                metric_ev = next((m[:3] for m in reversed(state.prior_metrics) if not m[3] and (
                    qtype in model.metric_units.get(m[0], ()) or kind in model.metric_units.get(m[0], ()))), None)
            metric = metric_ev[0] if metric_ev else (default or "other")

        measure = "level"
        value = q.value
        direction_ev: Optional[tuple[str, int, int]] = None
        cue = frame.cue
        sign = frame.sign
        if cue is None and frame.list_cue is not None and _LIST_GAP.match(self.doc[frame.list_cue[2]:q.start]):
            cue, sign = frame.list_cue[0], frame.list_cue[1]  # "分别占72.4%、19.8%和7.8%"
        keep_cue = False
        if cue is not None:
            measure = cue[0]
            if measure == "difference" and cue[2] == q.start and unit != "pp" and self.doc[cue[1]:cue[2]] in self._threshold:
                measure, sign = "level", 0  # "备案率低于60%": the level compared with
            elif measure == "difference" and (after_is(self.doc, q.end, "的") or self.doc.startswith(
                    self._benchmark, q.end) or self._change_after.match(
                    self.doc, q.end, q.end + 4)):
                # "低于6个月的警戒线1.1个月", "较预算数1.18亿元减少0.38亿元": the first figure is the benchmark
                measure, keep_cue = "level", True
            elif measure in ("per_month", "per_capita", "per_visit") and qtype == "count" and unit == "month":
                measure = "level"  # "按月均支出计算可支付4.1个月" is a number of months, not a rate
        if q.per_measure:  # "元/人次": the suffix says the measure (lexicons/per_units.tsv)
            measure = q.per_measure
        last = frame.last_measure
        if measure == "level" and last is not None and last[1] < q.start and last[0] in RATE_MEASURES and (
                self._to_value.search(self.doc, last[1], q.start) or
                (cue is None and _LIST_GAP.match(self.doc[last[1]:q.start]))):
            # "次均费用由8632元降至8176元": the new level of the same rate; "分别为14236元、8127元和4953元":
            # every item of the list
            measure = last[0]
        elif measure == "level" and cue is None and "分别" in self.doc[max(0, q.start - 8):q.start]:
            # "次均住院费用10842元,…在三级、二级…分别为14236元、8127元": the same rate, broken down
            rate = next((self.bound[i] for i in reversed(frame.levels) if self.bound[i].measure in RATE_MEASURES
                         and (self.bound[i].type, self.bound[i].unit) == (qtype, unit)), None)
            if rate is not None:
                measure = rate.measure
        if measure == "level" and frame.parent_record is not None and cue is None:
            whole = self.bound[frame.parent_record]
            if whole.measure in RATE_MEASURES and (whole.type, whole.unit) == (qtype, unit):
                measure = whole.measure  # "人均筹资560元,其中个人缴纳180元": the parts of a rate are rates
        if cue is None:
            d = self._change_before.search(self.doc, max(0, q.start - 4), q.start)
            if d is not None:  # "增长2.4%", "下降0.9个百分点": a change against last year (or the base in force)
                measure = frame.base_cue or "yoy_change"
                direction_ev = (measure, d.start(), d.end())
                sign = self._change.get(d.group(1), 1) or 1
        before = self.doc[q.start - 1] if q.start > 0 else ""
        after = self.doc[q.end:q.end + 1]
        if measure == "level" and before in self._compare and "比" in self.doc[max(0, q.start - 40):q.start]:
            measure, sign = "difference", self._compare[before] or 1  # "比…高4个百分点"
        if qtype == "ratio" and self.unknown_rate(q.start, metric_ev):
            metric_ev, metric = None, "other"  # "线上备案率83.4%": a rate the lexicon does not name is its own
        if qtype == "count" and unit == "person":
            named_after = self._metric_after(q.end)
            if named_after is not None:  # "3418名失能人员享受待遇": the words after the count name it
                metric = model.metric_by_scheme.get((programme, named_after), named_after)
        if qtype == "ratio" and measure == "level" and not keep_cue and (before == "的" or after == "的"):
            measure = "share"  # "按实际发生额的95%", "25%的地市"
            if after == "的" and (metric_ev is None or metric_ev[2] < q.start - 12):
                metric_ev, metric = None, "other"
        related = None
        # a per-cent change against any base ("较三季度增长9.7%") is a growth rate of the level before it
        relative = measure == "yoy_change" or (measure == "difference" and qtype == "ratio" and unit == "%")
        if (relative or measure == "share") and frame.last_level is not None:
            related = frame.last_level
        elif relative and qtype == "ratio" and unit == "%" and metric_ev is None and frame.levels:
            related = frame.levels[-1]  # "…287.6万人次;辽源市增幅最低,为18.3%": the change of the figures listed
        if measure == "yoy_change" and len(frame.resp_levels) >= 2 and frame.resp_j < len(frame.resp_levels):
            related = frame.resp_levels[frame.resp_j]
            frame.resp_j += 1
        if measure in ("yoy_change", "difference") and sign < 0 and value > 0:
            value = -value
        if metric in ("current_balance", "cumulative_balance") and sign < 0 and value > 0 and cue is None:
            value = -value

        ev: list[Ev] = []
        rel = self.bound[related] if related is not None else None
        fund = state.fund
        if fund is not None and fund is not frame.base.fund and state.fund_clause != clause and self._new_subject(
                frame):
            fund = frame.base.fund  # "大病保险赔付1632人次,赔付金额386.74万元" keeps the fund; a new subject drops it
        scheme_ev = fund or state.scheme
        account_ev = state.account
        if account_ev is None and frame.list_item is not None and \
                _LIST_GAP.match(self.doc[frame.list_item[1]:q.start]):
            account_ev = frame.list_item[0]  # "分别为13.6、9.4、6.3和10.7个月": every item of the list
        quals = {k: v[0] for k, v in state.quals.items()
                 if not (v[4] and v[3] != clause) and not (v[3] == TITLE_CLAUSE and metric == "other")}
        includes = state.includes
        # "其中…162家,占比约75.3%": a share no metric word of its own names is a share of the figure before it
        share_of = rel is not None and measure == "share" and metric_ev is None and rel.type != "ratio"
        if rel is not None and (relative or share_of):
            metric, scheme_ev, account_ev = rel.metric, None, None
            quals = dict(rel.qualifiers)
            includes = tuple(quals.pop("includes", ()))
            scheme, account = rel.scheme, rel.account
        else:
            scheme = scheme_ev[0] if scheme_ev else None
            account = account_ev[0] if account_ev else None
        unfunded = metric_ev is not None and metric_ev[1] >= 0 and \
            self.doc[metric_ev[1]:metric_ev[2]] in model.meta.get("unfunded_metric_words", ())
        if metric == "institutions" or (metric == "other" and not state.explicit_scheme and (qtype == "count" or unfunded)):
            # penalties (违约金, 罚款) belong to no fund unless the sentence names one (contract 7.1)
            scheme, scheme_ev = None, None
        elif scheme is None and metric in model.meta.get("default_scheme_metrics", ()):
            scheme = model.meta.get("default_scheme")
        includes = tuple(x for x in includes if x != scheme)  # "其中:生育待遇支出" under "(含生育保险)"
        if includes:
            quals["includes"] = list(includes)
        for key in model.unqualified.get(metric, ()):  # an enrollment figure is not an inpatient one
            quals.pop(key, None)

        period_spec = state.period
        year = None
        stock = metric in model.stocks or f"{qtype}:{unit}" in model.stocks
        if period_spec is not None and period_spec.year is None:
            if period_spec.from_publication:  # 今年/去年: from the publication date, else the latest year written
                year = self.info.published_year or self._latest_year(q.start) or self._context_year(frames)
            else:
                year = self._context_year(frames)
        period = resolve(period_spec, year, stock, self.info.report, self.info.info_date) \
            if period_spec is not None else None
        if period_spec is None and self.info.report is not None:
            period = self.info.report
        if period is not None and period.kind == "interval" and period.start[:4] == period.end[:4] and \
                (qtype != "count" or unit == "day"):
            # "补助标准由每胎次800元提高至1200元" in a half-year report: a parameter holds for its year;
            # "今年起…救助比例由65%提高到70%": the old value held the year before
            raised = self._raised(q)
            if (raised and metric in model.meta.get("policy_metrics", ())) or (
                    (raised or not period.end.endswith("12-31")) and self._policy_clause(q.start)):
                year = int(period.start[:4]) - (1 if raised < 0 else 0)
                period = Resolved(f"{year}-01-01", f"{year}-12-31", "interval")
        if stock and frame.base_asof and measure in ("yoy_change", "difference") and period is not None and \
                period.kind == "interval" and period_spec is None:
            # "参加职工医保812.53万人,较上年末增加14.27万人": a stock compared with last year-end is a year-end
            # figure, and so is the change (when nothing in the text dated them)
            period = Resolved(period.end, period.end, "instant")
            if rel is not None and rel.period is not None and rel.period.kind == "interval" and \
                    rel.period.end == period.end and rel.period_span is None:
                rel.period = period
        region = state.region[0] if state.region else None
        status_ev = state.status
        if status_ev is not None and state.status_clause >= 0 and state.status_clause != clause:
            status_ev = frame.base.status  # "高于省下达的70%目标;职工…": the target's word stays in its clause
        status = status_ev[0] if status_ev else "actual"
        if status_ev is None and period_spec is not None and period_spec.year is not None and period is not None:
            if self.info.published is not None and period.start > self.info.published:
                status = "planned"  # "2025年底前…达到90%" in a page of January 2025: not yet happened
        if status == "planned" and frame.framed_status is state.status and q.unit_surface == "cell" and (
                (qtype == "count" and unit in ("person", "person_time")) or q.per or measure == "per_capita"):
            # the persons counted and the standards (元/人·年) in a plan document's table are the measured
            # basis of the plan, not plans (contract 7.1)
            status = "actual"
        if status == "planned" and metric == "fund_payment" and qtype == "amount":
            metric = "expenditure"  # a payment in a budget is a planned outlay

        for role, e in (("scheme", scheme_ev), ("account", account_ev), ("metric", metric_ev),
                        ("region", state.region), ("status", state.status)):
            if e is not None and e[1] >= 0 and role in ("scheme", "account", "metric", "region"):
                ev.append((role, e[1], e[2]))
        if cue is not None:
            ev.append(("measure", cue[1], cue[2]))
        for k, v in state.quals.items():
            if v[1] >= 0 and k in quals:
                ev.append((k, v[1], v[2]))
        b = Bound(q=q, type=qtype, unit=unit, value=value, scheme=scheme, account=account, metric=metric,
                  measure=measure, status=status, period=period,
                  period_span=(period_spec.start, period_spec.end) if period_spec is not None else None,
                  region=region, qualifiers=quals, evidence=ev, related=related,
                  parent=frame.parent_record, parent_soft=frame.soft, sentence=self.sentence_no,
                  q_text=self.doc[q.start:q.end])
        self.bound.append(b)
        if measure == "level" or measure in RATE_MEASURES:  # what a 其中 or a change refers to
            frame.last_level = len(self.bound) - 1
            frame.levels.append(frame.last_level)
        frame.list_item = (account_ev, q.end)
        frame.last_measure = (measure, q.end)
        if cue is not None:
            frame.list_cue = (cue, sign, q.end)
        elif direction_ev is not None:
            frame.list_cue = (direction_ev, sign, q.end)  # "分别下降2.4和1.7个百分点"
        else:
            frame.list_cue = None
        if not keep_cue:
            frame.cue, frame.sign = None, 0
        return len(self.bound) - 1

    # ------------------------------------------------------------ helpers for tables
    def terms_in(self, start: int, end: int) -> list[Term]:
        return _starting_in(self._t_starts, self.terms, start, end)

    def quantities_in(self, start: int, end: int) -> list[Quantity]:
        return self._quantities_in(start, end)

    def label_scope_cells(self, cells: list[Any]) -> Scope:
        scope = Scope()
        for c in cells:
            if c is not None:
                scope = scope.overlay(self.label_scope(c.start, c.end, keep_status=True))
        return scope

    def cue_of_cells(self, cells: list[Any]) -> Optional[tuple[str, int, int]]:
        for c in cells:
            if c is None:
                continue
            for t in self.terms_in(c.start, c.end):
                a = t.get("measure")
                if a is not None:
                    return (a.label, t.start, t.end)
        return None

    def bind_cell(self, q: Quantity, scope: Scope, cue: Optional[tuple[str, int, int]],
                  framed_status: Optional[tuple[str, int, int]] = None) -> Optional[int]:
        """Bind one table cell under ``scope`` (section, caption, column and row labels).

        ``framed_status`` is the status the table's caption or document gives (not its own labels).
        """
        self.sentence_no += 1
        frame = _Frame(base=scope, cue=cue, framed_status=framed_status)
        idx = self._bind(q, scope.copy(), frame, [frame], 0)
        if idx is not None:
            self.bound[idx].table = "cell"
        return idx

    def prose_money_factor(self) -> float:
        """The multiplier most prose amounts use (万元 -> 1e4); tables without a unit note take it.

        Counted once per document: it is asked for by every table, and a document can hold thousands.
        """
        if self._money_factor is None:
            from collections import Counter

            counts = Counter(q.multiplier for q in self.quantities if q.type == "amount" and q.unit_surface == "元")
            self._money_factor = counts.most_common(1)[0][0] if counts else 1.0
        return self._money_factor

    def _new_subject(self, frame: _Frame) -> bool:
        """Whether the terms since the last figure name a new subject (a scheme, account or setting)."""
        return any(a.field in ("scheme", "account", "setting") for t in frame.recent for a in t.assignments)

    def _figure_follows(self, pos: int, gap: int = 2) -> bool:
        """Whether a quantity starts within ``gap`` characters after ``pos`` (a word that labels it)."""
        i = bisect.bisect_left(self._q_starts, pos)
        return i < len(self._q_starts) and self._q_starts[i] - pos <= gap

    def unknown_rate(self, pos: int, metric_ev: Optional[tuple[str, int, int]]) -> bool:
        """Whether a rate noun (…率, …比例) that no metric term covers stands right before the figure at ``pos``."""
        window = self.doc[max(0, pos - 6):pos]
        found = max(((window.rfind(n), n) for n in self._rate_nouns), default=(-1, ""))
        at = found[0] + len(found[1]) - 1
        if found[0] < 0 or any(ch in window[at:] for ch in ",;。"):
            return False
        rate_end = pos - len(window) + at + 1
        if metric_ev is not None and metric_ev[2] >= rate_end:
            return False  # 参保率, 报销比例: the lexicon's own rate
        if any(t.start < rate_end <= t.end for t in self.terms_in(max(0, rate_end - 8), rate_end)):
            return False  # a known term ends with this 率 (增长率, 住院率)
        return not window[:found[0]].endswith(tuple(self._change))

    def _metric_after(self, pos: int) -> Optional[str]:
        """A metric a word right after a person count names ("…人享受待遇", "…人参加生育保险")."""
        window = self.doc[pos:pos + 8]
        for word, metric in self._after_metric.items():
            at = window.find(word)
            if 0 <= at and not any(ch in window[:at] for ch in ",;。、"):
                return metric
        return None

    def _raised(self, q: Quantity) -> int:
        """-1 for the old value of "由X提高到Y", 1 for the new one, 0 for a figure in no such change."""
        if self._to_value.match(self.doc, q.end) and self.doc[max(0, q.start - 1):q.start] == "由":
            return -1
        before = self.doc[max(0, q.start - 4):q.start]
        hit = self._to_value.search(before)
        return 1 if hit is not None and hit.end() == len(before) else 0

    def _policy_clause(self, pos: int) -> bool:
        """Whether the figure at ``pos`` is the value of a policy parameter its clause names (补助标准由
        每胎次800元提高至1200元), not a figure measured above or below one (起付标准以上的费用)."""
        floor = max(0, pos - 40)
        doc = self.doc
        if not self._policy_re.search(doc, floor, pos):
            return False  # most figures: no policy word near them at all
        start = max(doc.rfind(",", floor, pos), doc.rfind(";", floor, pos), doc.rfind("。", floor, pos),
                    doc.rfind("\n", floor, pos), floor - 1) + 1
        clause = doc[start:pos]
        for w in self._policy:
            at = clause.rfind(w)
            if at >= 0:
                gap = clause[at + len(w):]
                return len(gap) <= 14 and not any(x in gap for x in ("的", "以上", "以下", "以内"))
        return False

    def _comparison_measure(self, base: PeriodSpec, frames: list[_Frame]) -> str:
        """Against last year (比上年末, 比2023年 in a 2024 report) a change is yoy_change; against another
        base (较一季度末, 较2022年 in 2024) it is a difference."""
        if base.year is None:
            return "yoy_change" if base.year_offset == -1 and base.m1 is None else (
                "yoy_change" if base.name == "year_end_word" else "difference")
        context = self._context_year(frames)
        if context is None:
            return "yoy_change"
        if base.year != context - 1:
            return "difference"
        return "yoy_change" if base.m1 in (None, 12) or base.months == () and base.m2 == 12 else "difference"

    def _latest_year(self, pos: int) -> Optional[int]:
        """The latest year a period expression before ``pos`` writes out (a dateline without a year)."""
        years = [p.year for p in self.periods[:bisect.bisect_left(self._p_starts, pos)]
                 if p.year is not None and not p.comparison]
        return max(years) if years else None

    def _context_year(self, frames: list[_Frame]) -> Optional[int]:
        for f in reversed(frames):
            p = f.base.period
            if p is not None and p.year is not None:
                return p.year
        if self.info.report is not None:
            return self.info.report.year
        return self.info.published_year
