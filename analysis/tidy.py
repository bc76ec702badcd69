"""Clean every cell of the raw sheets and give agencies and agreements stable ids.

ICE's sheets repeat the same rows on every snapshot (the archive's 1,128 sheets hold 337k rows
but only a few thousand distinct cells per column), so every rule runs once per distinct raw
value and the result is broadcast back to the rows with integer codes. That keeps the whole
archive to about a second here, and gives exactly the same table as applying the rules row by
row. The rules themselves live in normalize.py (cells) and agencies.py (names).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

from . import agencies, normalize
from .errors import SheetError
from .sheets import RAW_COLUMNS, RawSheet
from .snapshots import edition_order, snapshot_id

CORRECTION_COLUMNS = ["snapshot_id", "file", "row", "field", "before", "after", "rule"]
AGREEMENT_COLUMNS = [
    "snapshot_id", "kind", "published", "file", "row",
    "state", "state_name", "is_state", "agency_id", "agency_name", "agency", "model", "signed", "signed_flag",
    "agreement_id", "is_duplicate", "jurisdiction_type", "county", "moa_status", "addendum_status",
    "state_raw", "agency_raw", "jurisdiction_type_raw", "county_raw", "support_type_raw", "signed_raw",
    "moa_raw", "addendum_raw",
]  # fmt: skip
_FAR_FUTURE = dt.date(9999, 12, 31)


Columns = dict[str, np.ndarray]


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
    out = {c: _objects(v).repeat(sizes) for c, v in per_sheet.items()}
    out["_edition_order"] = np.array([edition_order(e.edition) for e, _ in pairs], dtype="int64").repeat(sizes)
    for c in RAW_COLUMNS:
        parts = [_objects(s.columns[c]) for _, s in pairs]
        out[c] = np.concatenate(parts) if parts else np.empty(0, dtype=object)
    out["row"] = out["row"].astype("int64")
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
    codes, uniques = pd.factorize(_objects(values), use_na_sentinel=False)
    results = [func(u) for u in uniques]
    outs = []
    for i in range(n_out):
        column = np.empty(len(results), dtype=object)
        column[:] = [r[i] for r in results] if n_out > 1 else results
        outs.append(column[codes])
    return outs, codes, list(uniques)


def _checked(df: Columns, column: str, func: Callable, n_out: int) -> list[np.ndarray]:
    """Like _per_unique, but a rejected value names the file and row of its first occurrence."""
    values = df[column]
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    results = []
    for code, value in enumerate(uniques):
        try:
            results.append(func(value))
        except SheetError as err:
            first = int(np.flatnonzero(codes == code)[0])
            raise SheetError(f"row {df['row'][first]}: {err}", path=df["file"][first]) from None
    outs = []
    for i in range(n_out):
        column = np.empty(len(results), dtype=object)
        column[:] = [r[i] for r in results]
        outs.append(column[codes])
    return outs


def _corrections(df: Columns, field: str, before: np.ndarray, after: np.ndarray, rule: np.ndarray) -> dict:
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
    n = len(df["row"])
    signed = np.full(n, None, dtype=object)
    flags = np.full(n, "", dtype=object)
    part = df["kind"] == "participating"
    if not part.any():
        return signed, flags
    idx = np.flatnonzero(part)
    raw = df["signed_raw"][idx]
    published = df["published"][idx]
    (value, rule), _, _ = _per_unique(raw, lambda r: normalize.parse_signed(r, _FAR_FUTURE), 2)
    late = np.array([v is not None and v > p for v, p in zip(value, published)], dtype=bool)
    if late.any():
        pairs = list(zip(raw[late], published[late]))
        exact = {pair: normalize.parse_signed(*pair) for pair in set(pairs)}
        value[late] = [exact[p][0] for p in pairs]
        rule[late] = [exact[p][1] for p in pairs]
    signed[idx], flags[idx] = value, rule
    return signed, flags


def _link_status(values: np.ndarray) -> np.ndarray:
    """normalize.link_status per row; the transcriptions' unique web.archive.org URLs skip the lookup."""
    url = np.fromiter((v[:4] == "http" for v in values), dtype=bool, count=len(values))
    out = np.full(len(values), "archived url", dtype=object)
    if (~url).any():
        out[~url] = _per_unique(values[~url], normalize.link_status, 1)[0][0]
    return out


def tidy(raw: Columns | pd.DataFrame, *, ids: Callable | None = None) -> tuple[Columns, pd.DataFrame]:
    """Clean every cell; returns the agreement columns (see finalize) and the corrections log.

    ``ids`` replaces assign_ids (the archive's incremental append gives ids from the built panel).
    """
    df = columns_of(raw)
    fixes = []

    state, name, is_state, rule = _checked(df, "state_raw", normalize.state_lookup, 4)
    df["state"], df["state_name"], df["is_state"] = state, name, is_state.astype(bool)
    upper = np.array([n.upper() for n in name], dtype=object) if len(name) else name
    fixes.append(_corrections(df, "STATE", df["state_raw"], upper, rule))

    model, rule = _checked(df, "support_type_raw", normalize.model_lookup, 2)
    df["model"] = model
    model_name = np.array([normalize.MODELS.get(m) if m is not None else None for m in model], dtype=object)
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
    ca, ua = pd.factorize(a, use_na_sentinel=False)
    cb, ub = pd.factorize(b, use_na_sentinel=False)
    codes, combined = pd.factorize(ca.astype("int64") * max(len(ub), 1) + cb)
    width = max(len(ub), 1)
    return codes, [(ua[c // width], ub[c % width]) for c in combined]


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
    pair_canon = [aliases.get((s, k), k) for (_, s), k in zip(pairs, pair_key)]
    pair_rule = ["agency_alias" if c != k else "" for c, k in zip(pair_canon, pair_key)]
    known = base["pairs"] if base else {}

    keys_by_state: dict[str, set[str]] = {}
    for (_, s), c in [*((p, v[1]) for p, v in known.items()), *zip(pairs, pair_canon)]:
        keys_by_state.setdefault(s, set()).add(c)
    candidates = _prefix_pairs(keys_by_state)
    cooccur = set(base["cooccur"]) if base else set()
    if candidates:
        canon_rows = _objects(pair_canon)[pair_codes]
        group = [f"{sid}|{m}" for sid, m in zip(cols["snapshot_id"], cols["model"])]
        cooccur |= _cooccurring(cols["state"], canon_rows, group, candidates)
    truncated = agencies.truncation_map(keys_by_state, cooccur)
    full = [truncated.get((s, c), c) for (_, s), c in zip(pairs, pair_canon)]
    pair_rule = ["agency_truncated" if f != c else r for f, c, r in zip(full, pair_canon, pair_rule)]
    pair_id = _objects([f"{s}:{agencies.slug(f)}" for (_, s), f in zip(pairs, full)])

    cols["agency_id"] = pair_id[pair_codes] if pairs else np.empty(0, dtype=object)
    rule = _objects(pair_rule)[pair_codes] if pairs else np.empty(0, dtype=object)
    stats = None if context is None else context.setdefault("names", {})
    cols["agency_name"] = agency_id_names(cols, stats, base["names"] if base else None)
    if context is not None:
        every = {**known, **{pair: (k, c, f) for pair, k, c, f in zip(pairs, pair_key, pair_canon, full)}}
        context["pairs"] = {p: (k, c, truncated.get((p[1], c), c)) for p, (k, c, _) in every.items()}
        context["cooccur"] = cooccur
    fixes = _corrections(cols, "LAW ENFORCEMENT AGENCY", cols["agency_raw"], cols["agency_name"], rule)

    codes_s, uniques_s = pd.factorize(_objects(cols["signed"]), use_na_sentinel=False)
    signed_txt = _objects([u.isoformat() if u is not None and not pd.isna(u) else "undated" for u in uniques_s])
    suffix = np.where(cols["kind"] == "participating", signed_txt[codes_s] if n else signed_txt, "pending").astype(object)
    model_txt = _objects(["unstated" if m is None or (isinstance(m, float) and np.isnan(m)) else m for m in cols["model"]])
    cols["agreement_id"] = cols["agency_id"] + ":" + model_txt + ":" + suffix
    dup_codes, _ = _pair_codes(cols["snapshot_id"], cols["agreement_id"])
    first = np.zeros(n, dtype=bool)
    first[np.unique(dup_codes, return_index=True)[1]] = True
    cols["is_duplicate"] = ~first
    cols.pop("_edition_order", None)
    out = pd.DataFrame(cols) if as_frame else cols
    return out, pd.DataFrame(fixes, columns=CORRECTION_COLUMNS)


def agency_id_names(cols: Columns, stats_out: dict | None = None, base: dict | None = None) -> np.ndarray:
    """Display name of each agency: its most frequent cleaned spelling, ties to the latest seen.

    ``stats_out`` receives (agency_id, spelling) -> (rows, latest, as ns since 1970) behind the
    choice, over these rows plus ``base`` (the same from rows already built).
    """
    n = len(cols["row"])
    order = cols["_edition_order"] if "_edition_order" in cols else np.zeros(n, dtype="int64")
    published = pd.to_datetime(pd.Series(cols["published"], dtype=object)).to_numpy()
    when = (published + np.asarray(order, dtype="int64").astype("timedelta64[s]")).astype("datetime64[ns]").astype("int64")
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
    best = display_names(stats)
    return _objects([best[p[0]] for p in pairs])[pair_codes]


def display_names(stats: dict) -> dict[str, str]:
    """agency_id -> the spelling with most rows, then the latest, then the first alphabetically."""
    best: dict[str, tuple] = {}
    for (agency_id, name), (rows, last) in stats.items():
        key = (-rows, -last, name)
        if agency_id not in best or key < best[agency_id]:
            best[agency_id] = key
    return {agency_id: key[2] for agency_id, key in best.items()}


STRING_COLUMNS = ("model", "jurisdiction_type", "county")


def finalize(df: Columns | pd.DataFrame) -> pd.DataFrame:
    """The agreements table: typed columns, rows ordered by kind, date, snapshot and row."""
    cols = columns_of(df)
    order = np.lexsort((cols["row"], cols["snapshot_id"].astype(str),
                        pd.to_datetime(pd.Series(cols["published"], dtype=object)).to_numpy(),
                        cols["kind"].astype(str)))  # fmt: skip
    out = {}
    for col in AGREEMENT_COLUMNS:
        values = np.asarray(cols[col])[order]
        if col in ("signed", "published"):
            out[col] = pd.to_datetime(pd.Series(values, dtype=object))
        elif col == "row":
            out[col] = pd.Series(values, dtype="int64")
        elif col in ("is_state", "is_duplicate"):
            out[col] = pd.Series(values, dtype=bool)
        elif col in STRING_COLUMNS:
            out[col] = pd.Series(values, dtype="string")
        else:
            out[col] = pd.Series(values, dtype="str")
    return pd.DataFrame(out)
