"""Agency lookup: is my sheriff in 287(g)? Every agency ICE ever listed, found by any spelling.

Why: the first thing people ask a tracker is about one agency, typed the way they know it ("dona
ana", "Walker County Sheriff's Office" with a curly or a straight apostrophe). The archive's
history (store/history.py) knows every agency's spells on both lists; this module joins them with
the names the sheets printed and answers a name with the agencies it matches, their agreements
(model, signed date, first and last sheet, status) and the agency's status.

One folding: a query and every printed name go through ``clean.agencies.name_key``, the function
that made the agency ids, so a search finds exactly what the build would call the same name. A
query matches an agency when each of its words starts a word of one of the agency's printed
names, its state code or its state's name ("walker tx", "sheriff dona").

Agency status, from the history's spells (participating list first):
- ``active``: on the newest participating sheet;
- ``re-signed``: active, and one of its agreements was renewed (history status ``re-signed``) or
  it came back after being dropped;
- ``ended``: it was on the participating list and is not on the newest sheet;
- ``pending``: never participating, on the newest pending sheet;
- ``left the pending list``: never participating, and gone from the pending list.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..clean.agencies import name_key

if TYPE_CHECKING:
    import pandas as pd

    from .reader import Panel

STATUSES = ("active", "re-signed", "ended", "pending", "left the pending list")
SHOWN = 20  # the command line prints this many matches, and says how many more


@dataclass
class Agency:
    """One agency ever listed: its names as printed, its status and its agreements (history spells)."""

    agency_id: str
    state: str
    state_name: str
    name: str  # the display name (the most frequent cleaned spelling)
    names: list[str]  # every spelling the sheets printed
    status: str
    kind: str  # the list its first and last sheet are on: participating, else pending
    first_seen: str
    first_snapshot: str
    last_seen: str
    last_snapshot: str
    agreements: list[dict] = field(default_factory=list)  # kind, model, signed, status, first/last seen, removed_by

    def words(self) -> list[str]:
        """What a query's words are matched against: the folded words of every printed name, the
        state code and the state's name."""
        keys = {name_key(n, self.state) for n in [self.name, *self.names]}
        keys |= {self.state.lower(), name_key(self.state_name, "")}
        return sorted({w for k in keys for w in k.split()})

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def query_words(text: str) -> list[str]:
    """A query folded as an agency name is (``name_key``), as words."""
    return name_key(str(text), "").split()


def matches(words: list[str], agency_words: list[str]) -> bool:
    """Every query word starts some word of the agency's (a query with no word matches nothing)."""
    return bool(words) and all(any(w.startswith(q) for w in agency_words) for q in words)


def day_text(value) -> str:
    """A date or timestamp as YYYY-MM-DD; '' for none."""
    return "" if value is None or value != value else str(value)[:10]


def _names(panel: Panel) -> pd.DataFrame:
    """agency_id, agency_name and every printed spelling (``agency``) across all sheets, distinct."""
    import pyarrow.parquet as pq

    columns = ["agency_id", "agency_name", "agency", "state_name"]
    distinct = pq.read_table(panel.folder / "agreements.parquet", columns=columns).group_by(columns).aggregate([])
    return distinct.to_pandas().astype(str).sort_values(["agency_id", "agency"], ignore_index=True)


def agencies(panel: Panel) -> list[Agency]:
    """Every agency ever listed on the panel's sheets, by state and name."""
    spells_of: dict[str, list[dict]] = {}
    deals_of: dict[str, list[dict]] = {}
    history = panel.history().astype(object)
    for r in history.where(history.notna(), None).to_dict("records"):  # plain records: 1,700 small groups
        (spells_of if r["unit"] == "agency" else deals_of).setdefault(r["agency_id"], []).append(r)
    names: dict[str, list[tuple[str, str, str]]] = {}
    for agency_id, name, printed, state_name in _names(panel).itertuples(index=False):
        names.setdefault(agency_id, []).append((name, printed, state_name))
    out = []
    for agency_id in sorted(names):
        mine = spells_of.get(agency_id, [])
        part = [r for r in mine if r["kind"] == "participating"]
        listed = part or [r for r in mine if r["kind"] == "pending"]
        if not listed:
            continue
        own = sorted(deals_of.get(agency_id, []), key=lambda r: (r["kind"], day_text(r["first_seen"]), r["model"] or "", r["id"]))
        first, last = min(listed, key=lambda r: r["first_seen"]), max(listed, key=lambda r: r["last_seen"])
        rows = names[agency_id]
        out.append(Agency(agency_id=agency_id, state=listed[0]["state"], state_name=rows[0][2], name=rows[0][0],
                          names=sorted({p for _, p, _ in rows}), status=_status(part, mine, own), kind=listed[0]["kind"],
                          first_seen=day_text(first["first_seen"]), first_snapshot=first["first_snapshot"],
                          last_seen=day_text(last["last_seen"]), last_snapshot=last["last_snapshot"],
                          agreements=[_agreement(r) for r in own]))  # fmt: skip
    return sorted(out, key=lambda a: (a.state, a.name, a.agency_id))


def _status(part: list[dict], spells: list[dict], deals: list[dict]) -> str:
    if part:
        if not any(r["status"] == "active" for r in part):
            return "ended"
        renewed = any(r["status"] == "re-signed" for r in deals)
        return "re-signed" if renewed or len(part) > 1 else "active"  # two spells: back after a removal
    return "pending" if any(r["status"] == "active" for r in spells) else "left the pending list"


def _agreement(r: dict) -> dict:
    return {"kind": r["kind"], "model": r["model"] or "", "signed": day_text(r["signed"]), "status": r["status"],
            "first_seen": day_text(r["first_seen"]), "last_seen": day_text(r["last_seen"]), "removed_by": day_text(r["removed_by"]),
            "spell": int(r["spell"])}  # fmt: skip


def search(text: str, found: list[Agency]) -> list[Agency]:
    """The agencies whose names match ``text`` (see the module docstring), exact names first."""
    words = query_words(text)
    key = " ".join(words)
    hits = [a for a in found if matches(words, a.words())]
    return sorted(hits, key=lambda a: (name_key(a.name, a.state) != key, a.state, a.name))


# --------------------------------------------------------------------------- command


def describe(a: Agency) -> list[str]:
    """An agency as the command prints it: name, status, first and last sheet, agreements."""
    seen = f"{a.kind} list from the sheet of {a.first_seen} to the sheet of {a.last_seen}"
    lines = [f"{a.name} ({a.state}) - {a.status}; {seen}"]
    if len(a.names) > 1:
        lines.append("  printed as: " + "; ".join(a.names))
    for g in a.agreements:
        what = f"{g['kind']} {g['model'] or 'unstated model'} {'agreement' if g['kind'] == 'participating' else 'application'}"
        signed = f", signed {g['signed']}" if g["signed"] else ""
        if g["removed_by"]:
            left = "the participating list" if g["kind"] == "participating" else "the pending list"
            when = f"{g['status']}: listed {g['first_seen']} to {g['last_seen']}, gone from {left} on the sheet of {g['removed_by']}"
        else:
            when = f"{g['status']}: listed since {g['first_seen']} (to the newest sheet, {g['last_seen']})"
        lines.append(f"  {what}{signed}: {when}")
    return lines


def cmd_agency(args) -> int:
    from ..core.errors import UsageError
    from ..store import freshness
    from .reader import open_panel

    if not query_words(args.name):
        raise UsageError(f"no letters or digits to look up in {args.name!r}")
    freshness.warn_if_stale(archive=True)
    hits = search(args.name, agencies(open_panel("archive")))
    if args.format == "json":
        import json
        import sys

        sys.stdout.write(json.dumps([a.to_dict() for a in hits], indent=1, ensure_ascii=False) + "\n")
        return 0
    if not hits:
        print(f"no agency ever listed matches {args.name!r} (every 287(g) sheet in the archive was searched)")
        return 0
    for a in hits[:SHOWN]:
        print("\n".join(describe(a)))
    more = len(hits) - SHOWN
    print(f"\n{len(hits)} agenc{'y' if len(hits) == 1 else 'ies'} match{'es' if len(hits) == 1 else ''} {args.name!r}"
          + (f"; the first {SHOWN} are shown (--format json lists all)" if more > 0 else ""))  # fmt: skip
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("agency", help="look up an agency by name in every 287(g) sheet ever posted: its agreements, "
                                      "models, first and last sheet and status (accents and apostrophes ignored)")
    p.add_argument("name", help="any part of the agency's name, e.g. 'dona ana' or \"walker county sheriff's\"")
    p.add_argument("--format", default="table", choices=["table", "json"])
    p.set_defaults(func=cmd_agency)

