"""Write the generated blocks: docs/performance.md's table from benchmarks/latest.json, and the README's
claims table, each claim judged by the engine (the figures and verdicts are never typed in).

    python benchmarks/bench_archive.py --json benchmarks/latest.json && python scripts/update_readme.py
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BEGIN = "<!-- BEGIN performance (written by scripts/update_readme.py from benchmarks/latest.json) -->"
END = "<!-- END performance -->"


def _how(message: str) -> str:
    """'archive panel: appended 1 sheet(s) (1 agencies renamed)' -> 'appended, 1 agencies renamed'."""
    how = message.removeprefix("archive panel: ")
    return "full build" if "appended" not in how else how.replace(" 1 sheet(s)", "").replace(" (", ", ").rstrip(")")


def load_note(b: dict) -> str:
    """The machine's load during the run (its cores are shared), when the run recorded it."""
    if "load_1min" not in b:
        return ""
    return f", load average {b['load_1min']:.2f} at the start and {b['load_1min_end']:.2f} at the end"


def render(b: dict) -> str:
    met = b["targets_met"]
    mark = {True: "met", False: "**missed**"}
    ratio = b["cold_build_s"] / b["baseline_calamine_s"]
    add = b["add_one_sheet"]
    rows = [
        ("baseline: bare python-calamine read of every file's first sheet", f"{b['baseline_calamine_s']:.2f} s", "", ""),
    ]
    if "baseline_openpyxl_s" in b:
        rows.append(("baseline: naive `pandas.read_excel(engine=\"openpyxl\")` loop", f"{b['baseline_openpyxl_s']:.2f} s", "", ""))
    rows += [
        ("cold `build --archive` (empty cache; CLI call)", f"{b['cold_build_s']:.2f} s ({ratio:.2f} × bare read, medians of runs taken in turns)",
         f"≤ {b['targets']['cold_build_ratio']:g} × bare read",
         mark[met["cold build --archive"]]),
        ("peak memory of the cold build", f"{b['cold_build_peak_mib']:.0f} MiB", "< 1 GiB", mark[met["peak memory, cold build"]]),
        ("warm `build --archive`, nothing changed (CLI call)", f"{b['warm_build_cli_s']:.2f} s", "< 0.5 s",
         mark[met["warm build --archive (CLI)"]]),
        ("warm `build --archive`, nothing changed (in-process)", f"{b['warm_build_inprocess_s']:.2f} s", "< 0.5 s",
         mark[met["warm build --archive (in-process)"]]),
        (f"add one sheet (`{Path(add['sheet']).name}`), extra over warm, in-process (median of {add.get('repeats', 1)} runs)",
         f"{add['extra_s']:.2f} s ({_how(add['how'])})", "< 0.5 s", mark[met["add one sheet (extra over warm, in-process)"]]),
        (f"the {len(add['runs'])} newest sheets added one at a time: median / slowest extra, in-process",
         f"{add['median_extra_s']:.2f} s / {max(r['extra_s'] for r in add['runs']):.2f} s", "", ""),
        ("for comparison: add one sheet as a whole CLI call, extra over the warm CLI call (imports pandas, pyarrow, pandera)",
         f"{add['cli_extra_s']:.2f} s", "", ""),
        ("`query --as-of` on the archive, in-process (tables loaded)", f"{b['query_inprocess_s'] * 1000:.0f} ms", "< 0.3 s",
         mark[met["query --as-of (in-process, tables loaded)"]]),
        ("`query --as-of` on the archive, whole CLI call", f"{b['query_cli_s']:.2f} s", "< 0.3 s",
         mark[met["query --as-of (whole CLI call)"]]),
    ]  # fmt: skip
    lines = [
        f"Latest run: {b['files']:,} archived files, {b['cpus']} CPUs, Python {b['python']}"
        f"{load_note(b)}, produced by",
        "`python benchmarks/bench_archive.py --json benchmarks/latest.json` (medians of repeated runs).",
        "",
        "| measure | result | target | |",
        "|---|---|---|---|",
        *[f"| {a} | {r} | {t} | {m} |" for a, r, t, m in rows],
    ]
    if "reproduce" in b:
        lines += ["", *render_reproduce(b["reproduce"])]
    if "batch" in b:
        lines += ["", *render_batch(b["batch"])]
    if "maps" in b:
        lines += ["", *render_maps(b["maps"])]
    if "extract" in b:
        lines += ["", *render_extract(b["extract"])]
    return "\n".join(lines)


def render_batch(c: dict) -> list[str]:
    """A newsroom's season checked at once (benchmarks/bench_batch.py)."""
    mark = {True: "met", False: "**missed**"}
    rows = [(f"`check` of {c['claims']:,} claims over {c['dates']} distinct dates ({c['measures']} measures), "
             "`--no-held`, whole CLI call (median of 3)", f"{c['batch_s']:.2f} s", f"≤ {c['targets']['batch_s']:g} s",
             mark[c["met"]["batch_s"]]),
            ("… its evidence folder (each sheet's rows once per sheet and filter, each claim's rows as ranges of them)",
             f"{c['batch_evidence_mb']:.1f} MB in {c['batch_evidence_files']:,} files",
             f"≤ {c['targets']['batch_evidence_mb']:g} MB", mark[c["met"]["batch_evidence_mb"]]),
            ("… the same with \"when did it hold\" for every claim", f"{c['batch_held_s']:.2f} s", "", "")]  # fmt: skip
    return [
        "A season checked at once, produced by `python benchmarks/bench_batch.py --json benchmarks/latest.json`.",
        "",
        "| measure | result | target | |",
        "|---|---|---|---|",
        *[f"| {a} | {r} | {t} | {m} |" for a, r, t, m in rows],
    ]


def render_extract(e: dict) -> list[str]:
    """benchmarks/bench_extract.py's figures: `extract` on the five captured articles against the registry."""
    mark = {True: "met", False: "**missed**"}
    t = e["totals"]
    rows = [
        ("recall: registry claims with a measure found (equivalent measure, date and comparison)",
         f"{e['recall_checkable']:.1%} ({t['found_checkable']}/{t['registry_checkable']}); all claims {e['recall_all']:.1%}",
         "≥ 90 %", mark[e["targets_met"]["recall"]]),
        *_own_rows(e),
        ("precision: drafted readings matching the registry or a reviewed reading",
         f"{e['precision']:.1%} ({t['correct']}/{t['readings']}); {e['precision_flags_as_wrong']:.1%} counting the "
         f"{t['flags']} 'not understood' flags as wrong", "≥ 85 %", mark[e["targets_met"]["precision"]]),
        ("verdict agreement after `check` (registry claims with a measure; a miss counts as a disagreement)",
         f"{e['verdict_agreement']:.1%} ({t['agree']}/{t['registry_checkable']})", "≥ 90 %", mark[e["targets_met"]["verdict_agreement"]]),
    ]  # fmt: skip
    return [
        f"Article extraction ({e['panel']} panel; {t['drafted']} claims drafted from the five captured articles in {e['seconds']:.1f} s; "
        f"the project's own test articles in `tests/extract_articles/`, their expected claims written by hand), "
        "produced by `python benchmarks/bench_extract.py --json benchmarks/latest.json` (what counts as a match: "
        "`analysis/factcheck/extract_match.py`).",
        "",
        "| measure | result | target | |",
        "|---|---|---|---|",
        *[f"| {a} | {r} | {tg} | {m} |" for a, r, tg, m in rows],
    ]


def _own_rows(e: dict) -> list[tuple[str, str, str, str]]:
    """The own test articles' recall, and each held-out batch's first run (recorded once, before the
    extractor was changed for it) beside its recall now."""
    own = e.get("own")
    if not own:
        return []
    rows = [(f"recall on the own test articles ({len(own['articles'])} articles; expected claims found)",
             f"{own['found'] / own['expected']:.1%} ({own['found']}/{own['expected']})", "", "")]
    now = {r["article"]: r for r in own["articles"]}
    for first in e.get("first_runs", []):
        found_now = sum(now[r["article"]]["found"] for r in first["articles"] if r["article"] in now)
        rows.append((f"… {len(first['articles'])} held out (expected claims written before the extractor was run on them): "
                     f"first run at `{first['commit']}`; now",
                     f"first run {first['found'] / first['expected']:.1%} ({first['found']}/{first['expected']}); "
                     f"now {found_now / first['expected']:.1%} ({found_now}/{first['expected']})", "", ""))  # fmt: skip
    return rows


def render_maps(m: dict) -> list[str]:
    """benchmarks/bench_maps.py's figures: `map` as whole CLI calls on the built panel."""
    mark = {True: "met", False: "**missed**"}
    rows = [(f"`map --as-of {m['as_of']}`, {name} (whole CLI call, median of {m['repeats']})", f"{s:.2f} s (CPU {cpu:.2f} s)",
             f"≤ {m['target_s']:g} s", mark[s <= m["target_s"]]) for name, s, cpu in m["cli_s"]]
    steps = ", ".join(f"{k} {v:.2f} s" for k, v in m["steps_s"])
    rows.append(("… one county map, where the time went (in-process)", steps, "", ""))
    return [
        f"Maps ({m['panel']} panel, {m['cpus']} CPUs, load average {m.get('load_1min', '?')} at the end of the run; "
        f"county codes from {m['county_codes']}), produced by",
        "`python benchmarks/bench_maps.py --json benchmarks/latest.json`.",
        "",
        "| measure | result | target | |",
        "|---|---|---|---|",
        *[f"| {a} | {r} | {t} | {k} |" for a, r, t, k in rows],
    ]


CLAIMS_BEGIN = "<!-- BEGIN claims (written by scripts/update_readme.py: the registry's claims, judged by the engine) -->"
CLAIMS_END = "<!-- END claims -->"
#: a passage longer than this is cut at a word, the cut marked "..." (the claim page has it whole)
QUOTE_SHOWN = 90


def statistic_lines() -> tuple[str, dict[str, int], int]:
    """Where the engine computes each statistic: measures.py's path from the root, statistic -> the
    first line of ``evaluate`` that tests it (``m.statistic == "share"``: the branch that computes
    it), and the line of ``evaluate`` itself (for a measure with its own reader, e.g. TRAC's)."""
    import ast

    sys.path.insert(0, str(ROOT))
    from analysis.engine import measures

    path = Path(measures.__file__).resolve()
    fn = next(n for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.FunctionDef) and n.name == "evaluate")
    lines: dict[str, int] = {}
    for node in ast.walk(fn):
        if isinstance(node, ast.Compare) and isinstance(node.left, ast.Attribute) and node.left.attr == "statistic":
            for comp in node.comparators:
                for const in [comp, *getattr(comp, "elts", [])]:
                    if isinstance(const, ast.Constant) and isinstance(const.value, str):
                        lines[const.value] = min(lines.get(const.value, node.lineno), node.lineno)
    return path.relative_to(ROOT).as_posix(), lines, fn.lineno


def _cut(quote: str) -> str:
    if len(quote) <= QUOTE_SHOWN:
        return quote
    return quote[: quote.rfind(" ", 0, QUOTE_SHOWN)].rstrip(",;:—-– ") + " ..."


def _printed(value) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value))
    return f"{value:,}" if isinstance(value, int) else str(value)


def render_claims() -> str:
    """One table per article: each passage (verbatim, cut with "..."), its verdict, the printed figure
    and what the engine found, and the engine line that counts it. Each claim is judged here by the one
    judge (factcheck/judge.py) on the engine's default panel, as claims.json's producer judges it, so
    the README cannot disagree with the report; the link goes from the row to its code in one click."""
    sys.path.insert(0, str(ROOT))
    from analysis import claim_registry
    from analysis.core import paths
    from analysis.engine import reader
    from analysis.factcheck import judge

    engine, stat_line, evaluate_line = statistic_lines()
    panel = reader.open_panel(paths.project(ROOT))
    out: list[str] = []
    for article in claim_registry.load_articles():
        mine = [c for c in claim_registry.load_claims() if c.article == article.id]
        if not mine:
            continue
        out += ["", f"**{article.publication}**, {article.date or 'undated'}", "",
                "| passage | verdict | printed → found | counted by |", "|---|---|---|---|"]  # fmt: skip
        for c in mine:
            if c.core.checkable:
                value, ev = judge.evaluate(c.core, panel)
                verdict, found = judge.verdict(c.core, value, ev.detail, ev.snapshot).verdict, ev.display()
                line = evaluate_line if c.measure.source == "trac-county" else stat_line.get(c.measure.statistic, evaluate_line)
                how = f"[{c.measure.statistic.replace('_', ' ')}]({engine}#L{line})"
            else:
                verdict, found, how = judge.verdict(c.core, None).verdict, "—", c.comparison_type.replace("_", " ")
            quote = _cut(c.quote).replace("|", "\\|")
            out.append(f"| \u201c{quote}\u201d | {verdict} | {_printed(c.claimed_value)} → {found} | {how} |")
    return "\n".join(out[1:])


def _replace(text: str, begin: str, end: str, body: str) -> str:
    pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.S)
    if not pattern.search(text):
        sys.exit(f"no block markers {begin!r}")
    return pattern.sub(lambda _: f"{begin}\n{body}\n{end}", text)


def render_reproduce(r: dict) -> list[str]:
    """benchmarks/bench_reproduce.py's figures: whole CLI calls on a fresh clone."""
    met = r["targets_met"]
    mark = {True: "met", False: "**missed**"}
    steps = ", ".join(f"{k} {v:.1f} s" for k, v in r["fresh_steps"])
    books = ", ".join(f"{k} {v:.1f} s" for k, v in r["notebook_s"].items() if k != "recheck")
    same = "byte-identical report" if r["again_byte_identical"] else "**report differed**"
    skipped = "no notebook executed" if r["again_all_skipped"] else "**some notebooks executed again**"
    rows = [
        ("`reproduce` on a fresh clone (mirror and venv present; archive included)", f"{r['fresh_s']:.1f} s", "≤ 45 s",
         mark[met["reproduce, fresh clone"]]),
        ("… where the time went", f"{steps}; notebooks: {books}", "", ""),
        ("`reproduce` again, nothing changed (median of 3)", f"{r['again_s']:.2f} s ({skipped}; {same})", "≤ 2 s",
         mark[met["reproduce again, nothing changed"]]),
        (f"`check FILE.toml --no-held` of {r['check_claims']} claims on the archive panel: verdicts and evidence "
         "(whole CLI call, median of 3)", f"{r['check_50_s']:.2f} s", "≤ 1 s", mark[met["check of 50 claims"]]),
    ]  # fmt: skip
    if "check_50_held_s" in r:
        rows.append(("… the same with \"when did it hold\" (the default: each claim judged on every sheet)",
                     f"{r['check_50_held_s']:.2f} s", "", ""))
    return [
        f"Reproduce and check (commit {r['commit']}), produced by",
        "`python benchmarks/bench_reproduce.py --json benchmarks/latest.json` (whole CLI calls in a fresh clone).",
        "",
        "| measure | result | target | |",
        "|---|---|---|---|",
        *[f"| {a} | {res} | {t} | {m} |" for a, res, t, m in rows],
    ]


#: where each generated block lives
PERFORMANCE_DOC = ROOT / "docs" / "performance.md"
EXTRACT_BEGIN = "<!-- BEGIN extract (written by scripts/update_readme.py from benchmarks/latest.json) -->"
EXTRACT_END = "<!-- END extract -->"


def render_extract_summary(e: dict) -> str:
    """The README's short table of `extract` against the registry (docs/performance.md has it whole)."""
    t, mark = e["totals"], {True: "met", False: "**missed**"}
    first = e.get("first_runs", [])
    held_out = ", then ".join(f"{f['found']}/{f['expected']}" for f in first)
    rows = [("recall (registry claims found)", f"{t['found_checkable']}/{t['registry_checkable']}", "≥ 90 %", mark[e["targets_met"]["recall"]]),
            ("precision (drafted readings right)", f"{t['correct']}/{t['readings']}", "≥ 85 %", mark[e["targets_met"]["precision"]]),
            ("verdict agreement after `check`", f"{t['agree']}/{t['registry_checkable']}", "≥ 90 %",
             mark[e["targets_met"]["verdict_agreement"]])]  # fmt: skip
    if first and e.get("own"):
        rows.append((f"own test articles ({len(e['own']['articles'])}): each batch's first run, before any fix; now",
                     f"{held_out}; now {e['own']['found']}/{e['own']['expected']}", "", ""))
    return "\n".join(["| `extract` on the five articles | result | target | |", "|---|---|---|---|",
                      *[f"| {a} | {r} | {g} | {m} |" for a, r, g, m in rows]])  # fmt: skip


def main() -> int:
    bench = json.loads((ROOT / "benchmarks" / "latest.json").read_text())
    PERFORMANCE_DOC.write_text(_replace(PERFORMANCE_DOC.read_text(), BEGIN, END, render(bench)))
    readme = ROOT / "README.md"
    text = _replace(readme.read_text(), EXTRACT_BEGIN, EXTRACT_END, render_extract_summary(bench["extract"]))
    readme.write_text(_replace(text, CLAIMS_BEGIN, CLAIMS_END, render_claims()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
