"""engine: the measures: as-of rules, counts, shares, ranks, and the general query questions."""
