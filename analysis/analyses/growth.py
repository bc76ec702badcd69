"""Growth of the 287(g) list: the growth notebook's claims, and counts on any day for the narrative.

Articles mix units: "135 police departments and sheriff's offices" is a count of agencies, but
the 135 ICE listed on the eve of the inauguration are rows of the sheet, i.e. agreements (an
agency with two models has two rows). The engine computes both; the verdict is judged in the
unit the sentence prints (analysis/factcheck/verdicts.py, "Units").
"""

from __future__ import annotations

from ..engine import measures, query
from ..factcheck import claims
from ..factcheck.results import Result


def counts_at(as_of: str, kind: str = "participating", *, source) -> dict:
    """Agreements, agencies and states on the sheet in force on ``as_of`` (``source``: a panel, or a
    project: its default panel)."""
    agreements = query.count(as_of, kind=kind, unit="agreements", source=source)
    agencies = query.count(as_of, kind=kind, unit="agencies", source=source)
    return {
        "agreements": agreements["total"],
        "agencies": agencies["total"],
        "states": agreements["states"],
        "snapshot": agreements["snapshot"]["file"],
        "published": agreements["snapshot"]["published"],
    }


def compute(project, *, panel: measures.Panel | None = None, output_dir=None, evidence: bool = True,
            **dates) -> list[Result]:  # fmt: skip
    """The engine's value for each growth claim (dates: the registry's, or ``<article>_date`` what-ifs)."""
    return claims.measured_results(project, "growth", dates=dates, panel=panel, output_dir=output_dir, evidence=evidence)
