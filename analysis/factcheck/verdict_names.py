"""The verdict rules on names, ranks and tables: set_equal (with top-n ties), rank and rank_within
(with merges), none_in and breakdown. Their documentation is verdicts.py's docstring (one place,
which the site quotes); verdicts.evaluate dispatches to them.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from analysis.core.errors import UsageError
from analysis.factcheck.verdict_base import (NO_VALUE_NOTE, NOT_CHECKABLE, NOT_SUPPORTED, PARTLY, SUPPORTED, Verdict, _fmt, _join, _names,
                                             _norm, _table, _v, to_fraction)  # fmt: skip

def _top_n(table: dict[str, tuple[str, Fraction]], n: int):
    if len(table) <= n:
        return set(table), set(), None
    cutoff = heapq.nlargest(n, (q for _, q in table.values()))[-1]  # the n-th largest, without sorting every value
    cn, cd = cutoff.numerator, cutoff.denominator  # compared as integers (denominators are positive): exact, 10x faster
    above = {k for k, (_, q) in table.items() if q.numerator * cd > cn * q.denominator}
    at = {k for k, (_, q) in table.items() if q.numerator * cd == cn * q.denominator}
    if len(above) + len(at) == n:  # the cut-off value is shared by nobody beyond the n: no tie
        return above | at, set(), None
    return above, at, cutoff


def _top_n_of(value: Mapping, n: int) -> tuple[dict[str, tuple[str, Fraction]], set, set, Fraction | None, int]:
    """``_top_n(_table(value))``, with the table cut to the names it returns, and the table's size.

    A per-resident table has a row per county (3,200), and making each rate a Fraction was most of
    a top-n claim's cost. When the values are all finite floats, or all ints, and no two names fold
    together, the floats themselves are ranked: the shortest repr of a float is exact and keeps the
    floats' order and equality (each repr lies in its float's rounding interval, and those do not
    overlap), so the same names come out; only the names returned become Fractions."""
    vals = list(value.values())
    kinds = set(map(type, vals))
    keys = [_norm(k) for k in value] if kinds in ({int}, {float}) and len(vals) > n else []
    if not keys or len(set(keys)) < len(keys) or (kinds == {float} and not all(map(math.isfinite, vals))):
        table = _table(value, "reproduced")
        return (table, *_top_n(table, n), len(table))
    cut = heapq.nlargest(n, vals)[-1]
    above = {k for k, v in zip(keys, vals) if v > cut}
    at = {k for k, v in zip(keys, vals) if v == cut}
    table = {k: (str(name), to_fraction(v)) for k, name, v in zip(keys, value, vals) if v >= cut}
    if len(above) + len(at) == n:
        return table, above | at, set(), None, len(keys)
    return table, above, at, to_fraction(cut), len(keys)


def _set_equal(claimed: Any, reproduced: Any, p: Mapping) -> Verdict:
    names = _names(claimed, "claimed_value")
    wanted = {_norm(n): n for n in names}
    need = p.get("partial_if_overlap_at_least")
    if isinstance(reproduced, Mapping):
        if "top_n" not in p:
            raise UsageError("set_equal got a table; give comparison.top_n to rank it")
        n = int(p["top_n"])
        table, above, at, cutoff, size = _top_n_of(reproduced, n)

        def display(k: str) -> str:  # only the names shown are formatted (a county table has thousands)
            return f"{table[k][0]} ({_fmt(table[k][1])})"

        s = set(wanted)
        slots = n - len(above)
        overlap = len(s & above) + min(len(s & at), slots)
        identical = above <= s and s <= above | at and len(s) == min(n, size)
        top = sorted(above | at, key=lambda k: (-table[k][1], k))
        head = f"top {n} by value: {_join(display(k) for k in sorted(above, key=lambda k: (-table[k][1], k)))}"
        if at:
            head += f"; tied at the cut-off {_fmt(cutoff)}: {_join(display(k) for k in sorted(at))}"
        missing = [wanted[k] for k in wanted if k not in above | at]
        extra = [table[k][0] for k in top if k in above and k not in s]
        if len(s & at) < slots:  # open top-n slots that only unclaimed tied names can fill
            extra += [f"{table[k][0]} (tied)" for k in sorted(at - s)]
    else:
        at = set()
        got = {_norm(n): n for n in _names(reproduced, "reproduced")}
        s, r = set(wanted), set(got)
        identical = s == r
        overlap = len(s & r)
        head = f"reproduced: {_join(got[k] for k in sorted(r))}"
        missing = [wanted[k] for k in wanted if k not in r]
        extra = [got[k] for k in sorted(r - s)]
    diff = f"claimed but not reproduced: {_join(missing)}; reproduced but not claimed: {_join(extra)}"
    if identical:
        tie = " (one valid choice among the names tied at the cut-off)" if at else ""
        return _v(SUPPORTED, f"{head}; same set as claimed{tie}")
    if need is not None and overlap >= need:
        return _v(PARTLY, f"{head}; {overlap} of {len(names)} match (>= {need}); {diff}")
    return _v(NOT_SUPPORTED, f"{head}; {overlap} of {len(names)} match; {diff}")


def _rank_in(table: dict[str, tuple[str, Fraction]], key: str) -> tuple[int, list[str]] | None:
    if key not in table:
        return None
    value = table[key][1]
    rank = 1 + sum(1 for _, q in table.values() if q > value)
    tied = [name for k, (name, q) in table.items() if q == value and k != key]
    return rank, tied


def _merged(table: dict[str, tuple[str, Fraction]], merge: Mapping) -> tuple[dict, dict[str, str]]:
    """The table with each merge group summed into one entry; and member -> group key."""
    out = dict(table)
    member_of: dict[str, str] = {}
    for group, members in merge.items():
        g = _norm(group)
        present = [_norm(m) for m in members if _norm(m) in out]
        if not present:
            continue
        total = sum((out.pop(m)[1] for m in present), Fraction(0))
        if g in out:
            total += out.pop(g)[1]
        out[g] = (str(group), total)
        for m in members:
            member_of[_norm(m)] = g
    return out, member_of


def _rank_verdict(table, entity: str, target: int) -> Verdict:
    found = _rank_in(table, _norm(entity))
    if found is None:
        return _v(NOT_CHECKABLE, f"{NO_VALUE_NOTE} ({entity} is absent from the reproduced table)")
    rank, tied = found
    value = _fmt(table[_norm(entity)][1])
    if rank == target and not tied:
        return _v(SUPPORTED, f"{entity} ranks {rank} ({value}), as claimed")
    if rank == target:
        return _v(PARTLY, f"{entity} shares rank {rank} ({value}) with {_join(sorted(tied))}")
    return _v(NOT_SUPPORTED, f"{entity} ranks {rank} ({value}), not {target}")


def _with_merge(primary: Verdict, variant: Verdict | None, label: str) -> Verdict:
    if variant is None:
        return primary
    if variant.verdict == primary.verdict:
        return _v(primary.verdict, f"{primary.note}; same with {label}: {variant.note}")
    return _v(PARTLY, f"depends on the geography: {primary.note} ({primary.verdict}); "
                      f"with {label}: {variant.note} ({variant.verdict})")


def _merge_label(p: Mapping) -> str:
    return " and ".join(f"{g} combined" for g in p["merge"])


def _rank(claimed: Any, reproduced: Any, p: Mapping) -> Verdict:
    target = int(p.get("rank", claimed))
    if not isinstance(reproduced, Mapping):
        r = to_fraction(reproduced, "reproduced rank")
        note = "" if "merge" not in p else " (merge variant not computed: the reproduced value is a rank, not a table)"
        if r == target:
            return _v(SUPPORTED, f"reproduced rank {_fmt(r)}, as claimed{note}")
        return _v(NOT_SUPPORTED, f"reproduced rank {_fmt(r)}, not {target}{note}")
    if "entity" not in p:
        raise UsageError("rank got a table; give comparison.entity to say whose rank to check")
    entity = p["entity"]
    table = _table(reproduced, "reproduced")
    primary = _rank_verdict(table, entity, target)
    if "merge" not in p or primary.verdict == NOT_CHECKABLE:
        return primary
    merged, member_of = _merged(table, p["merge"])
    key = member_of.get(_norm(entity), _norm(entity))
    variant = _rank_verdict(merged, merged[key][0] if key in merged else entity, target)
    return _with_merge(primary, variant, _merge_label(p))


def _within_verdict(table, entities: list[str], lo: int, hi: int) -> Verdict:
    inside, outside = [], []
    for e in entities:
        found = _rank_in(table, _norm(e))
        if found is None:
            outside.append(f"{e} (absent)")
            continue
        rank, tied = found
        tie = f", tied with {_join(sorted(tied))}" if tied else ""
        desc = f"{e} rank {rank}{tie}"
        (inside if lo <= rank <= hi else outside).append(desc)
    band = f"ranks {lo}-{hi}" if lo != hi else f"rank {lo}"
    head = f"within {band}: {_join(inside)}; outside: {_join(outside)}"
    return _all_some_none(inside, outside, head)


def _all_some_none(fit: list, misfit: list, head: str) -> Verdict:
    """Every entity fits -> supported; some do -> partly supported; none -> not supported."""
    if not misfit:
        return _v(SUPPORTED, head)
    if fit:
        return _v(PARTLY, head)
    return _v(NOT_SUPPORTED, head)


def _rank_within(claimed: Any, reproduced: Any, p: Mapping) -> Verdict:
    lo, hi = int(p.get("min_rank", 1)), int(p["max_rank"])
    if not isinstance(reproduced, Mapping):
        r = to_fraction(reproduced, "reproduced rank")
        if lo <= r <= hi:
            return _v(SUPPORTED, f"reproduced rank {_fmt(r)} is within {lo}-{hi}")
        return _v(NOT_SUPPORTED, f"reproduced rank {_fmt(r)} is outside {lo}-{hi}")
    if isinstance(claimed, (list, tuple)):
        entities = _names(claimed, "claimed_value")
    elif "entity" in p:
        entities = [p["entity"]]
    else:
        raise UsageError("rank_within got a table; list the entities in claimed_value or give comparison.entity")
    table = _table(reproduced, "reproduced")
    primary = _within_verdict(table, entities, lo, hi)
    if "merge" not in p:
        return primary
    merged, member_of = _merged(table, p["merge"])
    renamed = []
    for e in entities:
        key = member_of.get(_norm(e), _norm(e))
        renamed.append(merged[key][0] if key in merged else e)
    return _with_merge(primary, _within_verdict(merged, list(dict.fromkeys(renamed)), lo, hi), _merge_label(p))


def _none_in(claimed: Any, reproduced: Any) -> Verdict:
    names = _names(claimed, "claimed_value")
    table = _table(reproduced, "reproduced")
    zero, nonzero = [], []
    for n in names:
        entry = table.get(_norm(n))
        if entry is None or entry[1] == 0:
            zero.append(n if entry is not None else f"{n} (absent, counted as 0)")
        else:
            nonzero.append(f"{n} ({_fmt(entry[1])})")
    head = f"none: {_join(zero)}; some: {_join(nonzero)}"
    return _all_some_none(zero, nonzero, head)


def _breakdown(claimed: Any, reproduced: Any, p: Mapping) -> Verdict:
    want = _table(claimed, "claimed_value")
    got = _table(reproduced, "reproduced")
    complete = p.get("complete", True)
    need = int(p.get("partial_if_match_at_least", 1))
    matches, mismatches = [], []
    for k, (name, q) in want.items():
        r = got.get(k, (name, Fraction(0)))[1]
        (matches if r == q else mismatches).append((name, q, r))
    unclaimed = [(name, q) for k, (name, q) in got.items() if k not in want and q != 0]
    parts = [f"match: {_join(f'{n} {_fmt(q)}' for n, q, _ in matches)}",
             f"differ: {_join(f'{n} claimed {_fmt(q)}, reproduced {_fmt(r)}' for n, q, r in mismatches)}"]
    if complete:
        parts.append(f"not claimed but non-zero: {_join(f'{n} {_fmt(q)}' for n, q in unclaimed)}")
    head = "; ".join(parts)
    if not mismatches and not (complete and unclaimed):
        return _v(SUPPORTED, head)
    if len(matches) >= need:
        return _v(PARTLY, head)
    return _v(NOT_SUPPORTED, head)
