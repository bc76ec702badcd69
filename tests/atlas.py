"""A tiny us-atlas for the map tests: squares as TopoJSON (read by GDAL's driver like the real
file), and the Census and Geocorr tables the county rules and per-capita values read.

The fixture sheets (workbooks.py) place rows in Hardee, Marion (FL), Berrien (MI) and Harris (TX)
counties; Harris has no square here on purpose, so it must come back as unjoined.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from projectcopy import reseal

# id -> (name, x, y) of a 10x10 square in the atlas's plane
STATES = {"02": ("Alaska", 0, 60), "09": ("Connecticut", 90, 10), "12": ("Florida", 70, 50), "15": ("Hawaii", 20, 60),
          "26": ("Michigan", 60, 10), "30": ("Montana", 10, 10), "48": ("Texas", 40, 40)}  # fmt: skip
COUNTIES = {"02020": ("Anchorage", 0, 60), "09003": ("Hartford", 90, 10), "12049": ("Hardee", 70, 50),
            "12083": ("Marion", 80, 50), "15001": ("Hawaii", 20, 60), "26021": ("Berrien", 60, 10),
            "30049": ("Lewis and Clark", 10, 10), "48303": ("Lubbock", 40, 40)}  # fmt: skip
STATE_POP = {"02": ("AK", "Alaska", 740_000), "09": ("CT", "Connecticut", 3_675_000), "12": ("FL", "Florida", 23_372_000),
             "15": ("HI", "Hawaii", 1_446_000), "26": ("MI", "Michigan", 10_140_000), "30": ("MT", "Montana", 1_137_000),
             "48": ("TX", "Texas", 31_290_000)}  # fmt: skip
COUNTY_POP = {"02020": ("AK", "Anchorage Municipality", 289_000), "09110": ("CT", "Capitol Planning Region", 991_508),
              "12049": ("FL", "Hardee County", 25_000), "12083": ("FL", "Marion County", 400_000),
              "15001": ("HI", "Hawaii County", 207_000), "26021": ("MI", "Berrien County", 152_000),
              "30049": ("MT", "Lewis and Clark County", 73_000), "48201": ("TX", "Harris County", 5_000_000),
              "48303": ("TX", "Lubbock County", 320_000)}  # fmt: skip
PLACES = [("CT", "37000", "Hartford city, CT", "09003", "Hartford CT", 121054, 1.0),
          ("TX", "45000", "Lubbock city, TX", "48303", "Lubbock TX", 257141, 1.0)]  # fmt: skip


def topology(layers: dict[str, dict[str, tuple[str, int, int]]]) -> dict:
    """A TopoJSON topology with one closed arc per square, unquantized."""
    arcs, objects = [], {}
    for layer, shapes in layers.items():
        geometries = []
        for fid, (name, x, y) in shapes.items():
            arcs.append([[x, y], [x + 10, y], [x + 10, y + 10], [x, y + 10], [x, y]])
            geometries.append({"type": "Polygon", "arcs": [[len(arcs) - 1]], "id": fid, "properties": {"name": name}})
        objects[layer] = {"type": "GeometryCollection", "geometries": geometries}
    return {"type": "Topology", "objects": objects, "arcs": arcs}


def write(root: Path) -> None:
    """The atlas under data/raw/us_atlas and the population and crosswalk tables under data/processed."""
    atlas = root / "data" / "raw" / "us_atlas"
    atlas.mkdir(parents=True, exist_ok=True)
    (atlas / "states-albers-10m.json").write_text(json.dumps(topology({"states": STATES})))
    (atlas / "counties-albers-10m.json").write_text(json.dumps(topology({"counties": COUNTIES, "states": STATES})))
    # the site's interactive maps read the unprojected atlas (longitude, latitude): the same squares do
    (atlas / "counties-10m.json").write_text(json.dumps(topology({"counties": COUNTIES, "states": STATES})))
    processed = root / "data" / "processed"
    pd.DataFrame([(f, s, n, p, True) for f, (s, n, p) in STATE_POP.items()],
                 columns=["fips", "state", "state_name", "population_2024", "is_state"]).to_parquet(processed / "population.parquet")
    pd.DataFrame([(f, s, n, p) for f, (s, n, p) in COUNTY_POP.items()],
                 columns=["fips", "state", "county_name", "population_2024"]).to_parquet(processed / "county_population.parquet")
    pd.DataFrame(PLACES, columns=["state", "place_code", "place_name", "county_fips", "county_name", "pop20", "share"]
                 ).to_parquet(processed / "place_county.parquet")  # fmt: skip
    reseal(processed)
