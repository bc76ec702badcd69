"""Results a notebook records, in one JSON file per notebook run.

Every reproduced number is stored with its unit, as-of date and source snapshot, so the
claims table can trace it back to the sheet (and rows) it came from.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..core import atomic, paths


def results_dir(output_dir: str | Path | None = None) -> Path:
    """``output_dir`` when given (a notebook's parameter, a staging folder), else reports/results/:
    read at call time, so a caller names its folder instead of reassigning a module default."""
    return Path(output_dir) if output_dir else paths.REPORTS_DIR / "results"


@dataclass
class Result:
    quantity: str
    value: object
    unit: str
    as_of: str
    source: str  # snapshot file or data file the value came from
    detail: dict = field(default_factory=dict)


def _clean(value):
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 6)
    if hasattr(value, "item"):  # numpy scalars
        return _clean(value.item())
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def save(notebook: str, results: list[Result], output_dir: str | Path | None = None) -> Path:
    """Write ``<output_dir>/<notebook>.json``; deterministic (sorted, rounded)."""
    out = results_dir(output_dir)
    payload = {r.quantity: _clean(asdict(r)) for r in sorted(results, key=lambda r: r.quantity)}
    path = out / f"{notebook}.json"
    atomic.write_text(path, json.dumps({"notebook": notebook, "results": payload}, indent=1, sort_keys=True) + "\n")
    return path


def load_all(output_dir: str | Path | None = None) -> dict[str, dict]:
    """quantity -> result dict, over every notebook's results file."""
    out = results_dir(output_dir)
    merged: dict[str, dict] = {}
    for path in sorted(out.glob("*.json")):
        data = json.loads(path.read_text())
        for key, value in data["results"].items():
            merged[key] = {**value, "notebook": data["notebook"]}
    return merged


SHOWN = 10  # entries of a table value shown by table(); the results file keeps them all


def _shown(value) -> str:
    """A result's value as table text: floats to 4 decimals, a long table by its head."""
    value = _clean(value)
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, dict) and len(value) > SHOWN:  # a ranking of 3,000 counties: its head
        return ", ".join(f"{k}: {v}" for k, v in list(value.items())[:SHOWN]) + f", ... ({len(value):,} in all)"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)


def table(results: list[Result]):
    """The results as a DataFrame, one row per quantity (deterministic text, for nbval to compare)."""
    import pandas as pd

    rows = [{"quantity": r.quantity, "value": _shown(r.value), "unit": r.unit, "as of": r.as_of, "source": r.source}
            for r in sorted(results, key=lambda r: r.quantity)]  # fmt: skip
    return pd.DataFrame(rows, columns=["quantity", "value", "unit", "as of", "source"])
