"""Stage 6: consistency checks over the bound records (the output contract, section 6).

- ``sum``: parts that should add up to a stated total (a parenthetical breakdown, a table's
  合计/小计 row or column);
- ``balance``: income - expenditure against a stated current balance;
- ``ratio``: a reimbursement ratio against its payment / cost;
- ``unit_slip``: a figure off by a multiplier (a part 10^4 times too small, a cost below its payment).

Rounding to the printed precision of the figures is never a finding.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Iterable, Optional

from .records import Document, Finding

if TYPE_CHECKING:
    from .relate import Bound
    from .tables import FoundTable

TOTAL_WORDS = ("合计", "总计", "小计")   # the default model's; a loaded model passes its own
MAX_SUBSET_PARTS = 12
SLIP_FACTORS = (1e4, 1e8, 1e3)


def _tolerance(bounds: Iterable["Bound"]) -> float:
    """Half a unit of the last printed digit, summed over the figures involved (in the values' units)."""
    return sum(10 ** (-b.decimals) * (b.q.multiplier if b.type != "ratio" else 1.0) / 2 for b in bounds)


def _adds_up(total: float, parts: list[float], tol: float) -> bool:
    """Whether the parts, or (for nested breakdowns) some subset of at least two of them, give the total."""
    if abs(sum(parts) - total) <= tol:
        return True
    n = len(parts)
    if n > MAX_SUBSET_PARTS:
        return False
    for mask in range(1, 1 << n):
        if bin(mask).count("1") < 2:
            continue
        if abs(sum(p for i, p in enumerate(parts) if mask >> i & 1) - total) <= tol:
            return True
    return False


def _severity(gap: float) -> str:
    if gap >= 0.1:
        return "error"
    if gap >= 0.01:
        return "warning"
    return "info"


def _finding(kind: str, message: str, ids: list[str], expected: float, observed: float) -> Finding:
    gap = abs(expected - observed) / abs(expected) if expected else (0.0 if observed == 0 else math.inf)
    gap = round(gap, 6) if math.isfinite(gap) else 1.0
    return Finding(kind=kind, severity=_severity(gap), message=message, records=ids,
                   expected=round(expected, 6), observed=round(observed, 6), relative_gap=gap)


def _same_kind(a: "Bound", b: "Bound") -> bool:
    return a.type == b.type and a.unit == b.unit and a.measure == "level" and b.measure == "level"


def _sum_check(total: "Bound", parts: list["Bound"], ids: dict[int, str], index: dict[int, int],
               what: str, partial: bool = False) -> Optional[Finding]:
    """A finding when ``parts`` do not add up to ``total``; ``partial`` lists (其中…) only report unit slips."""
    if len(parts) < 2 or total.type == "ratio":
        return None
    s = sum(p.value for p in parts)
    tol = _tolerance([total] + parts) + 1e-9
    if _adds_up(total.value, [p.value for p in parts], tol):
        return None
    refs = [ids[index[id(total)]]] + [ids[index[id(p)]] for p in parts]
    for p in parts:  # would one part with another multiplier make it add up?
        for f in SLIP_FACTORS:
            if abs(s - p.value + p.value * f - total.value) <= tol + abs(p.value) * f * 1e-6:
                return _finding("unit_slip", f"{what}: {p.q_text!r} looks {int(f):,}x too small "
                                f"(the parts add up to {total.q_text!r} only if it is)", refs, total.value, s)
    if partial:
        return None
    return _finding("sum", f"{what}: the parts add up to {s:,.2f}, the total {total.q_text!r} says "
                    f"{total.value:,.2f}", refs, total.value, s)


def check(document: Document, bound: list["Bound"], ids: dict[int, str],
          tables: list["FoundTable"], text: str = "", total_words: Iterable[str] = TOTAL_WORDS) -> list[Finding]:
    """All findings for one document, in a stable order (``text``: the normalized text the spans index;
    ``total_words``: the model's words for a total row, patterns/words.tsv)."""
    index = {id(b): i for i, b in enumerate(bound)}
    findings: list[Finding] = []

    # parenthetical breakdowns: children of one parent, same metric and unit
    children: dict[int, list["Bound"]] = defaultdict(list)
    for b in bound:
        if b.parent is not None and b.table is None:
            children[b.parent].append(b)
    for parent_i, kids in children.items():
        parent = bound[parent_i]
        alike = [k for k in kids if _same_kind(parent, k)]
        if parent.measure != "level" or any(k.metric != parent.metric for k in alike):
            continue  # a breakdown across metrics is not a sum
        first: dict[tuple, "Bound"] = {}
        for k in alike:  # "应补偿4911.4万元,实际补偿4911.4万元" restate one part: count it once
            first.setdefault(_key(k) + (k.value,), k)
        f = _sum_check(parent, list(first.values()), ids, index, "breakdown",
                       partial=any(k.parent_soft for k in alike))
        if f:
            findings.append(f)

    # sentences: balance, ratio and cost-below-payment checks
    by_sentence: dict[int, list["Bound"]] = defaultdict(list)
    for b in bound:
        by_sentence[b.sentence].append(b)
    for group in by_sentence.values():
        findings.extend(_balance(group, ids, index))
        findings.extend(_ratio(group, ids, index, text))
        findings.extend(_cost_below_payment(group, ids, index))

    for t in tables:
        findings.extend(_table_totals(t, bound, ids, index, frozenset(total_words)))
        if t.problem:
            findings.append(Finding(kind="table", severity="warning",
                                    message=f"table not read ({t.problem}); its cells gave no records"))
    findings.sort(key=lambda f: (int(f.records[0][1:]) if f.records else 0, f.kind))
    return findings


def _key(b: "Bound") -> tuple:
    return (b.scheme, b.account, b.period, tuple(sorted((k, str(v)) for k, v in b.qualifiers.items())))


def _balance(group: list["Bound"], ids: dict[int, str], index: dict[int, int]) -> list[Finding]:
    out = []
    by_key: dict[tuple, dict[str, "Bound"]] = defaultdict(dict)
    seen: dict[tuple, Counter] = defaultdict(Counter)
    for b in group:
        if b.type == "amount" and b.measure == "level" and b.metric in ("income", "expenditure", "current_balance"):
            by_key[_key(b)].setdefault(b.metric, b)
            seen[_key(b)][b.metric] += 1
    for key, trio in by_key.items():
        # a balance that nets several listed incomes or outlays is not income minus one expenditure
        if len(trio) == 3 and seen[key]["income"] == 1 and seen[key]["expenditure"] == 1:
            inc, exp, bal = trio["income"], trio["expenditure"], trio["current_balance"]
            expected = inc.value - exp.value
            if abs(expected - bal.value) > _tolerance([inc, exp, bal]) + 1e-9:
                out.append(_finding("balance", f"income {inc.q_text!r} - expenditure {exp.q_text!r} = "
                                    f"{expected:,.2f}, the balance {bal.q_text!r} says {bal.value:,.2f}",
                                    [ids[index[id(x)]] for x in (inc, exp, bal)], expected, bal.value))
    return out


def _qkey(b: "Bound") -> tuple:
    return (b.scheme, b.period, tuple(sorted((k, str(v)) for k, v in b.qualifiers.items())))


def _ratio(group: list["Bound"], ids: dict[int, str], index: dict[int, int], text: str) -> list[Finding]:
    """Reimbursement ratios against the nearest payment / cost before them with the same scheme, period, qualifiers."""
    out = []
    last: dict[tuple, dict[str, "Bound"]] = defaultdict(dict)  # one pass: linear in the sentence
    for b in sorted(group, key=lambda x: x.q.start):
        if b.type == "amount" and b.measure == "level" and b.metric in ("fund_payment", "medical_cost"):
            last[_qkey(b)][b.metric] = b
            continue
        if b.metric != "reimbursement_ratio" or b.type != "ratio" or b.measure != "level":
            continue
        if "政策范围" in text[max(0, b.q.start - 60):b.q.start]:
            continue  # a ratio of policy-range costs has another denominator
        seen = last.get(_qkey(b), {})
        pay, cost = seen.get("fund_payment"), seen.get("medical_cost")
        if pay is None or cost is None or cost.value == 0:
            continue
        implied = pay.value / cost.value * 100
        d = b.decimals
        if round(implied, d) != round(b.value, d) and abs(implied - b.value) > 10 ** (-d) / 2:
            out.append(_finding("ratio", f"{b.q_text!r} against {pay.q_text!r} / {cost.q_text!r} = "
                                f"{implied:.{d}f}%", [ids[index[id(x)]] for x in (b, pay, cost)],
                                round(implied, d + 2), b.value))
    return out


def _cost_below_payment(group: list["Bound"], ids: dict[int, str], index: dict[int, int]) -> list[Finding]:
    """A cost smaller than the payment that follows it (same scheme and qualifiers): a slip or a wrong figure."""
    out = []
    pending: dict[tuple, "Bound"] = {}  # the nearest cost still waiting for its payment, per key
    for b in sorted(group, key=lambda x: x.q.start):
        if b.type != "amount" or b.measure != "level" or b.metric not in ("medical_cost", "fund_payment"):
            continue
        key = (b.scheme, tuple(sorted((k, str(v)) for k, v in b.qualifiers.items())))
        if b.metric == "medical_cost":
            pending[key] = b
            continue
        c = pending.pop(key, None)
        if c is None or c.value <= 0 or b.value <= c.value:
            continue
        factor = b.value / c.value
        slip = next((f for f in SLIP_FACTORS if f / 20 <= factor <= f * 20), None)
        msg = (f"cost {c.q_text!r} is below the payment {b.q_text!r}" +
               (f"; it looks {int(slip):,}x too small" if slip else ""))
        out.append(_finding("unit_slip" if slip else "sum", msg, [ids[index[id(c)]], ids[index[id(b)]]],
                            b.value, c.value))
    return out


def _table_totals(t: "FoundTable", bound: list["Bound"], ids: dict[int, str], index: dict[int, int],
                  total_words: frozenset[str] = frozenset(TOTAL_WORDS)) -> list[Finding]:
    """合计/小计 columns and rows against the cells they total."""
    out: list[Finding] = []

    def cell_bound(r: int, c: int) -> Optional["Bound"]:
        i = t.cell_records.get((r, c))
        return bound[i] if i is not None else None

    def is_total(cells) -> bool:
        return bool(cells) and any(x is not None and x.text.replace(" ", "") in total_words for x in cells[-1:])

    ncols = len(t.col_paths)
    total_cols = [c for c in range(ncols) if is_total(t.col_paths[c])]
    for c in total_cols:
        prefix = [x.text for x in t.col_paths[c][:-1]]
        siblings = [k for k in range(t.label_cols, ncols) if k != c and k not in total_cols
                    and [x.text for x in t.col_paths[k][:len(prefix)]] == prefix
                    and (prefix or len(t.col_paths[k]) <= 1 or not _group_has_total(t, k, total_cols))]
        if not prefix:  # a grand total adds the groups through their own subtotals
            siblings += [k for k in total_cols if k != c and len(t.col_paths[k]) > 1]
        for r in range(len(t.rows)):
            tot = cell_bound(r, c)
            parts = [b for b in (cell_bound(r, k) for k in siblings) if b is not None]
            if tot is None or tot.type == "ratio" or len(parts) != len(siblings):
                continue
            f = _sum_check(tot, [p for p in parts if _same_kind(tot, p)], ids, index, "table column total")
            if f:
                out.append(f)
    for r, path in enumerate(t.row_paths):
        if not is_total(path):
            continue
        for c in range(t.label_cols, ncols):
            tot = cell_bound(r, c)
            if tot is None or tot.type == "ratio":
                continue
            parts = []
            for r2 in range(r - 1, -1, -1):  # up to the previous total or a row restating this one
                b = cell_bound(r2, c)
                if is_total(t.row_paths[r2]) or (b is not None and abs(b.value - tot.value) < 1e-9):
                    break
                if b is not None and _same_kind(tot, b):
                    parts.append(b)
            f = _sum_check(tot, parts, ids, index, "table row total")
            if f:
                out.append(f)
    return out


def _group_has_total(t: "FoundTable", col: int, total_cols: list[int]) -> bool:
    prefix = [x.text for x in t.col_paths[col][:-1]]
    return any([x.text for x in t.col_paths[k][:-1]] == prefix for k in total_cols)

