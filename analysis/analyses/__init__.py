"""analyses: the notebooks' analyses and statistics, and the figures they draw."""
