"""Command line: ``python -m analysis SUBCOMMAND``.

Only argparse is imported at start-up; each subcommand imports what it needs, so ``--help``
and quick queries stay fast. Expected failures (typed errors in errors.py) become one line on
stderr and the error's own exit code; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import sys


def _add_quiet(p: argparse.ArgumentParser) -> None:
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars (for CI and logs)")


def _add_source(p: argparse.ArgumentParser) -> None:
    p.add_argument("--source", default="auto", choices=["auto", "archive", "curated"],
                   help="which sheets answer: the archive panel (every sheet ICE posted, day by day), the 38 curated "
                        "sheets, or auto (default: the archive when it is built and current, else the curated sheets); "
                        "the output names the one used")  # fmt: skip
    p.add_argument("--archive", dest="source", action="store_const", const="archive", help="same as --source archive")


def _source(args) -> str:
    """The panel a command reads: the one asked for, or the project's default (freshness.default_source)."""
    if args.source != "auto":
        return args.source
    from .store.freshness import default_source

    return default_source()


def _entries(archive: bool = False):
    from .ingest import registry

    return registry.load(archive=archive)


def cmd_registry(args) -> int:
    from pathlib import Path

    from .ingest import manifests

    curated, archive = manifests.write_registries(Path(args.manifests))
    print(f"wrote data/raw/registry.csv ({curated} files) and data/raw/registry_archive.csv ({archive} files)")
    return 0


def cmd_fetch(args) -> int:
    from .ingest import fetch

    report = fetch.fetch(_entries(args.archive), quiet=args.quiet)
    print(report.summary())
    return 0


def cmd_verify(args) -> int:
    from .ingest import fetch

    entries = _entries(args.archive)
    fetch.verify(entries)
    print(f"all {len(entries)} raw files present with their registered sha256")
    return 0


def cmd_build(args) -> int:
    if args.archive:  # the light module first: an up-to-date panel answers without importing pandas
        from .store import archive

        print(archive.build(quiet=args.quiet, force=args.force).message)
        return 0
    from .store import build

    print(build.build(_entries(), quiet=args.quiet, force=args.force).message)
    return 0


def _table(rows: list[dict], columns: list[str]) -> str:
    widths = {c: max(len(c), *(len(_fmt(r.get(c))) for r in rows)) if rows else len(c) for c in columns}
    lines = ["  ".join(c.ljust(widths[c]) for c in columns), "  ".join("-" * widths[c] for c in columns)]
    for r in rows:
        lines.append("  ".join(_fmt(r.get(c)).rjust(widths[c]) if isinstance(r.get(c), (int, float)) else _fmt(r.get(c)).ljust(widths[c]) for c in columns))
    return "\n".join(lines)


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.1%}"
    if isinstance(v, int):
        return f"{v:,}"
    return "" if v is None else str(v)


#: how a command names the panel that answered
_PANEL_WORDS = {"archive": "archive (every sheet ICE posted, day by day)", "curated": "curated (the pinned sheets of data/processed)"}


def _describe_snapshot(s: dict) -> str:
    text = f"{s['file']} (published {s['published']}{', ' + s['edition'] if s['edition'] else ''}; {s['source']})"
    if "duplicate_note" in s:
        text += f"\nnote: {s['duplicate_note']}"
    if "stale_note" in s:
        text += f"\nwarning: {s['stale_note']}"
    return text


def _count(args) -> dict:
    """From the counts cache when the build wrote one (no pandas: fast), else from the engine's reader.
    Either way the sheet is chosen by the one rule (asof.in_force_position) on the same panel."""
    from .core import paths
    from .store import counts_cache
    from .engine import asof

    source = _source(args)
    base = paths.PROCESSED_DIR / ("archive" if source == "archive" else "")
    day = asof.parse_date(args.as_of)
    state, model = args.state, args.model  # checked lists (cmd_query)
    if not state and not model and (base / "agreements.parquet").exists():  # the cache is as good as its tables
        result = counts_cache.count(base / counts_cache.FILE, day, args.kind, args.unit, args.by, asof.snapshot_info,
                                    asof.in_force_position)  # fmt: skip
        if result is not None:
            return {"as_of": result.pop("as_of"), "panel": source, **result}
    from .engine import query

    return query.count(args.as_of, kind=args.kind, unit=args.unit, by=args.by, state=state, model=model, source=source)


def _list_arg(value: str | None, flag: str) -> list[str] | None:
    """--state TX,FL / --model JEM: USPS codes or names, and model codes, each checked; "" is refused."""
    if value is None:
        return None
    from .core.errors import UsageError

    items = [v.strip() for v in value.split(",")]
    if not all(items):
        raise UsageError(f"--{flag}: empty value in {value!r}; give one or more, comma-separated")
    if flag == "state":
        from .clean.normalize import state_arg

        return [state_arg(v) for v in items]
    from .engine.measures import MODELS

    upper = [v.upper() for v in items]
    bad = [v for v in upper if v not in MODELS]
    if bad:
        raise UsageError(f"--model: {bad[0]!r} is not a model; choose from {', '.join(MODELS)}")
    return upper


#: --measure NAME -> the engine measure it asks for (the rest of the spec comes from the other flags)
QUERY_MEASURES = {
    "population-covered": {"statistic": "population_covered"},
    "population-share": {"statistic": "population_share"},
    "backlog-per-1000": {"source": "trac-county", "unit": "cases_per_1000"},
}


def _measure_spec(args) -> dict:
    """The engine measure of `query --measure`, refusing flags that do not apply to it."""
    from .core.errors import UsageError

    spec = dict(QUERY_MEASURES[args.measure])
    trac = spec.get("source") == "trac-county"
    if args.top is not None and args.top < 1:
        raise UsageError(f"--top must be a whole number of at least 1, not {args.top}")
    state, model = _list_arg(args.state, "state"), _list_arg(args.model, "model")  # "" is refused, not "all"
    if args.unit != "agreements":
        raise UsageError(f"--unit does not apply to --measure {args.measure} (it counts "
                         f"{'cases per 1,000 residents' if trac else 'residents'})")  # fmt: skip
    if trac:
        if model or state or args.by or args.kind != "participating":
            raise UsageError("--measure backlog-per-1000 takes only --as-of, --top and --format "
                             "(TRAC's table is one ranking of counties; status is on the participating sheet)")  # fmt: skip
        spec.update({"statistic": "top_n", "n": args.top} if args.top else {"statistic": "breakdown"})
        return spec
    if args.top:
        raise UsageError(f"--top applies to --measure backlog-per-1000, not {args.measure}")
    if args.by not in (None, "state", "model"):
        raise UsageError(f"--by {args.by} does not apply to --measure {args.measure}: use state or model")
    spec.update(kind=args.kind, by=args.by or "total")
    if model is not None:
        spec["model"] = model
    if state is not None:
        spec["state"] = state
    return spec


def _query_measure(args, measure) -> int:
    """`query --measure`: one engine measure on the sheet in force, printed with its sheet and rows."""
    import json

    from .engine import measures

    panel = measures.Panel(_source(args))
    from .engine.asof import parse_date

    day = parse_date(args.as_of)
    ev = measures.evaluate(measure, day, panel)
    rows = ev.evidence
    if args.format == "json":
        detail = {k: v for k, v in ev.detail.items() if k != "table"}
        sys.stdout.write(json.dumps({"as_of": day.isoformat(), "measure": measure.describe(), "value": ev.comparable(),
                                     "snapshot": ev.snapshot_record(), "detail": detail,
                                     "rows": json.loads(rows.to_json(orient="records"))},
                                    indent=2, ensure_ascii=False, default=str) + "\n")  # fmt: skip
        return 0
    if args.format == "csv":
        from .factcheck.check import evidence_csv

        sys.stdout.write(evidence_csv(rows))
        return 0
    print(f"{measure.describe()} as of {day}: {ev.display()}")
    print(f"sheet: {ev.snapshot['file']} (published {ev.snapshot['published']}; panel {ev.snapshot['panel']})")
    d = ev.detail
    if "residents" in d:
        print(f"each county once{' (any of the models asked)' if measure.model else ''}: {d['residents']:,} residents in {d['counties']:,} counties, "
              f"{d['share']:.1%} of {d['population']:,} residents of {d['population_is']}")
        print(f"agreements by role: {', '.join(f'{k} {v:,}' for k, v in d['agreements_by_role'].items())}; "
              f"statewide agreements ({d['statewide']['agreements']:,}, not counted as covering counties) in "
              f"{', '.join(d['statewide']['states']) or 'no state'}")  # fmt: skip
        if d["unjoined"]:
            print(f"covered counties without a Census 2024 population (not counted): {', '.join(d['unjoined'])}")
        cols = ["county_fips", "state", "county_name", "population_2024", "agreements", "models"]
    else:
        print(f"sources: {d['sources']['trac']['file']} (undated) over {d['sources']['census']['file']}")
        print(f"unjoined (listed, unranked): {len(d['unjoined'])}: {', '.join(d['unjoined'])}")
        cols = ["rank", "fips", "county", "state", "pending", "population_2024", "per_1000", "status", "models_287g"]
        if args.top:
            rows = rows[rows["rank"].notna() & (rows["rank"] <= args.top)]
    print()
    shown = rows[cols].astype(object).where(rows[cols].notna(), None)
    print(_table([{k: (None if v is None else int(v) if hasattr(v, "item") and float(v).is_integer() and k != "per_1000" else
                       (f"{v:.3f}" if k == "per_1000" else v)) for k, v in r.items()}
                  for r in shown.to_dict("records")], cols))  # fmt: skip  (no per-1,000 rate: a county without population)
    return 0


def cmd_query(args) -> int:
    from .store import freshness

    measure = None
    if args.measure:  # bad arguments are refused before anything is read
        from .engine.measures import Measure

        measure = Measure.from_mapping(_measure_spec(args), where="--measure")
    if args.top is not None and not args.measure:
        from .core.errors import UsageError

        raise UsageError(f"--top needs --measure ({', '.join(QUERY_MEASURES)})")
    elif args.state is not None or args.model is not None:  # refused before any warning or read
        args.state, args.model = _list_arg(args.state, "state"), _list_arg(args.model, "model")
    freshness.warn_if_stale(archive=_source(args) == "archive")
    if measure is not None:
        return _query_measure(args, measure)
    result = _count(args)
    if args.format == "json":
        from .engine.asof import to_json

        sys.stdout.write(to_json(result))
        return 0
    if args.format == "csv":
        import csv

        from .core.csvsafe import escape_row

        cols = [c for c in ("state", "state_name", "model") if any(c in g for g in result["groups"])]
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(["as_of", "snapshot", "kind", "unit", *cols, "count", "share"])
        rows = result["groups"] or [{"count": result["total"], "share": 1.0}]
        for g in rows:
            writer.writerow(escape_row([result["as_of"], result["snapshot"]["file"], result["kind"], result["unit"], *[g.get(c, "") for c in cols], g["count"], g["share"]]))
        return 0
    where = "".join(f" {k} {'/'.join(result[k])}" for k in ("state", "model") if result.get(k))
    print(f"{result['kind']} {result['unit']}{where} as of {result['as_of']}: {result['total']:,} {result['unit']} "
          f"in {result['states']} states (+DC)" + (f" and {', '.join(result['territories'])}" if result["territories"] else ""))
    print(f"snapshot: {_describe_snapshot(result['snapshot'])}")
    print(f"panel: {_PANEL_WORDS[result['panel']]}")
    if result["groups"]:
        cols = [c for c in ("state", "state_name", "model") if c in result["groups"][0]] + ["count", "share"]
        print()
        print(_table(result["groups"], cols))
    return 0


def cmd_diff(args) -> int:
    from .store import freshness
    from .engine import query

    source = _source(args)
    freshness.warn_if_stale(archive=source == "archive")
    result = query.diff(args.date_from, args.date_to, kind=args.kind, state=args.state, source=source)
    if args.format == "json":
        sys.stdout.write(query.to_json(result))
        return 0
    f, t = result["from"], result["to"]
    print(f"{result['kind']} list{' in ' + result['state'] if result['state'] else ''}: "
          f"{f['agreements']:,} agreements / {f['agencies']:,} agencies on {f['as_of']} -> "
          f"{t['agreements']:,} agreements / {t['agencies']:,} agencies on {t['as_of']}")
    print(f"from: {_describe_snapshot(f['snapshot'])}")
    print(f"to:   {_describe_snapshot(t['snapshot'])}")
    print(f"panel: {_PANEL_WORDS[result['panel']]}")
    for key in ("agencies_added", "agencies_removed", "agreements_added", "agreements_removed"):
        items = result[key]
        print(f"\n{key.replace('_', ' ')} ({len(items)}):")
        cols = ["state", "as_printed"] + (["model", "signed"] if key.startswith("agreements") else [])
        if items:
            print(_table(items, cols))
    return 0


CORE_COMMANDS = ("registry", "fetch", "verify", "build", "query", "diff")


def build_parser(*, extras: bool | str = True) -> argparse.ArgumentParser:
    """The CLI; ``extras``: every other module's commands (True), none (False) or one command's module (its name)."""
    from .ingest import limits, lock  # os and fcntl only: start-up stays light

    parser = argparse.ArgumentParser(
        prog="python -m analysis",
        description="Re-derive and check the numbers 2025 articles printed about ICE's 287(g) program.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("registry", help="rebuild data/raw/registry*.csv from the MANIFEST.csv files of a raw-data folder")
    p.add_argument("--manifests", required=True, help="folder holding ice_287g/, trac_pending_by_address/, ... (e.g. ../shared/data/raw)")
    p.set_defaults(func=cmd_registry)

    p = sub.add_parser("fetch", help="fill data/raw/ from $DATA_MIRROR or the pinned upstream URLs, verifying sha256")
    p.add_argument("--archive", action="store_true", help="also fetch the full archive of 1,128 ICE sheets")
    _add_quiet(p)
    lock.writer(p)
    limits.add_arguments(p)
    p.set_defaults(func=cmd_fetch)

    p = sub.add_parser("verify", help="check every raw file in data/raw/ against its registered sha256")
    p.add_argument("--archive", action="store_true", help="include the archive")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("build", help="build the tidy tables in data/processed/ (skips work when nothing changed)")
    p.add_argument("--archive", action="store_true",
                   help="build the day-by-day panel of every archived sheet in data/processed/archive/ (cached, incremental)")
    p.add_argument("--force", action="store_true", help="rebuild even if inputs and code are unchanged")
    _add_quiet(p)
    lock.writer(p)
    limits.add_arguments(p)
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("query", help="count agreements or agencies on the snapshot in force on a date")
    p.add_argument("--as-of", required=True, help="date YYYY-MM-DD; the latest snapshot published on or before it is used")
    p.add_argument("--kind", default="participating", choices=["participating", "pending"])
    p.add_argument("--unit", default="agreements", choices=["agreements", "agencies"],
                   help="agreements = rows of ICE's sheet; agencies = distinct agency ids")
    p.add_argument("--by", choices=["state", "model", "state,model"], metavar="{state|model|state,model}",
                   help="group counts (omit for totals only)")  # the default metavar joins choices with commas
    p.add_argument("--format", default="table", choices=["table", "json", "csv"])
    p.add_argument("--measure", choices=list(QUERY_MEASURES),
                   help="an engine measure instead of a count: residents of counties whose sheriff or jail holds an "
                        "agreement (population-covered / population-share), or TRAC pending cases per 1,000 "
                        "residents by county with 287(g) status (backlog-per-1000)")  # fmt: skip
    p.add_argument("--model", help="count only these models: JEM, TFM, WSO or a comma list")
    p.add_argument("--state", help="count only these states: USPS codes or names, comma-separated")
    p.add_argument("--top", type=int, help="with --measure backlog-per-1000: the N highest counties")
    _add_source(p)
    p.set_defaults(func=cmd_query)

    p = sub.add_parser("diff", help="agencies and agreements added and removed between two dates")
    p.add_argument("--from", dest="date_from", required=True, help="first date YYYY-MM-DD")
    p.add_argument("--to", dest="date_to", required=True, help="second date YYYY-MM-DD")
    p.add_argument("--kind", default="participating", choices=["participating", "pending"])
    p.add_argument("--state", help="limit to one state: USPS code or name, any case (FL, Florida)")
    p.add_argument("--format", default="table", choices=["table", "json"])
    _add_source(p)
    p.set_defaults(func=cmd_diff)

    if extras is True:
        registers = list(dict.fromkeys(_EXTRA_COMMANDS.values()))  # each module once, in the table's order
    else:
        registers = [_EXTRA_COMMANDS[extras]] if extras else []
    for register in registers:
        register(sub)
    return parser


def _register_reproduce(sub) -> None:
    from .publish.reproduce import register

    register(sub)


def _register_local_sheets(sub) -> None:
    from .store.local_sheets import register

    register(sub)


def _register_recheck(sub) -> None:
    from .publish.recheck import register

    register(sub)


def _register_export(sub) -> None:
    from .store.export import register

    register(sub)


def _register_docs(sub) -> None:
    from .publish.dictionary import register

    register(sub)


def _register_check(sub) -> None:
    from .factcheck.check import register

    register(sub)
    p = sub.choices["check"]  # check takes an article too: extract.py drafts its claims first
    p.add_argument("--date", help="for an article: its date YYYY-MM-DD")
    p.add_argument("--outlet", help="for an article: the outlet's name")
    p.set_defaults(func=_cmd_check)


def _cmd_check(args) -> int:
    """`check FILE`: a claims file is judged as it is; an article is drafted first (factcheck/extract.py,
    imported only then: its reading rules cost ~20 ms of every check of a claims file, target 1 s)."""
    from pathlib import Path

    if Path(args.file).suffix.lower() == ".toml" and not (args.date or args.outlet):
        from .factcheck.check import cmd_check
    else:
        from .factcheck.extract import cmd_check  # refuses --date/--outlet with a claims file
    return cmd_check(args)


def _register_extract(sub) -> None:
    from .factcheck.extract import register

    register(sub)


def _register_maps(sub) -> None:
    from .publish.maps import register

    register(sub)


def _register_agency(sub) -> None:
    from .engine.lookup import register

    register(sub)


def _register_serve(sub) -> None:
    from .publish.site.serve import register

    register(sub)


# Other modules add their subcommands here (command -> the function that registers it, importing
# its module), keeping this file small. A command named on the command line registers alone: the
# other modules take ~0.1 s to import, a tenth of a check of 50 claims.
_EXTRA_COMMANDS: dict = {
    **dict.fromkeys(("reproduce", "run", "claims"), _register_reproduce),
    **dict.fromkeys(("add-sheet", "remove-sheet"), _register_local_sheets),
    "recheck": _register_recheck, "export": _register_export, "check": _register_check, "docs": _register_docs,
    "map": _register_maps, "extract": _register_extract, "agency": _register_agency, "serve": _register_serve,
}  # fmt: skip


#: control characters as a terminal shows them: as text (\x1b), never as what they do (clear the screen,
#: ring the bell, move the cursor); tab and newline stay
_CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F, *range(0x80, 0xA0)) if c not in (0x09, 0x0A)}


class _Printable:
    """A terminal's stream that writes control characters as text: an agency name in someone's sheet
    (``_x001B_[2J`` in the xlsx, ESC [2J once read) cleared the screen through ``diff``."""

    def __init__(self, stream, keep: str = ""):
        self._stream = stream
        self._table = {c: text for c, text in _CONTROL.items() if chr(c) not in keep}

    def write(self, text: str) -> int:
        return self._stream.write(text.translate(self._table))

    def __getattr__(self, name):
        return getattr(self._stream, name)


@contextlib.contextmanager
def _safe_streams():
    """stdout and stderr made safe for what they carry, for one command: a character the stream's
    encoding lacks is written as an escape (PYTHONIOENCODING=ascii gave a UnicodeEncodeError traceback),
    and on a terminal control characters are shown, not obeyed (stderr keeps \\r for progress bars)."""
    streams = (sys.stdout, sys.stderr)
    errors = [getattr(s, "errors", None) for s in streams]
    for stream in streams:
        with contextlib.suppress(AttributeError, ValueError, OSError):
            stream.reconfigure(errors="backslashreplace")

    def printable(stream, keep: str = ""):
        with contextlib.suppress(AttributeError, ValueError, OSError):
            if stream.isatty():
                return _Printable(stream, keep)
        return stream

    try:
        with contextlib.redirect_stdout(printable(streams[0])), contextlib.redirect_stderr(printable(streams[1], "\r")):
            yield
    finally:
        for stream, was in zip(streams, errors):
            with contextlib.suppress(AttributeError, ValueError, OSError, TypeError):
                stream.reconfigure(errors=was)


def main(argv: list[str] | None = None) -> int:
    with _safe_streams():
        return _main(argv)


def _main(argv: list[str] | None) -> int:
    from .core.errors import AnalysisError

    argv = sys.argv[1:] if argv is None else argv
    command = next((a for a in argv if not a.startswith("-")), None)
    # The other commands' modules take ~0.1 s to import; a query does not need them, a check needs its own.
    parser = build_parser(extras=command if command in _EXTRA_COMMANDS else command not in CORE_COMMANDS)
    args = parser.parse_args(argv)
    from .ingest import limits

    limits.apply(args)  # --max-unpacked-mb / --max-rows, for this run and its parse workers
    try:
        if getattr(args, "writes", False):  # one writer at a time (lock.py), taken before anything is read
            from .ingest import lock

            with lock.hold(wait=args.wait, what=args.command):
                return args.func(args)
        return args.func(args)
    except AnalysisError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head`: not an error
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
