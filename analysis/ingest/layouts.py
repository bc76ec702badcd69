"""ICE's sheet layouts (see ../shared/data/raw/ice_287g/LAYOUTS.md) and how to recognise them.

The layout is decided by the header row alone; the kind (participating vs pending) by content:
a SIGNED column means participating. ICE once swapped the two files, so names are not trusted.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from ..core.errors import UnknownLayoutError


@dataclass(frozen=True)
class Layout:
    id: str
    kind: str
    columns: tuple[str, ...]
    note: str


LAYOUTS: dict[str, Layout] = {
    lay.id: lay
    for lay in (
        Layout("P0", "participating", ("STATE", "LAW ENFORCEMENT AGENCY", "SUPPORT TYPE", "SIGNED", "MOA"),
               "RelevantResearch's transcription of ICE's HTML table (not an ICE file); 2021-01 to 2025-02-19"),
        Layout("P1", "participating", ("STATE", "LAW ENFORCEMENT AGENCY", "TYPE", "SUPPORT TYPE", "SIGNED", "MOA"),
               "ICE workbook, 2025-02-21 to 2025-03-09"),
        Layout("P2", "participating", ("STATE", "LAW ENFORCEMENT AGENCY", "TYPE", "COUNTY", "SUPPORT TYPE", "SIGNED", "MOA"),
               "ICE workbook, 2025-03-17 to 2025-06-27"),
        Layout("P3", "participating",
               ("STATE", "LAW ENFORCEMENT AGENCY", "TYPE", "COUNTY", "SUPPORT TYPE", "SIGNED", "MOA", "ADDENDUM"),
               "ICE workbook, 2025-07-01 onwards"),
        Layout("Q1", "pending", ("STATE", "LAW ENFORCEMENT AGENCY", "TYPE", "SUPPORT TYPE"),
               "ICE pending workbook, 2025-02-21 to 2025-03-16"),
        Layout("Q2", "pending", ("STATE", "LAW ENFORCEMENT AGENCY", "TYPE", "COUNTY", "SUPPORT TYPE"),
               "ICE pending workbook, 2025-03-17 to 2026-01-07"),
        Layout("Q3", "pending", ("STATE", "LAW ENFORCEMENT AGENCY", "TYPE", "COUNTY", "SUPPORT TYPE", "MOA"),
               "ICE pending workbook, 2026-01-08 onwards"),
    )
}

# Columns every layout has; without them no row can be counted.
REQUIRED = ("STATE", "LAW ENFORCEMENT AGENCY", "SUPPORT TYPE")


def clean_header(cells: list) -> tuple[str, ...]:
    """Header cells as compared: stripped, upper-cased, trailing empty cells dropped."""
    out = [" ".join(str(c).split()).upper() if c is not None else "" for c in cells]
    while out and not out[-1]:
        out.pop()
    return tuple(out)


def closest_layout(header: tuple[str, ...]) -> tuple[Layout, float]:
    scored = [(difflib.SequenceMatcher(None, header, lay.columns).ratio(), lay.id) for lay in LAYOUTS.values()]
    score, best = max(scored)
    return LAYOUTS[best], score


def detect(header: tuple[str, ...], *, path: str) -> Layout:
    for lay in LAYOUTS.values():
        if header == lay.columns:
            return lay
    from ..core.errors import MissingColumnError

    closest, _ = closest_layout(header)
    missing = [c for c in REQUIRED if c not in header]
    found = ", ".join(header) if header else "(empty)"
    if missing:
        raise MissingColumnError(
            f"required column(s) {', '.join(missing)} missing; header found: {found}; closest known layout {closest.id}",
            path=path,
        )
    raise UnknownLayoutError(
        f"header matches no known layout: {found}; closest known layout {closest.id} ({', '.join(closest.columns)})",
        path=path,
    )
