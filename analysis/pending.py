"""ICE's pending list: applications not yet signed, by model."""

from __future__ import annotations

from . import query
from .results import Result


def compute(*, visaverge_date: str) -> list[Result]:
    total = query.count(visaverge_date, kind="pending")
    by_model = query.count(visaverge_date, kind="pending", by="model")
    snap = total["snapshot"]["file"]
    models = {g["model"]: g["count"] for g in by_model["groups"]}
    key = visaverge_date.replace("-", "_")
    return [
        Result(f"pending_applications_{key}", total["total"], "agreements", visaverge_date, snap,
               {"agencies": query.count(visaverge_date, kind="pending", unit="agencies")["total"]}),
        Result(f"pending_applications_by_model_{key}", {m: models.get(m, 0) for m in ("JEM", "TFM", "WSO")}, "agreements",
               visaverge_date, snap),
    ]  # fmt: skip
