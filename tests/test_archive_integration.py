"""The archive panel on the real 1,128 archived sheets (through $DATA_MIRROR; fails under CI=true
without it). Built once into a temp dir; nothing under the project's data/ is touched. The temp
build starts from this checkout's fetched files (hard links, sha256-verified again) and parse cache
when they exist (`make test` made them just before), so it cleans, places, links and checks every
row without parsing 1,166 workbooks a second time; the parse itself is tested in test_panel."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import re
import shutil

import pandas as pd
import pytest
from projectcopy import link_fetched_raw

from analysis import paths
from analysis.ingest import fetch, registry, sheets
from analysis.store import archive, build, context_tables, counts_cache, history, panel
from analysis.engine import asof, query
from analysis.core.errors import UsageError

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def built(tmp_path_factory, mirror_dir):
    base = tmp_path_factory.mktemp("archive")
    entries = registry.load(archive=True, local=False)
    link_fetched_raw(base / "raw")
    if panel.cache_dir().is_dir():  # this checkout's parse cache: the build still cleans, places and checks every row
        shutil.copytree(panel.cache_dir(), base / "processed" / "archive" / "cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(paths, "RAW_DIR", base / "raw")
        mp.setattr(paths, "PROCESSED_DIR", base / "processed")
        fetch.fetch(entries, mirror=mirror_dir, quiet=True)
        build.build(registry.load(local=False), quiet=True)  # the curated tables, to compare with
        result = archive.build(entries, quiet=True)
    out = base / "processed" / "archive"
    manifest = list(csv.DictReader((mirror_dir / "ice_287g_archive" / "MANIFEST.csv").open(newline="", encoding="utf-8")))
    return {"base": base, "out": out, "result": result, "manifest": manifest,
            "snaps": pd.read_parquet(out / "snapshots.parquet"), "agreements": pd.read_parquet(out / "agreements.parquet"),
            "history": pd.read_parquet(out / "history.parquet")}  # fmt: skip


@pytest.fixture
def on_archive(built, monkeypatch):
    monkeypatch.setattr(paths, "PROCESSED_DIR", built["base"] / "processed")
    yield built


def test_one_snapshot_per_manifest_file(built):
    assert len(built["manifest"]) == 1128
    assert sorted(built["snaps"]["file"]) == sorted(f"ice_287g_archive/{m['file']}" for m in built["manifest"])


def test_rows_kinds_and_layouts_match_the_manifest(built):
    snaps = built["snaps"].set_index("file")
    counts = built["agreements"].groupby("file").size()
    bad = []
    for m in built["manifest"]:
        f = f"ice_287g_archive/{m['file']}"
        got = (int(counts.get(f, 0) + snaps.at[f, "rows_duplicate"]), snaps.at[f, "kind"], snaps.at[f, "layout"])  # as printed
        if got != (int(m["rows"]), m["kind"], m["layout"]):
            bad.append((f, got, (m["rows"], m["kind"], m["layout"])))
    assert bad == []
    assert set(snaps["layout"]) <= {"P0", "P1", "P2", "P3", "Q1", "Q2", "Q3"}
    assert (snaps["layout"].eq("P0") == ~snaps["is_ice_file"]).all()  # transcriptions are marked


def test_curated_files_are_the_same_snapshots_with_their_dates_kept(built):
    curated = [e for e in registry.load(local=False) if e.is_ice_sheet]
    snaps = built["snaps"].set_index("sha256")
    curated_counts = pd.read_parquet(built["base"] / "processed" / "agreements.parquet").groupby("file").size()
    panel_counts = built["agreements"].groupby("snapshot_id").size()
    for e in curated:
        s = snaps.loc[e.sha256]
        assert e.path in s["names"].split(";")
        assert s["published"] <= dt.date.fromisoformat(e.published)
        if s["published"] < dt.date.fromisoformat(e.published):
            assert e.published in s["also_live_on"].split(";")
        assert panel_counts[s["snapshot_id"]] == curated_counts[e.path]


def test_exact_duplicate_rows_are_the_measured_ones(built):
    """sheets.MEASURED_EXACT_DUPLICATE_ROWS comes from here: one real sheet repeats one row cell for
    cell; it is dropped (counted once) and logged, and the limit keeps its margin above it."""
    snaps = built["snaps"]
    dropped = snaps.loc[snaps["rows_duplicate"] > 0].set_index("file")["rows_duplicate"].to_dict()
    assert dropped == {"ice_287g_archive/participating_2025-08-04_pm.xlsx": 1}
    assert max(dropped.values()) == sheets.MEASURED_EXACT_DUPLICATE_ROWS < sheets.MAX_EXACT_DUPLICATE_ROWS
    fixes = pd.read_csv(built["out"] / "corrections.csv")
    logged = fixes[fixes["rule"] == "row_exact_duplicate"]
    assert logged[["file", "row", "before"]].values.tolist() == [
        ["ice_287g_archive/participating_2025-08-04_pm.xlsx", 868, "exact duplicate of row 629, dropped (counted once)"]]


def test_qa_passes_including_history_invariants(built):
    qa = pd.read_csv(built["out"] / "qa.csv")
    assert not qa["status"].eq("fail").any()
    assert qa["check"].str.startswith("history").sum() == 6


def test_history_totals_equal_each_snapshot_count(built):
    kept = built["agreements"][~built["agreements"]["is_duplicate"]]
    for unit, key in (("agreement", "agreement_id"), ("agency", "agency_id")):
        want = kept.groupby("snapshot_id")[key].nunique().sort_index()
        got = history.listed_on(built["history"], built["snaps"], unit).reindex(want.index)
        assert got.tolist() == want.tolist()


def test_removals_reported_once_and_resignings_linked(built):
    h = built["history"]
    assert not h.duplicated(["unit", "kind", "id", "spell"]).any()
    removed = h[h["status"] == "removed"]
    assert (removed["removed_by"] >= removed["last_seen"]).all()  # same day: an am sheet listed it, the pm did not
    assert (removed["removed_by_snapshot"] != removed["last_snapshot"]).all()
    linked = h[h["status"].isin(["re-signed", "signed date changed"])]
    assert len(linked) > 0
    spells = h[h["unit"].eq("agreement")].groupby("id")
    for old in linked.itertuples():
        successor = spells.get_group(old.replaced_by)  # every spell of the new id
        assert (successor["agency_id"].iat[0], successor["model"].iat[0]) == (old.agency_id, old.model)
        assert old.id in set(successor["replaces"])


def test_ids_are_stable_across_consecutive_snapshots(built):
    """A row ICE printed identically on two consecutive sheets has one agreement id."""
    raw = ["state_raw", "agency_raw", "support_type_raw", "signed_raw"]
    a = built["agreements"][["snapshot_id", *raw, "agreement_id"]].astype({"snapshot_id": str})
    snaps = built["snaps"].sort_values(["kind", "published", "edition_order"])
    following = {}  # snapshot -> the next one of its kind (an empty pending sheet has no rows to pair)
    for _, group in snaps.groupby("kind"):
        ids = group["snapshot_id"].astype(str).tolist()
        following.update(zip(ids, ids[1:]))
    pairs = a.assign(next_id=a["snapshot_id"].map(following)).merge(a, left_on=["next_id", *raw],
                                                                    right_on=["snapshot_id", *raw])  # fmt: skip
    assert len(pairs) > 0
    changed = pairs[pairs["agreement_id_x"] != pairs["agreement_id_y"]]
    assert changed.empty, changed[["snapshot_id_x", "snapshot_id_y"]].drop_duplicates().head().values.tolist()


def test_day_resolution_queries_and_the_counts_cache_agree(on_archive):
    cache = on_archive["out"] / counts_cache.FILE
    day = dt.date(2021, 1, 13)
    while day <= dt.date(2026, 6, 1):
        for kind in ("participating", "pending"):
            fast = functools.partial(counts_cache.count, cache, day, kind, "agencies", "state", asof.snapshot_info,
                                     asof.in_force_position)  # the same rule, handed to the cache  # fmt: skip
            try:
                slow = query.count(day, kind=kind, unit="agencies", by="state", source="archive")
            except UsageError as err:  # before the first sheet: the same refusal, in the same words
                with pytest.raises(UsageError, match=re.escape(str(err))):
                    fast()
                continue
            slow.pop("panel")  # the command adds the panel it read
            assert fast() == slow, day
        day += dt.timedelta(days=17)


def test_gaps_are_explicit(on_archive):
    snaps = on_archive["snaps"]
    part = snaps[snaps["kind"] == "participating"].sort_values("published")
    dates = sorted(set(part["published"]))
    gap = next((a, b) for a, b in zip(dates, dates[1:]) if (b - a).days > asof.STALE_AFTER_DAYS + 2)
    late = gap[0] + dt.timedelta(days=asof.STALE_AFTER_DAYS + 1)
    info = query.count(late, source="archive")["snapshot"]
    if "last_seen_live" not in info:  # not re-posted in between
        assert "stale_note" in info and f"{asof.STALE_AFTER_DAYS + 1} days" in info["stale_note"]
    assert "stale_note" not in query.count(gap[0], source="archive")["snapshot"]


def test_every_registered_ice_sheet_passes_its_zip_crc_check(mirror_dir):
    """What makes parsing registered files with read_sheet(check_crc=False) safe: the pinned bytes
    of every archived and curated ICE sheet pass the CRC check (fetch checks each once as it
    arrives; builds only re-verify the sha256). Reads each file once, from $DATA_MIRROR."""
    import hashlib
    import io

    from analysis.ingest.sheets import crc_problem

    sheets = [e for e in registry.load(archive=True, local=False) if e.is_ice_sheet]
    assert sum(e.path.startswith("ice_287g_archive/") for e in sheets) == 1128 and len(sheets) > 1128  # + curated
    bad = []
    for e in sheets:
        data = (mirror_dir / e.path).read_bytes()
        if hashlib.sha256(data).hexdigest() != e.sha256:
            bad.append((e.path, "not the registered bytes"))
        elif (problem := crc_problem(io.BytesIO(data))) is not None:
            bad.append((e.path, problem))
    assert bad == []


def test_appending_the_newest_sheets_equals_the_full_build(built, tmp_path):
    """A researcher's weekly case on the real archive: the panel built without the newest sheets,
    then each added (appended, not rebuilt) gives the full build's tables exactly."""
    from panel_tables import differences, read_all

    from analysis.ingest.snapshots import edition_order

    entries = registry.load(archive=True, local=False)
    newest = sorted((e for e in entries if e.set == "ice_287g_archive"), key=lambda e: (e.published, edition_order(e.edition), e.path))[-2:]
    held = {e.sha256 for e in newest}
    processed = tmp_path / "processed"
    shutil.copytree(built["out"] / "cache", processed / "archive" / "cache")  # parsed once already
    for name in context_tables.GAZETTEER_TABLES:  # the curated build's county tables, which the panel is placed from
        shutil.copyfile(built["base"] / "processed" / name, processed / name)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(paths, "RAW_DIR", built["base"] / "raw")
        mp.setattr(paths, "PROCESSED_DIR", processed)
        archive.build([e for e in entries if e.sha256 not in held], quiet=True)
        messages = []
        for i in range(1, len(newest) + 1):
            now = [e for e in entries if e.sha256 not in held or e.sha256 in {n.sha256 for n in newest[:i]}]
            messages.append(archive.build(now, quiet=True).message)
        got = read_all()
    assert all("appended 1 sheet(s)" in m for m in messages), messages
    assert differences(got, read_all(built["out"])) == []


def test_every_docs_claim_is_judged_by_the_engine_with_evidence(built, tmp_path):
    """docs/claims-file.md's worked examples, on the real archive panel: a verdict, a sheet and rows each."""
    from test_check import docs_claims, evidence_file

    from analysis.engine import measures
    from analysis.factcheck import check, verdicts

    f = tmp_path / "docs.toml"
    f.write_text(docs_claims())
    rows = check.judge(check.load(f), measures.Panel("archive", processed=built["base"] / "processed"))
    check.write_evidence(rows, tmp_path / "evidence")
    for r in rows:
        assert r["verdict"] in verdicts.VERDICTS and r["verdict"] != verdicts.NOT_CHECKABLE, r
        assert r["snapshot"]["file"].startswith("ice_287g_archive/") and len(r["snapshot"]["sha256"]) == 64
        assert r["snapshot"]["published"] <= r["date"]
        ev = pd.read_csv(evidence_file(tmp_path / "evidence", r["id"]))
        assert len(ev) > 0 and set(ev["file"]) <= {r["snapshot"]["file"]} | {
            s["file"] for s in built["snaps"].to_dict("records")}
    by_id = {r["id"]: r for r in rows}
    # the rows behind a count are the count: 22 pending applications on 2025-07-31
    pending = pd.read_csv(evidence_file(tmp_path / "evidence", "visaverge-pending-by-model"))
    assert len(pending) == sum(by_id["visaverge-pending-by-model"]["reproduced"].values())


def test_claims_are_judged_on_the_sheet_posted_that_day_with_one_denominator(on_archive, tmp_path):
    """Issue 13 findings 2 and 7, on the real archive: Axios (2025-06-16) is judged on ICE's 06-16 pm
    sheet in agencies, not on the curated 06-04 sheet; a share has one denominator everywhere."""
    from analysis import claim_registry, claims
    from analysis.engine import measures

    panel = measures.Panel("archive", processed=on_archive["base"] / "processed")
    res = claims.measured_results("concentration", panel=panel, output_dir=tmp_path / "results")
    found = claims._found(res)
    axios = claims.evaluate_one(claim_registry.get_claim("axios-five-most-cooperative-states"), found)
    assert axios["snapshot"] == "ice_287g_archive/participating_2025-06-16_pm.xlsx"
    assert axios["unit"] == "agencies" and axios["verdict"] == "supported", axios["note"]
    assert (tmp_path / "evidence" / "axios-five-most-cooperative-states.csv").is_file()

    florida = claim_registry.get_claim("catn-florida-well-over-a-third")
    detail = found[florida.quantity]["detail"]
    asked = query.count(florida.as_of, by="state", source="archive")  # the CLI's answer on the same panel and day
    fl = next(g for g in asked["groups"] if g["state"] == "FL")
    assert detail["snapshot"]["file"] == asked["snapshot"]["file"]
    assert (detail["numerator"], detail["denominator"]) == (fl["count"], asked["total"])
    row = claims.evaluate_one(florida, found)
    assert f"of {asked['total']:,} agreements" in row["note"]


def test_county_coverage_of_the_newest_sheet_in_both_builds(built):
    """Issue 15: the newest participating sheet of the curated tables and of the archive panel is
    placed in counties at least at geography.COVERAGE_FLOOR, every row has a geo level, and the
    build's QA table holds that check."""
    from analysis.clean import geography

    for base in (built["base"] / "processed", built["out"]):
        snaps = pd.read_parquet(base / "snapshots.parquet")
        agreements = pd.read_parquet(base / "agreements.parquet", columns=["snapshot_id", "geo_level", "county_fips"])
        sid, share = geography.newest_coverage(snaps)
        rows = agreements[agreements["snapshot_id"] == sid]
        print(f"{base.name}: county coverage of {sid}: {share:.1%} of {len(rows):,} agreement rows")
        assert share == pytest.approx((rows["geo_level"] == "county").mean())
        assert share >= geography.COVERAGE_FLOOR
        assert agreements["geo_level"].isin(geography.GEO_LEVELS).all()
        assert agreements.loc[agreements["geo_level"] == "county", "county_fips"].str.fullmatch(r"\d{5}").all()
        qa = pd.read_csv(base / "qa.csv")
        assert qa.loc[qa["check"].str.startswith("county coverage"), "status"].tolist() == ["pass"]
    assert f"county coverage of the newest participating sheet {sid}" in built["result"].message
