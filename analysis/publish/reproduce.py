"""`reproduce`, `run` and `claims`: the commands a fact-checker uses."""

from __future__ import annotations

import argparse
import contextlib
import shutil
import sys
import time


@contextlib.contextmanager
def staged_reports(project):
    """Write a whole new reports/ into a staging copy that replaces it in one atomic exchange.

    A failing notebook or a kill (even -9) mid-run leaves the previous report whole: notebooks,
    figures, results, claims and index.html are never a mix of two runs. Yields the project with
    the staging folder as its reports folder (``Project.staged``), which is passed down explicitly
    (run_all, _claims_and_report) and to papermill's kernels as a parameter (notebooks.given).
    """
    from ..core import atomic
    from ..ingest import lock
    from . import stamps

    # kernels write here: copies, not links; but the site is written by this package alone, file by file
    # through atomic_path, so its files are linked (a second reproduce copies 40 MB less)
    with lock.hold(project), atomic.replace_dir(project.reports, link=False, linked=(stamps.SITE,)) as stage:
        if (project.reports / stamps.DIR).is_dir():  # replace_dir leaves hidden entries behind
            shutil.copytree(project.reports / stamps.DIR, stage / stamps.DIR)
        yield project.staged(stage)


def _recheck(project, force: bool = False) -> None:
    """recheck.md only when its inputs (data and code) changed, as it recomputes every family on the
    newest sheet; it reads no notebook's output, so reproduce runs it while the notebooks execute.
    ``project``: staged, its reports folder the staging folder."""
    from . import recheck, stamps

    reports_dir = project.reports
    inputs = {"data": stamps.data_version(project), "code": stamps.code_version("publish.recheck", "factcheck.claims", "publish.report")}
    if force or stamps.why_run(reports_dir, "recheck", inputs) is not None:
        start = time.perf_counter()
        recheck.write(project, recheck.recheck(project))  # recheck.md: point-in-time claims on the newest sheet
        stamps.write(reports_dir, "recheck", inputs, [recheck.REPORT, recheck.ROWS], time.perf_counter() - start)


def _maps_ahead(project) -> None:
    """The report's static maps, drawn while the notebooks run on the date the Florida claim's row will
    carry with the registry's parameters (its registry date); report.write draws them again only if
    the row says otherwise, as the maps' stamp holds the date. Drawn before the site's data pages:
    the map page lists the maps it finds (figures/maps.json), so a fresh reproduce lists them too."""
    from ..core.errors import AnalysisError
    from ..factcheck import claim_registry
    from . import maps

    with contextlib.suppress(AnalysisError):  # no such claim: report.write decides
        maps.report_maps(project, claim_registry.get_claim(maps.FLORIDA_SHARE_CLAIM).as_of.isoformat())


def _claims_and_report(project, quiet: bool, force: bool = False, prepared: dict | None = None,
                       rechecked: bool = False) -> list[dict]:
    """Claims table and index.html from the results (cheap, always); recheck (_recheck) unless
    ``rechecked`` (reproduce ran it already). ``project``: staged, its reports folder the staging folder."""
    from ..factcheck import claims
    from . import report

    reports_dir = project.reports
    rows = claims.table(reports_dir / "results")
    claims.write(rows, reports_dir)
    if not rechecked:
        _recheck(project, force)
    print(report.write(project, rows, prepared=prepared, force=force))
    return rows


def cmd_reproduce(args) -> int:
    """fetch and build (the curated set and the archive panel: claims are judged on it), then the notebooks."""
    from concurrent.futures import ThreadPoolExecutor

    from ..ingest import fetch, registry
    from ..store import archive, build
    from . import notebooks, site

    lap, times = time.perf_counter(), {}

    def took(step: str) -> None:
        nonlocal lap
        now = time.perf_counter()
        times[step], lap = now - lap, now

    project = args.project
    everything = registry.load(project, archive=True)  # the curated set, the archive and local sheets
    print(fetch.fetch(project, everything, quiet=args.quiet).summary())
    took("fetch")
    print(build.build(project, registry.load(project), quiet=args.quiet).message)
    took("build")
    print(archive.build(project, everything, quiet=args.quiet).message)
    took("archive build")
    with staged_reports(project) as staged, ThreadPoolExecutor(max_workers=1) as pool:
        # what depends on the data alone (the site's data pages, recheck, the static maps) is made on a
        # thread while the kernels run
        ahead = [pool.submit(_maps_ahead, staged)]  # first: the map page lists the maps it finds
        data_pages = pool.submit(site.prepare, staged, force=args.force)
        ahead.append(pool.submit(_recheck, staged, args.force))
        notebooks.run_all(staged, quiet=args.quiet, force=args.force)
        took("notebooks")
        for job in ahead:
            job.result()
        rows = _claims_and_report(staged, args.quiet, args.force, prepared=data_pages.result(), rechecked=True)
    took("claims and report")
    print(f"{len(rows)} claims checked; site in reports/site/index.html (reports/index.html opens it), "
          "table in reports/claims.csv")
    print("time: " + ", ".join(f"{step} {seconds:.1f} s" for step, seconds in times.items()))
    return 0


def cmd_run(args) -> int:
    """The registry's parameters refresh the main report; any other value goes to a what-if folder."""
    from . import notebooks, whatif

    project = args.project
    given = notebooks.validate(project, args.notebook, args.parameter)  # refused before anything runs
    diff = whatif.changed(project, args.notebook, given)
    if diff:
        target = whatif.run(project, args.notebook, given, quiet=args.quiet)
        moved = "; ".join(f"{k} {a} -> {b} ({whatif.difference(a, b)})" for k, (a, b) in diff.items())
        print(f"what-if: {moved}; wrote {project.relative(target)}/index.html "
              "(the report keeps the registry's parameters)")  # fmt: skip
        return 0
    with staged_reports(project) as staged:
        notebooks.run_all(staged, [args.notebook], quiet=args.quiet, force=args.force)
        _claims_and_report(staged, args.quiet, args.force)
    print(f"ran notebooks/{args.notebook}.ipynb with the registry's parameters -> reports/notebooks/{args.notebook}.ipynb; "
          "claims and report updated")  # fmt: skip
    return 0


def cmd_claims(args) -> int:
    import json

    from ..factcheck import claims, results
    from ..core.errors import StaleOutputError

    folder = results.results_dir(args.project)
    if not results.load_all(folder):  # every claim would print "not checkable", as if checked and found wanting
        raise StaleOutputError("nothing has been reproduced yet (no notebook results); run `python -m analysis reproduce`",
                               path=args.project.relative(folder))  # fmt: skip
    rows = claims.table(folder)
    if args.format == "json":
        sys.stdout.write(json.dumps(rows, indent=1, ensure_ascii=False) + "\n")
        return 0
    width = max(len(r["id"]) for r in rows)
    for r in rows:
        print(f"{r['id']:<{width}}  {r['verdict']:<16}  claimed {claims._cell(r['claimed_value'])[:40]:<40}  "
              f"data {claims._cell(r['reproduced_value'])[:60]}")  # fmt: skip
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    from ..ingest import lock

    p = sub.add_parser("reproduce", help="fetch, build (archive panel included), run the notebooks whose inputs changed, "
                                         "write reports/ (claims.csv/json, index.html)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    p.add_argument("--force", action="store_true", help="execute every notebook even if its inputs are unchanged")
    lock.writer(p)
    p.set_defaults(func=cmd_reproduce)

    p = sub.add_parser("run", help="rerun one notebook: with the registry's parameters it refreshes the report; "
                                   "with others it writes a what-if copy under reports/whatif/")
    p.add_argument("notebook", help="growth | concentration | pending | courts | reimbursement | statistics")
    p.add_argument("-p", "--parameter", nargs=2, action="append", metavar=("NAME", "VALUE"),
                   help="a parameter of the notebook's parameters cell (checked: name, type, range)")
    p.add_argument("-q", "--quiet", action="store_true")
    p.add_argument("--force", action="store_true", help="execute even if the notebook's inputs are unchanged")
    lock.writer(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("claims", help="print the claims table from the latest notebook results")
    p.add_argument("--format", default="table", choices=["table", "json"])
    p.set_defaults(func=cmd_claims)
