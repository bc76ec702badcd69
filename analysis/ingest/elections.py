"""FiveThirtyEight presidential results: 2024 general election, one row per state (+ DC).

Why: claims that 287(g) agreements cluster in Trump-voting states are checked against each
state's certified 2024 vote. The file holds every cycle and stage, one row per ballot line, with
pseudo-states and non-vote rows mixed in; the rules below turn it into 51 clean rows.
"""

from __future__ import annotations

import pandas as pd

from analysis.core.errors import SheetError
from analysis.ingest.census import STATES_AND_DC  # noqa: F401 (the one set of the 50 states and DC; re-exported)
from analysis.ingest.textfiles import read_text_table

# Maine and Nebraska congressional districts (separate from the ME/NE statewide rows) and the
# non-binding Puerto Rico straw poll.
PSEUDO_STATES = frozenset({"M1", "M2", "N1", "N2", "N3", "PR"})

# Candidate-less rows (alt_result_text, lower-cased). Ballots that chose nobody validly:
NON_VOTES = frozenset({"blank", "overvote", "undervote", "void"})
# ...and counted choices with no candidate named. NV's "None of these candidates" (19,625) is a
# statutory ballot option in Nevada's official total and in the MANIFEST's 155,213,023 check.
OTHER_VOTES = frozenset({"write-in", "scattering", "other", "none of these candidates"})

# Full-name patterns: a bare 'Harris' would also match the Maryland write-in "Sharon E. Harris".
TRUMP = r"\bDonald\b.*\bTrump\b"
HARRIS = r"\bKamala\b.*\bHarris\b"

REQUIRED = ["cycle", "stage", "state_abbrev", "state", "candidate_name", "votes",
            "alt_result_text"]


def read_presidential_2024(path) -> pd.DataFrame:
    """2024 general-election presidential votes by state (50 states + DC).

    Rules: keep cycle 2024, stage general; drop M1/M2/N1/N2/N3/PR; sum every ballot line of a
    candidate (NY fusion: Trump = REP + CRV, Harris = DEM + WFP) by matching the full name.
    total_votes = all rows except blank/overvote/undervote/void (not a vote for anyone); named
    candidates, write-in, scattering, other and Nevada's "None of these candidates" count.
    Any other candidate-less row, or an unknown state code, raises SheetError.
    Shares are of total_votes; trump_two_party_share = trump / (trump + harris).
    """
    raw = read_text_table(path, "election results", REQUIRED)
    raw = raw[REQUIRED].apply(lambda s: s.str.strip())

    df = raw[(raw["cycle"] == "2024") & (raw["stage"] == "general")]
    df = df[~df["state_abbrev"].isin(PSEUDO_STATES)]
    unknown = ~df["state_abbrev"].isin(STATES_AND_DC)
    if unknown.any():
        raise SheetError(
            f"unknown state_abbrev {df.loc[unknown, 'state_abbrev'].iloc[0]!r} in 2024 general",
            path=str(path),
        )
    if df.empty:
        raise SheetError("no 2024 general-election rows", path=str(path))

    votes = df["votes"].str.replace(",", "", regex=False)
    bad = ~votes.str.fullmatch(r"\d+")
    if bad.any():
        raise SheetError(f"non-numeric votes {df.loc[bad, 'votes'].iloc[0]!r}", path=str(path))
    alt = df["alt_result_text"].str.lower()
    nameless = df["candidate_name"] == ""
    odd = nameless & ~alt.isin(NON_VOTES | OTHER_VOTES)
    if odd.any():
        raise SheetError(
            f"unrecognised candidate-less row {df.loc[odd, 'alt_result_text'].iloc[0]!r}",
            path=str(path),
        )

    votes = votes.astype("int64")
    df = df.assign(
        trump_votes=votes.where(df["candidate_name"].str.contains(TRUMP, case=False), 0),
        harris_votes=votes.where(df["candidate_name"].str.contains(HARRIS, case=False), 0),
        total_votes=votes.where(~(nameless & alt.isin(NON_VOTES)), 0),
    )
    out = (
        df.groupby("state_abbrev", as_index=False)
        .agg(state_name=("state", "first"), trump_votes=("trump_votes", "sum"),
             harris_votes=("harris_votes", "sum"), total_votes=("total_votes", "sum"))
        .rename(columns={"state_abbrev": "state"})
    )

    absent = out[(out["trump_votes"] == 0) | (out["harris_votes"] == 0)]
    if not absent.empty:
        raise SheetError(
            f"no Trump or no Harris votes found for {absent['state'].iloc[0]}", path=str(path)
        )
    out["trump_share"] = out["trump_votes"] / out["total_votes"]
    out["harris_share"] = out["harris_votes"] / out["total_votes"]
    out["trump_two_party_share"] = out["trump_votes"] / (out["trump_votes"] + out["harris_votes"])
    return out
