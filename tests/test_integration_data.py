"""The real data: registry vs MANIFEST, fetch from the mirror, build, and the facts the
MANIFEST notes and LAYOUTS.md state about every curated ICE sheet.

The build runs once per module into a throwaway project (a tmp dir, passed explicitly), never touching data/.
"""

from __future__ import annotations

import csv
import re
from collections import Counter

import pandas as pd
import pytest

from analysis import paths
from analysis.ingest import fetch, manifests, registry
from analysis.clean import normalize
from analysis.store import build
from analysis.engine import query

CHECKOUT = paths.project()  # its registries are read, never written

pytestmark = pytest.mark.integration


def _notes(row: dict) -> dict:
    notes = row["notes"]
    counts = re.search(r"SUPPORT TYPE counts: ([^|]*?)(?:; xlsx modified|\s*\||$)", notes)
    support = {}
    for part in counts[1].split(";"):
        name, value = part.strip().rsplit("=", 1)
        support[name] = int(value)
    return {
        "layout": re.search(r"\blayout ([PQ]\d)\b", notes)[1],
        "states": int(re.search(r"(\d+) states", notes)[1]),
        "agencies": int(re.search(r"(\d+) distinct agencies", notes)[1]),
        "florida": int(re.search(r"FLORIDA rows (\d+)", notes)[1]),
        "support": support,
    }


@pytest.fixture(scope="module")
def manifest(mirror_dir) -> list[dict]:
    with (mirror_dir / "ice_287g" / "MANIFEST.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        row["snapshot_id"] = row["file"].rsplit(".", 1)[0]
        row["parsed"] = _notes(row)
    return rows


@pytest.fixture(scope="module")
def real(mirror_dir, tmp_path_factory):
    """Fetch every registered file from the mirror into a tmp data/raw, then build."""
    project = paths.Project.at(tmp_path_factory.mktemp("real"))
    entries = registry.read_registry(CHECKOUT.registry_csv)
    report = fetch.fetch(project, entries, mirror=mirror_dir, quiet=True)
    result = build.build(project, entries, quiet=True)
    agreements = pd.read_parquet(project.processed / "agreements.parquet")
    snapshots = pd.read_parquet(project.processed / "snapshots.parquet")
    snapshots["published"] = pd.to_datetime(snapshots["published"]).dt.date
    corrections = pd.read_csv(project.processed / "corrections.csv", dtype=str, keep_default_na=False)
    return {"entries": entries, "report": report, "result": result, "agreements": agreements,
            "snapshots": snapshots, "corrections": corrections, "project": project}  # fmt: skip


# ----------------------------------------------------------------------------- registry


def test_registry_is_what_the_manifests_say(mirror_dir):
    curated, archive = manifests.build_registry(mirror_dir)
    registered = registry.read_registry(CHECKOUT.registry_csv)
    assert sorted(registered, key=lambda e: e.path) == sorted(curated, key=lambda e: e.path)
    assert sorted(registry.read_registry(CHECKOUT.archive_registry_csv), key=lambda e: e.path) == sorted(
        archive, key=lambda e: e.path
    )


def test_every_manifest_row_is_registered_with_its_sha256_and_rows(mirror_dir, manifest):
    by_path = {e.path: e for e in registry.read_registry(CHECKOUT.registry_csv)}
    ice = {p for p, e in by_path.items() if e.set == "ice_287g"}
    assert ice == {f"ice_287g/{r['file']}" for r in manifest}
    for row in manifest:
        entry = by_path[f"ice_287g/{row['file']}"]
        assert entry.sha256 == row["sha256"]
        assert entry.rows == int(row["rows"])
        assert entry.kind == row["kind"]
        assert entry.published == row["ice_published"]
        assert entry.layout == row["parsed"]["layout"]
        assert fetch.sha256_of(mirror_dir / entry.path) == row["sha256"]  # the mirror holds those bytes
        assert entry.bytes == (mirror_dir / entry.path).stat().st_size


def test_am_pm_editions_registered(manifest):
    by_path = {e.path: e for e in registry.read_registry(CHECKOUT.registry_csv)}
    assert by_path["ice_287g/participating_2025-09-02_am.xlsx"].edition == "am"
    assert by_path["ice_287g/participating_2025-09-02_pm.xlsx"].edition == "pm"
    assert by_path["ice_287g/participating_2025-01-19.xlsx"].edition == "192356"  # Wayback capture time
    assert not by_path["published_reference_figures/reference_figures.csv"].bytes_from_upstream


# ----------------------------------------------------------------------------- fetch + build


def test_fetch_and_build_ran(real):
    entries = real["entries"]
    assert sorted(real["report"].fetched) == sorted(e.path for e in entries)
    assert not real["result"].skipped
    assert real["result"].qa_failures == 0
    assert real["result"].snapshots == sum(e.is_ice_sheet for e in entries)


def test_rows_and_layout_per_sheet_match_manifest(real, manifest):
    snaps = real["snapshots"].set_index("snapshot_id")
    counts = real["agreements"].groupby("snapshot_id").size()
    assert set(snaps.index) == {r["snapshot_id"] for r in manifest}
    for row in manifest:
        sid = row["snapshot_id"]
        assert snaps.loc[sid, "rows"] == int(row["rows"]), sid
        assert counts[sid] == int(row["rows"]), sid
        assert snaps.loc[sid, "layout"] == row["parsed"]["layout"], sid
        assert snaps.loc[sid, "kind"] == row["kind"], sid
        assert snaps.loc[sid, "rows_skipped"] == 0, sid  # LAYOUTS.md: no footer or note rows


def test_totals_by_model_add_up(real):
    a = real["agreements"]
    for sid, frame in a.groupby("snapshot_id"):
        by_model = frame["model"].fillna("unstated").value_counts()
        assert by_model.sum() == len(frame), sid


def test_no_unmapped_support_type(real):
    a = real["agreements"]
    assert a["model"].notna().all()
    assert set(a["model"]) == {"JEM", "TFM", "WSO"}


def test_support_type_counts_match_manifest_after_folding(real, manifest):
    a = real["agreements"]
    for row in manifest:
        expected = Counter()
        for name, count in row["parsed"]["support"].items():
            expected[normalize.model_lookup(name)[0]] += count
        got = a.loc[a["snapshot_id"] == row["snapshot_id"], "model"].value_counts().to_dict()
        assert got == dict(expected), row["snapshot_id"]


def test_support_type_counts_as_printed(real, manifest):
    """The notes count spellings as printed (whitespace stripped); so does support_type_raw."""
    a = real["agreements"]
    for row in manifest:
        raw = a.loc[a["snapshot_id"] == row["snapshot_id"], "support_type_raw"].map(normalize.squash)
        assert raw.value_counts().to_dict() == row["parsed"]["support"], row["snapshot_id"]


def test_florida_rows_match_manifest(real, manifest):
    a = real["agreements"]
    for row in manifest:
        n = int(((a["snapshot_id"] == row["snapshot_id"]) & (a["state"] == "FL")).sum())
        assert n == row["parsed"]["florida"], row["snapshot_id"]


def test_states_match_manifest_less_typos(real, manifest):
    """The notes count distinct STATE values as printed (territories and typos included)."""
    a = real["agreements"]
    for row in manifest:
        frame = a[a["snapshot_id"] == row["snapshot_id"]]
        printed = set(frame["state_raw"].map(lambda s: normalize.squash(s).upper()))
        assert len(printed) == row["parsed"]["states"], row["snapshot_id"]
        typos = len(printed & set(normalize.STATE_TYPOS))
        states, territories = frame.loc[frame["is_state"], "state"].nunique(), frame.loc[~frame["is_state"], "state"].nunique()
        assert states + territories == row["parsed"]["states"] - typos, row["snapshot_id"]


def test_agency_ids_never_outnumber_printed_agencies(real, manifest):
    a = real["agreements"]
    for row in manifest:
        n = a.loc[a["snapshot_id"] == row["snapshot_id"], "agency_id"].nunique()
        assert n <= row["parsed"]["agencies"], row["snapshot_id"]


# ----------------------------------------------------------------------------- stated facts


def test_eve_of_inauguration(real):
    r = query.count("2025-01-19", by="model", source=real["project"])
    assert r["snapshot"]["id"] == "participating_2025-01-19"
    assert r["total"] == 135
    assert {g["model"]: g["count"] for g in r["groups"]} == {"JEM": 60, "WSO": 75}
    assert r["states"] == 21
    assert query.count("2025-01-19", unit="agencies", source=real["project"])["total"] == 133


def test_2025_09_02_pm_edition_in_force(real):
    r = query.count("2025-09-02", source=real["project"])
    assert r["snapshot"]["id"] == "participating_2025-09-02_pm"
    assert r["total"] == 957


def test_pending_2025_07_31(real):
    r = query.count("2025-07-31", kind="pending", by="model", source=real["project"])
    assert r["snapshot"]["id"] == "pending_2025-07-31"
    assert r["total"] == 22
    assert {g["model"]: g["count"] for g in r["groups"]} == {"TFM": 11, "WSO": 11}


def test_guam_from_2025_09_24_not_a_state(real):
    before, after = query.count("2025-09-23", source=real["project"]), query.count("2025-09-24", source=real["project"])
    assert before["territories"] == []
    assert after["territories"] == ["GU"]
    assert after["states"] == 40  # MANIFEST's '41 states' counts GUAM
    a = real["agreements"]
    part = a[a["kind"] == "participating"]
    first_gu = part.loc[part["state"] == "GU", "published"].min()
    assert pd.Timestamp(first_gu).date().isoformat() == "2025-09-24"
    assert query.count("2026-02-27", source=real["project"])["territories"] == ["GU", "MP"]


def test_pennslyvania_logged_as_a_correction(real):
    c = real["corrections"]
    fixes = c[(c["before"] == "PENNSLYVANIA")]
    assert len(fixes) > 0
    assert set(fixes["snapshot_id"]) == {"participating_2026-02-27"}
    assert set(fixes["after"]) == {"PENNSYLVANIA"} and set(fixes["rule"]) == {"state_typo"}
    a = real["agreements"]
    rows = a[a["state_raw"] == "PENNSLYVANIA"]
    assert set(rows["state"]) == {"PA"}
    assert sorted(rows["row"].astype(str)) == sorted(fixes["row"])


def test_berrian_truncated_name_shares_the_agency_id(real):
    a = real["agreements"]
    short = a.loc[a["agency_raw"].str.strip() == "Berrian County Sheriff's Offic", "agency_id"]
    full = a.loc[a["agency_raw"].str.strip() == "Berrian County Sheriff's Office", "agency_id"]
    assert len(short) > 0 and len(full) > 0
    assert set(short) == set(full) == {"MI:berrian-county-sheriffs-office"}


def test_second_build_is_a_no_op(real):
    assert build.build(real["project"], real["entries"], quiet=True).skipped
    assert fetch.fetch(real["project"], real["entries"], mirror=None, quiet=True).summary().endswith("nothing to do")
