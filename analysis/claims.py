"""Claims table: each registry claim, the value the notebooks reproduced, and the verdict.

The verdict is computed here from the registry's comparison and the reproduced value; the
registry cannot state one. Values come from the notebooks' results files, so every number in
claims.csv/json traces to a notebook run and, through its ``source``, to a raw file.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from . import atomic, claim_registry, csvsafe, paths, results, verdicts

COLUMNS = ["id", "article", "quote", "source", "claimed_value", "reproduced_value", "unit", "as_of", "snapshot",
           "verdict", "note", "notebook"]  # fmt: skip


def _value(entry: dict | None):
    return None if entry is None else entry.get("value")


def evaluate_one(claim, found: dict[str, dict]) -> dict:
    primary = found.get(claim.quantity)
    if claim.also_check_units and claim.unit_quantities:
        by_unit = {u: _value(found.get(q)) for u, q in claim.unit_quantities.items()}
        verdict = verdicts.evaluate_claim(claim, by_unit=by_unit)
        reproduced = by_unit
    else:
        reproduced = _value(primary)
        verdict = verdicts.evaluate_claim(claim, reproduced)
    article = claim_registry.get_article(claim.article)
    row = {
        "id": claim.id,
        "article": claim.article,
        "quote": claim.quote,
        "source": f"{article.publication}, {article.date or article.date_note}".strip(", "),
        "claimed_value": claim.claimed_value if not isinstance(claim.claimed_value, dict) else dict(claim.claimed_value),
        "reproduced_value": reproduced,
        "unit": claim.unit,
        "as_of": claim.as_of.isoformat(),
        "snapshot": (primary or {}).get("source", ""),
        "verdict": verdict.verdict,
        "note": verdict.note,
        "notebook": claim.notebook,
    }
    if claim.sensitivity:
        row["sensitivity"] = neighbour_verdicts(claim, found)
    return row


def neighbour_verdicts(claim, found: dict[str, dict]) -> list[dict]:
    """The verdict on the sheets around an inferred date (see sensitivity.py); scalars keep their value."""
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


def show_verdicts(notebook: str, res: list[results.Result]) -> None:
    """Print this notebook's claims with their verdicts (for the notebook's checked output)."""
    found = {r.quantity: {"value": results._clean(r.value), "source": r.source} for r in res}
    for claim in claim_registry.claims_for_notebook(notebook):
        row = evaluate_one(claim, found)
        print(f"{row['id']}: {row['verdict'].upper()} - {row['note']}")


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
        writer.writerow({k: _cell(csvsafe.escape(row[k])) for k in COLUMNS})
    atomic.write_text(csv_path, buf.getvalue())
    return json_path, csv_path
