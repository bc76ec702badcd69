"""Build the tidy tables in data/processed/ from the verified raw sheets.

Pipeline: verify hashes -> read each sheet (sheets.py) -> clean cells and log corrections
(normalize.py) -> stable agency and agreement ids (agencies.py) -> validate (schemas.py) ->
QA invariants (qa.py) -> atomic writes. A build whose inputs and code are unchanged does
nothing, so ``make reproduce`` can call it every time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import agencies, atomic, normalize, paths
from .errors import KindMismatchError, SheetError
from .registry import RawFile
from .sheets import RawSheet, read_sheet
from .snapshots import edition_order, snapshot_id

BUILD_MANIFEST = "build_manifest.json"
OUTPUTS = ("agreements.parquet", "snapshots.parquet", "corrections.csv", "qa.csv")

# Modules whose code shapes data/processed/; a change to any of them invalidates the build.
DATA_MODULES = (
    "agencies", "build", "census", "context_tables", "elections", "layouts", "normalize", "qa",
    "reference_figures", "registry", "schemas", "sheets", "snapshots", "textfiles", "trac",
)  # fmt: skip

CORRECTION_COLUMNS = ["snapshot_id", "file", "row", "field", "before", "after", "rule"]


def code_version() -> str:
    """Hash of the code and reviewed tables that shape the outputs; part of the cache key."""
    digest = hashlib.sha256()
    modules = [paths.PACKAGE_DIR / f"{name}.py" for name in DATA_MODULES]
    for path in modules + sorted(paths.RESOURCES_DIR.glob("*.csv")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _read_one(entry: RawFile) -> RawSheet:
    sheet = read_sheet(entry.local_path, label=entry.path)
    if entry.kind in ("participating", "pending") and sheet.kind != entry.kind:
        raise KindMismatchError(
            f"registered as {entry.kind} but its header ({sheet.layout.id}) is a {sheet.kind} sheet", path=entry.path
        )
    return sheet


def read_sheets(entries: list[RawFile], *, quiet: bool = False) -> list[tuple[RawFile, RawSheet]]:
    from tqdm.auto import tqdm

    return [(e, _read_one(e)) for e in tqdm(entries, desc="read sheets", unit="sheet", disable=quiet, file=sys.stderr)]


def snapshot_table(pairs: list[tuple[RawFile, RawSheet]]) -> pd.DataFrame:
    rows = []
    for entry, sheet in pairs:
        rows.append(
            {
                "snapshot_id": snapshot_id(entry.path),
                "file": entry.path,
                "sha256": entry.sha256,
                "set": entry.set,
                "kind": sheet.kind,
                "kind_registry": entry.kind,
                "published": dt.date.fromisoformat(entry.published),
                "edition": entry.edition,
                "edition_order": edition_order(entry.edition),
                "layout": sheet.layout.id,
                "layout_registry": entry.layout,
                "worksheet": sheet.sheet_name,
                "rows": sheet.n_rows,
                "rows_registry": entry.rows if entry.rows is not None else -1,
                "rows_skipped": len(sheet.skipped),
                "is_ice_file": sheet.layout.id != "P0",
                "source_note": "ICE workbook" if sheet.layout.id != "P0" else "transcription of ICE's HTML table (not an ICE file)",
            }
        )
    snaps = pd.DataFrame(rows)
    snaps["published"] = pd.to_datetime(snaps["published"]).dt.date
    return snaps.sort_values(["kind", "published", "edition_order", "snapshot_id"], ignore_index=True)


def raw_table(pairs: list[tuple[RawFile, RawSheet]]) -> pd.DataFrame:
    frames = []
    for entry, sheet in pairs:
        frame = pd.DataFrame(sheet.columns)
        frame.insert(0, "snapshot_id", snapshot_id(entry.path))
        frame.insert(1, "file", entry.path)
        frame.insert(2, "kind", sheet.kind)
        frame.insert(3, "published", dt.date.fromisoformat(entry.published))
        frame["_edition_order"] = edition_order(entry.edition)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _apply(series: pd.Series, func) -> pd.DataFrame:
    """Map a cached per-value function over a column's unique values (fast on 300k rows)."""
    uniques = series.unique()
    mapped = {value: func(value) for value in uniques}
    return pd.DataFrame(series.map(mapped).tolist(), index=series.index)


def _corrections(df: pd.DataFrame, field: str, before: str, after: pd.Series, rule: pd.Series) -> pd.DataFrame:
    mask = rule.ne("") & rule.notna()
    out = df.loc[mask, ["snapshot_id", "file", "row"]].copy()
    out["field"] = field
    out["before"] = df.loc[mask, before].astype(str)
    out["after"] = after[mask].map(lambda v: "" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v))
    out["rule"] = rule[mask]
    return out


def tidy(raw: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Clean every cell; returns the agreements table and the corrections log."""
    df = raw.copy()
    fixes = []

    try:
        state = _apply(df["state_raw"], normalize.state_lookup)
    except SheetError as err:
        bad = _first_rejected(df, "state_raw", normalize.state_lookup)
        raise SheetError(f"row {bad['row']}: {err}", path=bad["file"]) from None
    df["state"], df["state_name"], df["is_state"] = state[0], state[1], state[2].astype(bool)
    fixes.append(_corrections(df, "STATE", "state_raw", df["state_name"].str.upper(), state[3]))

    try:
        model = _apply(df["support_type_raw"], normalize.model_lookup)
    except SheetError as err:
        bad = _first_rejected(df, "support_type_raw", normalize.model_lookup)
        raise SheetError(f"row {bad['row']}: {err}", path=bad["file"]) from None
    df["model"] = model[0]
    fixes.append(_corrections(df, "SUPPORT TYPE", "support_type_raw", df["model"].map(normalize.MODELS), model[1]))

    jt = _apply(df["jurisdiction_type_raw"], normalize.jurisdiction_lookup)
    df["jurisdiction_type"] = jt[0]
    fixes.append(_corrections(df, "TYPE", "jurisdiction_type_raw", df["jurisdiction_type"], jt[1]))
    df["county"] = df["county_raw"].map(normalize.county_clean)
    df["moa_status"] = df["moa_raw"].map(normalize.link_status)
    df["addendum_status"] = df["addendum_raw"].map(normalize.link_status)

    is_part = df["kind"].eq("participating")
    signed = pd.DataFrame(
        [normalize.parse_signed(r, p) if k else (None, "") for r, p, k in zip(df["signed_raw"], df["published"], is_part)],
        index=df.index,
    )
    df["signed"] = signed[0]
    df["signed_flag"] = signed[1]
    fixes.append(_corrections(df, "SIGNED", "signed_raw", df["signed"], signed[1]))

    df["agency"] = df["agency_raw"].map(normalize.clean_agency_name)
    df, agency_fixes = assign_ids(df)
    fixes.append(agency_fixes)
    corrections = pd.concat(fixes, ignore_index=True)[CORRECTION_COLUMNS]
    corrections = corrections.sort_values(["snapshot_id", "row", "field"], kind="stable", ignore_index=True)
    return df, corrections


def _first_rejected(df: pd.DataFrame, column: str, lookup) -> pd.Series:
    """The file and row of the first cell in ``column`` that ``lookup`` rejects."""

    def known(value: str) -> bool:
        try:
            lookup(value)
            return True
        except SheetError:
            return False

    return df.loc[~df[column].map(known), ["file", "row"]].iloc[0]


def assign_ids(df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """agency_id by the rules in agencies.py; agreement_id = agency + model + signed date."""
    df = df.copy()
    df["_key"] = [agencies.name_key(a, s) for a, s in zip(df["agency"], df["state"])]
    aliases = agencies.load_aliases()
    df["_canon"] = [aliases.get((s, k), k) for s, k in zip(df["state"], df["_key"])]
    df["_rule"] = ["agency_alias" if c != k else "" for c, k in zip(df["_canon"], df["_key"])]

    keys_by_state: dict[str, set[str]] = {}
    for s, k in zip(df["state"], df["_canon"]):
        keys_by_state.setdefault(s, set()).add(k)
    groups = df.groupby(["snapshot_id", "state", "model"], dropna=False)["_canon"].unique()
    cooccur: set[tuple[str, str, str]] = set()
    for (_, state, _), keys in groups.items():
        keys = sorted(keys)
        for i, a in enumerate(keys):
            for b in keys[i + 1 :]:
                if b.startswith(a):
                    cooccur.add((state, a, b))
    truncated = agencies.truncation_map(keys_by_state, cooccur)
    if truncated:
        full = [truncated.get((s, k), k) for s, k in zip(df["state"], df["_canon"])]
        df["_rule"] = [("agency_truncated" if f != c else r) for f, c, r in zip(full, df["_canon"], df["_rule"])]
        df["_canon"] = full

    df["agency_id"] = df["state"] + ":" + df["_canon"].map(agencies.slug)
    # Display name of an agency: its most frequent cleaned spelling, ties to the latest seen.
    order = df["_edition_order"] if "_edition_order" in df else 0
    seen = df.assign(_when=pd.to_datetime(df["published"]) + pd.to_timedelta(order, unit="s"))
    names = (
        seen.groupby(["agency_id", "agency"], as_index=False)
        .agg(n=("row", "size"), last=("_when", "max"))
        .sort_values(["agency_id", "n", "last", "agency"], ascending=[True, False, False, True])
        .drop_duplicates("agency_id")
        .set_index("agency_id")["agency"]
    )
    df["agency_name"] = df["agency_id"].map(names)
    fixes = _corrections(df, "LAW ENFORCEMENT AGENCY", "agency_raw", df["agency_name"], df["_rule"])

    signed_txt = df["signed"].map(lambda d: d.isoformat() if d is not None and not pd.isna(d) else "undated")
    model_txt = df["model"].fillna("unstated")
    suffix = signed_txt.where(df["kind"].eq("participating"), "pending")
    df["agreement_id"] = df["agency_id"] + ":" + model_txt + ":" + suffix
    df["is_duplicate"] = df.duplicated(["snapshot_id", "agreement_id"], keep="first")
    return df.drop(columns=["_key", "_canon", "_rule", "_edition_order"], errors="ignore"), fixes


AGREEMENT_COLUMNS = [
    "snapshot_id", "kind", "published", "file", "row",
    "state", "state_name", "is_state", "agency_id", "agency_name", "agency", "model", "signed", "signed_flag",
    "agreement_id", "is_duplicate", "jurisdiction_type", "county", "moa_status", "addendum_status",
    "state_raw", "agency_raw", "jurisdiction_type_raw", "county_raw", "support_type_raw", "signed_raw",
    "moa_raw", "addendum_raw",
]  # fmt: skip


def finalize(df: pd.DataFrame) -> pd.DataFrame:
    out = df[AGREEMENT_COLUMNS].copy()
    out["row"] = out["row"].astype("int64")
    out["signed"] = pd.to_datetime(out["signed"])
    out["published"] = pd.to_datetime(out["published"])
    for col in ("model", "jurisdiction_type", "county"):
        out[col] = out[col].astype("string")
    return out.sort_values(["kind", "published", "snapshot_id", "row"], ignore_index=True)


@dataclass
class BuildResult:
    skipped: bool
    snapshots: int
    agreements: int
    corrections: int
    qa_failures: int
    message: str


def _manifest(entries: list[RawFile]) -> dict:
    # Every registry field is part of the key: a corrected date or row count must rebuild too.
    return {"code_version": code_version(), "inputs": {e.path: e.to_row() for e in sorted(entries, key=lambda e: e.path)}}


def is_current(entries: list[RawFile]) -> bool:
    path = paths.PROCESSED_DIR / BUILD_MANIFEST
    if not path.is_file() or not all((paths.PROCESSED_DIR / o).is_file() for o in OUTPUTS):
        return False
    return json.loads(path.read_text()) == _manifest(entries)


def ice_entries(entries: list[RawFile]) -> list[RawFile]:
    return [e for e in entries if e.is_ice_sheet]


def build(entries: list[RawFile], *, quiet: bool = False, force: bool = False) -> BuildResult:
    """Build every processed table from the given registry entries (all raw files)."""
    from . import fetch, qa, schemas

    fetch.verify(entries)
    sheets = ice_entries(entries)
    if not force and is_current(entries):
        return BuildResult(True, 0, 0, 0, 0, "processed tables are up to date (inputs and code unchanged); nothing to do")
    pairs = read_sheets(sheets, quiet=quiet)
    snaps = snapshot_table(pairs)
    agreements, corrections = tidy(raw_table(pairs))
    agreements = finalize(agreements)
    skipped = [
        {"snapshot_id": snapshot_id(e.path), "file": e.path, "row": row, "field": "(row)", "before": text,
         "after": "", "rule": "row_skipped"}
        for e, s in pairs for row, text in s.skipped
    ]  # fmt: skip
    if skipped:
        corrections = pd.concat([corrections, pd.DataFrame(skipped)], ignore_index=True)
    schemas.validate_agreements(agreements)
    schemas.validate_snapshots(snaps)
    qa_table = qa.run_checks(agreements, snaps, corrections)
    failures = int(qa_table["status"].eq("fail").sum())
    # QA is written even when it fails so the failure can be read; the data tables are not.
    _write_csv(qa_table, paths.PROCESSED_DIR / "qa.csv")
    if failures:
        from .errors import QAError

        failed = qa_table.loc[qa_table["status"].eq("fail")]
        first = failed.iloc[0]
        raise QAError(
            f"{failures} QA check(s) failed, first: {first['check']} on {first['scope']} "
            f"(value {first['value']}, expected {first['expected']}); see data/processed/qa.csv; outputs not replaced"
        )
    _write_parquet(agreements, paths.PROCESSED_DIR / "agreements.parquet")
    _write_parquet(snaps, paths.PROCESSED_DIR / "snapshots.parquet")
    _write_csv(corrections, paths.PROCESSED_DIR / "corrections.csv")
    from . import context_tables

    context_tables.build_all(entries)
    atomic.write_text(paths.PROCESSED_DIR / BUILD_MANIFEST, json.dumps(_manifest(entries), indent=1, sort_keys=True) + "\n")
    return BuildResult(
        False, len(snaps), len(agreements), len(corrections), failures,
        f"built {len(snaps)} snapshots, {len(agreements):,} agreement rows, {len(corrections):,} corrections logged; QA passed",
    )  # fmt: skip


def _write_parquet(df: pd.DataFrame, path: Path) -> None:
    with atomic.atomic_path(path) as tmp:
        df.to_parquet(tmp, index=False, compression="zstd")


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    with atomic.atomic_path(path) as tmp:
        df.to_csv(tmp, index=False, lineterminator="\n")
