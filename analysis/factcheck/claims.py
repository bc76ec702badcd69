"""Claims table: each registry claim, the value the notebooks reproduced, and the verdict.

The verdict is computed here from the registry's comparison and the reproduced value; the
registry cannot state one. Values come from the notebooks' results files, so every number in
claims.csv/json traces to a notebook run and, through its ``source``, to a raw file.
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
from . import claim_registry, results, verdicts
from ..engine.asof import parse_date
from ..core.errors import UsageError

COLUMNS = ["id", "article", "quote", "source", "article_url", "claimed_value", "reproduced_value", "unit", "as_of", "snapshot",
           "published", "edition", "sha256", "evidence", "verdict", "note", "caveat", "notebook"]  # fmt: skip
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


def _claimed(claim):
    """The printed figure in the engine's keys (states as USPS codes), so the verdict compares like with like."""
    from .check import _names

    value = _thaw(claim.claimed_value)
    if claim.is_measured and isinstance(value, (list, dict)):
        return _names(value, claim.measure.by)
    return value


def _json_detail(detail: dict) -> dict:
    return {k: (round(float(v), 6) if isinstance(v, Fraction) else v) for k, v in detail.items() if k != "table"}


def measured_results(notebook: str, *, dates: Mapping[str, str | None] | None = None, panel=None,
                     output_dir: str | Path | None = None, evidence: bool = True) -> list[results.Result]:
    """The engine's value for every measured claim of a notebook, with its sheet and evidence rows.

    Each claim's rows are written to ``evidence/<claim-id>.csv`` beside the results folder, so the
    report links a verdict to the exact rows of ICE's sheet it counted.
    """
    from ..engine import measures
    from .check import evidence_csv

    panel = panel or measures.Panel.default()
    out_dir = results.results_dir(output_dir)
    evidence_dir = out_dir.parent / "evidence"
    unknown = set(dates or {}) - set(ARTICLE_PARAMS)
    if unknown:
        raise UsageError(f"unknown date parameter(s) {', '.join(sorted(unknown))}; known: {', '.join(ARTICLE_PARAMS)}")
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
    for claim, day in chosen:
        try:
            value, ev = measures.in_units(claim.measure, day, panel, both=claim.also_units)
        except UsageError as err:  # no sheet for that day, or no history on this panel: not checkable, saying why
            res.append(results.Result(claim.quantity, None, claim.unit, day.isoformat(), "",
                                      {"error": str(err), "panel": panel.source}))  # fmt: skip
            continue
        if evidence:
            atomic.write_text(evidence_dir / f"{claim.id}.csv", evidence_csv(ev.evidence))
        detail = {"snapshot": ev.snapshot_record(), "measure": claim.measure.describe(), "display": ev.display(),
                  "evidence": f"evidence/{claim.id}.csv", "rows": len(ev.evidence),
                  "rows_by_state": ev.evidence.groupby("state").size().to_dict() if claim.measure.source == "ice" and len(ev.evidence) else {},
                  **_json_detail(ev.detail)}  # fmt: skip
        if claim.sensitivity and claim.measure.source == "ice":
            detail["sensitivity"] = [
                {"which": which, "published": snap["published"].isoformat(), "edition": snap["edition"],
                 "snapshot": snap["file"],
                 "value": measures.in_units(claim.measure, day, panel, both=claim.also_units, snapshot=snap)[0]}
                for which, snap in panel.neighbours(day, claim.measure.kind)]  # fmt: skip
        res.append(results.Result(claim.quantity, value, claim.unit, day.isoformat(), ev.snapshot["file"], detail))
    return res


def evaluate_one(claim, found: dict[str, dict]) -> dict:
    primary = found.get(claim.quantity)
    if claim.comparison_type in verdicts.REASON_TYPES:
        # a rule, or a number no pinned primary data can reproduce: nothing is "reproduced" (a
        # calculator's parameter or a publication's figure is context, never evidence)
        reproduced = None
        verdict = verdicts.evaluate_claim(claim, None)
    elif claim.is_measured:
        reproduced = _value(primary)
        verdict = _measured_verdict(claim, reproduced)
    elif claim.also_check_units and claim.unit_quantities:
        by_unit = {u: _value(found.get(q)) for u, q in claim.unit_quantities.items()}
        verdict = verdicts.evaluate_claim(claim, by_unit=by_unit)
        reproduced = by_unit
    else:
        reproduced = _value(primary)
        verdict = verdicts.evaluate_claim(claim, reproduced)
    article = claim_registry.get_article(claim.article)
    detail = (primary or {}).get("detail") or {}
    snap = detail.get("snapshot") or {}
    note = verdict.note
    if claim.is_measured and detail.get("error"):
        note += f": {detail['error']} ({detail['panel']} panel)"
    if claim.is_measured and detail.get("denominator"):
        note += f" (share of {detail['denominator']:,} {claim.measure.unit} on the sheet, {detail['denominator_is']})"
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
        "snapshot": (primary or {}).get("source", "") if claim.comparison_type not in verdicts.REASON_TYPES else "",
        "published": snap.get("published", ""),
        "edition": snap.get("edition", ""),
        "sha256": snap.get("sha256", ""),
        "evidence": _evidence_path(claim, detail),
        "verdict": verdict.verdict,
        "note": note,
        "caveat": claim.caveat,
        "notebook": claim.notebook,
    }
    if row["evidence"]:
        row["rows"] = detail.get("rows", 0)
    if claim.is_measured and primary:
        row["measure"] = detail.get("measure", "")
        row["display"] = detail.get("display", "")
        row["rows_by_state"] = detail.get("rows_by_state", {})
    if claim.sensitivity:
        row["sensitivity"] = neighbour_verdicts(claim, found)
    return row


def _evidence_path(claim, detail: dict) -> str:
    """The rows behind a claim's value: the file the engine wrote (none for a rule or a figure no data reproduce)."""
    if claim.comparison_type in verdicts.REASON_TYPES:
        return ""
    return detail.get("evidence") or "" if claim.is_measured else ""


def _measured_verdict(claim, value) -> verdicts.Verdict:
    reason = claim.not_checkable_reason or None
    if claim.also_units and isinstance(value, Mapping):
        return verdicts.evaluate_units(claim.comparison, _claimed(claim), value, claim.measure.unit, reason=reason)
    return verdicts.evaluate(claim.comparison, _claimed(claim), value, reason=reason)


def neighbour_verdicts(claim, found: dict[str, dict]) -> list[dict]:
    """The verdict on the sheets around an inferred date; scalars (and small tables) keep their value."""
    if claim.is_measured:
        around = (((found.get(claim.quantity) or {}).get("detail") or {}).get("sensitivity")) or []
        out = []
        for snap in around:
            verdict = _measured_verdict(claim, snap["value"])
            entry = {k: snap[k] for k in ("which", "published", "edition", "snapshot")}
            if not isinstance(snap["value"], dict) or len(snap["value"]) <= 4:
                entry["value"] = snap["value"]
            out.append({**entry, "verdict": verdict.verdict, "note": verdict.note})
        return out
    keys = dict(claim.unit_quantities) if claim.also_check_units and claim.unit_quantities else {None: claim.quantity}
    lists = {u: ((found.get(q) or {}).get("detail") or {}).get("sensitivity") or [] for u, q in keys.items()}
    first = next(iter(lists.values()))
    out = []
    for i, snap in enumerate(first):
        values = {u: lst[i]["value"] if i < len(lst) else None for u, lst in lists.items()}
        if None in values:
            verdict = verdicts.evaluate_claim(claim, values[None])
        else:
            verdict = verdicts.evaluate_claim(claim, by_unit=values)
        value = values[None] if None in values else values
        entry = {k: snap[k] for k in ("which", "published", "edition", "snapshot")}
        if not isinstance(value, dict) or len(value) <= 4:
            entry["value"] = value
        out.append({**entry, "verdict": verdict.verdict, "note": verdict.note})
    return out


def _thaw(value):
    if isinstance(value, dict) or hasattr(value, "items"):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_thaw(v) for v in value]
    return value


def table(results_dir: Path | None = None) -> list[dict]:
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


def evidence_rows(res: list[results.Result], claim_id: str, output_dir: str | Path | None = None, *,
                  n: int = EVIDENCE_ROWS_SHOWN):
    """The first ``n`` rows one claim counted, as its evidence file holds them (cells as ICE printed them)."""
    import pandas as pd

    detail = result(res, claim_id).detail
    rows = pd.read_csv(results.results_dir(output_dir).parent / detail["evidence"], dtype=str, keep_default_na=False)
    return rows.drop(columns=[c for c in ("snapshot_id", "file") if c in rows.columns]).head(n)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return str(value)


def write(rows: list[dict], out_dir: Path | None = None) -> tuple[Path, Path]:
    out = Path(out_dir) if out_dir else paths.REPORTS_DIR
    json_path, csv_path = out / "claims.json", out / "claims.csv"
    atomic.write_text(json_path, json.dumps(rows, indent=1, sort_keys=False, ensure_ascii=False) + "\n")
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(csvsafe.escape(row.get(k))) for k in COLUMNS})
    atomic.write_text(csv_path, buf.getvalue())
    return json_path, csv_path
