"""Claims table: each registry claim, the value the notebooks reproduced, and the verdict.

A registry claim is judged as any claims file's is: its judged part (``claim.core``, a
:class:`judge.Claim`) is evaluated by :func:`judge.evaluate` when its notebook runs, and the value
read back from the notebook's results file is judged by :func:`judge.verdict`, which the registry
cannot override. Values come from the results files, so every number in claims.csv/json traces to
a notebook run and, through its ``source``, to a raw file.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import json
from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path

from ..core import atomic, csvsafe, paths
from ..core.paths import Project
from . import claim_registry, results
from ..engine.asof import parse_date
from ..core.errors import UsageError

COLUMNS = ["id", "article", "quote", "source", "article_url", "claimed_value", "reproduced_value", "unit", "as_of", "snapshot",
           "published", "edition", "sha256", "evidence", "verdict", "note", "caveat", "notebook", "held"]  # fmt: skip
#: a notebook parameter that moves one article's "now" claims to another day (a what-if run);
#: None (the default) means the registry's date: the date lives in the claim only
ARTICLE_PARAMS = {"breitbart_date": "breitbart-2025-09-03", "voz_date": "voz-2025-09",
                  "visaverge_date": "visaverge-2025-08-01", "axios_date": "axios-2025-06-16",
                  "catn_date": "catn-2025-late"}  # fmt: skip


def _value(entry: dict | None):
    return None if entry is None else entry.get("value")


def claim_date(claim, dates: Mapping[str, str | None] | None = None) -> dt.date:
    """The claim's date, or the what-if date given for its article (only for "now" claims)."""
    for param, article in ARTICLE_PARAMS.items():
        value = (dates or {}).get(param)
        if value and article == claim.article and claim.is_point_in_time:
            return parse_date(value)
    return claim.as_of


def article_day(article: str, dates: Mapping[str, str | None] | None = None) -> dt.date:
    """The day an article's "now" claims speak of: the what-if date given for it, else the registry's."""
    days = {claim_date(c, dates) for c in claim_registry.load_claims() if c.article == article and c.is_point_in_time}
    if len(days) != 1:
        raise UsageError(f"article {article!r} has {len(days)} dates for its 'now' claims; expected one")
    return days.pop()


def _json_detail(detail: dict) -> dict:
    return {k: (round(float(v), 6) if isinstance(v, Fraction) else v) for k, v in detail.items() if k != "table"}


def measured_results(project: Project, notebook: str, *, dates: Mapping[str, str | None] | None = None, panel=None,
                     output_dir: str | Path | None = None, evidence: bool = True,
                     over_sheets: bool = True) -> list[results.Result]:
    """The engine's value for every measured claim of a notebook, with its sheet and evidence rows
    (``panel``: the project's default panel unless given).

    Each claim's rows are written to ``evidence/<claim-id>.csv`` beside the results folder, so the
    report links a verdict to the exact rows of ICE's sheet it counted. ``over_sheets=False`` leaves
    out what the claim gives on other sheets than its own (when it held, the neighbours' values): a
    caller that reads only the value and its sheet (recheck) would compute every measure's series
    for nothing, most of its time.
    """
    from ..engine.reader import open_panel
    from .check import evidence_csv
    from .held import Memo, held
    from .judge import evaluate

    out_dir = results.results_dir(project, output_dir)
    evidence_dir = out_dir.parent / "evidence"
    unknown = set(dates or {}) - set(ARTICLE_PARAMS)
    if unknown:
        raise UsageError(f"unknown date parameter(s) {', '.join(sorted(unknown))}; known: {', '.join(ARTICLE_PARAMS)}")
    panel = open_panel(panel or project)  # the process's shared panel: a notebook's figures read the same sheets again
    chosen = [(c, claim_date(c, dates)) for c in claim_registry.claims_for_notebook(notebook) if c.is_measured]
    wanted = set()
    for c, day in chosen:  # one read of every sheet the notebook needs
        if c.measure.source != "ice":
            continue
        with contextlib.suppress(UsageError):
            wanted |= {s["snapshot_id"] for _, s in panel.neighbours(day, c.measure.kind)}
            wanted |= {panel.in_force(c.measure.since, c.measure.kind)["snapshot_id"]} if c.measure.since else set()
    panel.load(wanted)
    res = []
    memo = Memo()  # the notebook's claims share their measures' series
    for claim, day in chosen:
        try:
            value, ev = evaluate(claim.core, panel, day.isoformat())
        except UsageError as err:  # no sheet for that day, or no history on this panel: not checkable, saying why
            res.append(results.Result(claim.quantity, None, claim.unit, day.isoformat(), "",
                                      {"error": str(err), "panel": panel.source}))  # fmt: skip
            continue
        if evidence:
            atomic.write_text(evidence_dir / f"{claim.id}.csv", evidence_csv(ev.evidence))
        stale = {"stale_note": ev.snapshot["stale_note"]} if "stale_note" in ev.snapshot else {}
        detail = {"snapshot": {**ev.snapshot_record(), **stale}, "measure": claim.measure.describe(), "display": ev.display(),
                  "evidence": f"evidence/{claim.id}.csv", "rows": len(ev.evidence),
                  "rows_by_state": ev.evidence.groupby("state").size().to_dict() if claim.measure.source == "ice" and len(ev.evidence) else {},
                  **_json_detail(ev.detail), **({"held": held(claim.core, panel, memo)} if over_sheets else {})}  # fmt: skip
        if over_sheets and claim.sensitivity and claim.measure.source == "ice":
            detail["sensitivity"] = [
                {"which": which, "published": snap["published"].isoformat(), "edition": snap["edition"],
                 "snapshot": snap["file"],
                 "value": evaluate(claim.core, panel, day.isoformat(), snapshot=snap)[0]}
                for which, snap in panel.neighbours(day, claim.measure.kind)]  # fmt: skip
        res.append(results.Result(claim.quantity, value, claim.unit, day.isoformat(), ev.snapshot["file"], detail))
    return res


def evaluate_one(claim, found: dict[str, dict]) -> dict:
    """One registry claim's row of claims.json: its value as its notebook recorded it, judged by
    judge.verdict (the notes every door prints)."""
    from .judge import verdict

    primary = found.get(claim.quantity)
    detail = (primary or {}).get("detail") or {}
    # a rule, or a number no pinned primary data can reproduce: nothing is "reproduced" (a calculator's
    # parameter or a publication's figure is context, never evidence)
    reproduced = _value(primary) if claim.core.checkable else None
    error = f"{detail['error']} ({detail['panel']} panel)" if claim.is_measured and detail.get("error") else None
    v = verdict(claim.core, reproduced, detail if claim.is_measured else None, detail.get("snapshot"), error=error)
    article = claim_registry.get_article(claim.article)
    detail = (primary or {}).get("detail") or {}
    snap = detail.get("snapshot") or {}
    row = {
        "id": claim.id,
        "article": claim.article,
        "quote": claim.quote,
        "quote_verbatim": claim.quote_verbatim,
        "article_date": article.date.isoformat() if article.date else "undated",
        "source": f"{article.publication}, {article.date or article.date_note}".strip(", "),
        "article_url": article.url,
        "claimed_value": claim.claimed_value if not isinstance(claim.claimed_value, dict) else dict(claim.claimed_value),
        "reproduced_value": reproduced,
        "unit": claim.unit,
        "as_of": (primary or {}).get("as_of") or claim.as_of.isoformat(),
        "snapshot": (primary or {}).get("source", "") if claim.core.checkable else "",
        "published": snap.get("published", ""),
        "edition": snap.get("edition", ""),
        "sha256": snap.get("sha256", ""),
        "evidence": _evidence_path(claim, detail),
        "verdict": v.verdict,
        "note": v.note,
        "caveat": claim.caveat,
        "notebook": claim.notebook,
    }
    if row["evidence"]:
        row["rows"] = detail.get("rows", 0)
    if claim.is_measured and primary:
        row["held"] = detail.get("held")
        row["measure"] = detail.get("measure", "")
        row["display"] = detail.get("display", "")
        row["rows_by_state"] = detail.get("rows_by_state", {})
    if claim.sensitivity:
        row["sensitivity"] = neighbour_verdicts(claim, found)
    return row


def _evidence_path(claim, detail: dict) -> str:
    """The rows behind a claim's value: the file the engine wrote (none for a rule or a figure no data reproduce)."""
    if not claim.core.checkable or not claim.is_measured:
        return ""
    path = detail.get("evidence") or ""
    return path if paths.stays_inside(path) else ""  # read from a results file: only a path inside reports/


def neighbour_verdicts(claim, found: dict[str, dict]) -> list[dict]:
    """The verdict on the sheets around an inferred date; scalars (and small tables) keep their value."""
    from .judge import verdict

    around = (((found.get(claim.quantity) or {}).get("detail") or {}).get("sensitivity")) or []
    out = []
    for snap in around:
        v = verdict(claim.core, snap["value"])
        entry = {k: snap[k] for k in ("which", "published", "edition", "snapshot")}
        if not isinstance(snap["value"], dict) or len(snap["value"]) <= 4:
            entry["value"] = snap["value"]
        out.append({**entry, "verdict": v.verdict, "note": v.note})
    return out


def _thaw(value):
    if isinstance(value, dict) or hasattr(value, "items"):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_thaw(v) for v in value]
    return value


def table(results_dir: Path) -> list[dict]:
    """Every registry claim's row of claims.json, judged on the results in ``results_dir``."""
    found = results.load_all(results_dir)
    return [{k: _thaw(v) for k, v in evaluate_one(c, found).items()} for c in claim_registry.load_claims()]


def _found(res: list[results.Result]) -> dict[str, dict]:
    """Results as the claims table reads them back from a results file."""
    return {r.quantity: {"value": results._clean(r.value), "source": r.source, "as_of": r.as_of,
                         "detail": results._clean(r.detail)} for r in res}  # fmt: skip


def verdict_table(notebook: str, res: list[results.Result]):
    """This notebook's claims with their verdicts, as a DataFrame (the notebook's checked output)."""
    import pandas as pd

    found = _found(res)
    rows = []
    for claim in claim_registry.claims_for_notebook(notebook):
        row = evaluate_one(claim, found)
        rows.append({"claim": row["id"], "verdict": row["verdict"], "claimed": _cell(row["claimed_value"]),
                     "reproduced": row.get("display") or _cell(row["reproduced_value"]), "why": row["note"]})  # fmt: skip
    return pd.DataFrame(rows, columns=["claim", "verdict", "claimed", "reproduced", "why"])


def result(res: list[results.Result], claim_id: str) -> results.Result:
    """The result a notebook recorded for one measured claim."""
    key = claim_registry.get_claim(claim_id).quantity
    for r in res:
        if r.quantity == key:
            return r
    raise UsageError(f"no result for claim {claim_id!r} in this notebook")


def held_table(res: list[results.Result]):
    """When each measured claim held, over every sheet of the panel (held.py), as a DataFrame: the spans
    in words, whether the claim's own date falls in one, and the first and last day it held."""
    import pandas as pd

    by_key = {c.quantity: c for c in claim_registry.load_claims() if c.is_measured}
    rows = []
    for r in res:
        claim, h = by_key.get(r.quantity), r.detail.get("held")
        if claim is None or not h:
            continue
        on_date = {True: "yes", False: "no", None: ""}[h.get("on_date")]
        rows.append({"claim": claim.id, "held": h["summary"], "on its date": on_date, "first true": h.get("first_true") or "",
                     "last true": h.get("last_true") or ""})  # fmt: skip
    return pd.DataFrame(rows, columns=["claim", "held", "on its date", "first true", "last true"])


#: rows of one claim's evidence a notebook shows (the evidence file has them all)
EVIDENCE_ROWS_SHOWN = 25


def evidence_table(res: list[results.Result]):
    """Each measured claim's sheet and the rows it counted, one row per claim, as a DataFrame: the
    value, the sheet (file, published, sha256), the number of rows and the evidence file holding them."""
    import pandas as pd

    by_key = {c.quantity: c for c in claim_registry.load_claims() if c.is_measured}
    rows = []
    for r in res:
        claim = by_key.get(r.quantity)
        if claim is None or "snapshot" not in r.detail:
            continue
        snap = r.detail["snapshot"]
        rows.append({"claim": claim.id, "value": r.detail["display"], "measure": r.detail["measure"], "sheet": snap["file"],
                     "published": f"{snap['published']} {snap['edition']}".strip() if snap["published"] else "undated",
                     "sha256": f"{snap['sha256'][:12]}...", "rows": r.detail["rows"], "evidence": r.detail["evidence"]})  # fmt: skip
    return pd.DataFrame(rows, columns=["claim", "value", "measure", "sheet", "published", "sha256", "rows", "evidence"])


def evidence_rows(project: Project, res: list[results.Result], claim_id: str, output_dir: str | Path | None = None, *,
                  n: int = EVIDENCE_ROWS_SHOWN):
    """The first ``n`` rows one claim counted, as its evidence file holds them (cells as ICE printed them)."""
    import pandas as pd

    detail = result(res, claim_id).detail
    if not paths.stays_inside(detail["evidence"]):  # read from a results file: only a path inside reports/
        raise UsageError(f"claim {claim_id!r}: its evidence path {detail['evidence']!r} leaves reports/")
    rows = pd.read_csv(results.results_dir(project, output_dir).parent / detail["evidence"], dtype=str, keep_default_na=False)
    return rows.drop(columns=[c for c in ("snapshot_id", "file") if c in rows.columns]).head(n)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return str(value)


def write(rows: list[dict], out_dir: Path) -> tuple[Path, Path]:
    """claims.json and claims.csv in ``out_dir`` (a project's reports/, or reproduce's staging folder)."""
    out = Path(out_dir)
    json_path, csv_path = out / "claims.json", out / "claims.csv"
    atomic.write_text(json_path, json.dumps(rows, indent=1, sort_keys=False, ensure_ascii=False) + "\n")
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        cells = {**row, "held": (row.get("held") or {}).get("summary", "")}  # the spans in words; claims.json has them
        writer.writerow({k: _cell(csvsafe.escape(cells.get(k))) for k in COLUMNS})
    atomic.write_text(csv_path, buf.getvalue())
    return json_path, csv_path
