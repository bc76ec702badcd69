"""Clean every cell of the raw sheets and give agencies and agreements stable ids.

ICE's sheets repeat the same rows on every snapshot (the archive's 1,128 sheets hold 337k rows
but only a few thousand distinct cells per column), so every rule runs once per distinct raw
value and the result is broadcast back to the rows with integer codes. That keeps the whole
archive to about a second here, and gives exactly the same table as applying the rules row by
row. The rules themselves live in normalize.py (cells) and agencies.py (names).

Each column made here (by raw_table, tidy and assign_ids) is ``table[codes]`` for a small table,
and carries those codes with it (a Coded array, see _remember): grouping a column, comparing it or turning it
into pandas' string type (finalize) then works on the table and the codes, so each raw column
is hashed once in a build. Those arrays are read-only, which keeps the codes true.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..core import table_spec
from . import agencies, normalize
from ..core.errors import SheetError
from .geography import COLUMNS as GEO_COLUMNS
from ..ingest.sheets import RAW_COLUMNS, RawSheet
from ..ingest.snapshots import edition_order, snapshot_id

CORRECTION_COLUMNS = table_spec.CORRECTIONS.names
AGREEMENT_COLUMNS = table_spec.AGREEMENTS.names
_FAR_FUTURE = dt.date(9999, 12, 31)


Columns = dict[str, np.ndarray]

# ----------------------------------------------------------------------------- integer codes

class Coded(np.ndarray):
    """A column made here, ``table[codes]``, carrying its codes and table as attributes.

    Passed along with the array itself (no module registry): an array derived from it (a slice,
    a mask, np.concatenate) is a plain Coded with ``codes`` None, so only the arrays _remember
    made answer with codes, and those are read-only, which keeps the codes true.
    """

    codes: np.ndarray | None = None
    table: np.ndarray | None = None
    distinct: bool = False


def _remember(values: np.ndarray, codes: np.ndarray, table: np.ndarray, distinct: bool = False) -> np.ndarray:
    """``values`` (which is ``table[codes]``) as a read-only Coded array carrying them.
    ``distinct``: no value appears twice in ``table``."""
    values.flags.writeable = False
    codes.flags.writeable = False
    out = values.view(Coded)
    out.codes, out.table, out.distinct = codes, table, distinct
    return out


def _known(values) -> tuple[np.ndarray, np.ndarray, bool] | None:
    """(codes, table, distinct) with ``values == table[codes]`` if it carries them."""
    codes = getattr(values, "codes", None) if type(values) is Coded else None
    return None if codes is None else (codes, values.table, values.distinct)


def codes_of(values) -> tuple[np.ndarray, np.ndarray, bool]:
    """(codes, table, distinct) with ``values == table[codes]``: remembered, or by pd.factorize."""
    return _known(values) or (*_factorize(values), True)


def _factorize(values) -> tuple[np.ndarray, np.ndarray]:
    """pd.factorize(values, use_na_sentinel=False) with object uniques (its faster form when no
    value is missing, which gives the same codes)."""
    values = _objects(values)
    codes, uniques = pd.factorize(values)
    if len(codes) and codes.min() < 0:
        codes, uniques = pd.factorize(values, use_na_sentinel=False)
    return codes, _objects(uniques)


def _distinct(values) -> tuple[np.ndarray, np.ndarray]:
    """Codes with one code per distinct value (pd.factorize's notion of equal), and those values."""
    codes, table, distinct = codes_of(values)
    if distinct:
        return codes, table
    table_codes, uniques = _factorize(table)
    return table_codes[codes], uniques


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """np.unique(values) by sorting (numpy 2's hashing np.unique is ~50x slower on 300k int64)."""
    values = np.sort(values)
    keep = np.ones(len(values), dtype=bool)
    keep[1:] = values[1:] != values[:-1]
    return values[keep]


def _each(values, func: Callable) -> np.ndarray:
    """``[func(v) for v in values]`` as an object array; func runs once per table entry."""
    codes, table, _ = codes_of(values)
    out = np.fromiter((func(v) for v in table), dtype=object, count=len(table))
    return _remember(out[codes], codes, out)


def _equals(values, value) -> np.ndarray:
    """``values == value`` row by row (a bool array)."""
    codes, table, _ = codes_of(values)
    return np.asarray(table == value, dtype=bool)[codes] if len(table) else np.zeros(len(codes), dtype=bool)



def raw_table(pairs: Iterable[tuple[object, RawSheet]]) -> Columns:
    """One row per data row of every sheet, every cell as ICE printed it (object arrays:
    pandas would convert text to its slower string type on every step)."""
    pairs = list(pairs)
    sizes = np.array([sheet.n_rows for _, sheet in pairs], dtype="int64")
    per_sheet = {
        "snapshot_id": [snapshot_id(e.path) for e, _ in pairs],
        "file": [e.path for e, _ in pairs],
        "kind": [s.kind for _, s in pairs],
        "published": [dt.date.fromisoformat(e.published) for e, _ in pairs],
    }
    sheet = np.arange(len(pairs)).repeat(sizes)  # each row's sheet: the codes of the per-sheet columns
    out = {}
    for c, v in per_sheet.items():
        table = _objects(v)
        out[c] = _remember(table[sheet], sheet, table)
    out["_edition_order"] = np.array([edition_order(e.edition) for e, _ in pairs], dtype="int64").repeat(sizes)
    for c in RAW_COLUMNS:
        if c == "row":
            parts = [np.asarray(s.columns[c], dtype="int64") for _, s in pairs]
            out[c] = np.concatenate(parts) if parts else np.empty(0, dtype="int64")
            continue
        parts = [_objects(s.columns[c]) for _, s in pairs]
        out[c] = np.concatenate(parts) if parts else np.empty(0, dtype=object)
        out[c] = _remember(out[c], *_factorize(out[c]), distinct=True)
    return out


def columns_of(df: pd.DataFrame | Columns) -> Columns:
    if isinstance(df, dict):
        return dict(df)
    return {c: (df[c].to_numpy() if c in ("row", "_edition_order") else df[c].to_numpy(dtype=object)) for c in df.columns}


def _objects(values) -> np.ndarray:
    if isinstance(values, np.ndarray):
        return values.astype(object, copy=False)
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _per_unique(values, func: Callable, n_out: int) -> tuple[list[np.ndarray], np.ndarray, list]:
    """``func`` once per distinct value; returns one row-aligned array per output, plus codes and uniques."""
    codes, uniques = _distinct(values)
    return _outputs([func(u) for u in uniques], codes, n_out), codes, list(uniques)


def _outputs(results: list, codes: np.ndarray, n_out: int) -> list[np.ndarray]:
    """Row-aligned arrays (remembered) from one result per table entry (a tuple when n_out > 1)."""
    outs = []
    for i in range(n_out):
        column = np.empty(len(results), dtype=object)
        column[:] = [r[i] for r in results] if n_out > 1 else results
        outs.append(_remember(column[codes], codes, column))
    return outs


def _checked(df: Columns, column: str, func: Callable, n_out: int) -> list[np.ndarray]:
    """Like _per_unique, but a rejected value names the file and row of its first occurrence."""
    codes, uniques = _distinct(df[column])
    try:
        results = [func(value) for value in uniques]
    except SheetError:  # name the value seen first in the rows, as a row-by-row pass would
        codes, uniques = pd.factorize(df[column], use_na_sentinel=False)
        for code, value in enumerate(uniques):
            try:
                func(value)
            except SheetError as err:
                first = int(np.flatnonzero(codes == code)[0])
                raise SheetError(f"row {df['row'][first]}: {err}", path=df["file"][first]) from None
        raise
    return _outputs(results, codes, n_out)


def _corrections(df: Columns, field: str, before: np.ndarray, after: np.ndarray, rule: np.ndarray) -> dict:
    known = _known(rule)
    if known is not None:
        mask = np.array([bool(r) for r in known[1]], dtype=bool)[known[0]]
    else:
        mask = np.array([bool(r) for r in rule], dtype=bool) if len(rule) else np.zeros(0, dtype=bool)
    after_txt = [("" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)) for v in after[mask]]
    return {
        "snapshot_id": df["snapshot_id"][mask],
        "file": df["file"][mask],
        "row": df["row"][mask],
        "field": np.full(int(mask.sum()), field, dtype=object),
        "before": np.array([str(v) for v in before[mask]], dtype=object),
        "after": np.array(after_txt, dtype=object),
        "rule": rule[mask],
    }


def _signed(df: Columns) -> tuple[np.ndarray, np.ndarray]:
    """parse_signed on every participating row, run once per distinct cell.

    The date read from a cell does not depend on the sheet's publication date unless the date
    lands after it (year typos, future dates), so the cell is parsed once against a far-future
    date and only rows whose date is later than their sheet are parsed again with their own date.
    """
    part = _equals(df["kind"], "participating")
    raw_codes, uniques = _distinct(df["signed_raw"])
    pending = len(uniques)  # the table entry of pending rows: no date, no flag
    codes = np.where(part, raw_codes, pending)
    value = np.full(pending + 1, None, dtype=object)
    rule = np.full(pending + 1, "", dtype=object)
    for i in np.flatnonzero(np.bincount(codes[part], minlength=pending + 1)):  # each value participating rows hold, once
        value[i], rule[i] = normalize.parse_signed(uniques[i], _FAR_FUTURE)
    late = _later(value, codes, df["published"])
    if late.any():  # parse again against the row's own sheet date, once per (cell, date)
        rows = np.flatnonzero(late)
        exact: dict[tuple, int] = {}
        for r in rows:
            pair = (df["signed_raw"][r], df["published"][r])
            codes[r] = exact.setdefault(pair, len(value) + len(exact))
        parsed = [normalize.parse_signed(*pair) for pair in exact]
        value = np.concatenate([value, _objects([v for v, _ in parsed])])
        rule = np.concatenate([rule, _objects([f for _, f in parsed])])
    return _remember(value[codes], codes, value), _remember(rule[codes], codes, rule)


def _later(value: np.ndarray, codes: np.ndarray, published: np.ndarray) -> np.ndarray:
    """``value[codes] > published`` row by row where the value is not None."""
    pub_codes, pub_table, _ = codes_of(published)
    if all(type(v) is dt.date for v in pub_table) and all(v is None or type(v) is dt.date for v in value):
        days = np.array([-1 if v is None else v.toordinal() for v in value], dtype="int64")
        return days[codes] > np.array([p.toordinal() for p in pub_table], dtype="int64")[pub_codes]
    return np.array([v is not None and v > p for v, p in zip(value[codes], published)], dtype=bool)


def _link_status(values: np.ndarray) -> np.ndarray:
    """normalize.link_status per row; the transcriptions' unique web.archive.org URLs skip the lookup
    (found by pyarrow's starts_with when every cell is text: 94k distinct URLs in the archive)."""
    codes, table, _ = codes_of(values)
    try:
        url = pc.starts_with(pa.array(table, type=pa.large_string()), "http")
    except (pa.ArrowException, UnicodeError):  # a cell that is not text: the same rule, in Python
        url = None
    if url is None or url.null_count:
        return _each(values, lambda v: "archived url" if v[:4] == "http" else normalize.link_status(v))
    url = url.to_numpy(zero_copy_only=False)
    out = np.full(len(table), "archived url", dtype=object)
    out[~url] = [normalize.link_status(v) for v in table[~url]]
    status_codes, statuses = _factorize(out)  # the five statuses, not one entry per URL
    codes = status_codes[codes]
    return _remember(statuses[codes], codes, statuses, distinct=True)


def tidy(raw: Columns | pd.DataFrame, *, ids: Callable | None = None) -> tuple[Columns, pd.DataFrame]:
    """Clean every cell; returns the agreement columns (see finalize) and the corrections log.

    ``ids`` replaces assign_ids (the archive's incremental append gives ids from the built panel).
    """
    df = columns_of(raw)
    fixes = []

    state, name, is_state, rule = _checked(df, "state_raw", normalize.state_lookup, 4)
    codes, table, _ = codes_of(is_state)
    df["state"], df["state_name"], df["is_state"] = state, name, table.astype(bool)[codes]
    upper = _each(name, lambda n: n.upper())
    fixes.append(_corrections(df, "STATE", df["state_raw"], upper, rule))

    model, rule = _checked(df, "support_type_raw", normalize.model_lookup, 2)
    df["model"] = model
    model_name = _each(model, lambda m: normalize.MODELS.get(m) if m is not None else None)
    fixes.append(_corrections(df, "SUPPORT TYPE", df["support_type_raw"], model_name, rule))

    (jt, rule), _, _ = _per_unique(df["jurisdiction_type_raw"], normalize.jurisdiction_lookup, 2)
    df["jurisdiction_type"] = jt
    fixes.append(_corrections(df, "TYPE", df["jurisdiction_type_raw"], jt, rule))
    df["county"] = _per_unique(df["county_raw"], normalize.county_clean, 1)[0][0]
    df["moa_status"] = _link_status(df["moa_raw"])
    df["addendum_status"] = _link_status(df["addendum_raw"])

    signed, flags = _signed(df)
    df["signed"], df["signed_flag"] = signed, flags
    fixes.append(_corrections(df, "SIGNED", df["signed_raw"], signed, flags))

    df["agency"] = _per_unique(df["agency_raw"], normalize.clean_agency_name, 1)[0][0]
    df, agency_fixes = (ids or assign_ids)(df)
    fixes.append(agency_fixes)
    corrections = correction_frame(fixes)
    return df, corrections


def correction_frame(parts: list) -> pd.DataFrame:
    """The corrections log, sorted by snapshot, row and field (a stable order for diffs)."""
    cols = {c: np.concatenate([np.asarray(p[c], dtype=object) for p in parts]) if parts else [] for c in CORRECTION_COLUMNS}
    out = pd.DataFrame(cols, columns=CORRECTION_COLUMNS)
    out["row"] = out["row"].astype("int64")
    return out.sort_values(["snapshot_id", "row", "field"], kind="stable", ignore_index=True)


def _cooccurring(state: np.ndarray, canon: np.ndarray, group: np.ndarray, candidates: set[tuple[str, str, str]]) -> set:
    """Of the candidate (state, a, b) pairs, those listed together in one (snapshot, model) group."""
    if not candidates:
        return set()
    wanted = {(s, k) for s, a, b in candidates for k in (a, b)}
    where: dict[tuple[str, str], set] = {}
    for s, k, g in zip(state, canon, group):
        if (s, k) in wanted:
            where.setdefault((s, k), set()).add(g)
    return {(s, a, b) for s, a, b in candidates if where.get((s, a), set()) & where.get((s, b), set())}


def _prefix_pairs(keys_by_state: dict[str, set[str]]) -> set[tuple[str, str, str]]:
    """(state, a, b) with a < b and b starting with a: the only pairs the truncation rule asks about."""
    out = set()
    for state, keys in keys_by_state.items():
        ordered = sorted(keys)
        for i, a in enumerate(ordered):
            for b in ordered[i + 1 :]:
                if not b.startswith(a):
                    break
                out.add((state, a, b))
    return out


def _pair_codes(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, list[tuple]]:
    """Codes of the distinct (a, b) pairs, and the pairs; integer arithmetic, no tuple per row."""
    codes, combined, ua, ub = _combine(a, b)
    width = max(len(ub), 1)
    return codes, [(ua[c // width], ub[c % width]) for c in combined]


def _combine(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Codes of the distinct (a, b) pairs, first seen first, and each pair as code_a * len(ub) + code_b."""
    ca, ua = _distinct(a)
    cb, ub = _distinct(b)
    codes, combined = pd.factorize(ca.astype("int64") * max(len(ub), 1) + cb)
    return codes, combined, ua, ub


def assign_ids(df: Columns | pd.DataFrame, context: dict | None = None, base: dict | None = None) -> tuple[Columns | pd.DataFrame, pd.DataFrame]:
    """agency_id by the rules in agencies.py; agreement_id = agency + model + signed date.

    Given a DataFrame (as in the tests) it returns one; given columns it returns columns.
    ``context``, when given, receives what an append needs to extend the ids without redoing
    them (see increment.py): the key of every (cleaned name, state) pair, the co-occurring
    truncation candidates and the spelling counts behind the display names. ``base`` is such a
    context from the rows already built: the rules then run over those names and these together,
    exactly as if all rows were given (and ``context`` says what that does to the old names).
    """
    as_frame = isinstance(df, pd.DataFrame)
    cols = columns_of(df)
    n = len(cols["row"])
    pair_codes, pairs = _pair_codes(cols["agency"], cols["state"])
    aliases = agencies.load_aliases()
    pair_key = [agencies.name_key(a, s) for a, s in pairs]
    _refuse_empty_keys(cols, pair_codes, pairs, pair_key)
    pair_canon = [aliases.get((s, k), k) for (_, s), k in zip(pairs, pair_key)]
    pair_rule = ["agency_alias" if c != k else "" for c, k in zip(pair_canon, pair_key)]
    known = base["pairs"] if base else {}

    keys_by_state: dict[str, set[str]] = {}
    for (_, s), c in [*((p, v[1]) for p, v in known.items()), *zip(pairs, pair_canon)]:
        keys_by_state.setdefault(s, set()).add(c)
    candidates = _prefix_pairs(keys_by_state)
    cooccur = set(base["cooccur"]) if base else set()
    if candidates:
        cooccur |= _cooccurring_pairs(cols, pair_codes, pairs, pair_canon, candidates)
    truncated = agencies.truncation_map(keys_by_state, cooccur)
    full = [truncated.get((s, c), c) for (_, s), c in zip(pairs, pair_canon)]
    pair_rule = ["agency_truncated" if f != c else r for f, c, r in zip(full, pair_canon, pair_rule)]
    pair_id = _objects([f"{s}:{agencies.slug(f)}" for (_, s), f in zip(pairs, full)])

    cols["agency_id"] = _remember(pair_id[pair_codes], pair_codes, pair_id) if pairs else np.empty(0, dtype=object)
    pair_rule = _objects(pair_rule)
    rule = _remember(pair_rule[pair_codes], pair_codes, pair_rule) if pairs else np.empty(0, dtype=object)
    stats = None if context is None else context.setdefault("names", {})
    cols["agency_name"] = agency_id_names(cols, stats, base["names"] if base else None)
    if context is not None:
        every = {**known, **{pair: (k, c, f) for pair, k, c, f in zip(pairs, pair_key, pair_canon, full)}}
        context["pairs"] = {p: (k, c, truncated.get((p[1], c), c)) for p, (k, c, _) in every.items()}
        context["cooccur"] = cooccur
    fixes = _corrections(cols, "LAW ENFORCEMENT AGENCY", cols["agency_raw"], cols["agency_name"], rule)

    cols["agreement_id"] = _agreement_ids(cols)
    dup_codes = _combine(cols["snapshot_id"], cols["agreement_id"])[0]
    first = np.zeros(n, dtype=bool)
    first[np.unique(dup_codes, return_index=True)[1]] = True
    cols["is_duplicate"] = ~first
    cols.pop("_edition_order", None)
    out = pd.DataFrame(cols) if as_frame else cols
    return out, pd.DataFrame(fixes, columns=CORRECTION_COLUMNS)


def _refuse_empty_keys(cols: Columns, pair_codes: np.ndarray, pairs: list, keys: list[str]) -> None:
    """An agency name with no letter or digit once folded to ASCII ("???", a name in another script)
    would give the id "FL:"; it is refused, naming the first file and row that print it."""
    empty = [code for code, key in enumerate(keys) if not key]
    if empty:  # codes are in order of first appearance: the lowest is the first such row
        first = int(np.flatnonzero(pair_codes == empty[0])[0])
        raise SheetError(f"row {cols['row'][first]}: LAW ENFORCEMENT AGENCY {pairs[empty[0]][0]!r} has no letter or digit "
                         "a-z or 0-9 once folded to ASCII (agencies.ascii_fold), so it cannot be given an agency id",
                         path=cols["file"][first])  # fmt: skip


def _agreement_ids(cols: Columns) -> np.ndarray:
    """agency_id:model:signed date ("unstated", "undated"; "pending" on pending sheets), built once
    per distinct (agency_id, model, date) and broadcast to the rows."""
    ids, ids_table, _ = codes_of(cols["agency_id"])
    models, model_table, _ = codes_of(cols["model"])
    signed, signed_table, _ = codes_of(cols["signed"])
    model_txt = _objects(["unstated" if m is None or (isinstance(m, float) and np.isnan(m)) else m for m in model_table])
    dates = (u.isoformat() if u is not None and not pd.isna(u) else "undated" for u in signed_table)
    suffix_txt = _objects([*dates, "pending"])
    suffix = np.where(_equals(cols["kind"], "participating"), signed, len(signed_table))
    n_models, n_suffixes = max(len(model_table), 1), len(suffix_txt)
    first, first_pairs = pd.factorize(ids.astype("int64") * n_models + models)  # two steps: no int64 overflow
    codes, combined = pd.factorize(first.astype("int64") * n_suffixes + suffix)
    pair = first_pairs[combined // n_suffixes]
    table = ids_table[pair // n_models] + ":" + model_txt[pair % n_models] + ":" + suffix_txt[combined % n_suffixes]
    table = _objects(table)
    return _remember(table[codes], codes, table)


def _cooccurring_pairs(cols: Columns, pair_codes: np.ndarray, pairs: list, pair_canon: list, candidates: set) -> set:
    """_cooccurring on codes: the (snapshot, model) group of each row as the same "sid|model" text,
    built once per distinct (snapshot, model); the rows of each (state, key) reduced to their groups."""
    wanted = {(s, k) for s, a, b in candidates for k in (a, b)}
    keys = [(s, c) for (_, s), c in zip(pairs, pair_canon)]
    rows = np.flatnonzero(np.array([k in wanted for k in keys], dtype=bool)[pair_codes])
    sid_codes, sids = _distinct(cols["snapshot_id"])
    model_codes, models = _distinct(cols["model"])
    width = max(len(models), 1)
    combo_codes, combos = pd.factorize(sid_codes[rows].astype("int64") * width + model_codes[rows])
    text = _objects([f"{sids[c // width]}|{models[c % width]}" for c in combos])
    text_codes, _ = pd.factorize(text)  # one group per distinct text, as _cooccurring has it
    n_groups = max(len(text), 1)
    where: dict[tuple[str, str], set] = {}
    for v in _sorted_unique(pair_codes[rows].astype("int64") * n_groups + text_codes[combo_codes]).tolist():
        where.setdefault(keys[v // n_groups], set()).add(v % n_groups)
    return {(s, a, b) for s, a, b in candidates if where.get((s, a), set()) & where.get((s, b), set())}


def agency_id_names(cols: Columns, stats_out: dict | None = None, base: dict | None = None) -> np.ndarray:
    """Display name of each agency: its most frequent cleaned spelling, ties to the latest seen.

    ``stats_out`` receives (agency_id, spelling) -> (rows, latest, as ns since 1970) behind the
    choice, over these rows plus ``base`` (the same from rows already built).
    """
    n = len(cols["row"])
    order = cols["_edition_order"] if "_edition_order" in cols else np.zeros(n, dtype="int64")
    when = (_datetimes(cols["published"]) + np.asarray(order, dtype="int64").astype("timedelta64[s]")).astype("datetime64[ns]").astype("int64")
    pair_codes, pairs = _pair_codes(cols["agency_id"], cols["agency"])
    stats = dict(base or {})
    if pairs:
        grouped = pd.DataFrame({"code": pair_codes, "when": when}).groupby("code")["when"].agg(["size", "max"])
        for pair, size, last in zip(pairs, grouped["size"].tolist(), grouped["max"].tolist()):
            before = stats.get(pair)
            stats[pair] = (size + before[0], max(last, before[1])) if before else (size, last)
    if stats_out is not None:
        stats_out.update(stats)
    if not pairs:
        return np.empty(0, dtype=object)
    best = display_names(stats, only={p[0] for p in pairs})
    names = _objects([best[p[0]] for p in pairs])
    return _remember(names[pair_codes], pair_codes, names)


def display_names(stats: dict, only: set | None = None) -> dict[str, str]:
    """agency_id -> the spelling with most rows, then the latest, then the first alphabetically
    (for the agency ids in ``only``, when given)."""
    best: dict[str, tuple] = {}
    for (agency_id, name), (rows, last) in stats.items():
        if only is not None and agency_id not in only:
            continue
        key = (-rows, -last, name)
        if agency_id not in best or key < best[agency_id]:
            best[agency_id] = key
    return {agency_id: key[2] for agency_id, key in best.items()}


def _datetimes(values) -> np.ndarray:
    """``pd.to_datetime(pd.Series(values, dtype=object)).to_numpy()``, each table entry converted
    once when every entry is a date or None (which always gives datetime64[s])."""
    known = _known(values)
    if known is None or not all(v is None or type(v) is dt.date for v in known[1]):
        return pd.to_datetime(pd.Series(values, dtype=object)).to_numpy()
    codes, table, _ = known
    return pd.to_datetime(pd.Series(table, dtype=object)).to_numpy()[codes]


STRING_COLUMNS = table_spec.AGREEMENTS.typed("string?")  # pandas "string" (missing as pd.NA), not "str"


def finalize(df: Columns | pd.DataFrame, first: np.ndarray | None = None) -> pd.DataFrame:
    """The agreements table: typed columns, rows ordered by kind, date, snapshot and row (after
    ``first``, an integer per row, where given: the full build's parts, so each is a run of rows).

    The columns are made on two threads: most are a pyarrow take of a converted table, which runs
    without the GIL (the archive's 337k rows: ~0.2 s of takes on one thread, ~0.13 s on two)."""
    from concurrent.futures import ThreadPoolExecutor

    cols = columns_of(df)
    keys = (cols["row"], _text_rank(cols["snapshot_id"]), _datetimes(cols["published"]), _text_rank(cols["kind"]))
    order = np.lexsort(keys if first is None else (*keys, first))

    def column(col: str) -> pd.Series:
        known = _known(cols[col])
        if known is not None and col not in ("row", "is_state", "is_duplicate"):
            return _from_table(col, known[1], known[0][order])
        values = np.asarray(cols[col])[order]
        if col in ("signed", "published"):
            return pd.to_datetime(pd.Series(values, dtype=object))
        if col == "row":
            return pd.Series(values, dtype="int64")
        if col in ("is_state", "is_duplicate"):
            return pd.Series(values, dtype=bool)
        return pd.Series(values, dtype="string" if col in STRING_COLUMNS else "str")

    names = [col for col in AGREEMENT_COLUMNS if col not in GEO_COLUMNS]  # GEO_COLUMNS: added by place()
    with ThreadPoolExecutor(2) as pool:
        return pd.DataFrame(dict(zip(names, pool.map(column, names))))


def place(agreements: pd.DataFrame, gazetteer, known: dict | None = None) -> pd.DataFrame:
    """The finalized agreements with the county columns (geography.place_frame, once per distinct
    (state, county, agency_name, jurisdiction_type)) in their AGREEMENT_COLUMNS places."""
    from .geography import place_frame

    placed = place_frame(agreements, gazetteer, known)
    at = AGREEMENT_COLUMNS.index(GEO_COLUMNS[0])  # finalize wrote the others in AGREEMENT_COLUMNS order
    for i, col in enumerate(GEO_COLUMNS):  # inserted, not concatenated: the other columns are not copied
        agreements.insert(at + i, col, placed[col])
    return agreements


def _from_table(col: str, table: np.ndarray, codes: np.ndarray) -> pd.Series:
    """finalize's typed Series of ``table[codes]``: the table converted once, then taken by codes
    (pandas converts a column one value at a time, so this is the same column)."""
    if col in ("signed", "published"):
        if all(v is None or type(v) is dt.date for v in table):  # -> datetime64[s], as _datetimes
            return pd.Series(pd.to_datetime(pd.Series(table, dtype=object)).to_numpy()[codes])
        return pd.to_datetime(pd.Series(table[codes], dtype=object))
    return pd.Series(pd.array(table, dtype="string" if col in STRING_COLUMNS else "str").take(codes))


def _text_rank(values) -> np.ndarray:
    """A sort key ordering rows as ``values.astype(str)`` does (equal text, equal key)."""
    known = _known(values)
    if known is None:
        return values.astype(str)
    codes, table, _ = known
    return np.unique(table.astype(str), return_inverse=True)[1].reshape(-1)[codes]
