"""The claims file as typed models: what ``check`` accepts, declared once, checked before anything runs.

A claims file comes from someone else, so every value in it is typed and bounded here before the
engine sees it: the enumerations come from the engine's and the verdicts' own constants (a unit,
kind, statistic, state group, model, source, grouping, denominator or comparison type that the
engine does not know is refused by name, never read as a default); dates are ``YYYY-MM-DD`` and
nothing else; numbers are bounded before verdicts.py makes them exact fractions (a claimed
``"1e999999999"`` took minutes); ids can only name a file inside the evidence folder; every text is
bounded in length. What one field allows given another (a county needs one state, TRAC's table
takes no filters, a comparison that fits the statistic) stays with the engine
(:meth:`Measure.validate`) and the verdicts (:func:`verdicts.validate_comparison`), which also check
the registry's claims and the command line; check.py calls them after this.

:class:`MeasureSpec` and :class:`ComparisonSpec` stand alone so that the registry's claims
(``resources/claims.toml``) can reuse them. ``docs/claims-file.schema.json`` is generated from
:class:`ClaimsFile` (``python -m analysis docs``), so an editor can check a claims file as it is typed.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
from typing import Annotated, Any, Literal, Union

# pydantic looks for plugins by reading every installed package's entry points when the first model
# is built: 10-20 ms of a check whose target is 1 s, for plugins this project does not use. Its own
# switch (PYDANTIC_DISABLE_PLUGINS) turns that off; a value the user set is kept.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

from pydantic import (BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, StrictBool, StrictFloat, StrictInt,  # noqa: E402
                      StringConstraints, Tag, ValidationError, WithJsonSchema)  # fmt: skip
from pydantic_core import PydanticCustomError  # noqa: E402

from ..core.dates import ISO_DATE_PATTERN, parse_iso_date  # noqa: E402
from ..core.errors import UsageError  # noqa: E402
from ..engine import measures  # noqa: E402
from ..engine.asof import KINDS  # noqa: E402
from . import verdicts  # noqa: E402

#: an id names the claim's evidence record: a file name that cannot leave its folder
ID_PATTERN = "^[a-z0-9][a-z0-9-]{0,79}$"
MAX_TEXT = 10_000  # characters of a quote, note or reason
MAX_NAME = 200  # characters of a name (state, county, agency, entity)
MAX_NAMES = 500  # names in a list or table (3,200 counties are never listed in a claim)
MAX_CLAIMS = 100_000
#: claimed figures and comparison parameters: |x| at most this, so an exact fraction stays small
MAX_MAGNITUDE = 10**15


def _enum(values: tuple[str, ...]):
    return Literal[values]  # one Literal of every value: JSON Schema's enum


def _date(value: Any) -> dt.date:
    try:
        return parse_iso_date(value)
    except UsageError as err:
        raise PydanticCustomError("date", "{problem}", {"problem": str(err)}) from None


Date = Annotated[dt.date, BeforeValidator(_date),
                 WithJsonSchema({"type": "string", "format": "date", "pattern": ISO_DATE_PATTERN})]  # fmt: skip
Text = Annotated[str, StringConstraints(strict=True, max_length=MAX_TEXT)]
Name = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=MAX_NAME)]
Names = Annotated[list[Name], Field(min_length=1, max_length=MAX_NAMES)]
Count = Annotated[StrictInt, Field(ge=1, le=MAX_MAGNITUDE)]

def _number(value: Any) -> Any:
    """A claimed figure or a comparison parameter, bounded before it becomes exact."""
    if isinstance(value, bool):
        raise PydanticCustomError("number", "must be a number, not true or false")
    if isinstance(value, int):
        if abs(value) > MAX_MAGNITUDE:
            raise PydanticCustomError("number", "{value} is beyond {limit:,} in size", {"value": value, "limit": MAX_MAGNITUDE})
        return value
    if isinstance(value, float):
        if not math.isfinite(value) or abs(value) > MAX_MAGNITUDE:
            raise PydanticCustomError("number", "{value} is not a finite number of at most {limit:,} in size",
                                      {"value": value, "limit": MAX_MAGNITUDE})  # fmt: skip
        return value
    if isinstance(value, str):
        try:
            exact = verdicts.to_fraction(value)  # bounded text only (verdicts.NUMBER_TEXT)
        except UsageError:
            raise PydanticCustomError("number", "{value} is not a number or a fraction like \"1/3\" (at most 18 digits "
                                      "each side, an exponent of at most two digits)", {"value": _shown(value)}) from None  # fmt: skip
        if abs(exact) > MAX_MAGNITUDE:
            raise PydanticCustomError("number", "{value} is beyond {limit:,} in size", {"value": _shown(value), "limit": MAX_MAGNITUDE})
        return value
    raise PydanticCustomError("number", "must be a number, not {kind}", {"kind": _kind(value)})


Number = Annotated[Union[StrictInt, StrictFloat, str], BeforeValidator(_number),
                   WithJsonSchema({"anyOf": [{"type": "number", "minimum": -MAX_MAGNITUDE, "maximum": MAX_MAGNITUDE},
                                             {"type": "string", "pattern": verdicts.NUMBER_TEXT,
                                              "maxLength": verdicts.MAX_NUMBER_TEXT}]})]  # fmt: skip


def _by_type(default: str, **members: type) -> Discriminator:
    """Which member of a union a value is checked against, by its type (``members``: tag -> type; the
    value's type picks its tag, else ``default``), so an error speaks of the one form the value took."""
    def pick(value: Any) -> str:
        return next((tag for tag, kind in members.items() if isinstance(value, kind)), default)

    return Discriminator(pick)


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


ModelName = Annotated[_enum(measures.MODELS), BeforeValidator(_upper)]
Models = Annotated[Union[Annotated[ModelName, Tag("<one>")],
                         Annotated[list[ModelName], Field(min_length=1, max_length=len(measures.MODELS)), Tag("<list>")]],
                   _by_type("<one>", **{"<list>": list})]  # fmt: skip
States = Annotated[Union[Annotated[Name, Tag("<one>")], Annotated[list[Name], Field(min_length=1, max_length=60), Tag("<list>")]],
                   _by_type("<one>", **{"<list>": list})]  # fmt: skip


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class MeasureSpec(_Strict):
    """What is counted (docs/claims-file.md, "The measure"); every key may be left out for its default."""

    source: _enum(measures.MEASURE_SOURCES) | None = None
    kind: _enum(KINDS) | None = None
    unit: _enum(measures.MEASURE_UNITS) | None = None
    statistic: _enum(measures.STATISTICS) | None = None
    state: States | None = None
    state_group: _enum(measures.STATE_GROUPS) | None = None
    exclude: States | None = None
    model: Models | None = None
    county: Name | None = None
    agency: Name | None = None
    by: _enum(measures.MEASURE_GROUPINGS) | None = None
    n: Count | None = None
    denominator: _enum(measures.DENOMINATORS) | None = None
    since: Date | None = None

    def to_measure(self, where: str = "measure") -> measures.Measure:
        """The engine's Measure, checked by the engine's own rules (which fields fit together)."""
        return measures.Measure.from_mapping(self.model_dump(exclude_none=True), where=where)


class ComparisonSpec(_Strict):
    """How the printed figure is compared (docs/claims-file.md, "Comparison types"); which parameters a
    type takes is verdicts.COMPARISON_TYPES'."""

    type: _enum(tuple(verdicts.COMPARISON_TYPES))
    tolerance: Number | None = None
    partial_tolerance: Number | None = None
    upper_tolerance: Number | None = None
    lower_tolerance: Number | None = None
    margin: Number | None = None
    threshold: Number | None = None
    entity: Name | None = None
    merge: Annotated[dict[Name, Names], Field(min_length=1, max_length=MAX_NAMES)] | None = None
    rank: Count | None = None
    min_rank: Count | None = None
    max_rank: Count | None = None
    top_n: Count | None = None
    partial_if_overlap_at_least: Count | None = None
    partial_if_match_at_least: Count | None = None
    complete: StrictBool | None = None

    def to_dict(self) -> dict:
        return self.model_dump(exclude_none=True)


#: a comparison type by name, or a table with its type and parameters
Comparison = Annotated[Union[Annotated[_enum(tuple(verdicts.COMPARISON_TYPES)), Tag("<type>")],
                             Annotated[ComparisonSpec, Tag("<table>")]],
                       _by_type("<type>", **{"<table>": dict})]  # fmt: skip
#: the printed figure: a number, a fraction as text ("1/3"), a list of names, or a table name = number
Claimed = Annotated[Union[Annotated[Number, Tag("<number>")], Annotated[Names, Tag("<names>")],
                          Annotated[dict[Name, Number], Field(min_length=1, max_length=MAX_NAMES), Tag("<table>")]],
                    _by_type("<number>", **{"<names>": list, "<table>": dict})]  # fmt: skip


class ClaimSpec(_Strict):
    """One [[claim]] of a claims file (docs/claims-file.md, "Fields of a claim")."""

    id: Annotated[str, StringConstraints(strict=True, pattern=ID_PATTERN)]
    date: Date
    quote: Text = ""
    source: Text = ""
    note: Text = ""
    measure: MeasureSpec | None = None
    claimed: Claimed
    comparison: Comparison
    also_units: StrictBool = False
    reason: Text = ""
    # a drafted claim's (extract.py), shown beside its verdict, never judged
    confidence: Annotated[Union[StrictInt, StrictFloat], Field(ge=0, le=1)] | None = None
    reading: Text = ""
    line: Annotated[StrictInt, Field(ge=1, le=MAX_MAGNITUDE)] | None = None


class ArticleSpec(_Strict):
    """The article a drafted claims file was read from (extract.py writes it; check does not judge it)."""

    file: Text
    sha256: Annotated[str, StringConstraints(strict=True, pattern="^[0-9a-f]{64}$")]
    date: Date
    date_basis: Text
    source: Text = ""
    url: Text = ""


class SkippedSpec(_Strict):
    """A number of a drafted article that is not a claim, and why (extract.py)."""

    text: Text
    line: Annotated[StrictInt, Field(ge=1, le=MAX_MAGNITUDE)]
    why: Text
    quote: Text = ""


class ClaimsFile(_Strict):
    """A claims file: one or more [[claim]] tables (a draft of extract.py also names its article and the
    numbers it skipped)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, title="ice-287g-claims claims file")
    claim: Annotated[list[ClaimSpec], Field(min_length=1, max_length=MAX_CLAIMS)]
    article: ArticleSpec | None = None
    skipped: Annotated[list[SkippedSpec], Field(max_length=MAX_CLAIMS)] | None = None


# ----------------------------------------------------------------------------- one line per error

#: a field's rule in words, where pydantic's own message would only quote the pattern
_PATTERN_WORDS = {"id": "must be 1-80 lower-case letters, digits and hyphens, starting with a letter or digit "
                        "(it names the claim's evidence record)"}  # fmt: skip


def _kind(value: Any) -> str:
    return {bool: "true or false", int: "a whole number", float: "a number", str: "text", list: "a list", dict: "a table",
            dt.date: "a date", dt.datetime: "a date and time", dt.time: "a time"}.get(type(value), type(value).__name__)  # fmt: skip


def _shown(value: Any) -> str:
    """A value as an error line quotes it: one line, at most 60 characters."""
    if isinstance(value, (list, dict)):
        return _kind(value)
    text = repr(value) if not isinstance(value, dt.date) else f"{_kind(value)} {value.isoformat()}"
    return text if len(text) <= 60 else text[:57] + "..."


def message(error: dict, model: type[BaseModel]) -> tuple[str, str]:
    """(field path, problem) of one pydantic error, in this project's words."""
    loc = [str(x) for x in error["loc"] if not isinstance(x, int) and not str(x).startswith("<")]  # no list index, no union tag
    field = ".".join(loc) or "claim"
    kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
    if kind == "missing":
        return field, "missing"
    if kind == "extra_forbidden":
        owner = {"measure": MeasureSpec, "comparison": ComparisonSpec, "article": ArticleSpec, "skipped": SkippedSpec}
        return field, f"unknown field; known: {', '.join(owner.get(loc[0], model).model_fields if len(loc) > 1 else model.model_fields)}"
    if kind == "literal_error":
        expected = ", ".join(re.findall(r"'([^']*)'", ctx.get("expected", "")))
        return field, f"must be one of {expected}, not {_shown(value)}"
    if kind == "string_pattern_mismatch":
        return field, _PATTERN_WORDS.get(loc[-1], f"does not match {ctx.get('pattern')}") + f", not {_shown(value)}"
    if kind in ("string_type", "int_type", "bool_type", "dict_type", "list_type", "model_type", "date_type", "float_type"):
        wanted = {"string_type": "text", "int_type": "a whole number", "bool_type": "true or false", "dict_type": "a table",
                  "list_type": "a list", "model_type": "a table", "date_type": "a date YYYY-MM-DD", "float_type": "a number"}[kind]  # fmt: skip
        return field, f"must be {wanted}, not {_kind(value)}"
    if kind in ("string_too_long", "too_long"):
        return field, f"longer than its limit of {ctx.get('max_length'):,} {'characters' if kind == 'string_too_long' else 'entries'}"
    if kind in ("string_too_short", "too_short"):
        return field, "must not be empty"
    if kind in ("greater_than_equal", "less_than_equal"):
        bound = ctx.get("ge", ctx.get("le"))
        return field, f"must be {'at least' if kind == 'greater_than_equal' else 'at most'} {bound:,}, not {_shown(value)}"
    return field, error["msg"]


def shown_id(cid: Any) -> str:
    """A claim id as an error line names it (the id may be what is wrong: one line, bounded)."""
    text = repr(cid) if isinstance(cid, str) else "?"
    return text if len(text) <= 60 else text[:57] + "..."


def validate(record: Any, model: type[BaseModel] = ClaimSpec) -> BaseModel:
    """``record`` as ``model``; the first problem as UsageError('field.path: problem')."""
    try:
        return model.model_validate(record)
    except ValidationError as err:
        field, problem = message(err.errors(include_url=False)[0], model)
        raise UsageError(f"{field}: {problem}") from None


def validate_file(data: dict) -> ClaimsFile:
    """A whole claims file (parsed TOML) as ClaimsFile; the first problem as UsageError("claim 'id':
    field: problem") when it is in a claim, ("field: problem") elsewhere."""
    try:
        return ClaimsFile.model_validate(data)
    except ValidationError as err:
        error = err.errors(include_url=False)[0]
        loc = error["loc"]
        if len(loc) >= 2 and loc[0] == "claim" and isinstance(loc[1], int):
            record = data["claim"][loc[1]]
            field, problem = message({**error, "loc": loc[2:]}, ClaimSpec)
            raise UsageError(f"claim {shown_id(record.get('id') if isinstance(record, dict) else None)}: {field}: {problem}") from None
        field, problem = message(error, ClaimsFile)
        raise UsageError(f"{field}: {problem}") from None


def json_schema() -> str:
    """docs/claims-file.schema.json, as ``python -m analysis docs`` writes it."""
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", **ClaimsFile.model_json_schema()}
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
