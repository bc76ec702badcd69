"""The claim registry: every checkable number the articles printed, loaded from ``resources/claims.toml``.

``claims.toml`` holds one ``[[article]]`` table per article and one ``[[claim]]`` table per number.
:func:`load_claims` parses and validates it and returns frozen :class:`Claim` records; any problem
raises :class:`~analysis.core.errors.UsageError` with a one-line message naming the claim (or article)
and the problem. The registry never states a verdict: verdicts are computed by
:mod:`analysis.factcheck.verdicts` from the ``comparison`` table and the reproduced value.

Field reference (claims)
------------------------
Required: ``id`` (kebab-case, unique), ``article`` (an article id), ``quote`` (the sentence as
printed), ``claimed_value`` (a number, an exact fraction string such as ``"1/3"``, a list of names,
or a table category -> count), ``unit``, ``as_of`` (ISO date), ``as_of_basis`` (``explicit`` |
``article-date`` | ``inferred``; ``inferred`` needs ``as_of_note``), ``point_in_time`` (``fixed``
| ``now``), ``family``, ``notebook``, ``quantity`` (snake_case key the notebook records),
``comparison`` (inline table, see :mod:`analysis.factcheck.verdicts`).

Optional: ``as_of_note``, ``note``, ``not_checkable_reason`` (required for, and only allowed with,
``not_checkable`` and ``policy`` comparisons), ``measure`` (what the engine counts, as in a claims
file), ``also_units``, ``sensitivity`` (true: the
notebook must also show the values on the nearest snapshots before and after ``as_of``),
``quote_verbatim`` (default true; false needs ``quote_note``), ``reading`` (only with
``point_in_time = "now"``: how the article dates its number -- ``today`` / ``now`` (the word is
printed), ``present`` (present tense, no time word), ``undated`` (the article itself has no date);
``analysis.publish.recheck`` re-evaluates these claims on the newest snapshot).

A registry claim is a claims-file claim plus its article's metadata: the judged part (date,
quote, measure, printed figure, comparison, reason) is built by ``check.claim_of``, the same schema
and checks as a fact-checker's file, and kept as :attr:`Claim.core`, which
:mod:`analysis.factcheck.judge` evaluates and judges for every door.

Cross-claim rule: one quantity key names one measured thing, so every claim using a key must have
the same ``as_of`` and ``notebook``.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from analysis.core import paths
from analysis.factcheck import verdicts
from analysis.core.errors import UsageError

DEFAULT_PATH = Path(__file__).parent.parent / "resources" / "claims.toml"

NOTEBOOKS = ("growth", "concentration", "pending", "courts", "reimbursement")
FAMILIES = (*NOTEBOOKS, "context")
AS_OF_BASES = ("explicit", "article-date", "inferred")
POINTS_IN_TIME = ("fixed", "now")
READINGS = ("today", "now", "present", "undated")
UNITS = (
    "agreements", "agencies", "applications", "percent", "states", "share", "dollars",
    "people-per-day", "people-per-year", "ratio", "cases", "removal-orders", "arrests", "rank",
)

_ARTICLE_REQUIRED = ("id", "publication", "title", "date", "url")
_ARTICLE_OPTIONAL = ("author", "date_note", "url_note", "title_note", "note", "capture")
_CLAIM_REQUIRED = (
    "id", "article", "quote", "claimed_value", "unit", "as_of", "as_of_basis", "point_in_time",
    "family", "notebook", "comparison",
)
_CLAIM_OPTIONAL = (
    "as_of_note", "note", "not_checkable_reason", "sensitivity", "quote_verbatim", "quote_note", "reading", "quantity", "measure", "also_units", "caveat",
)
_TOP_LEVEL = ("schema_version", "article", "claim")

_KEBAB = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_SNAKE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


def _thaw(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


@dataclass(frozen=True)
class Article:
    id: str
    publication: str
    title: str
    date: dt.date | None
    url: str
    author: str = ""
    date_note: str = ""
    url_note: str = ""
    title_note: str = ""
    note: str = ""
    capture: str = ""  # the article as captured, in shared/articles/ (never copied into the project)

    def to_dict(self) -> dict[str, Any]:
        return {k: _thaw(getattr(self, k)) for k in self.__dataclass_fields__}


@dataclass(frozen=True, eq=True)
class Claim:
    id: str
    article: str
    quote: str
    claimed_value: Any = field(hash=False)
    unit: str
    as_of: dt.date
    as_of_basis: str
    point_in_time: str
    family: str
    notebook: str
    quantity: str
    comparison: Mapping[str, Any] = field(hash=False)
    as_of_note: str = ""
    note: str = ""
    not_checkable_reason: str = ""
    sensitivity: bool = False
    quote_verbatim: bool = True
    quote_note: str = ""
    reading: str = ""
    measure: Any = field(default=None, hash=False)  # measures.Measure: the engine computes the value
    also_units: bool = False
    caveat: str = ""
    core: Any = field(default=None, hash=False, compare=False)  # judge.Claim: what is judged, as a claims file has it

    @property
    def is_measured(self) -> bool:
        """True when the number comes from the engine (analysis/engine/measures.py) on ICE's sheets."""
        return self.measure is not None

    @property
    def is_point_in_time(self) -> bool:
        """True when the article read its number at its own date ("today", "now", undated), so a
        newer snapshot can be checked against it; False when the number is tied to a fixed date."""
        return self.point_in_time == "now"

    def at_date(self, date: dt.date) -> Claim:
        """This claim re-read on ``date``: quantity keys that end in the as-of date (``agencies_2025_09_03``)
        are re-dated (``agencies_2026_05_18``), as the family modules name what they compute for a date.
        Undated keys (policy, not-checkable) stay as they are."""
        import dataclasses

        old, new = _date_key(self.as_of), _date_key(date)

        def redate(key: str) -> str:
            return key[: -len(old)] + new if key.endswith("_" + old) else key

        core = dataclasses.replace(self.core, date=date.isoformat()) if self.core is not None else None
        return dataclasses.replace(self, as_of=date, quantity=redate(self.quantity), core=core)

    @property
    def comparison_type(self) -> str:
        return self.comparison["type"]

    def to_dict(self) -> dict[str, Any]:
        out = {k: _thaw(getattr(self, k)) for k in self.__dataclass_fields__ if k != "core"}
        out["measure"] = self.measure.to_dict() if self.measure is not None else None
        return out


def _date_key(date: dt.date) -> str:
    return date.isoformat().replace("-", "_")


@dataclass(frozen=True)
class Registry:
    articles: tuple[Article, ...]
    claims: tuple[Claim, ...]


# --------------------------------------------------------------------------------------------
# validation


class _Fail(Exception):
    """Internal: a problem with one record, turned into a UsageError naming it."""


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _str(rec: Mapping, key: str, *, allow_empty: bool = False) -> str:
    value = rec.get(key, "")
    if not isinstance(value, str):
        raise _Fail(f"field '{key}' must be a string, got {type(value).__name__}")
    if not allow_empty and not value.strip():
        raise _Fail(f"field '{key}' must not be empty")
    return value


def _choice(rec: Mapping, key: str, allowed: tuple[str, ...]) -> str:
    value = _str(rec, key)
    if value not in allowed:
        hint = difflib.get_close_matches(value, allowed, n=1)
        more = f" (did you mean '{hint[0]}'?)" if hint else ""
        raise _Fail(f"field '{key}' is {value!r}, not one of {', '.join(allowed)}{more}")
    return value


def _date(value: Any, key: str, *, allow_empty: bool = False) -> dt.date | None:
    """A date field: YYYY-MM-DD only (core.dates, as every date a person types)."""
    from analysis.core.dates import parse_iso_date

    if allow_empty and value == "":
        return None
    try:
        return parse_iso_date(value)
    except UsageError as err:
        raise _Fail(f"field '{key}' is {err}") from None


def _bool(rec: Mapping, key: str, default: bool) -> bool:
    value = rec.get(key, default)
    if not isinstance(value, bool):
        raise _Fail(f"field '{key}' must be true or false, got {value!r}")
    return value


def _keys(rec: Mapping, required: tuple[str, ...], optional: tuple[str, ...]) -> None:
    missing = [k for k in required if k not in rec]
    if missing:
        raise _Fail(f"missing required field(s) {', '.join(missing)}")
    unknown = sorted(set(rec) - set(required) - set(optional))
    if unknown:
        if "verdict" in unknown:
            raise _Fail("field 'verdict' is not allowed: verdicts are computed by analysis.factcheck.verdicts, never typed in")
        raise _Fail(f"unknown field(s) {', '.join(unknown)}")


def _article(rec: Mapping) -> Article:
    _keys(rec, _ARTICLE_REQUIRED, _ARTICLE_OPTIONAL)
    aid = _str(rec, "id")
    if not _KEBAB.match(aid):
        raise _Fail(f"id {aid!r} is not kebab-case")
    date = _date(rec["date"], "date", allow_empty=True)
    url = _str(rec, "url", allow_empty=True)
    title = _str(rec, "title", allow_empty=True)
    notes = {k: _str(rec, k, allow_empty=True) for k in _ARTICLE_OPTIONAL}
    if date is None and not notes["date_note"].strip():
        raise _Fail("empty 'date' needs a 'date_note' saying why")
    if url == "" and not notes["url_note"].strip():
        raise _Fail("empty 'url' needs a 'url_note' saying it was not found")
    if url and not re.match(r"^https?://\S+$", url):
        raise _Fail(f"url {url!r} is not an http(s) URL")
    if title == "" and not notes["title_note"].strip():
        raise _Fail("empty 'title' needs a 'title_note'")
    return Article(id=aid, publication=_str(rec, "publication"), title=title, date=date, url=url, **notes)


def _claimed_value(value: Any) -> Any:
    if isinstance(value, bool):
        raise _Fail("claimed_value must be a number, a list of names or a table, not a boolean")
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        try:
            verdicts.to_fraction(value)
        except UsageError:
            raise _Fail(f"claimed_value {value!r} is a string but not a number or fraction like '1/3'") from None
        return value
    if isinstance(value, list):
        if not value or not all(isinstance(v, str) and v.strip() for v in value):
            raise _Fail("claimed_value list must hold one or more non-empty strings")
        return value
    if isinstance(value, dict):
        if not value or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value.values()):
            raise _Fail("claimed_value table must map names to numbers")
        return value
    raise _Fail(f"claimed_value has unsupported type {type(value).__name__}")


def _claim(rec: Mapping, articles: Mapping[str, Article]) -> Claim:
    _keys(rec, _CLAIM_REQUIRED, _CLAIM_OPTIONAL)
    cid = _str(rec, "id")
    if not _KEBAB.match(cid):
        raise _Fail(f"id {cid!r} is not kebab-case")
    article = _str(rec, "article")
    if article not in articles:
        raise _Fail(f"article {article!r} is not in the registry")
    quote = _str(rec, "quote")
    claimed = _claimed_value(rec["claimed_value"])
    unit = _choice(rec, "unit", UNITS)
    as_of = _date(rec["as_of"], "as_of")
    basis = _choice(rec, "as_of_basis", AS_OF_BASES)
    as_of_note = _str(rec, "as_of_note", allow_empty=True)
    if basis == "inferred" and not as_of_note.strip():
        raise _Fail("as_of_basis 'inferred' needs an 'as_of_note' explaining the inference")
    art_date = articles[article].date
    if basis == "article-date":
        if art_date is None:
            raise _Fail("as_of_basis 'article-date' but the article has no date")
        if as_of != art_date:
            raise _Fail(f"as_of {as_of} differs from the article date {art_date} though as_of_basis is 'article-date'")
    point = _choice(rec, "point_in_time", POINTS_IN_TIME)
    family = _choice(rec, "family", FAMILIES)
    notebook = _choice(rec, "notebook", NOTEBOOKS)
    comparison = rec["comparison"]
    if not isinstance(comparison, dict):
        raise _Fail("field 'comparison' must be an inline table")
    reason = _str(rec, "not_checkable_reason", allow_empty=True)
    core = _core(rec, cid, quote, as_of, articles[article], comparison, reason)
    measure = core.measure
    if measure is not None:
        if "quantity" in rec:
            raise _Fail("a claim with a measure takes no 'quantity' (the engine names its value)")
        if unit in ("agreements", "agencies", "applications") and unit != measure.unit and not (
                unit == "applications" and measure.kind == "pending"):
            raise _Fail(f"unit {unit!r} differs from the measure's unit {measure.unit!r}")
        quantity = cid.replace("-", "_")
    else:
        quantity = _str(rec, "quantity")
    if not _SNAKE.match(quantity):
        raise _Fail(f"quantity {quantity!r} is not snake_case")

    ctype = core.comparison["type"]
    if ctype in verdicts.REASON_TYPES and not reason.strip():
        raise _Fail(f"comparison type {ctype!r} needs a 'not_checkable_reason' (which data would be needed)")
    if ctype not in verdicts.REASON_TYPES and reason:
        raise _Fail(f"'not_checkable_reason' given but comparison type {ctype!r} is checkable")

    reading = _str(rec, "reading", allow_empty=True)
    if reading:
        if reading not in READINGS:
            hint = difflib.get_close_matches(reading, READINGS, n=1)
            raise _Fail(f"field 'reading' is {reading!r}, not one of {', '.join(READINGS)}"
                        + (f" (did you mean '{hint[0]}'?)" if hint else ""))  # fmt: skip
        if point != "now":
            raise _Fail("field 'reading' is only for point_in_time = \"now\" claims (a fixed date has no reading to redo)")

    quote_verbatim = _bool(rec, "quote_verbatim", True)
    quote_note = _str(rec, "quote_note", allow_empty=True)
    if not quote_verbatim and not quote_note.strip():
        raise _Fail("quote_verbatim = false needs a 'quote_note' saying where the wording comes from")

    return Claim(
        id=cid, article=article, quote=quote, claimed_value=_freeze(claimed), unit=unit, as_of=as_of,
        as_of_basis=basis, point_in_time=point, family=family, notebook=notebook, quantity=quantity,
        comparison=_freeze(comparison), as_of_note=as_of_note, note=_str(rec, "note", allow_empty=True),
        not_checkable_reason=reason, sensitivity=_bool(rec, "sensitivity", False), quote_verbatim=quote_verbatim,
        quote_note=quote_note, reading=reading, measure=measure, also_units=core.also_units,
        caveat=_str(rec, "caveat", allow_empty=True), core=core,
    )


def _core(rec: Mapping, cid: str, quote: str, as_of: dt.date, article: Article, comparison: Mapping, reason: str):
    """The claim as a claims file would state it, built by check.claim_of (the same schema and checks)."""
    from analysis.factcheck import check

    record = {"id": cid, "date": as_of.isoformat(), "quote": quote, "source": article.publication,
              "claimed": _thaw(rec["claimed_value"]), "comparison": dict(comparison),
              "also_units": _bool(rec, "also_units", False), "reason": reason}  # fmt: skip
    if "measure" in rec:
        record["measure"] = dict(rec["measure"])
    try:
        return check.claim_of(record)
    except UsageError as err:  # "claim 'id': field: problem": the registry's message names the claim itself
        raise _Fail(str(err).split(": ", 1)[1]) from None


def _parse(path: Path) -> Registry:
    where = paths.relative_to_root(path)

    def fail(message: str) -> UsageError:
        return UsageError(_one_line(message), path=where)

    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise fail("claim registry not found") from None
    except tomllib.TOMLDecodeError as err:
        raise fail(f"not valid TOML: {err}") from None

    unknown = sorted(set(data) - set(_TOP_LEVEL))
    if unknown:
        raise fail(f"unknown top-level key(s) {', '.join(unknown)}; expected [[article]] and [[claim]] tables")
    raw_articles, raw_claims = data.get("article", []), data.get("claim", [])
    if not isinstance(raw_articles, list) or not isinstance(raw_claims, list):
        raise fail("'article' and 'claim' must be arrays of tables ([[article]], [[claim]])")
    if not raw_claims:
        raise fail("the registry has no [[claim]] tables")

    articles: dict[str, Article] = {}
    for i, rec in enumerate(raw_articles, 1):
        label = f"article '{rec.get('id')}'" if isinstance(rec, dict) and isinstance(rec.get("id"), str) else f"article #{i} (no id)"
        try:
            if not isinstance(rec, dict):
                raise _Fail("must be a table")
            art = _article(rec)
        except _Fail as err:
            raise fail(f"{label}: {err}") from None
        if art.id in articles:
            raise fail(f"{label}: duplicate id")
        articles[art.id] = art

    claims: list[Claim] = []
    seen: set[str] = set()
    for i, rec in enumerate(raw_claims, 1):
        has_id = isinstance(rec, dict) and isinstance(rec.get("id"), str) and rec.get("id")
        label = f"claim '{rec['id']}'" if has_id else f"claim #{i} (no id)"
        try:
            if not isinstance(rec, dict):
                raise _Fail("must be a table")
            if has_id and rec["id"] in seen:
                raise _Fail("duplicate id")
            claim = _claim(rec, articles)
        except _Fail as err:
            raise fail(f"{label}: {err}") from None
        seen.add(claim.id)
        claims.append(claim)

    # one quantity key = one measured thing: same as_of and notebook wherever it is used
    owner: dict[str, Claim] = {}
    for claim in claims:
        for key in (claim.quantity,):
            first = owner.setdefault(key, claim)
            if (first.as_of, first.notebook) != (claim.as_of, claim.notebook):
                raise fail(
                    f"claim '{claim.id}': quantity {key!r} is also used by claim '{first.id}' with "
                    f"as_of {first.as_of} / notebook {first.notebook}, but here as_of {claim.as_of} / "
                    f"notebook {claim.notebook}"
                )

    used = {c.article for c in claims}
    for aid in articles:
        if aid not in used:
            raise fail(f"article '{aid}': has no claims")
    return Registry(articles=tuple(articles.values()), claims=tuple(claims))


@functools.lru_cache(maxsize=8)
def _cached(path: str, mtime_ns: int, size: int) -> Registry:
    return _parse(Path(path))


def load_registry(path: str | Path | None = None) -> Registry:
    """Articles and claims from ``path`` (default: the packaged ``resources/claims.toml``)."""
    p = Path(path) if path is not None else DEFAULT_PATH
    try:
        st = p.stat()
    except FileNotFoundError:
        raise UsageError("claim registry not found", path=paths.relative_to_root(p)) from None
    return _cached(str(p.resolve()), st.st_mtime_ns, st.st_size)


def load_claims(path: str | Path | None = None) -> list[Claim]:
    """Every claim, in registry order, validated (raises UsageError naming the claim and problem)."""
    return list(load_registry(path).claims)


def load_articles(path: str | Path | None = None) -> list[Article]:
    return list(load_registry(path).articles)


def get_article(article_id: str, path: str | Path | None = None) -> Article:
    for art in load_registry(path).articles:
        if art.id == article_id:
            return art
    raise UsageError(f"unknown article {article_id!r}")


def claims_for_notebook(name: str, path: str | Path | None = None) -> list[Claim]:
    """The claims a notebook must check, in registry order."""
    if name not in NOTEBOOKS:
        raise UsageError(f"unknown notebook {name!r}; expected one of {', '.join(NOTEBOOKS)}")
    return [c for c in load_registry(path).claims if c.notebook == name]


def get_claim(claim_id: str, path: str | Path | None = None) -> Claim:
    claims = load_registry(path).claims
    for claim in claims:
        if claim.id == claim_id:
            return claim
    hint = difflib.get_close_matches(claim_id, [c.id for c in claims], n=1)
    more = f" (did you mean '{hint[0]}'?)" if hint else ""
    raise UsageError(f"unknown claim {claim_id!r}{more}")


def quantity_keys(notebook: str | None = None, path: str | Path | None = None) -> list[str]:
    """Every quantity key (optionally for one notebook) the notebooks must record, in order."""
    claims = load_registry(path).claims if notebook is None else claims_for_notebook(notebook, path)
    return list(dict.fromkeys(c.quantity for c in claims))
