"""The one reader: which processed sheets answer, and the sheet in force on a day.

Every door (query, diff, check, map, recheck, the figures, the statistics, the report) reads ICE's
sheets through a :class:`Panel`, so one question has one answer. The default source is decided once
(:func:`default_source`): the archive panel (every sheet ICE posted, day by day) when it is built
and current, else the 38 curated sheets; every answer names the panel it used. "The sheet in force"
is ``asof.in_force_position``, the rule the pandas-free counts cache applies too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from ..core.paths import Project
from ..core.errors import StaleOutputError, UsageError
from ..store.freshness import default_source
from .asof import in_force_position, parse_date

SOURCES = ("archive", "curated")
#: what a command may ask for: a source, or "auto" for the default (archive when built and current)
SOURCE_CHOICES = ("auto", *SOURCES)
#: the cells of a counted row a reader needs to find it in ICE's sheet, as printed, then as cleaned
EVIDENCE_COLUMNS = ["snapshot_id", "file", "row", "state_raw", "agency_raw", "support_type_raw", "county_raw",
                    "state", "agency_id", "model", "agreement_id", "county_fips", "geo_level"]  # fmt: skip
#: read too when the table has them: what places a row in a county (coverage.placed); a table built
#: before county codes has only the first two, and the engine places its rows itself
GEO_READ_COLUMNS = ["agency_name", "jurisdiction_type", "county_fips", "geo_level", "county_share", "geo_rule"]
#: what the engine reads of a sheet: the evidence columns and those the filters and statistics use
READ_COLUMNS = [*(c for c in EVIDENCE_COLUMNS if c not in GEO_READ_COLUMNS), "is_state", "agency", "county"]
#: read when the table has them, for the commands' listings (query's state names, diff's signed dates)
LISTING_COLUMNS = ["state_name", "signed"]
#: what counting rows needs (the batch engine's table of every sheet, the spells' rows): what the
#: engine reads and the evidence's place columns, not the county placing nor the listings
COUNT_COLUMNS = [*READ_COLUMNS, *(c for c in EVIDENCE_COLUMNS if c in GEO_READ_COLUMNS)]


def open_panel(source: Project | Panel, which: str | None = None) -> Panel:
    """The panel a caller asked for: a Panel as is; a project's panel ``which`` ("archive" or
    "curated"; None or "auto": the project's default source). Panels of the same build are shared
    within a process, so a notebook asking a hundred questions reads each sheet once."""
    if isinstance(source, Panel):
        return source
    if not isinstance(source, Project):
        raise TypeError(f"open_panel reads a project's panel: pass a Project or a Panel, not {type(source).__name__}")
    if which is None or which == "auto":
        return _shared(source, default_source(source))
    if which not in SOURCES:
        raise UsageError(f"source must be one of {', '.join(SOURCE_CHOICES)}, not {which!r}")
    return _shared(source, which)


_PANELS: dict[tuple, Panel] = {}


def _stat(path: Path):
    from ..store.freshness import file_stat

    return file_stat(path)


def _shared(project: Project, source: str) -> Panel:
    folder = project.panel_dir(source)
    key = (source, project, _stat(folder / "snapshots.parquet"), _stat(folder / "build_manifest.json"))
    panel = _PANELS.get(key)
    if panel is None:
        panel = Panel(project, source)
        if len(_PANELS) >= 4:
            _PANELS.pop(next(iter(_PANELS)))
        _PANELS[key] = panel
    return panel


class Panel:
    """The processed sheets one engine reads: the archive panel (default) or the curated tables.

    Snapshots are loaded whole (small); agreement rows only for the sheets asked for, so a claims
    file of fifty claims reads a handful of sheets, not the 337,000 rows of the archive.
    """

    def __init__(self, project: Project, source: str = "archive"):
        if source not in SOURCES:
            raise UsageError(f"source must be one of {', '.join(SOURCES)}, not {source!r}")
        self.project = project
        self.base = project.processed
        self.source = source
        self.folder = project.panel_dir(source)
        snapshots_path = self.folder / "snapshots.parquet"
        if not snapshots_path.is_file() or not (self.folder / "agreements.parquet").exists():
            command = "build --archive" if source == "archive" else "build"
            raise StaleOutputError(f"processed tables not found; run `python -m analysis {command}`",
                                   path=self.project.relative(self.folder))  # fmt: skip
        self._open()
        self._sha256: dict[str, str] | None = None
        self._county_agency: dict[tuple, bool] = {}  # coverage.roles' test of each agency name, across sheets

    def _open(self) -> None:
        """Read the sheets' table and note which build it came from; drop what was read of another."""
        from ..core.atomic import folder_identity, read_consistent

        def read():
            return folder_identity(self.folder), pd.read_parquet(self.folder / "snapshots.parquet")

        self._identity, snaps = read_consistent(self.folder, read)
        snaps["published"] = pd.to_datetime(snaps["published"]).dt.date
        self.snapshots = snaps.sort_values(["kind", "published", "edition_order"], ignore_index=True)
        self._rows: dict[str, pd.DataFrame] = {}
        self._derived: dict[tuple, pd.DataFrame] = {}  # tables made from one sheet (derived)
        self._history: pd.DataFrame | None = None
        self._spell_rows: pd.DataFrame | None = None
        self._kinds: dict[str, tuple[pd.DataFrame, list[dt.date], dict | None]] = {}
        self._kind_rows: dict[str, pd.DataFrame] = {}
        self._sheet_at: dict[tuple[str, int], pd.Series] = {}  # in_force's answers, by kind and position

    @classmethod
    def default(cls, project: Project) -> Panel:
        """The archive panel when it is built and current (every sheet, day by day); otherwise the
        curated tables (a fixture project, or right after add-sheet until `build --archive`).
        Each evaluation names its panel, so the choice is never silent."""
        return cls(project, default_source(project))

    def sheets_of(self, kind: str) -> pd.DataFrame:
        """One kind's sheets in publication order (later same-day editions last)."""
        return self._kind(kind)[0]

    def newest(self, kind: str) -> pd.Series:
        return self.snapshots[self.snapshots["kind"] == kind].iloc[-1]

    def _kind(self, kind: str) -> tuple[pd.DataFrame, list[dt.date], dict | None]:
        """One kind's sheets in publication order, their dates (for bisection: a claims file asks
        for the sheet of a day many times) and the newest sheet's record (how far it reaches)."""
        if kind not in self._kinds:
            snaps = self.snapshots[self.snapshots["kind"] == kind].reset_index(drop=True)
            newest = snaps.iloc[-1].to_dict() if len(snaps) else None
            self._kinds[kind] = (snaps, list(snaps["published"]), newest)
        return self._kinds[kind]

    def in_force(self, day: str | dt.date, kind: str) -> pd.Series:
        """The sheet in force on ``day`` (asof.in_force_position: the one rule): refused before the
        first sheet and after the newest sheet's ``confirmed_until``."""
        day = parse_date(day)
        snaps, published, newest = self._kind(kind)
        i = in_force_position(published, day, kind=kind, newest=newest)
        key = (kind, i)
        if key not in self._sheet_at:  # a claims file asks for the same few sheets thousands of times
            self._sheet_at[key] = snaps.iloc[i]
        return self._sheet_at[key]

    def load(self, snapshot_ids: Iterable[str]) -> None:
        """Read the rows of several sheets in one pass (the claims of a file share a few sheets)."""
        wanted = sorted(set(snapshot_ids) - set(self._rows))
        if wanted:
            self.table_of(wanted)  # read by sheet, then row, and kept a slice per sheet

    def table_of(self, snapshot_ids: Iterable[str], *, counting: bool = False, keep: Iterable[str] = ()) -> pd.DataFrame:
        """Several sheets' rows as one table, by sheet (snapshot_id) then row: the rows ``rows`` gives,
        sheet after sheet, each sheet kept; read in one pass (one array per column: a table glued from
        hundreds of sheets would make every later take gather hundreds of pieces). ``counting``: only
        COUNT_COLUMNS, read afresh and not kept (the batch engine filters such a table once for all of a
        claims file's sheets; a season's 200 sheets decode a fifth faster), unless ``keep`` names sheets
        not yet kept: then every column is read, in the same pass, and those sheets are kept as ``load``
        keeps them (each read decodes the whole agreements table, some 60 ms, however few sheets it keeps)."""
        sids = sorted(set(snapshot_ids))
        if counting:
            kept = set(keep) - set(self._rows)
            if kept:
                return self._kept(self._read_agreements(sorted({*sids, *kept})), kept)
            return self._read_agreements(sids, columns=COUNT_COLUMNS) if sids else pd.DataFrame(columns=COUNT_COLUMNS)
        if all(s in self._rows for s in sids):
            return pd.concat([self._rows[s] for s in sids], ignore_index=True) if sids else pd.DataFrame(columns=READ_COLUMNS)
        return self._kept(self._read_agreements(sids), sids)

    def _kept(self, frame: pd.DataFrame, sids: Iterable[str]) -> pd.DataFrame:
        """``frame`` (a read, by sheet then row) after keeping a slice of it for each of ``sids`` not kept yet."""
        import numpy as np

        wanted = set(sids) - set(self._rows)
        codes, names = pd.factorize(frame["snapshot_id"])
        starts = np.flatnonzero(np.diff(codes, prepend=-1))
        for start, stop in zip(starts, [*starts[1:], len(frame)]):
            if names[codes[start]] in wanted:
                self._rows[names[codes[start]]] = frame.iloc[start:stop].reset_index(drop=True)
        for sid in wanted - set(self._rows):  # a sheet without rows
            self._rows[sid] = frame.iloc[0:0].reset_index(drop=True)
        return frame

    def _read_agreements(self, wanted: list[str], pairs: dict | None = None, columns: list[str] | None = None) -> pd.DataFrame:
        """The rows of the ``wanted`` sheets from the build this panel's sheets table came from. Readers
        take no lock (lock.py): when a writer swapped in a new build, the panel re-reads the sheets
        table and goes on only if the sheets asked for are the same bytes in the new build."""
        from ..core.atomic import folder_identity

        for _ in range(5):
            now = folder_identity(self.folder)
            if now != self._identity:
                self._reopen(wanted)
            frame = self._read_rows(wanted, pairs, columns)
            if folder_identity(self.folder) == self._identity:
                return frame
        raise StaleOutputError("the processed tables were rebuilt again and again while being read; run the command again",
                               path=self.project.relative(self.folder))  # fmt: skip

    def _reopen(self, wanted: list[str]) -> None:
        before = self.snapshots.set_index("snapshot_id")["sha256"]
        self._open()
        self._kinds.clear()
        self._kind_rows.clear()
        self._derived.clear()
        self._history = None
        self._spell_rows = None
        after = self.snapshots.set_index("snapshot_id")["sha256"]
        changed = [s for s in wanted if s not in after.index or after[s] != before.get(s)]
        if changed:
            raise StaleOutputError(f"the processed tables were rebuilt while being read and sheet {changed[0]} changed; "
                                   "run the command again", path=self.project.relative(self.folder))  # fmt: skip

    def _read_rows(self, wanted: list[str], pairs: dict | None = None, columns: list[str] | None = None) -> pd.DataFrame:
        """The rows of the ``wanted`` sheets, as ``pd.read_parquet`` gives them, by sheet (snapshot_id)
        then row. The archive's parts are split by agency, so every part is read; its text columns are
        read dictionary-encoded (ICE repeats the same cells down and across sheets), filtered and
        sorted, then decoded: half the time of decoding every row's text (a third of a check of 50
        claims), and a sort of encoded rows takes a third of the time of a sort of decoded ones.
        ``pairs`` ({column: [(snapshot_id, value), ...]}) keeps only the rows whose sheet and value in
        one of those columns are a pair listed (spell_rows); ``columns`` reads those alone (those the table has)."""
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        path = self.folder / "agreements.parquet"
        schema = self._agreements_schema()
        full = READ_COLUMNS + [c for c in GEO_READ_COLUMNS + LISTING_COLUMNS if c in schema.names]  # a table built before county codes has fewer
        columns = full if columns is None else [c for c in columns if c in schema.names]
        text = [c for c in columns if pa.types.is_string(schema.field(c).type) or pa.types.is_large_string(schema.field(c).type)]
        table = pq.read_table(path, columns=columns, filters=[("snapshot_id", "in", wanted)], read_dictionary=text,
                              use_pandas_metadata=True)  # fmt: skip
        if pairs:
            table = table.filter(_pair_mask(table, pairs))
        keys = pa.table({"sheet": table["snapshot_id"].cast(pa.string()), "row": table["row"]})
        table = table.take(pc.sort_indices(keys, [("sheet", "ascending"), ("row", "ascending")]))  # sorted still encoded
        decoded = pa.schema([f.with_type(schema.field(f.name).type) if f.name in text else f for f in table.schema],
                            metadata=table.schema.metadata)  # fmt: skip
        return table.cast(decoded).to_pandas()

    def _agreements_schema(self):
        """The agreements table's arrow schema (its columns and their types)."""
        import pyarrow.dataset as ds

        return ds.dataset(self.folder / "agreements.parquet").schema

    def county_population(self) -> pd.DataFrame:
        """Census Vintage 2024 county population (50 states + DC; processed by `build`)."""
        path = self.base / "county_population.parquet"
        if not path.is_file():
            raise StaleOutputError("the county population table is not built; run `python -m analysis build`",
                                   path=self.project.relative(path))  # fmt: skip
        return self.derived(("county_population",), lambda: pd.read_parquet(path))

    def derived(self, key: tuple, make) -> pd.DataFrame:
        """``make()`` once per key in this panel's life (a claims file asks the same sheet's county
        table, and the county population, again and again); a copy each time, so a caller's edit
        does not leak."""
        if key not in self._derived:
            self._derived[key] = make()
        return self._derived[key].copy()

    def gazetteer(self):
        """geography's county matcher over this panel's processed tables (cached)."""
        if getattr(self, "_gazetteer", None) is None:
            from ..clean import geography

            places = self.base / "place_county.parquet"
            if not places.is_file():
                raise StaleOutputError("the place-to-county crosswalk is not built; run `python -m analysis build`",
                                       path=self.project.relative(places))  # fmt: skip
            self._gazetteer = geography.Gazetteer(self.county_population(), pd.read_parquet(places),
                                                  geography.load_aliases())  # fmt: skip
        return self._gazetteer

    def rows(self, snapshot_id: str) -> pd.DataFrame:
        self.load([snapshot_id])
        return self._rows[snapshot_id]

    def kind_rows(self, kind: str) -> pd.DataFrame:
        """Every row of every sheet of ``kind``, in publication order then sheet row (series() reads
        them once and groups by sheet instead of loading a thousand sheets one by one; kind_roles
        places them, so every column a read gives, the agency's name and jurisdiction type included)."""
        import numpy as np

        if kind not in self._kind_rows:
            sids = self._kind(kind)[0]["snapshot_id"].tolist()
            frame = self._read_agreements(sids) if sids else pd.DataFrame(columns=READ_COLUMNS)
            position = frame["snapshot_id"].map({sid: i for i, sid in enumerate(sids)}).to_numpy()
            frame = frame.take(np.lexsort((frame["row"].to_numpy(), position)))  # stable: each sheet's rows stay in row order
            self._kind_rows[kind] = frame.reset_index(drop=True)
        return self._kind_rows[kind]

    def state_group(self, name: str) -> list[str]:
        """The 50 states and DC in a named group, from the processed 2024 election table."""
        path = self.base / "election_2024.parquet"
        if not path.is_file():
            raise StaleOutputError("the 2024 election table is not built; run `python -m analysis build`",
                                   path=self.project.relative(path))  # fmt: skip
        votes = pd.read_parquet(path)
        won = votes["harris_votes"] > votes["trump_votes"]
        chosen = votes[won] if name == "harris-2024" else votes[~won]
        return sorted(chosen["state"])

    def neighbours(self, day: str | dt.date, kind: str) -> list[tuple[str, pd.Series]]:
        """The sheet before the one in force, the one in force, and the next one: does a verdict hang
        on an inferred date? At the archive's resolution these are the sheets ICE posted around it."""
        current = self.in_force(day, kind)
        snaps = self._kind(kind)[0]
        i = int(current.name)  # its position among the kind's sheets
        out = [("previous", snaps.iloc[i - 1])] if i > 0 else []
        out.append(("in force", current))
        out += [("next", snaps.iloc[i + 1])] if i + 1 < len(snaps) else []
        return out

    def trac(self) -> pd.DataFrame:
        """TRAC's county table of pending cases (processed by `build`)."""
        path = self.base / "trac_county.parquet"
        if not path.is_file():
            raise StaleOutputError("TRAC's county table is not built; run `python -m analysis build`",
                                   path=self.project.relative(path))  # fmt: skip
        return self.derived(("trac",), lambda: pd.read_parquet(path, columns=["fips", "state", "county", "pending"]))

    def roles(self, snapshot_id: str) -> pd.DataFrame:
        """coverage.roles of a sheet's rows, once per sheet (a day's population and per-resident claims
        both need it); the gazetteer is read only for a table without county codes."""
        from . import coverage

        return self.derived(("coverage.roles", snapshot_id),
                            lambda: coverage.roles(self.rows(snapshot_id), self.gazetteer, self._county_agency))  # fmt: skip

    def kind_roles(self, kind: str) -> pd.DataFrame:
        """coverage.roles of every row of every sheet of ``kind`` (kind_rows), once: the population
        statistics over time place all sheets' rows in one pass, by the rule each sheet's roles use."""
        from . import coverage

        return self.derived(("coverage.roles", "kind", kind),
                            lambda: coverage.roles(self.kind_rows(kind), self.gazetteer, self._county_agency))  # fmt: skip

    def sha256_of(self, rel: str) -> str:
        """A registered raw file's sha256, as the registry pins it (read once per panel: each
        per-resident claim cites two files)."""
        if self._sha256 is None:
            from ..ingest import registry

            self._sha256 = {}
            for e in registry.load(self.project):
                self._sha256.setdefault(e.path, e.sha256)  # the first entry of a path, as a search finds it
        return self._sha256.get(rel, "")

    def history(self) -> pd.DataFrame:
        """The archive's spells (first and last sheet listing each agreement or agency)."""
        path = self.folder / "history.parquet"
        if self.source != "archive" or not path.is_file():
            raise UsageError("added and removed need the archive panel's history; use the archive source "
                             "(`python -m analysis build --archive`)")  # fmt: skip
        if self._history is None:
            self._history = pd.read_parquet(path)
        return self._history

    def spell_rows(self) -> pd.DataFrame:
        """Each history spell's rows on the first and the last sheet that listed it (an agreement's row,
        an agency's rows), by sheet then row: what ``added`` and ``removed`` count (measures.change_rows),
        read once instead of every sheet a change touches (a national count of removals touches hundreds)."""
        if self._spell_rows is None:
            h = self.history()
            pairs = {}
            for unit, column in (("agreement", "agreement_id"), ("agency", "agency_id")):
                mine = h[h["unit"] == unit]
                pairs[column] = [*zip(mine["first_snapshot"], mine["id"]), *zip(mine["last_snapshot"], mine["id"])]
            sheets = sorted({sid for listed in pairs.values() for sid, _ in listed})
            self._spell_rows = self._read_agreements(sheets, pairs, COUNT_COLUMNS) if sheets else self.rows(self.snapshots["snapshot_id"].iloc[0]).iloc[0:0]
        return self._spell_rows


def _pair_mask(table, pairs: dict):
    """Which rows of an Arrow table have (snapshot_id, table[column]) among ``pairs[column]`` for some
    column, found on the columns' dictionary codes (integers), nothing decoded."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    table = table.unify_dictionaries()

    def codes(column: str) -> tuple[np.ndarray, pa.Array]:
        chunks = table[column].chunks
        dictionary = chunks[0].dictionary if chunks else pa.array([], pa.string())
        found = [pc.fill_null(c.indices.cast(pa.int64()), -1).to_numpy() for c in chunks]
        return (np.concatenate(found) if found else np.zeros(0, np.int64)), dictionary

    sheet, sheets = codes("snapshot_id")
    mask = np.zeros(table.num_rows, dtype=bool)
    for column, listed in pairs.items():
        value, values = codes(column)
        if not listed or not len(values):
            continue
        a, b = zip(*listed)
        a = pc.index_in(pa.array(a, pa.string()), value_set=sheets.cast(pa.string())).to_numpy(zero_copy_only=False)
        b = pc.index_in(pa.array(b, pa.string()), value_set=values.cast(pa.string())).to_numpy(zero_copy_only=False)
        known = ~(np.isnan(a) | np.isnan(b)) if a.dtype.kind == "f" or b.dtype.kind == "f" else np.ones(len(a), bool)
        width = len(values) + 1
        wanted = np.unique(a[known].astype(np.int64) * width + b[known].astype(np.int64))
        mask |= (sheet >= 0) & (value >= 0) & np.isin(sheet * width + value, wanted)
    return pa.array(mask)
