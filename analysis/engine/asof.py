"""What "as of a date" means, without pandas (the CLI's fast path uses it too).

The snapshot in force on a day D is the latest sheet published on or before D (later editions
of the same day win). Its age is counted from the last day its bytes were seen published, so a
sheet ICE re-posted unchanged is not called stale; past STALE_AFTER_DAYS the answer says so.
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
from collections.abc import Mapping, Sequence

from ..core.dates import parse_iso_date
from ..core.errors import UsageError
from ..core.table_spec import KINDS, UNITS  # noqa: F401 (re-exported: the commands read them here)

BY_CHOICES = {"state": ["state"], "model": ["model"], "state,model": ["state", "model"], "model,state": ["state", "model"]}
STALE_AFTER_DAYS = 14


def parse_date(value: str | dt.date) -> dt.date:
    """A day as people give it: strictly ``YYYY-MM-DD`` (core.dates)."""
    return parse_iso_date(value)


def live_days(snap: Mapping) -> list[dt.date]:
    """Every day these bytes were seen published: the sheet's own date and the re-posts of the same
    bytes (``also_live_on``). The one reading of a re-post, for ages and for the newest sheet's reach."""
    seen = [_day(snap["published"])]
    also = snap.get("also_live_on")
    if isinstance(also, str) and also:
        seen += [dt.date.fromisoformat(x) for x in also.split(";")]
    return seen


def confirmed_until(snap: Mapping) -> dt.date:
    """The last day the sheet was seen live: the stored ``confirmed_until`` (archive), else the latest
    of its live days (a curated table or a cache row, which keep ``also_live_on`` only)."""
    stored = snap.get("confirmed_until")
    if stored is not None and stored == stored and stored != "":  # NaT/NaN compare unequal to themselves
        return _day(stored)
    return max(live_days(snap))


def _last_seen_live(snap: Mapping, as_of: dt.date) -> dt.date:
    """The last day on or before as_of that these bytes were seen published (archive: re-posts count)."""
    days = live_days(snap)
    return max([d for d in days if d <= as_of] or days[:1])


def refuse_after_newest(day: dt.date, kind: str | None, newest: Mapping | None) -> None:
    """Refuse a date after the last day the newest sheet was seen live (its ``confirmed_until``):
    the answer would be that sheet as if it were the list on that day."""
    if newest is None:
        return
    if day > confirmed_until(newest):
        what = f"{kind} sheet" if kind else "sheet"
        raise UsageError(f"{day} is after the newest {what} ({newest['file']}, published {_day(newest['published'])}); "
                         "no data for that date yet (a newer sheet can be added with `python -m analysis add-sheet`)")


def _day(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if hasattr(value, "date") and callable(value.date):  # a pandas Timestamp
        return value.date()
    return dt.date.fromisoformat(str(value)[:10])


def in_force_position(published: Sequence[dt.date], day: dt.date, *, kind: str, newest: Mapping | None = None) -> int:
    """THE rule for "the sheet in force on ``day``", for every reader (the engine's panel, the counts
    cache, the commands): the position, in ``published`` (one kind's sheets in publication order,
    later same-day editions after earlier ones), of the latest sheet published on or before ``day``.

    Refused before the first sheet, and after the last day the newest sheet was seen live
    (``newest``: its record; its ``confirmed_until``): the list may have changed since.
    """
    i = bisect.bisect_right(published, day)
    if i == 0:
        raise UsageError(f"{day} is before the first {kind} sheet ({published[0] if published else 'none'}); "
                         "no data for that date")  # fmt: skip
    refuse_after_newest(day, kind, newest)
    return i - 1


def snapshot_info(snap: Mapping, as_of: dt.date) -> dict:
    last_seen = _last_seen_live(snap, as_of)
    age = (as_of - last_seen).days
    info = {
        "id": snap["snapshot_id"],
        "file": snap["file"],
        "published": snap["published"].isoformat(),
        "edition": snap["edition"],
        "source": snap["source_note"],
        "days_before_as_of": age,
    }
    if last_seen != snap["published"]:
        info["last_seen_live"] = last_seen.isoformat()
    note = duplicate_note(snap.get("rows_duplicate"))
    if note:
        info["duplicate_note"] = note
    if age > STALE_AFTER_DAYS:
        info["stale_note"] = (f"the sheet in force was last seen published {age} days before the date asked "
                              f"(threshold {STALE_AFTER_DAYS} days); the list may have changed since")  # fmt: skip
    return info


def duplicate_note(dropped) -> str:
    """What a count on a sheet with exact duplicate rows says ('' when it has none, or for tables
    built before the count was kept)."""
    try:
        n = int(dropped or 0)
    except (TypeError, ValueError):  # NaN: a snapshots table without the column
        n = 0
    if n <= 0:
        return ""
    return (f"{n} exact duplicate row{'s' if n > 1 else ''} dropped: ICE printed {'them' if n > 1 else 'it'} twice, "
            "counted once (corrections.csv, rule row_exact_duplicate)")


def to_json(result: dict) -> str:
    return json.dumps(result, indent=2, sort_keys=False, ensure_ascii=False) + "\n"
