"""Choropleth maps of the 287(g) sheet in force on a day, by state or by county.

Why: readers look at maps first, and the articles' claims are about places. A map here is a
table first (:func:`map_data`: one row per geometry id with its count, population and value,
plus what could not be drawn), so tests check the numbers, and a figure second (:func:`draw`).

- The sheet is the one the engine uses on that day (``measures.Panel``: the archive panel at day
  resolution when it is built and current, else the curated tables), counted with the engine's
  one definition (``measures.table``: agreements are rows, agencies distinct agency ids).
- Geometry: the Census cartographic boundaries of us-atlas (2017), Albers-projected with Alaska
  and Hawaii already placed as insets, read with geopandas (GDAL's TopoJSON driver).
- Not drawn, and counted in the map's note: rows in territories (the atlas draws none), and at
  county level the statewide agreements (state agencies: no county) and the rows no rule placed.
- Per capita: per 100,000 residents, Census Vintage 2024. Connecticut's counties have none: ICE
  and the atlas use the 8 former counties, Census 2024 the 9 planning regions (grey, with a note).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from ..core import paths
from ..engine.asof import KINDS, UNITS, parse_date
from ..core.errors import DataIntegrityError, StaleOutputError, UsageError

if TYPE_CHECKING:  # pandas and geopandas load only when a map is made: the CLI's start-up stays light
    import pandas as pd

LEVELS = ("state", "county")
FORMATS = ("png", "svg")
#: the articles' dates the report's small multiples show; the newest sheet's date is added to them (issue 15)
REPORT_DATES = (dt.date(2025, 1, 20), dt.date(2025, 6, 16), dt.date(2025, 9, 18), dt.date(2025, 11, 29))
#: the claim the report's state map stands beside (its date is the claim's as_of)
FLORIDA_SHARE_CLAIM = "catn-florida-well-over-a-third"
PER = 100_000  # per-capita values are per this many residents
#: level -> (raw file, TopoJSON layer); ids are FIPS codes (2 digits for states, 5 for counties)
ATLAS = {"state": ("us_atlas/states-albers-10m.json", "states"),
         "county": ("us_atlas/counties-albers-10m.json", "counties")}  # fmt: skip
BORDERS = ("us_atlas/counties-albers-10m.json", "states")  # state lines over a county map
GEO_COLUMNS = ["county_fips", "geo_level"]
BOUNDARIES = "Census cartographic boundaries 2017 (us-atlas 3.0.1)"
POPULATION = "Census Vintage 2024 population estimates"
CT_RULE = ("Connecticut: per-capita not available by county (ICE and the atlas use the 8 former counties, "
           "Census 2024 the 9 planning regions)")  # fmt: skip
SINGULAR = {"agreements": "agreement", "agencies": "agency"}
ZERO_COLOUR, MISSING_COLOUR, EDGE = "#e4e4e4", "#ffffff", "#9a9a9a"


@dataclass
class MapData:
    """One row per geometry id (``table``), the sheet, and what is not drawn."""

    table: pd.DataFrame  # id, name, state, count, population, value
    snapshot: dict  # file, sha256, published, edition, panel
    as_of: dt.date
    level: str
    unit: str
    kind: str
    model: tuple[str, ...]
    per_capita: bool
    total: int  # the unit counted on the whole (filtered) sheet
    territories: dict[str, int] = field(default_factory=dict)  # USPS -> count, not drawn
    statewide: int = 0  # county level: state agencies, on no county
    unplaced: int = 0  # county level: rows no rule placed (geography.unplaced lists them)
    unjoined: dict[str, int] = field(default_factory=dict)  # ids with rows but no geometry -> count
    no_population: list[str] = field(default_factory=list)  # per capita: drawn ids without a population (hatched)

    @property
    def drawn(self) -> int:
        return int(self.table["count"].sum())

    @property
    def areas(self) -> int:
        return int((self.table["count"] > 0).sum())

    def what(self) -> str:
        model = f" (model {'/'.join(self.model)})" if self.model else ""
        return f"{self.kind} 287(g) {self.unit}{model}"

    def n(self, count: int) -> str:
        """'1 agreement', '70 agreements': a count with its unit."""
        return f"{count:,} {self.unit if count != 1 else SINGULAR[self.unit]}"

    def note(self) -> str:
        """What is not on the map, in the map's unit; every part computed."""
        u = self.unit
        parts = []
        if self.territories:
            where = ", ".join(f"{k} {v:,}" for k, v in sorted(self.territories.items()))
            parts.append(f"{self.n(sum(self.territories.values()))} in territories ({where})")
        if self.level == "county":
            parts.append(f"{self.n(self.statewide)} statewide (state agencies: no county)")
            parts.append(f"{self.n(self.unplaced)} not placed in a county")
        if self.unjoined:
            parts.append(f"{self.n(sum(self.unjoined.values()))} in areas without geometry ({', '.join(sorted(self.unjoined))})")
        text = "Not drawn: " + "; ".join(parts) + "." if parts else "Every row is drawn."
        if self.per_capita and self.no_population:
            ct = any(i.startswith("09") for i in self.no_population)
            text += (f" Hatched: {areas_n(len(self.no_population), self.level)} without a 2024 population "
                     f"({', '.join(self.no_population)})" + (f"; {CT_RULE}." if ct else "."))
        return text

    def alt(self) -> str:
        """Alt text: the date, the sheet and the counts."""
        return (f"Map of {self.what()} by {self.level} on {self.as_of}, from the sheet {self.snapshot['file']}: "
                f"{self.drawn:,} of {self.n(self.total)} drawn, in {areas_n(self.areas, self.level)}. {self.note()}")


def areas_n(count: int, level: str) -> str:
    """'1 county', '425 counties'."""
    one, many = ("state", "states") if level == "state" else ("county", "counties")
    return f"{count:,} {one if count == 1 else many}"


# --------------------------------------------------------------------------- inputs


def placed(rows: pd.DataFrame) -> pd.DataFrame:
    """county_fips and geo_level of each row: the tidy table's own columns when the build wrote
    them, else geography's rules on the row (the same rules the build uses)."""
    if set(GEO_COLUMNS) <= set(rows.columns):
        return rows[GEO_COLUMNS]
    from ..clean import geography

    for name in ("county_population.parquet", "place_county.parquet"):  # what the rules read
        if not (paths.PROCESSED_DIR / name).is_file():
            raise StaleOutputError("county table not built; run `python -m analysis build`",
                                   path=paths.relative_to_root(paths.PROCESSED_DIR / name))  # fmt: skip
    return geography.place_frame(rows)[GEO_COLUMNS]


@lru_cache(maxsize=4)
def _read_layer(path: str, layer: str):
    import geopandas as gpd

    return gpd.read_file(path, layer=layer)


def geometry(level: str, which: tuple[str, str] | None = None):
    """The level's shapes (id, name, geometry), read once per process."""
    rel, layer = which or ATLAS[level]
    path = paths.RAW_DIR / rel
    if not path.is_file():
        raise DataIntegrityError("map geometry missing; run `python -m analysis fetch`", path=f"data/raw/{rel}")
    return _read_layer(str(path), layer)


def _population(level: str) -> pd.Series:
    """Residents (Census 2024) by FIPS id of the level."""
    import pandas as pd

    name = "population.parquet" if level == "state" else "county_population.parquet"
    path = paths.PROCESSED_DIR / name
    if not path.is_file():
        raise StaleOutputError("population table not built; run `python -m analysis build`",
                               path=paths.relative_to_root(path))  # fmt: skip
    pop = pd.read_parquet(path, columns=["fips", "population_2024"])
    return pop.set_index(pop["fips"].astype(str))["population_2024"]


def _check(level: str, unit: str, kind: str, model: tuple[str, ...]) -> None:
    from ..engine.measures import MODELS

    for name, value, allowed in (("level", level, LEVELS), ("unit", unit, UNITS), ("kind", kind, KINDS)):
        if value not in allowed:
            raise UsageError(f"--{name} must be one of {', '.join(allowed)}, not {value!r}")
    bad = [m for m in model if m not in MODELS]
    if bad:
        raise UsageError(f"--model must be one of {', '.join(MODELS)}, not {bad[0]!r}")


# --------------------------------------------------------------------------- the table


def area_counts(rows: pd.DataFrame, level: str, unit: str) -> tuple[dict[str, int], dict[str, int], int, int]:
    """A sheet's rows counted by the map's areas with the engine's one definition (measures.table):
    ({FIPS id: count}, {territory: count}, statewide, unplaced). Territories are not drawn; at county
    level neither are statewide agreements (state agencies) nor rows no county rule placed."""
    from ..engine import measures
    from ..ingest.census import FIPS_TO_USPS

    in_state = rows["is_state"].astype(bool)
    territories = measures.table(rows[~in_state], "state", unit)
    drawn = rows[in_state]
    if level == "state":
        fips_of = {s: f for f, s in FIPS_TO_USPS.items()}
        return {fips_of.get(k, k): v for k, v in measures.table(drawn, "state", unit).items()}, territories, 0, 0
    where = placed(drawn)
    levels = where["geo_level"].astype("object")
    statewide = measures.size(drawn[levels == "statewide"], unit)
    unplaced = measures.size(drawn[levels == "unknown"], unit)
    on_county = drawn[levels == "county"].assign(_fips=where.loc[levels == "county", "county_fips"].astype(str))
    return measures.table(on_county, "_fips", unit), territories, statewide, unplaced


def map_data(as_of, *, level: str = "state", unit: str = "agreements", model=(), per_capita: bool = False,
             kind: str = "participating", panel=None) -> MapData:
    """The map's numbers on the sheet in force on ``as_of``: one row per geometry id."""
    import pandas as pd

    from ..engine import measures
    from ..ingest.census import FIPS_TO_USPS

    model = tuple(str(m).upper() for m in ((model,) if isinstance(model, str) else model or ()))
    _check(level, unit, kind, model)
    day = parse_date(as_of)
    panel = panel or measures.Panel.default()
    snap = panel.in_force(day, kind)
    shapes, population = geometry(level), _population(level)  # missing inputs refused before any work
    rows = panel.rows(snap["snapshot_id"])  # the engine's reader: the rows every other door counts
    rows = measures._filter(rows, measures.Measure(kind=kind, unit=unit, model=model))
    table = pd.DataFrame({"id": shapes["id"].astype(str), "name": shapes["name"].astype(str)})
    table["state"] = table["id"].str[:2].map(FIPS_TO_USPS)

    counts, territories, statewide, unplaced = area_counts(rows, level, unit)
    known = set(table["id"])
    table["count"] = table["id"].map(counts).fillna(0).astype("int64")
    unjoined = {k: v for k, v in counts.items() if k not in known}
    table["population"] = table["id"].map(population).astype("Int64")
    if per_capita:
        table["value"] = table["count"] / table["population"].astype("float64") * PER  # no population: not available
    else:
        table["value"] = table["count"].astype("float64")
    no_population = sorted(table.loc[table["value"].isna(), "id"]) if per_capita else []
    table = table.sort_values("id", ignore_index=True)
    record = {**measures.snapshot_record(snap, day), "panel": panel.source}
    return MapData(table, record, day, level, unit, kind, model, per_capita, measures.size(rows, unit),
                   territories, statewide, unplaced, unjoined, no_population)  # fmt: skip


# --------------------------------------------------------------------------- classes


def _ladder() -> list[float]:
    return [m * 10.0**k for k in range(-3, 7) for m in (1, 2, 5)]


def classes(values, *, integer: bool, most: int = 6) -> list[float]:
    """Lower bounds of the colour classes: 1-2-5 steps from the smallest positive value up to the
    largest, thinned to at most ``most`` classes (shared by maps that are to be compared)."""
    positive = sorted(v for v in values if v == v and v > 0)
    if not positive:
        return [1.0]
    lo, hi = positive[0], positive[-1]
    ladder = _ladder()
    start = 1.0 if integer else max([x for x in ladder if x <= lo] or [ladder[0]])
    edges = [x for x in ladder if start <= x <= hi and (not integer or x >= 1)] or [start]
    step = 1
    while math.ceil(len(edges) / step) > most:
        step += 1
    return edges[::step]


def _label(edges: list[float], i: int, integer: bool) -> str:
    a = edges[i]
    if i + 1 == len(edges):
        return f"{a:,.0f} or more" if integer else f"{a:g} or more"
    b = edges[i + 1]
    if integer:
        return f"{a:,.0f}" if b - 1 == a else f"{a:,.0f}–{b - 1:,.0f}"
    return f"{a:g} to under {b:g}"


def _bin(values: pd.Series, edges: list[float]) -> pd.Series:
    """Class index of each value (-1: zero, NaN: missing)."""
    import numpy as np
    import pandas as pd

    idx = np.searchsorted(np.asarray(edges), values.to_numpy(dtype="float64"), side="right") - 1
    out = pd.Series(idx, index=values.index, dtype="float64")
    out[values == 0] = -1
    out[values.isna()] = float("nan")
    return out


# --------------------------------------------------------------------------- drawing


def title_of(md: MapData) -> str:
    per = f" per {PER:,} residents" if md.per_capita else ""
    return f"{md.what()[:1].upper() + md.what()[1:]}{per} by {md.level}, {md.as_of}"


#: a small multiple (the report shows two side by side): the note goes to the page's caption, the legend below
COMPACT_FIGSIZE = (5.2, 5.2)


def draw(md: MapData, out: Path | str, *, edges: list[float] | None = None, figsize=(10.0, 6.4), compact: bool = False):
    """Draw and save the map (PNG or SVG by the suffix), byte-stable and atomic; returns the path.
    ``compact``: a small multiple, whose note the caller prints beside it (the report's caption)."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import to_hex
    from matplotlib.patches import Patch, Rectangle

    from ..core import atomic
    from ..analyses import figures

    out = Path(out)
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise UsageError(f"the output must end in .png or .svg, not {out.name!r}")
    integer = not md.per_capita
    edges = edges or classes(md.table["value"], integer=integer)
    snap = md.snapshot
    edition = f", {snap['edition']}" if snap.get("edition") else ""
    if compact:  # the report's section and caption say the rest
        title, subtitle = f"287(g) {md.unit} by {md.level}, {md.as_of}", f"Sheet in force: {Path(snap['file']).name}"
    else:
        title, subtitle = title_of(md), f"Sheet in force: {snap['file']} (published {snap['published']}{edition}). {md.note()}"
    source = (f"ICE 287(g) {md.kind} sheet {snap['file']} ({snap['panel']} panel); {BOUNDARIES}"
              + (f"; {POPULATION}" if md.per_capita else ""))  # fmt: skip
    figsize = COMPACT_FIGSIZE if compact else figsize
    fig, ax = figures.new_figure(title, xlabel="", ylabel="", source=source, subtitle=subtitle, figsize=figsize)
    ax.set_axis_off()
    fig.canvas.draw_idle = lambda *a, **k: None  # geopandas asks for a render after each layer; the save renders once
    shapes = geometry(md.level).assign(id=lambda g: g["id"].astype(str))
    data = shapes.merge(md.table[["id", "value"]], on="id", how="left")
    cls = _bin(data["value"], edges)
    cmap = plt.get_cmap("viridis_r")
    colours = [to_hex(cmap(0.08 + 0.92 * i / max(len(edges) - 1, 1))) for i in range(len(edges))]
    line = 0.15 if md.level == "county" else 0.5
    fill = [colours[int(c)] if c >= 0 else ZERO_COLOUR for c in cls.fillna(-2)]
    fill = [f if c != -2 else MISSING_COLOUR for f, c in zip(fill, cls.fillna(-2))]
    data.plot(ax=ax, color=fill, edgecolor="white", linewidth=line)
    missing = data[cls.isna()]
    if len(missing):
        missing.plot(ax=ax, facecolor=MISSING_COLOUR, edgecolor=EDGE, hatch="/////", linewidth=line)
    if md.level == "county":
        geometry("state", BORDERS).boundary.plot(ax=ax, color="#444444", linewidth=0.5)
    for fips, name in (("02", "Alaska"), ("15", "Hawaii")):  # the atlas's insets, framed and named below
        part = shapes[shapes["id"].str[:2] == fips]
        if len(part):
            x0, y0, x1, y1 = part.total_bounds
            pad = 6
            ax.add_patch(Rectangle((x0 - pad, y0 - pad), x1 - x0 + 2 * pad, y1 - y0 + 2 * pad, fill=False,
                                   edgecolor="#888888", linewidth=0.6, linestyle=(0, (3, 2))))  # fmt: skip
            ax.text(x0 - pad, y1 + pad + 3, name if compact else f"{name} (inset)", fontsize=10, color="#555555",
                    ha="left", va="top", parse_math=False)  # fmt: skip
    x0, y0, x1, y1 = shapes.total_bounds
    ax.set_xlim(x0 - 8, x1 + 8)
    below = 0.3 * (x1 - x0) if compact else 0  # a band under the map for the legend
    ax.set_ylim(y1 + 30 + below, y0 - 8)  # inverted: the atlas's plane is SVG's, y grows downwards; room for the inset labels
    ax.set_aspect("equal")
    counts = [int((cls == i).sum()) for i in range(len(edges))]
    handles = [Patch(facecolor=c, label=f"{_label(edges, i, integer)} ({areas_n(n, md.level)})") for i, (c, n) in enumerate(zip(colours, counts))]
    handles.append(Patch(facecolor=ZERO_COLOUR, label=f"none ({areas_n(int((cls == -1).sum()), md.level)})"))
    if md.per_capita and len(missing):
        handles.append(Patch(facecolor=MISSING_COLOUR, edgecolor=EDGE, hatch="/////",
                             label=f"no 2024 population ({areas_n(len(missing), md.level)})"))  # fmt: skip
    unit = md.unit.capitalize() + (f" per {PER:,} residents" if md.per_capita else " (count)")
    if compact:
        ax.legend(handles=handles, title=unit, frameon=False, alignment="left", loc="lower center", ncols=2)
    else:  # "outside": constrained layout makes room for it at the right of the map
        fig.legend(handles=handles, title=unit, frameon=False, alignment="left", loc="outside right center")
    with atomic.output_errors(out):
        figures.save_figure(fig, out, formats=(fmt,))
    return out


# --------------------------------------------------------------------------- report


def report_dates(panel) -> list[dt.date]:
    """REPORT_DATES and the newest participating sheet's date (read, never typed)."""
    newest = panel.newest("participating")["published"]
    return [*REPORT_DATES, *([newest] if newest not in REPORT_DATES else [])]


def report_figures(folder: Path, florida_as_of: str | None = None) -> dict:
    """The report's maps under ``folder``: county small multiples on REPORT_DATES and the newest
    sheet (shared classes so they compare), and the state map of the Florida-share claim's date.
    Returns {"over_time": [[file name, alt, caption]], "florida": [file name, alt, caption] | None,
    "skipped": [why a date has no map]} (a date outside the sheets, as on a fixture set)."""
    import pandas as pd

    from ..engine import measures

    panel = measures.Panel.default()
    maps, skipped = [], []
    for day in report_dates(panel):
        try:
            maps.append(map_data(day, level="county", panel=panel))
        except UsageError as err:
            skipped.append(str(err))
    edges = classes(pd.concat([m.table["value"] for m in maps]), integer=True) if maps else None
    over_time = []
    for md in maps:
        name = f"map_county_{md.as_of}.png"
        draw(md, folder / name, edges=edges, compact=True)
        over_time.append([name, md.alt(), f"{md.as_of}: {md.drawn:,} of {md.n(md.total)} in {areas_n(md.areas, 'county')} "
                                          f"(sheet {md.snapshot['file']}). {md.note()}"])  # fmt: skip
    florida = None
    if florida_as_of:
        md = map_data(florida_as_of, level="state", panel=panel)
        fl = int(md.table.loc[md.table["state"] == "FL", "count"].sum())
        name = f"map_state_{md.as_of}.png"
        draw(md, folder / name)
        florida = [name, f"{md.alt()} Florida: {fl:,} of {md.n(md.total)}.",
                   f"Florida: {fl:,} of {md.n(md.total)} ({fl / md.total:.1%}) on {md.snapshot['file']}, the sheet in "
                   f"force on {md.as_of}"]  # fmt: skip
    return {"over_time": over_time, "florida": florida, "skipped": skipped}


def report_maps(reports_dir, florida_as_of: str | None = None) -> dict:
    """report_figures under ``reports_dir``/figures/, drawn again only when the data or the code changed
    (a stamp, as for the notebooks: a second reproduce stays fast and byte-identical); the alt texts
    and captions are kept beside them in figures/maps.json. A project without the atlas or the
    population tables gets no maps and a report line saying why."""
    import json
    import time

    from ..core import atomic
    from . import stamps
    from ..core.errors import AnalysisError

    root = Path(reports_dir)
    inputs = {"data": stamps.data_version(), "code": stamps.code_version("publish.maps"), "florida_as_of": str(florida_as_of)}
    index = root / "figures" / "maps.json"
    if stamps.why_run(root, "maps", inputs) is None and index.is_file():
        return json.loads(index.read_text())
    start = time.perf_counter()
    try:
        result = report_figures(root / "figures", florida_as_of)
    except AnalysisError as err:
        result = {"over_time": [], "florida": None, "skipped": [str(err)]}
    atomic.write_text(index, json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    drawn = [x[0] for x in result["over_time"]] + ([result["florida"][0]] if result["florida"] else [])
    stamps.write(root, "maps", inputs, ["figures/maps.json", *(f"figures/{n}" for n in drawn)], time.perf_counter() - start)
    return result


# --------------------------------------------------------------------------- command


def cmd_map(args) -> int:
    from ..store import freshness
    from ..engine import measures

    out = Path(args.out)
    if out.suffix.lower().lstrip(".") not in FORMATS:
        raise UsageError(f"the output must end in .png or .svg, not {out.name!r}")
    if args.model is not None and not args.model.strip():
        raise UsageError("--model is empty: give JEM, TFM or WSO, or leave --model out for every model")
    freshness.refuse_if_tampered()
    panel = measures.Panel.default()
    if panel.source == "curated":
        freshness.warn_if_stale()
    md = map_data(args.as_of, level=args.level, unit=args.unit, model=args.model or (), per_capita=args.per_capita,
                  kind=args.kind, panel=panel)  # fmt: skip
    draw(md, out)
    print(f"wrote {out}: {md.what()} by {md.level} on {md.as_of} from {md.snapshot['file']} ({md.snapshot['panel']} panel): "
          f"{md.drawn:,} of {md.n(md.total)} drawn. {md.note()}")  # fmt: skip
    return 0


def register(sub) -> None:
    from ..ingest import lock

    p = sub.add_parser("map", help="draw a choropleth (state or county) of the sheet in force on a date, as PNG or SVG")
    p.add_argument("--as-of", required=True, help="date YYYY-MM-DD; the sheet in force that day is drawn")
    p.add_argument("--level", default="state", choices=list(LEVELS))
    p.add_argument("--unit", default="agreements", choices=list(UNITS),
                   help="agreements = rows of ICE's sheet; agencies = distinct agency ids")
    p.add_argument("--model", type=str.upper, help="one 287(g) model only: JEM, TFM or WSO")
    p.add_argument("--per-capita", action="store_true", help=f"per {PER:,} residents (Census Vintage 2024)")
    p.add_argument("--kind", default="participating", choices=list(KINDS))
    p.add_argument("out", help="output file, .png or .svg")
    lock.writer(p)  # the map may be written under reports/, which reproduce replaces whole
    p.set_defaults(func=cmd_map)
