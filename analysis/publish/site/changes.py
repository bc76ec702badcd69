"""What changed: one entry per new ICE sheet (agreements added and ended), the claims that moved, and feed.xml.

Why: a newsroom subscribes to the claims it cares about instead of re-reading the site. Each
sheet's entry is read off the archive's history (store/history.py): a spell that starts on the
sheet is an addition (except on the first archived sheet of its list, and renewals: the same
agency and model under a new signed date), one whose removal window ends on it is a removal.
The newest sheet's entry also carries every claim whose verdict or value moved between the
article's date and that sheet, as `recheck` found (reports/recheck.json). The Atom feed holds the
newest FEED_ENTRIES entries; its dates are the sheets' own, so the same data give the same feed.
"""

from __future__ import annotations

from .inputs import Inputs
from .render import Site

FEED_ENTRIES = 40
PAGE_ENTRIES = 150  # sheets with a change shown on the page (the history download has every one)
NAMES_SHOWN = 12  # agencies named per entry and direction; the rest are counted


def entries(inputs: Inputs) -> list[dict]:
    """One entry per sheet of either list, newest first: what it added and ended."""
    archive = inputs.archive
    if archive is None:
        return []
    spells = inputs.spells
    snaps = archive.snapshots.sort_values(["published", "edition_order", "snapshot_id"])
    first = {kind: g["snapshot_id"].iloc[0] for kind, g in snaps.groupby("kind")}
    added: dict[str, list[dict]] = {}
    ended: dict[str, list[dict]] = {}
    for s in spells:
        if s["first_snapshot"] != first[s["kind"]] and not s.get("replaces"):
            added.setdefault(s["first_snapshot"], []).append(s)
        if s["status"] == "removed" and s.get("removed_by_snapshot"):
            ended.setdefault(s["removed_by_snapshot"], []).append(s)
    out = []
    for snap in snaps.itertuples(index=False):
        plus = sorted(added.get(snap.snapshot_id, []), key=lambda s: (s["state"], s["name"], s["model"]))
        minus = sorted(ended.get(snap.snapshot_id, []), key=lambda s: (s["state"], s["name"], s["model"]))
        out.append({"id": snap.snapshot_id, "kind": snap.kind, "file": snap.file, "published": snap.published.isoformat(),
                    "edition": snap.edition, "added": plus, "ended": minus, "claims": []})  # fmt: skip
    out.reverse()
    moved = claims_moved(inputs)
    for kind in ("participating", "pending"):
        newest = next((e for e in out if e["kind"] == kind), None)
        if newest is not None:
            newest["claims"] = [c for c in moved if c["kind"] == kind]
    return out


def claims_moved(inputs: Inputs) -> list[dict]:
    """recheck's "now" claims whose verdict or value differs on the newest sheet from the article's date."""
    kinds = {c.id: (c.measure.kind if c.measure is not None else "participating") for c in inputs._claims.values()}
    out = []
    for r in inputs.recheck:
        if not r.get("point_in_time") or not r.get("snapshot_now"):
            continue
        if r["verdict_then"] != r["verdict_now"] or r["value_then"] != r["value_now"]:
            out.append({**r, "kind": kinds.get(r["id"], "participating"), "verdict_moved": r["verdict_then"] != r["verdict_now"]})
    return out


def _summary(e: dict) -> str:
    parts = []
    for key, word in (("added", "added"), ("ended", "ended")):
        if e[key]:
            parts.append(f"{len(e[key]):,} {word}")
    if e["claims"]:
        parts.append(f"{len(e['claims'])} claim{'s' if len(e['claims']) != 1 else ''} moved")
    return ", ".join(parts) or "no change"


def write(site: Site, inputs: Inputs) -> None:
    every = entries(inputs)
    for e in every:
        e["summary"] = _summary(e)
    changed = [e for e in every if e["added"] or e["ended"] or e["claims"]]
    unchanged = len(every) - len(changed)
    site.page("changes.html", "changes.html.j2", title="What changed", entries=changed[:PAGE_ENTRIES],
              more=max(0, len(changed) - PAGE_ENTRIES), unchanged=unchanged, sheets=len(every), shown=NAMES_SHOWN,
              reason=inputs.missing.get("archive", ""))  # fmt: skip
    feed = every[:FEED_ENTRIES]
    for e in feed:  # the entry's HTML, escaped once more by the feed's template (Atom's type="html")
        e["html"] = site.env.get_template("entry.html.j2").render(e=e, shown=NAMES_SHOWN)
    site.write("feed.xml", site.render("feed.xml.j2", "feed.xml", title="What changed", entries=feed, shown=NAMES_SHOWN,
                                       updated=feed[0]["published"] if feed else "1970-01-01"))  # fmt: skip
