"""ICE's pending list: applications not yet signed, by model."""

from __future__ import annotations

from . import query
from .results import Result


def compute(*, visaverge_date: str) -> list[Result]:
    total = query.count(visaverge_date, kind="pending")
    by_model = query.count(visaverge_date, kind="pending", by="model")
    snap = total["snapshot"]["file"]
    models = {g["model"]: g["count"] for g in by_model["groups"]}
    return [
        Result("pending_total_visaverge", total["total"], "agreements", visaverge_date, snap,
               {"agencies": query.count(visaverge_date, kind="pending", unit="agencies")["total"]}),
        Result("pending_by_model_visaverge", {m: models.get(m, 0) for m in ("JEM", "TFM", "WSO")}, "agreements",
               visaverge_date, snap),
    ]  # fmt: skip
