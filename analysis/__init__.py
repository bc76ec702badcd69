"""ice-287g-claims: re-derive the numbers news articles printed about ICE's 287(g) program.

The package is the single home of all logic; notebooks and the CLI only call into it.
Heavy modules (pandas, matplotlib, statsmodels) are imported by the modules that need them,
never here, so ``python -m analysis --help`` stays fast.
"""

__version__ = "0.1.0"
