"""Column operations on pandas 3's Arrow-backed text, for the append's few thousand rows.

``Series.isin`` on Arrow strings costs ~15 ms per call on the history table whatever the size of
the other side; a Python set over the same values as objects costs ~2 ms. The append makes
a dozen such calls, so they add up to a large share of its half-second budget.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet

import numpy as np
import pandas as pd


def objects(values) -> np.ndarray:
    """A column (Series, array, list) as a numpy object array; Arrow text converts in C."""
    if isinstance(values, pd.Series | pd.Index):
        return values.to_numpy(dtype=object)
    return np.asarray(values, dtype=object)


def isin(values, members) -> np.ndarray:
    """values.isin(members) as a boolean numpy array."""
    keep = members if isinstance(members, AbstractSet) else set(objects(members).tolist())
    column = objects(values)
    return np.fromiter((v in keep for v in column.tolist()), dtype=bool, count=len(column))


def positions(values, order) -> np.ndarray:
    """Index of each value in ``order`` (-1 when absent), as Index.get_indexer."""
    at = {v: i for i, v in enumerate(objects(order).tolist())}
    column = objects(values)
    return np.fromiter((at.get(v, -1) for v in column.tolist()), dtype="int64", count=len(column))
