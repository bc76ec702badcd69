"""ICE's pending list: applications not yet signed, by model (the pending notebook's claims)."""

from __future__ import annotations

from ..factcheck.results import Result


def compute(project, *, panel=None, output_dir=None, evidence: bool = True, **dates) -> list[Result]:
    """The engine's value for each pending claim (dates: the registry's, or ``<article>_date`` what-ifs)."""
    from ..factcheck import claims

    return claims.measured_results(project, "pending", dates=dates, panel=panel, output_dir=output_dir, evidence=evidence)
