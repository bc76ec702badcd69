"""When a drafted claim is the registry's claim: "equivalent measure, date and comparison", in code.

The extractor is measured against the claim registry (benchmarks/bench_extract.py), so what counts
as finding a claim is declared here, once, and documented in docs/claims-file.md:

- **measure**: the same statistic, source, kind, filters (state, model, county, agency, state
  group, exclusions), grouping, n and denominator. The unit must agree, except for statistics that
  do not depend on it (``n_states``, ``states_without`` and a breakdown judged ``none_in``: a state
  with no agreement has no agency). A change's base date (``since``) is equivalent when both dates
  select the same sheet.
- **date**: the same sheet in force on both dates (the verdict reads one sheet, so two dates
  between the same two postings are the same claim); TRAC's undated county table has no date.
- **comparison**: the same family of wording, and the same threshold, rank or entity. Families:
  ``equal``/``approx`` (the printed figure), ``more_than``/``at_least`` (a floor), ``almost``,
  ``at_most``, and each other type alone. Tolerances are a reviewer's grading, not the reading.
- **figure**: the same claimed value (numbers exactly; names as sets, states by USPS code).
- ``policy`` and ``not_checkable`` claims have no measure: the same type, the same figure and the
  same sentence (the registry's quote, each part of it, is in the drafted sentence).

The quote itself is not compared: a figure repeated in a headline and the body is one claim.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from ..clean.normalize import state_code
from ..engine.measures import Measure
from .verdicts import REASON_TYPES, to_fraction

FAMILIES = {"equal": "point", "approx": "point", "more_than": "floor", "at_least": "floor"}
#: statistics whose value is the same in agreements or agencies
UNIT_FREE = frozenset({"n_states", "states_without"})


def ctype(comparison: Any) -> str:
    return comparison if isinstance(comparison, str) else comparison["type"]


def _params(comparison: Any) -> dict:
    return {} if isinstance(comparison, str) else dict(comparison)


def same_comparison(a: Any, b: Any) -> bool:
    ta, tb = ctype(a), ctype(b)
    if FAMILIES.get(ta, ta) != FAMILIES.get(tb, tb):
        return False
    pa, pb = _params(a), _params(b)
    for key, default in (("threshold", None), ("rank", None), ("entity", None), ("max_rank", None), ("min_rank", 1)):
        va, vb = pa.get(key, default), pb.get(key, default)
        if key == "threshold" and va is not None and vb is not None:
            va, vb = to_fraction(va), to_fraction(vb)
        if key in ("rank", "entity", "threshold") and (va is None or vb is None):
            continue  # a rank and a threshold default to the claimed value, an entity to the measure's place
        if va != vb:
            return False
    return True


def _names(value: Any) -> Any:
    def one(name):
        try:
            return state_code(name)
        except Exception:  # a county or model name, not a state
            return " ".join(str(name).split()).casefold()

    if isinstance(value, Mapping):
        return {one(k): to_fraction(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return frozenset(one(v) for v in value)
    return to_fraction(value)


def same_figure(a: Any, b: Any) -> bool:
    try:
        return _names(a) == _names(b)
    except Exception:
        return False


def same_sheet(a, b, kind: str, panel) -> bool:
    if a == b:
        return True
    if a is None or b is None or panel is None:
        return False
    try:
        return panel.in_force(a, kind)["snapshot_id"] == panel.in_force(b, kind)["snapshot_id"]
    except Exception:
        return False


def same_measure(a: Measure, b: Measure, panel, *, none_in: bool = False) -> bool:
    keys = ("source", "kind", "statistic", "county", "by", "n", "denominator", "state_group")
    if any(getattr(a, k) != getattr(b, k) for k in keys):
        return False
    if set(a.state) != set(b.state) or set(a.model) != set(b.model) or set(a.exclude) != set(b.exclude):
        return False
    if (a.agency or "").casefold() != (b.agency or "").casefold():
        return False
    if a.unit != b.unit and not (a.statistic in UNIT_FREE or none_in):
        return False
    return same_sheet(a.since, b.since, a.kind, panel)


def _in(quote: str, sentence: str) -> bool:
    text = " ".join(sentence.split())
    return all(" ".join(part.split()) in text for part in quote.split(" ... "))


def matches(draft: Mapping, claim, panel) -> bool:
    """Whether a drafted claim (a claims-file record) is the registry claim ``claim``."""
    td, tc = ctype(draft["comparison"]), claim.comparison_type
    if td in REASON_TYPES or tc in REASON_TYPES:
        return td == tc and same_figure(draft["claimed"], claim.claimed_value) and _in(claim.quote, draft.get("quote", ""))
    if claim.measure is None or "measure" not in draft:
        return False
    measure = Measure.from_mapping(draft["measure"])
    if not same_measure(measure, claim.measure, panel, none_in=td == tc == "none_in"):
        return False
    if measure.source == "ice" and not same_sheet(draft["date"], claim.as_of.isoformat(), measure.kind, panel):
        return False
    return same_comparison(draft["comparison"], dict(claim.comparison)) and same_figure(draft["claimed"], claim.claimed_value)


def finds_expected(draft: Mapping, expected: Mapping) -> bool:
    """Whether a drafted claim is one a test article expects (tests/extract_articles/*.expected.toml:
    ``date``, ``measure``, ``claimed``, ``comparison``): the same measure, the same date to the day
    (a test article's expectation names the day its words give, so no panel is needed), the same
    comparison family and figure; a ``policy`` expectation needs a policy draft of the same figure."""
    if ctype(expected["comparison"]) in REASON_TYPES:
        return ctype(draft["comparison"]) == ctype(expected["comparison"]) and same_figure(draft["claimed"], expected["claimed"])
    if "measure" not in draft or draft["date"] != expected["date"]:
        return False
    same = same_measure(Measure.from_mapping(draft["measure"]), Measure.from_mapping(expected["measure"]), None,
                        none_in=ctype(expected["comparison"]) == "none_in")  # fmt: skip
    return same and same_comparison(draft["comparison"], expected["comparison"]) and same_figure(draft["claimed"], expected["claimed"])


def as_file_claim(claim) -> dict:
    """A registry claim as a claims-file record (to judge it with `check`'s engine beside the drafts)."""
    rec = {"id": claim.id, "quote": claim.quote, "date": claim.as_of.isoformat(), "claimed": _plain(claim.claimed_value),
           "comparison": _plain(claim.comparison)}  # fmt: skip
    if claim.measure is not None:
        rec["measure"] = claim.measure.to_dict()
    if claim.also_units:
        rec["also_units"] = True
    if claim.not_checkable_reason:
        rec["reason"] = claim.not_checkable_reason
    return rec


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Fraction):
        return float(value)
    return value
