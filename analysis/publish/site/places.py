"""Where: a page per state, the agreements that ended, and the agency lookup.

Why: "is my sheriff in 287(g)?" and "what about my state?" are what people ask a tracker first.
A state page holds its agreements and agencies over time (the counts cache: the build's counts of
every sheet, by state, in both units), the current list with county FIPS and the agreement PDFs,
the pending applications, the agreements added and ended with their dates (the archive's
history) and its counties on a map. The ended page lists every removal with its window (the last
sheet listing it, the first not), newest first. The lookup searches every agency ever listed
(engine/lookup.py) in the browser; assets/agencies.js carries the index and the folding rules
of ``clean.agencies.name_key``, so the page folds a query as the build folds names.
"""

from __future__ import annotations

import json
import unicodedata

import us

from ...clean import agencies as agency_rules
from ...engine import lookup
from ...ingest.census import STATES_AND_DC
from . import atlas, charts
from .inputs import Inputs
from .render import Site, script_json

#: folding rules of clean.agencies.name_key that a browser cannot know: the characters whose
#: casefold differs from their lower case (ß -> ss), within this range of code points
CASEFOLD_RANGE = range(0x80, 0x10000)


def states(inputs: Inputs) -> list[dict]:
    """The 50 states and DC, then the territories that ever had a row (code, name, kind)."""
    out = sorted(({"code": code, "name": us.states.lookup(code).name} for code in STATES_AND_DC), key=lambda s: s["name"])
    seen = set()
    for kind in ("participating", "pending"):
        for snap in inputs.counts_over_time(kind):
            seen |= {k for k, _ in snap["counts"]["agreements"].get("state", [])}
    codes = {s["code"] for s in out}
    for code in sorted(seen - codes):
        territory = us.states.lookup(code)
        out.append({"code": code, "name": territory.name if territory else code})
    return out


def state_series(inputs: Inputs, code: str) -> dict | None:
    """A state's agreements and agencies on every participating sheet, as a step chart spec."""
    sheets = inputs.counts_over_time("participating")
    if not sheets:
        return None
    dates = [s["meta"]["published"] for s in sheets]
    series = {}
    for unit in ("agreements", "agencies"):
        series[unit] = (dates, [dict(s["counts"][unit].get("state", [])).get(code, 0) for s in sheets])
    if not any(series["agreements"][1]):
        return None
    spec = charts.lines(series, y_title="count on the sheet", height=300)
    return {"spec": script_json(spec), "first": dates[0], "last": dates[-1], "sheets": len(dates)}


def _ended(spells: list[dict]) -> list[dict]:
    """Removals (history status ``removed``), newest first: an agreement gone from the participating
    list, or an application gone from the pending list (then often signed: the agency's status says)."""
    gone = [s for s in spells if s["status"] == "removed"]
    return sorted(gone, key=lambda s: (s["removed_by"], s["last_seen"], s["state"], s["name"], s["id"]), reverse=True)


def _added(spells: list[dict], first_day: str) -> list[dict]:
    """Participating agreements first listed after the archive's first sheet, not as a renewal, newest first."""
    new = [s for s in spells if s["kind"] == "participating" and s["first_seen"] > first_day and not s.get("replaces")]
    return sorted(new, key=lambda s: (s["first_seen"], s["state"], s["name"], s["id"]), reverse=True)


def write(site: Site, inputs: Inputs) -> None:
    every_state = states(inputs) if inputs.panel is not None else []
    spells = inputs.spells
    sheets = inputs.counts_over_time("participating")
    first_day = sheets[0]["meta"]["published"] if sheets else ""
    current = inputs.current
    pending_snap, pending = inputs.sheet("pending", ["state", "agency_name", "agency", "model", "jurisdiction_type", "county"]) \
        if inputs.panel is not None else (None, None)  # fmt: skip
    newest = inputs.newest("participating")
    summary = []
    for st in every_state:
        code = st["code"]
        mine = current[current["state"] == code] if current is not None else None
        pend = pending[pending["state"] == code] if pending is not None else None
        state_spells = [s for s in spells if s["state"] == code]
        listing = [] if mine is None else mine.fillna("").astype(str).to_dict("records")
        seen: set[str] = set()
        for r in listing:  # the first row of each agency carries its anchor (the lookup links to it)
            r["anchor"] = r["agency_id"] not in seen
            seen.add(r["agency_id"])
        ended = _ended(state_spells)
        for r in ended:
            r["anchor"] = r["agency_id"] not in seen
            seen.add(r["agency_id"])
        info = {**st, "agreements": len(listing), "agencies": len({r["agency_id"] for r in listing}),
                "pending": 0 if pend is None else len(pend), "ended": sum(s["kind"] == "participating" for s in ended)}  # fmt: skip
        summary.append(info)
        site.page(f"states/{code}.html", "state.html.j2", title=st["name"], state=info, listing=listing,
                  pending=[] if pend is None else pend.fillna("").astype(str).to_dict("records"), ended=ended,
                  added=_added(state_spells, first_day), series=state_series(inputs, code),
                  county_map=atlas.state_map(inputs.panel, code, newest) if newest is not None and _has_atlas() else None,
                  newest=newest, pending_snap=pending_snap, first_day=first_day, archive=inputs.archive is not None)  # fmt: skip
    site.page("states/index.html", "states.html.j2", title="States", states=summary, newest=newest,
              reason=inputs.missing.get("panel", ""))
    removals = _ended(spells)
    site.page("ended.html", "ended.html.j2", title="Ended agreements", ended=removals,
              states=sorted({r["state"] for r in removals}), reason=inputs.missing.get("archive", ""))
    site.write("assets/agencies.js", agencies_asset(inputs.agencies))
    site.page("search.html", "search.html.j2", title="Agency lookup", count=len(inputs.agencies),
              reason=inputs.missing.get("archive", ""), newest=newest)


def _has_atlas() -> bool:
    from ...core import paths

    return (paths.RAW_DIR / atlas.ATLAS).is_file()


def fold_rules() -> dict:
    """What the browser needs to fold a query as ``clean.agencies.name_key`` does (search.js)."""
    casefold = {}
    for cp in CASEFOLD_RANGE:
        c = chr(cp)
        if unicodedata.category(c) != "Cs" and c.casefold() != c.lower():
            casefold[c] = c.casefold()
    letters = {chr(k): v for k, v in agency_rules.ASCII_LETTERS.items()}
    return {"abbreviations": agency_rules.ABBREVIATIONS, "letters": letters, "casefold": casefold}


def agencies_asset(found: list[lookup.Agency]) -> str:
    """assets/agencies.js: every agency ever listed, compact, and the folding rules."""
    rows = [{"i": a.agency_id, "n": a.name, "s": a.state, "sn": a.state_name, "st": a.status, "k": a.kind,
             "f": a.first_seen, "l": a.last_seen, "w": " ".join(a.words()), "p": [n for n in a.names if n != a.name],
             "a": [[g["kind"], g["model"], g["signed"], g["status"], g["first_seen"], g["last_seen"], g["removed_by"]]
                   for g in a.agreements]} for a in found]  # fmt: skip
    return ("/* Every agency on ICE's 287(g) sheets, generated by analysis/publish/site/places.py */\n"
            f"window.AGENCY_FOLD={json.dumps(fold_rules(), ensure_ascii=False, sort_keys=True, separators=(',', ':'))};\n"
            f"window.AGENCIES={json.dumps(rows, ensure_ascii=False, separators=(',', ':'))};\n")
