"""What "as of a date" means, without pandas (the CLI's fast path uses it too).

The snapshot in force on a day D is the latest sheet published on or before D (later editions
of the same day win). Its age is counted from the last day its bytes were seen published, so a
sheet ICE re-posted unchanged is not called stale; past STALE_AFTER_DAYS the answer says so.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping

from ..core.dates import parse_iso_date
from ..core.errors import UsageError

UNITS = ("agreements", "agencies")
KINDS = ("participating", "pending")
BY_CHOICES = {"state": ["state"], "model": ["model"], "state,model": ["state", "model"], "model,state": ["state", "model"]}
STALE_AFTER_DAYS = 14


def parse_date(value: str | dt.date) -> dt.date:
    """A day as people give it: strictly ``YYYY-MM-DD`` (core.dates)."""
    return parse_iso_date(value)


def _last_seen_live(snap: Mapping, as_of: dt.date) -> dt.date:
    """The last day on or before as_of that these bytes were seen published (archive: re-posts count)."""
    seen = [snap["published"]]
    also = snap.get("also_live_on")
    if isinstance(also, str) and also:
        seen += [d for d in (dt.date.fromisoformat(x) for x in also.split(";")) if d <= as_of]
    return max(seen)


def refuse_after_newest(day: dt.date, kind: str | None, newest: Mapping | None) -> None:
    """Refuse a date after the last day the newest sheet was seen published: the commands would
    otherwise answer with that sheet as if it were the list on that day (the library's families
    still read the sheet in force, with a stale note, for claims dated in a gap)."""
    if newest is None:
        return
    published = newest["published"]
    if isinstance(published, str):
        published = dt.date.fromisoformat(published[:10])
    newest = {**dict(newest), "published": published}
    if day > _last_seen_live(newest, day):
        what = f"{kind} sheet" if kind else "sheet"
        raise UsageError(f"{day} is after the newest {what} ({newest['file']}, published {published}); "
                         "no data for that date yet (a newer sheet can be added with `python -m analysis add-sheet`)")


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
