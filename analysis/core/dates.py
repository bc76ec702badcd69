"""The one way a date is read from a person: ``YYYY-MM-DD``, a real calendar day, nothing else.

``datetime.date.fromisoformat`` (Python 3.11) also takes ``20251129``, ``2025-W48-6`` and
``2025-333``, and a TOML file can hold a bare integer or a date and time; each of those was once
taken as a day nobody meant. Every date a user types (command-line flags, claims files, notebook
parameters, ``--published``) goes through here.
"""

from __future__ import annotations

import datetime as dt
import re

from .errors import UsageError

#: the only text form of a date: four-digit year, two-digit month and day
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
ISO_DATE_PATTERN = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"  # the same, as JSON Schema writes it


def parse_iso_date(value: object) -> dt.date:
    """A ``datetime.date`` (not a date and time) or ``YYYY-MM-DD`` text -> the date; anything else is
    a UsageError saying what was given."""
    if isinstance(value, dt.datetime):
        raise UsageError(f"not a date (YYYY-MM-DD): {value.isoformat()!r} is a date and time")
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        raise UsageError(f"not a date (YYYY-MM-DD): {value!r} is not text")
    if ISO_DATE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise UsageError(f"not a date (YYYY-MM-DD): {value!r}")
