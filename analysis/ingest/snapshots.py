"""Snapshot metadata: which sheet was in force on a given day.

A snapshot is one ICE sheet (or one transcription of ICE's HTML table) with its publication
date and edition. Editions order sheets posted on the same day: am < mid < pm, and Wayback
captures by their UTC time of day.
"""

from __future__ import annotations

import re

EDITION_SECONDS = {"": 12 * 3600, "am": 9 * 3600, "mid": 12 * 3600, "pm": 17 * 3600}
_HHMMSS = re.compile(r"^(\d{2})(\d{2})(\d{2})$")


def edition_order(edition: str) -> int:
    """Seconds into the day used to order same-day editions (am, mid, pm, pm2, amB, hhmmss)."""
    e = (edition or "").strip().lower()
    if e in EDITION_SECONDS:
        return EDITION_SECONDS[e]
    m = _HHMMSS.match(e)
    if m:
        return int(m[1]) * 3600 + int(m[2]) * 60 + int(m[3])
    for base in ("am", "mid", "pm"):
        if e.startswith(base):  # a second posting of that edition (pm2, amB, pm_b)
            return EDITION_SECONDS[base] + 1800
    return EDITION_SECONDS[""]


def snapshot_id(path: str) -> str:
    """Stable id of a snapshot: the registered file name without extension."""
    return path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
