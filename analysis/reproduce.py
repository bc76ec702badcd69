"""`reproduce`, `run` and `claims`: the commands a fact-checker uses."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys


def _params(pairs: list[list[str]] | None) -> dict:
    out = {}
    for key, value in pairs or []:
        try:
            out[key] = int(value)
        except ValueError:
            try:
                out[key] = float(value)
            except ValueError:
                out[key] = value
    return out


@contextlib.contextmanager
def staged_reports():
    """Write a whole new reports/ into a staging copy that replaces it in one atomic exchange.

    A failing notebook or a kill (even -9) mid-run leaves the previous report whole: notebooks,
    figures, results, claims and index.html are never a mix of two runs. The kernels that
    papermill starts find the staging folder through $ICE287G_REPORTS_DIR (paths.py).
    """
    from . import atomic, lock, paths, results

    with lock.hold(), atomic.replace_dir(paths.REPORTS_DIR, link=False) as stage:  # kernels write here: copies, not links
        saved = paths.REPORTS_DIR, results.DEFAULT_RESULTS_DIR, os.environ.get(paths.REPORTS_ENV)
        paths.REPORTS_DIR, results.DEFAULT_RESULTS_DIR = stage, stage / "results"
        os.environ[paths.REPORTS_ENV] = str(stage)
        try:
            yield stage
        finally:
            paths.REPORTS_DIR, results.DEFAULT_RESULTS_DIR = saved[0], saved[1]
            if saved[2] is None:
                os.environ.pop(paths.REPORTS_ENV, None)
            else:
                os.environ[paths.REPORTS_ENV] = saved[2]


def _claims_and_report(quiet: bool) -> list[dict]:
    from . import claims, recheck, report

    rows = claims.table()
    claims.write(rows)
    recheck.write(recheck.recheck())  # reports/recheck.md: point-in-time claims on the newest sheet
    report.write(rows)
    return rows


def cmd_reproduce(args) -> int:
    from . import build, fetch, notebooks, registry

    entries = registry.load()
    print(fetch.fetch(entries, quiet=args.quiet).summary())
    print(build.build(entries, quiet=args.quiet).message)
    with staged_reports():
        notebooks.run_all(quiet=args.quiet)
        rows = _claims_and_report(args.quiet)
    print(f"{len(rows)} claims checked; report in reports/index.html, table in reports/claims.csv")
    return 0


def cmd_run(args) -> int:
    from . import notebooks

    with staged_reports():
        notebooks.run_all([args.notebook], _params(args.parameter), quiet=args.quiet)
        _claims_and_report(args.quiet)
    print(f"ran notebooks/{args.notebook}.ipynb -> reports/notebooks/{args.notebook}.ipynb; claims and report updated")
    return 0


def cmd_claims(args) -> int:
    import json

    from . import claims, paths, results
    from .errors import StaleOutputError

    if not results.load_all():  # every claim would print "not checkable", as if checked and found wanting
        raise StaleOutputError("nothing has been reproduced yet (no notebook results); run `python -m analysis reproduce`",
                               path=paths.relative_to_root(results.DEFAULT_RESULTS_DIR))  # fmt: skip
    rows = claims.table()
    if args.format == "json":
        sys.stdout.write(json.dumps(rows, indent=1, ensure_ascii=False) + "\n")
        return 0
    width = max(len(r["id"]) for r in rows)
    for r in rows:
        print(f"{r['id']:<{width}}  {r['verdict']:<16}  claimed {claims._cell(r['claimed_value'])[:40]:<40}  "
              f"data {claims._cell(r['reproduced_value'])[:60]}")  # fmt: skip
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    from . import lock

    p = sub.add_parser("reproduce", help="fetch, build, run every notebook, write reports/ (claims.csv/json, index.html)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    lock.writer(p)
    p.set_defaults(func=cmd_reproduce)

    p = sub.add_parser("run", help="rerun one notebook with other parameters, then refresh the claims and report")
    p.add_argument("notebook", help="growth | concentration | pending | courts | reimbursement")
    p.add_argument("-p", "--parameter", nargs=2, action="append", metavar=("NAME", "VALUE"), help="papermill parameter")
    p.add_argument("-q", "--quiet", action="store_true")
    lock.writer(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("claims", help="print the claims table from the latest notebook results")
    p.add_argument("--format", default="table", choices=["table", "json"])
    p.set_defaults(func=cmd_claims)
