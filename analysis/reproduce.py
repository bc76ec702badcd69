"""`reproduce`, `run` and `claims`: the commands a fact-checker uses."""

from __future__ import annotations

import argparse
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
    notebooks.run_all(quiet=args.quiet)
    rows = _claims_and_report(args.quiet)
    print(f"{len(rows)} claims checked; report in reports/index.html, table in reports/claims.csv")
    return 0


def cmd_run(args) -> int:
    from . import notebooks

    notebooks.run_all([args.notebook], _params(args.parameter), quiet=args.quiet)
    _claims_and_report(args.quiet)
    print(f"ran notebooks/{args.notebook}.ipynb -> reports/notebooks/{args.notebook}.ipynb; claims and report updated")
    return 0


def cmd_claims(args) -> int:
    import json

    from . import claims

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
    p = sub.add_parser("reproduce", help="fetch, build, run every notebook, write reports/ (claims.csv/json, index.html)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=cmd_reproduce)

    p = sub.add_parser("run", help="rerun one notebook with other parameters, then refresh the claims and report")
    p.add_argument("notebook", help="growth | concentration | pending | courts | reimbursement")
    p.add_argument("-p", "--parameter", nargs=2, action="append", metavar=("NAME", "VALUE"), help="papermill parameter")
    p.add_argument("-q", "--quiet", action="store_true")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("claims", help="print the claims table from the latest notebook results")
    p.add_argument("--format", default="table", choices=["table", "json"])
    p.set_defaults(func=cmd_claims)
