"""How an inferred-date claim's number moves across the snapshots around that date.

Some articles print no exact date (Voz: "September 2025"; the CATN blog: "late 2025"), so the
registry infers one and marks the claim ``sensitivity = true``. The family modules then record
the same quantity on the sheet before the one in force, the one in force, and the next one;
the claims table evaluates the verdict on each, so a reader sees whether the verdict hangs on
the inferred date.
"""

from __future__ import annotations

from collections.abc import Callable

from . import query


def around(as_of: str, kind: str = "participating") -> list[tuple[str, str]]:
    """(which, day) for the previous day with a sheet, the day of the sheet in force, and the next one.

    Days, not files: querying a day gives that day's last edition, as the claims do.
    """
    snaps = query.snapshots(kind)
    day = query.parse_date(as_of)
    days = sorted(set(snaps["published"]))
    in_force = max(d for d in days if d <= day)  # query.snapshot_in_force refuses earlier dates first
    out = [("previous", d) for d in days if d < in_force][-1:]
    out.append(("in force", in_force))
    out += [("next", d) for d in days if d > day][:1]
    return [(which, d.isoformat()) for which, d in out]


def values(as_of: str, value_at: Callable[[str], object], kind: str = "participating") -> list[dict]:
    """``value_at(day)`` on each neighbouring day, with the snapshot file that day used."""
    query.snapshot_in_force(as_of, kind)  # a clear UsageError for a date before the first sheet
    out = []
    for which, day in around(as_of, kind):
        snap = query.snapshot_in_force(day, kind)
        out.append({"which": which, "published": day, "edition": snap["edition"], "snapshot": snap["file"],
                    "value": value_at(day)})  # fmt: skip
    return out
