"""What the site's pages are made from, read once per build and shared by every page module.

Why one place: the claims table, the claim registry, the raw-file registry, the archive panel and
its agency index are each read once, and a page that needs something missing (a fixture project
without the archive, no atlas) gets ``None`` and a reason to print instead of a traceback.
"""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path

from ...core import paths
from ...core.errors import AnalysisError
from ...factcheck import claim_registry

SITE_NAME = "ice-287g-claims"
#: the current list (data page's CSV, state pages): the archive table's columns, then the MOA cell's link
CURRENT_COLUMNS = ["file", "row", "state", "state_name", "agency_name", "agency", "agency_id", "model", "signed",
                   "jurisdiction_type", "county", "county_fips", "geo_level", "moa_status", "moa_url"]  # fmt: skip
MOA_URL_MEANING = ("Address of the agreement (MOA) PDF that the MOA cell links to, read from the workbook's hyperlink; "
                   "empty where ICE gives none (\"link pending\").")


class Inputs:
    """The report folder's claims and results, and lazily the panel and what is derived from it."""

    site_name = SITE_NAME

    def __init__(self, reports_dir: Path, rows: list[dict]):
        self.reports_dir = Path(reports_dir)
        self.rows = rows
        self.missing: dict[str, str] = {}  # what could not be read -> why (printed on the pages that need it)
        self._counts: dict[str, list[dict]] = {}

    # ------------------------------------------------------------------ registries

    @cached_property
    def _claims(self) -> dict:
        return {c.id: c for c in claim_registry.load_claims()}

    @cached_property
    def _articles(self) -> dict:
        return {a.id: a for a in claim_registry.load_articles()}

    def claim(self, claim_id: str):
        return self._claims.get(claim_id)

    def article(self, article_id: str):
        return self._articles[article_id]

    @cached_property
    def _files(self) -> dict:
        from ...ingest import registry

        out = {}
        for e in registry.load(archive=True):
            out.setdefault(e.path, e)
        return out

    def raw_file(self, rel: str):
        """The registry's entry of a raw file (its upstream URL, sha256, source), or None."""
        return self._files.get(rel) if rel else None

    # ------------------------------------------------------------------ the panel

    @cached_property
    def panel(self):
        """The engine's panel (the archive when built and current), or None with a reason in ``missing``."""
        from ...engine.reader import open_panel

        try:
            return open_panel()  # the default source, shared within the process (each sheet read once)
        except AnalysisError as err:
            self.missing["panel"] = str(err)
            return None

    @cached_property
    def archive(self):
        """The archive panel itself (history, every sheet), or None: the lookup, the ended agreements and
        the what-changed page need every sheet."""
        panel = self.panel
        if panel is None or panel.source != "archive":
            self.missing.setdefault("archive", "the archive panel is not built or not current; run "
                                               "`python -m analysis build --archive`")  # fmt: skip
            return None
        return panel

    @cached_property
    def agencies(self) -> list:
        from ...engine import lookup

        return lookup.agencies(self.archive) if self.archive is not None else []

    def sheet(self, kind: str, columns: list[str]):
        """The newest sheet of ``kind``: its snapshots row and ``columns`` of its rows in sheet order
        (None, None when there is none)."""
        import pandas as pd

        snap = self.newest(kind)
        if snap is None:
            return None, None
        rows = pd.read_parquet(self.panel.folder / "agreements.parquet", columns=["row", *columns],
                               filters=[("snapshot_id", "==", snap["snapshot_id"])])  # fmt: skip
        return snap, rows.sort_values("row", ignore_index=True)

    @cached_property
    def current(self):
        """The newest participating sheet's rows (CURRENT_COLUMNS, in sheet order) with ``moa_url``,
        the agreement PDF the MOA cell links to (ingest/hyperlinks.py); None without a panel."""
        from ...ingest import hyperlinks

        snap, rows = self.sheet("participating", CURRENT_COLUMNS[2:-1])
        if snap is None:
            return None
        raw = paths.RAW_DIR / snap["file"]
        links = hyperlinks.moa_links(raw) if raw.suffix.lower() == ".xlsx" and raw.is_file() else {}
        rows.insert(0, "file", snap["file"])
        rows["moa_url"] = [links.get(int(r), "") for r in rows["row"]]
        return rows[CURRENT_COLUMNS]

    def counts_over_time(self, kind: str) -> list[dict]:
        """Every sheet of a kind with its counts by state and model in both units, oldest first: the
        build's counts cache (store/counts_cache.py), so no row is read again."""
        from ...store import counts_cache

        if kind not in self._counts:
            panel = self.panel
            self._counts[kind] = counts_cache.every(panel.folder / counts_cache.FILE, kind) if panel is not None else []
        return self._counts[kind]

    @cached_property
    def spells(self) -> list[dict]:
        """Every agreement spell of the archive's history (both lists), with its agency's display name
        and status, dates as YYYY-MM-DD: the state pages, the ended agreements and what changed."""
        from ...engine.lookup import day_text

        if self.archive is None:
            return []
        names = {a.agency_id: a for a in self.agencies}
        history = self.archive.history()
        deals = history[history["unit"] == "agreement"].astype(object)
        out = []
        for r in deals.where(deals.notna(), None).to_dict("records"):
            agency = names.get(r["agency_id"])
            out.append({**r, "name": agency.name if agency else r["agency_id"], "agency_status": agency.status if agency else "",
                        "first_seen": day_text(r["first_seen"]), "last_seen": day_text(r["last_seen"]),
                        "removed_by": day_text(r["removed_by"]), "signed": day_text(r["signed"]), "model": r["model"] or ""})  # fmt: skip
        return out

    def newest(self, kind: str):
        """The newest sheet of a kind (a snapshots row), or None."""
        panel = self.panel
        if panel is None or not (panel.snapshots["kind"] == kind).any():
            return None
        return panel.newest(kind)

    def headline(self) -> list[dict]:
        """The headline numbers on the newest sheets, each with its unit, sheet and date."""
        from ...engine import measures

        out = []
        for kind, unit, statistic, label in (("participating", "agreements", "count", "agreements in force"),
                                             ("participating", "agencies", "count", "agencies with an agreement"),
                                             ("participating", "agreements", "n_states", "states (and DC) with any"),
                                             ("pending", "agreements", "count", "applications pending")):  # fmt: skip
            snap = self.newest(kind)
            if snap is None:
                continue
            ev = measures.evaluate(measures.Measure(kind=kind, unit=unit, statistic=statistic), snap["published"], self.panel)
            out.append({"label": label, "value": ev.value, "unit": "states" if statistic == "n_states" else unit,
                        "kind": kind, "file": snap["file"], "published": snap["published"].isoformat(),
                        "edition": snap["edition"]})  # fmt: skip
        return out

    # ------------------------------------------------------------------ report files

    @cached_property
    def recheck(self) -> list[dict]:
        """recheck's rows (reports/recheck.json), or [] when it has not run."""
        path = self.reports_dir / "recheck.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []

