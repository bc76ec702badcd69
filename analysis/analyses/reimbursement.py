"""ICE's 287(g) reimbursement rules from 2025-10-01, as a worked calculator.

The rules are policy, not data: the pinned files cannot confirm them. What can be checked is
their arithmetic (the payment tiers, the cap) and what they imply for one officer.
"""

from __future__ import annotations

from ..factcheck.results import Result

# Quarterly performance payment per eligible task-force officer, by performance score (%).
PERFORMANCE_TIERS = [(90, 100, 1000), (80, 89, 750), (70, 79, 500)]
OVERTIME_CAP = 0.25  # overtime reimbursed up to 25% of annual salary


def performance_payment(score: float) -> int:
    """Dollars for one quarter at a performance score (percent); below 70 earns nothing."""
    for low, high, dollars in PERFORMANCE_TIERS:
        if low <= score <= high + 0.999:
            return dollars
    return 0


def annual_reimbursement(salary: float, benefits: float, overtime: float, quarterly_scores: list[float]) -> dict:
    """What one trained officer's agency could be reimbursed in a year under the rules."""
    overtime_paid = min(overtime, OVERTIME_CAP * salary)
    performance = sum(performance_payment(s) for s in quarterly_scores)
    return {"salary": salary, "benefits": benefits, "overtime_claimed": overtime, "overtime_reimbursed": overtime_paid,
            "performance_payments": performance, "total": salary + benefits + overtime_paid + performance}  # fmt: skip


def compute(*, salary: float, benefits: float, overtime: float) -> list[Result]:
    """The calculator's parameters as the registry's quantities, plus one worked example."""
    example = annual_reimbursement(salary, benefits, overtime, [95, 85, 75, 65])
    src = "policy as reported by Voz (not data)"
    res = [
        Result("reimbursed_pct_of_salary_and_benefits", 100 * (example["salary"] + example["benefits"]) /
               (salary + benefits), "percent", "2025-10-01", src),
        Result("overtime_cap_pct_of_salary", 100 * OVERTIME_CAP, "percent", "2025-10-01", src, example),
    ]  # fmt: skip
    for (low, high, _), name in zip(PERFORMANCE_TIERS, ("90_100", "80_89", "70_79")):
        res.append(Result(f"quarterly_award_usd_{name}", performance_payment(low), "dollars", "2025-10-01", src))
    return res


def example_table(salary: float, benefits: float, overtime: float, quarterly_scores=(95, 85, 75, 65)):
    """The worked example as a table: each part of one officer's yearly reimbursement, in US$."""
    import pandas as pd

    parts = annual_reimbursement(salary, benefits, overtime, list(quarterly_scores))
    labels = {"salary": "salary (reimbursed in full)", "benefits": "benefits (reimbursed in full)",
              "overtime_claimed": "overtime worked", "overtime_reimbursed": f"overtime reimbursed (cap {OVERTIME_CAP:.0%} of salary)",
              "performance_payments": f"performance payments (quarterly scores {', '.join(map(str, quarterly_scores))})",
              "total": "total reimbursed in the year"}  # fmt: skip
    return pd.DataFrame({"part": [labels[k] for k in parts], "US$": [round(v, 2) for v in parts.values()]})
