"""Verdicts: compare a claimed number with a reproduced one and say, in one of four words, whether it holds.

The verdict is always computed here from the two values and the claim's ``comparison`` table in
``resources/claims.toml``; nothing in the registry may state a verdict (the loader rejects a
``verdict`` field). The vocabulary is:

``"supported"``         the reproduced value satisfies the claim as printed;
``"partly supported"``  it satisfies a weaker reading (wider band, some members of a set, a shared
                        rank, another unit than the one printed ...);
``"not supported"``     it does not;
``"not checkable"``     there is no reproduced value, or the claim cannot be checked against the
                        pinned data at all (the note says why).

Arithmetic is exact: every number goes through :class:`fractions.Fraction` (floats via their
shortest decimal ``repr``, so ``0.02`` is exactly 1/50 and ``"1/3"`` is exactly one third), which
makes the boundaries below hold to the last digit. A reproduced value of ``None``, NaN or
``pandas.NA`` (and an empty table or set) gives ``"not checkable"`` with the note
``"no reproduced value"``. *Relative* differences are ``|reproduced - claimed| / |claimed|``; when
the claimed value is 0 the absolute difference is used instead.

Comparison types (the ``type`` key of the ``comparison`` table) and their parameters
------------------------------------------------------------------------------------

``approx`` ``{tolerance, partial_tolerance?}``
    A plain figure ("641%"). Supported when the relative difference is ``<= tolerance``
    (inclusive: exactly at the tolerance is supported); partly supported when it is
    ``<= partial_tolerance``; otherwise not supported.

``almost`` ``{tolerance, partial_tolerance?}``
    "almost 960": the value should be at or just below the figure. Supported when
    ``reproduced <= claimed`` and the shortfall is ``<= tolerance`` (equal counts as supported);
    a shortfall ``<= partial_tolerance`` is partly supported. A value *above* the figure but
    within ``tolerance`` is partly supported ("almost" implies below); further above is not
    supported.

``more_than`` ``{partial_tolerance?, upper_tolerance?}``
    "more than 1,000", "over", "a more than 600-percent increase": strictly greater.
    ``reproduced > claimed`` is supported; equal is *not* more than, so equal or a shortfall
    ``<= partial_tolerance`` is partly supported, and without ``partial_tolerance`` it is not
    supported. With ``upper_tolerance``, a value exceeding the figure by more than that relative
    amount is only partly supported (true but badly understated).

``at_least`` ``{partial_tolerance?, upper_tolerance?}``
    Like ``more_than`` but inclusive: ``reproduced >= claimed`` is supported.

``at_most`` ``{partial_tolerance?, lower_tolerance?}``
    Mirror image: ``reproduced <= claimed`` supported (inclusive); an excess ``<= partial_tolerance``
    partly supported; with ``lower_tolerance``, a value below the figure by more than that is only
    partly supported (true but badly overstated).

``equal`` ``{partial_tolerance?}``
    Exact match of an integer claim ("just 135", "22 pending"). Any difference is not supported,
    unless it is within ``partial_tolerance`` (inclusive), which is partly supported.

``share_above`` ``{threshold, margin?, entity?}``
    "over a third", "well over a third". ``threshold`` is a number or an exact fraction string
    (``"1/3"``); ``margin`` (default 0) encodes "well over". With share ``s``:
    ``s > threshold + margin`` supported; ``threshold < s <= threshold + margin`` partly supported
    ("over, but not well over"); ``s <= threshold`` not supported -- *exactly* at the threshold
    is not "over". The reproduced value is the share itself (0..1), or, when ``entity`` is given,
    a table name -> count from which the share is ``table[entity] / sum(table)``.

``set_equal`` ``{partial_if_overlap_at_least?, top_n?}``
    "these five states". Claimed is a list of names. Reproduced is either a list/set of names, or
    -- with ``top_n`` -- a table name -> value from which the top ``n`` are taken. Names are
    compared case- and whitespace-insensitively. Identical sets are supported; an overlap of at
    least ``partial_if_overlap_at_least`` members is partly supported; otherwise not supported.
    The note lists the matches and both differences. *Ties* at the top-``n`` cut-off: any
    selection of the tied members is a valid top ``n``, so the claim is supported when it contains
    every name strictly above the cut-off value and its other names are all tied at the cut-off.

``rank`` ``{rank?, entity?, merge?}``
    "led the nation" (rank 1; ``rank`` defaults to the claimed value). Reproduced is the entity's
    rank (an integer, assumed untied), or -- with ``entity`` -- a table name -> value ranked
    descending with competition ranking (equal values share the best rank, "1224"). The exact rank
    alone is supported; the rank *shared* with other entities (a tie) is partly supported; any
    other rank is not supported. An entity absent from the table is not checkable.

``rank_within`` ``{max_rank, min_rank?, entity?, merge?}``
    "close behind" (ranks ``min_rank``..``max_rank``, both inclusive; ``min_rank`` defaults to 1).
    Claimed is a list of entity names (or a number, with ``entity`` or an integer reproduced).
    With a table, each entity's competition rank is computed (a tie straddling the bound takes the
    shared, better rank). All entities within the bounds: supported; some: partly supported; none:
    not supported. An entity missing from the table counts as outside the bounds.

    ``merge`` (for ``rank`` and ``rank_within``) is a table group-name -> member names, e.g. New
    York City -> its five counties. The ranking is then recomputed with each group summed into
    one entity; the note reports that variant, and when it gives a different verdict from the
    member-level ranking the result is "partly supported" (it depends on the geography).

``none_in`` ``{}``
    "California and Illinois have none". Claimed is a list of names, reproduced a table
    name -> count (a name absent from the table counts as 0, since the sheets list agreements and a
    state without any has no rows). All zero: supported; some zero: partly supported; none zero:
    not supported.

``breakdown`` ``{complete?, partial_if_match_at_least?}``
    A split of a total by category ("11 Jail Enforcement and 11 Task Force"). Claimed is a table
    category -> count, reproduced a table category -> count (absent categories count as 0).
    Supported when every claimed category matches exactly and -- if ``complete`` (default true:
    the article presents the split as the whole) -- no unclaimed category is non-zero. Otherwise
    partly supported when at least ``partial_if_match_at_least`` (default 1) claimed categories
    match exactly; else not supported.

``policy`` ``{}``
    A programme rule (reimbursement amounts, caps). The pinned data are ICE's 287(g) sheets, which
    hold no policy terms, so the verdict is always "not checkable"; the note gives the claim's
    reason and, when the reimbursement notebook passes the parameter its worked calculator used,
    whether that parameter equals the printed figure. The calculator's own arithmetic (tiers,
    caps, annual maxima) is an internal consistency check of the notebook, not a verdict.

``not_checkable`` ``{}``
    Always "not checkable", with the claim's ``not_checkable_reason`` as the note.

Units
-----
A sentence's unit is the noun it counts: "agencies", "police departments", "sheriff's offices" are
agencies; "agreements", "deals", "MOAs" are agreements. When it may mix units, the claim sets
``also_units`` and :func:`evaluate_units` judges each (judge.verdict): the verdict is always the printed
unit's, graded by how far off the figure is in that unit (a 1.5 % slip can be partly supported, a
17 % overstatement is not supported), and the note names any other unit in which the figure holds.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import Any

from analysis.core.errors import UsageError
from analysis.factcheck.verdict_base import (NO_VALUE_NOTE, NOT_CHECKABLE, NOT_SUPPORTED, PARTLY, SUPPORTED, VERDICTS,  # noqa: F401 (re-exported)
                                             MAX_NUMBER_TEXT, NUMBER_TEXT, Verdict, _fmt, _is_missing, _join, _names, _norm, _ORDER, _pct,
                                             _rel, _table, _v, to_fraction)  # fmt: skip
from analysis.factcheck.verdict_names import _breakdown, _none_in, _rank, _rank_within, _set_equal

# type -> (required parameters, optional parameters), besides "type" itself.
COMPARISON_TYPES: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "approx": (frozenset({"tolerance"}), frozenset({"partial_tolerance"})),
    "almost": (frozenset({"tolerance"}), frozenset({"partial_tolerance"})),
    "more_than": (frozenset(), frozenset({"partial_tolerance", "upper_tolerance"})),
    "at_least": (frozenset(), frozenset({"partial_tolerance", "upper_tolerance"})),
    "at_most": (frozenset(), frozenset({"partial_tolerance", "lower_tolerance"})),
    "equal": (frozenset(), frozenset({"partial_tolerance"})),
    "share_above": (frozenset({"threshold"}), frozenset({"margin", "entity"})),
    "set_equal": (frozenset(), frozenset({"partial_if_overlap_at_least", "top_n"})),
    "rank": (frozenset(), frozenset({"rank", "entity", "merge"})),
    "rank_within": (frozenset({"max_rank"}), frozenset({"min_rank", "entity", "merge"})),
    "none_in": (frozenset(), frozenset()),
    "breakdown": (frozenset(), frozenset({"complete", "partial_if_match_at_least"})),
    "policy": (frozenset(), frozenset()),
    "not_checkable": (frozenset(), frozenset()),
}

#: Types whose verdict never depends on data; the claim must say why in ``not_checkable_reason``.
REASON_TYPES = frozenset({"policy", "not_checkable"})

_NUMERIC_TYPES = frozenset({"approx", "almost", "more_than", "at_least", "at_most", "equal", "share_above"})
_INTEGER_TYPES = frozenset({"equal", "rank"})
_NAME_LIST_TYPES = frozenset({"set_equal", "none_in"})
def _check_nonneg(params: Mapping, key: str) -> Fraction | None:
    if key not in params:
        return None
    q = to_fraction(params[key], f"comparison.{key}")
    if q < 0:
        raise UsageError(f"comparison.{key} must be >= 0, got {params[key]!r}")
    return q


def _check_pos_int(params: Mapping, key: str) -> int | None:
    if key not in params:
        return None
    v = params[key]
    if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1:
        raise UsageError(f"comparison.{key} must be a positive integer, got {v!r}")
    return int(v)


def validate_comparison(comparison: Mapping, claimed: Any = None, *, check_claimed: bool = True) -> str:
    """Check a comparison table (and the claimed value's shape for it); return its type.

    Raises :class:`UsageError` with a one-line message on the first problem.
    """
    if not isinstance(comparison, Mapping):
        raise UsageError(f"comparison must be a table, got {type(comparison).__name__}")
    ctype = comparison.get("type")
    if ctype not in COMPARISON_TYPES:
        raise UsageError(f"unknown comparison type {ctype!r}; known: {', '.join(sorted(COMPARISON_TYPES))}")
    required, optional = COMPARISON_TYPES[ctype]
    keys = set(comparison) - {"type"}
    missing = required - keys
    if missing:
        raise UsageError(f"comparison type {ctype!r} needs {', '.join(sorted(missing))}")
    unknown = keys - required - optional
    if unknown:
        raise UsageError(f"comparison type {ctype!r} does not take {', '.join(sorted(unknown))}")

    tol = _check_nonneg(comparison, "tolerance")
    ptol = _check_nonneg(comparison, "partial_tolerance")
    if tol is not None and ptol is not None and ptol < tol:
        raise UsageError("comparison.partial_tolerance must be >= tolerance")
    _check_nonneg(comparison, "upper_tolerance")
    _check_nonneg(comparison, "lower_tolerance")
    _check_nonneg(comparison, "margin")
    if "threshold" in comparison:
        thr = to_fraction(comparison["threshold"], "comparison.threshold")
        if not 0 <= thr <= 1:
            raise UsageError(f"comparison.threshold must be a share between 0 and 1, got {comparison['threshold']!r}")
    overlap = _check_pos_int(comparison, "partial_if_overlap_at_least")
    top_n = _check_pos_int(comparison, "top_n")
    rank = _check_pos_int(comparison, "rank")
    max_rank = _check_pos_int(comparison, "max_rank")
    min_rank = _check_pos_int(comparison, "min_rank")
    _check_pos_int(comparison, "partial_if_match_at_least")
    if max_rank is not None and min_rank is not None and min_rank > max_rank:
        raise UsageError("comparison.min_rank must be <= max_rank")
    if "complete" in comparison and not isinstance(comparison["complete"], bool):
        raise UsageError("comparison.complete must be true or false")
    if "entity" in comparison and (not isinstance(comparison["entity"], str) or not comparison["entity"].strip()):
        raise UsageError("comparison.entity must be a non-empty string")
    if "merge" in comparison:
        merge = comparison["merge"]
        if not isinstance(merge, Mapping) or not merge:
            raise UsageError("comparison.merge must be a table group -> list of member names")
        for group, members in merge.items():
            if len(_names(members, f"comparison.merge[{group!r}]")) < 2:
                raise UsageError(f"comparison.merge[{group!r}] must list at least two members")

    if not check_claimed:
        return ctype
    if ctype in _NUMERIC_TYPES or ctype in ("policy", "rank"):
        q = to_fraction(claimed, "claimed_value")
        if ctype in _INTEGER_TYPES and q.denominator != 1:
            raise UsageError(f"claimed_value for {ctype!r} must be an integer, got {claimed!r}")
        if ctype == "share_above" and q != to_fraction(comparison["threshold"]):
            raise UsageError("claimed_value for 'share_above' must equal comparison.threshold")
        if ctype == "rank" and rank is not None and q != rank:
            raise UsageError("claimed_value and comparison.rank disagree")
    elif ctype in _NAME_LIST_TYPES:
        names = _names(claimed, "claimed_value")
        if not names:
            raise UsageError("claimed_value must list at least one name")
        if len({_norm(n) for n in names}) != len(names):
            raise UsageError("claimed_value lists a name twice")
        if top_n is not None and len(names) != top_n:
            raise UsageError(f"claimed_value lists {len(names)} names but comparison.top_n is {top_n}")
        if overlap is not None and overlap > len(names):
            raise UsageError("comparison.partial_if_overlap_at_least exceeds the number of claimed names")
    elif ctype == "rank_within":
        if isinstance(claimed, (list, tuple)):
            if not _names(claimed, "claimed_value"):
                raise UsageError("claimed_value must list at least one name")
        else:
            to_fraction(claimed, "claimed_value")
    elif ctype == "breakdown":
        table = _table(claimed, "claimed_value")
        if not table:
            raise UsageError("claimed_value must list at least one category")
        for name, q in table.values():
            if q.denominator != 1 or q < 0:
                raise UsageError(f"claimed_value[{name!r}] must be a non-negative integer")
    return ctype


# --------------------------------------------------------------------------------------------
# the comparison types


def _optional(p: Mapping, key: str) -> Fraction | None:
    return to_fraction(p[key]) if key in p else None


def _tolerances(p: Mapping) -> tuple[Fraction, Fraction | None]:
    return to_fraction(p["tolerance"]), _optional(p, "partial_tolerance")


def _right_side(slack: Fraction, limit: Fraction | None, loose: str, how: str, holds: str) -> Verdict:
    """A one-sided claim that holds: only partly when the bound is looser than ``limit`` allows."""
    if limit is not None and slack > limit:
        return _v(PARTLY, f"{loose}, beyond {_pct(limit)}: true but {how}")
    return _v(SUPPORTED, holds)


def _wrong_side(head: str, gap: Fraction, ptol: Fraction | None) -> Verdict:
    """A one-sided claim on the wrong side of its bound: partly within the partial band, else not."""
    if ptol is not None and gap <= ptol:
        return _v(PARTLY, f"{head}; within the {_pct(ptol)} partial band")
    return _v(NOT_SUPPORTED, head)


def _band(gap: Fraction, tol: Fraction, ptol: Fraction | None, head: str, partly: str, outside: str) -> Verdict:
    """The tolerance ladder: within ``tol`` supported, within ``ptol`` partly, else not supported."""
    if gap <= tol:
        return _v(SUPPORTED, f"{head}, within the {_pct(tol)} tolerance")
    if ptol is not None and gap <= ptol:
        return _v(PARTLY, f"{head}, {partly} but within {_pct(ptol)}")
    return _v(NOT_SUPPORTED, f"{head}, {outside}")


def _approx(c: Fraction, r: Fraction, p: Mapping) -> Verdict:
    tol, ptol = _tolerances(p)
    diff = abs(r - c)
    rel = _rel(diff, c)
    head = f"reproduced {_fmt(r)} vs claimed {_fmt(c)}: off by {_fmt(diff)} ({_pct(rel)})"
    return _band(rel, tol, ptol, head, f"outside the {_pct(tol)} tolerance",
                 f"outside the {_pct(ptol if ptol is not None else tol)} band")  # fmt: skip


def _almost(c: Fraction, r: Fraction, p: Mapping) -> Verdict:
    tol, ptol = _tolerances(p)
    if r <= c:
        short = _rel(c - r, c)
        head = f"reproduced {_fmt(r)} is at or below the claimed 'almost {_fmt(c)}' (short by {_pct(short)})"
        return _band(short, tol, ptol, head, f"more than {_pct(tol)} below", "too far below")
    over = _rel(r - c, c)
    head = f"reproduced {_fmt(r)} exceeds the claimed 'almost {_fmt(c)}' by {_pct(over)}"
    if over <= tol:
        return _v(PARTLY, f"{head}: right magnitude, but 'almost' implies below the figure")
    return _v(NOT_SUPPORTED, f"{head}, beyond the {_pct(tol)} tolerance")


def _lower_bound(c: Fraction, r: Fraction, p: Mapping, *, strict: bool) -> Verdict:
    word = "more than" if strict else "at least"
    ptol = _optional(p, "partial_tolerance")
    upper = _optional(p, "upper_tolerance")
    ok = r > c if strict else r >= c
    if ok:
        excess = _rel(r - c, c)
        return _right_side(excess, upper, f"reproduced {_fmt(r)} is {word} {_fmt(c)} but by {_pct(excess)}",
                           "understated", f"reproduced {_fmt(r)} is {word} the claimed {_fmt(c)}")  # fmt: skip
    short = _rel(c - r, c)
    head = (f"reproduced {_fmt(r)} equals {_fmt(c)}, which is not more than it" if r == c
            else f"reproduced {_fmt(r)} is below the claimed {word} {_fmt(c)} (short by {_pct(short)})")
    return _wrong_side(head, short, ptol)


def _at_most(c: Fraction, r: Fraction, p: Mapping) -> Verdict:
    ptol = _optional(p, "partial_tolerance")
    lower = _optional(p, "lower_tolerance")
    if r <= c:
        short = _rel(c - r, c)
        return _right_side(short, lower, f"reproduced {_fmt(r)} is at most {_fmt(c)} but {_pct(short)} below it",
                           "overstated", f"reproduced {_fmt(r)} is at most the claimed {_fmt(c)}")  # fmt: skip
    excess = _rel(r - c, c)
    head = f"reproduced {_fmt(r)} exceeds the claimed at most {_fmt(c)} by {_pct(excess)}"
    return _wrong_side(head, excess, ptol)


def _equal(c: Fraction, r: Fraction, p: Mapping) -> Verdict:
    if r == c:
        return _v(SUPPORTED, f"reproduced {_fmt(r)} equals the claimed {_fmt(c)}")
    diff = abs(r - c)
    head = f"reproduced {_fmt(r)} vs claimed {_fmt(c)}: off by {_fmt(diff)} ({_pct(_rel(diff, c))})"
    if "partial_tolerance" in p and _rel(diff, c) <= to_fraction(p["partial_tolerance"]):
        return _v(PARTLY, f"{head}, not exact but within {_pct(to_fraction(p['partial_tolerance']))}")
    return _v(NOT_SUPPORTED, f"{head}, not an exact match")


def _share_above(reproduced: Any, p: Mapping) -> Verdict:
    thr = to_fraction(p["threshold"])
    margin = to_fraction(p.get("margin", 0))
    if "entity" in p:
        table = _table(reproduced, "reproduced")
        total = sum((q for _, q in table.values()), Fraction(0))
        if total == 0:
            return _v(NOT_CHECKABLE, f"{NO_VALUE_NOTE} (the table sums to zero)")
        count = table.get(_norm(p["entity"]), (p["entity"], Fraction(0)))[1]
        share = count / total
        head = f"{p['entity']}: {_fmt(count)} of {_fmt(total)} = {_pct(share)}"
    else:
        share = to_fraction(reproduced, "reproduced share")
        head = f"reproduced share {_pct(share)}"
    if not 0 <= share <= 1:
        raise UsageError(f"a share must lie between 0 and 1, got {_fmt(share)} (pass 0.38, not 38)")
    limit = thr + margin
    if share > limit:
        extra = f" + margin {_pct(margin)} = {_pct(limit)}" if margin else ""
        return _v(SUPPORTED, f"{head}, above the threshold {_pct(thr)}{extra}")
    if share > thr:
        return _v(PARTLY, f"{head}: over {_pct(thr)} but not by the {_pct(margin)} margin ('well over' needs > {_pct(limit)})")
    return _v(NOT_SUPPORTED, f"{head}, not above the threshold {_pct(thr)}")


def _policy(claimed: Any, reproduced: Any, reason: str | None) -> Verdict:
    note = "policy rule, not a quantity in the pinned data"
    if reason:
        note += f": {reason.strip().rstrip('.')}"
    if not _is_missing(reproduced):
        try:
            c, r = to_fraction(claimed), to_fraction(reproduced)
            same = "the printed figure" if c == r else f"differs from the printed {_fmt(c)}"
            note += f"; the calculator uses {_fmt(r)} ({same})"
        except UsageError:
            note += "; the calculator's parameter is not a number"
    return _v(NOT_CHECKABLE, note)


# --------------------------------------------------------------------------------------------
# public API


def evaluate(comparison: Mapping, claimed: Any, reproduced: Any, *, reason: str | None = None) -> Verdict:
    """The verdict for ``claimed`` vs ``reproduced`` under ``comparison`` (see the module docstring).

    ``reason`` is the claim's ``not_checkable_reason``, used as the note of ``not_checkable`` and
    ``policy`` comparisons.
    """
    ctype = validate_comparison(comparison, claimed)
    p = {k: v for k, v in comparison.items() if k != "type"}
    if ctype == "not_checkable":
        return _v(NOT_CHECKABLE, reason or "not checkable against the pinned data")
    if ctype == "policy":
        return _policy(claimed, reproduced, reason)
    if _is_missing(reproduced):
        return _v(NOT_CHECKABLE, NO_VALUE_NOTE)
    if ctype == "share_above":
        return _share_above(reproduced, p)
    if ctype == "set_equal":
        return _set_equal(claimed, reproduced, p)
    if ctype == "rank":
        return _rank(claimed, reproduced, p)
    if ctype == "rank_within":
        return _rank_within(claimed, reproduced, p)
    if ctype == "none_in":
        return _none_in(claimed, reproduced)
    if ctype == "breakdown":
        return _breakdown(claimed, reproduced, p)
    c = to_fraction(claimed, "claimed_value")
    r = to_fraction(reproduced, "reproduced")
    if ctype == "approx":
        return _approx(c, r, p)
    if ctype == "almost":
        return _almost(c, r, p)
    if ctype == "more_than":
        return _lower_bound(c, r, p, strict=True)
    if ctype == "at_least":
        return _lower_bound(c, r, p, strict=False)
    if ctype == "at_most":
        return _at_most(c, r, p)
    if ctype == "equal":
        return _equal(c, r, p)
    raise AssertionError(f"unhandled comparison type {ctype!r}")  # pragma: no cover


def evaluate_units(comparison: Mapping, claimed: Any, by_unit: Mapping[str, Any], printed_unit: str,
                   *, reason: str | None = None) -> Verdict:
    """Judge a figure in the unit the sentence prints, and say which other unit it fits.

    The verdict is always the printed unit's, graded by how far off the figure is in that unit, so
    a small slip (135 "police departments" where the sheet has 133 agencies and 135 agreements)
    reads differently from a large overstatement ("almost 960 agencies" where there are 798); the
    note names any other unit in which the figure holds (see "Units" in the module docstring).
    """
    if not isinstance(by_unit, Mapping) or not by_unit:
        raise UsageError("by_unit must be a non-empty table unit -> reproduced value")
    results = {u: evaluate(comparison, claimed, v, reason=reason) for u, v in by_unit.items()}
    primary = results.get(printed_unit, Verdict(NOT_CHECKABLE, NO_VALUE_NOTE))
    lines = [f"{printed_unit} (as printed): {primary.verdict}, {primary.note}"]
    lines += [f"{u}: {v.verdict}, {v.note}" for u, v in results.items() if u != printed_unit]
    detail = " | ".join(lines)
    if primary.verdict == SUPPORTED:
        return _v(SUPPORTED, f"matches in {printed_unit} as printed | {detail}")
    fitting = [u for u, v in results.items() if u != printed_unit and v.verdict == SUPPORTED]
    if fitting:
        return _v(primary.verdict, f"judged in {printed_unit} as printed; the figure fits {_join(fitting)}, "
                                   f"which the sentence does not name | {detail}")  # fmt: skip
    return _v(primary.verdict, detail)


def combine(verdicts: Iterable[Verdict | str]) -> Verdict:
    """One verdict for several (e.g. all the numbers of one article).

    "not checkable" verdicts are left out; of the rest, all supported -> supported, all not
    supported -> not supported, anything else -> partly supported. Nothing left -> not checkable.
    """
    words = [v.verdict if isinstance(v, Verdict) else v for v in verdicts]
    for w in words:
        if w not in VERDICTS:
            raise UsageError(f"unknown verdict {w!r}")
    counts = {w: words.count(w) for w in VERDICTS if w in words}
    note = ", ".join(f"{n} {w}" for w, n in counts.items()) or "no verdicts"
    checked = [w for w in words if w != NOT_CHECKABLE]
    if not checked:
        return _v(NOT_CHECKABLE, note)
    if all(w == SUPPORTED for w in checked):
        return _v(SUPPORTED, note)
    if all(w == NOT_SUPPORTED for w in checked):
        return _v(NOT_SUPPORTED, note)
    return _v(PARTLY, note)
