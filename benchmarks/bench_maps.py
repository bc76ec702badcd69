"""Benchmark `map` against its target (issue 15: one map <= 2 s as a whole CLI call on a built panel).

    python benchmarks/bench_maps.py --json benchmarks/latest.json   # after `build` and `build --archive`

Figures: whole CLI calls (interpreter start, imports of pandas, geopandas and matplotlib, the
sheet in force read from the archive panel, county placement, drawing and the atomic save) for
a state map and county maps (PNG, SVG, per capita), medians of a few runs, written to a temp
folder; and, in-process, where one county map's time goes. Whether the county codes came from
the tidy table's county_fips column or from geography's rules at map time is recorded: the
rules cost most of the county map's data step. The figures go under the "maps" key of the JSON
file (other keys kept); scripts/update_readme.py puts them in docs/performance.md. Targets are printed,
never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from clienv import cli_env
from record import record

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TARGET_S = 2.0
DAY = "2025-11-29"  # the Florida-share claim's date: a mid-size sheet (1,188 agreements)
CASES = {
    "state map, PNG": ["--level", "state"],
    "county map, PNG": ["--level", "county"],
    "county map, SVG": ["--level", "county"],
    "county map per 100,000 residents, PNG": ["--level", "county", "--per-capita"],
}


def cli_seconds(args: list[str], out: Path, repeat: int) -> tuple[float, float]:
    """Median wall-clock and CPU (user + system) seconds of the call: on a busy shared machine the
    CPU time says what the call costs when the wall clock says how long others made it wait."""
    env = cli_env(ROOT)
    runs, cpu = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "analysis", "map", "--as-of", DAY, *args, str(out)], cwd=ROOT, env=env,
                              capture_output=True, text=True)  # fmt: skip
        runs.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if proc.returncode != 0:
            sys.exit(f"`map {' '.join(args)}` failed ({proc.returncode}): {proc.stderr.strip()}")
    return statistics.median(runs), statistics.median(cpu)


def in_process() -> list[list]:
    """Seconds of each step of one county map in a fresh process (imports included)."""
    code = f"""
import json, time
t = [time.perf_counter()]
def lap(): t.append(time.perf_counter()); return round(t[-1] - t[-2], 3)
from analysis.engine import measures; import geopandas, matplotlib.pyplot
from analysis.publish import maps
out = [["imports", lap()]]
from analysis.core import paths
panel = measures.Panel.default(paths.project()); out.append(["panel", lap()])
md = maps.map_data("{DAY}", level="county", panel=panel); out.append(["map data (sheet, placement, geometry)", lap()])
maps.draw(md, "{{}}".format(__import__("tempfile").mkdtemp() + "/m.png")); out.append(["draw and save PNG", lap()])
print(json.dumps(out))
"""
    env = cli_env(ROOT)
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return json.loads(proc.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="merge the figures into this JSON file under 'maps'")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    import pyarrow.dataset as ds

    from analysis.core import paths
    from analysis.engine import measures

    panel = measures.Panel.default(paths.project(ROOT))
    columns = set(ds.dataset(panel.folder / "agreements.parquet").schema.names)
    with tempfile.TemporaryDirectory() as tmp:
        cli_seconds(["--level", "county"], Path(tmp) / "warm.png", 1)  # the OS's file cache, as for any later call
        results = [[name, *cli_seconds(a, Path(tmp) / ("m.svg" if "SVG" in name else "m.png"), args.repeat)]
                   for name, a in CASES.items()]  # fmt: skip
    load = os.getloadavg()[0]  # a shared machine: the figures are only as quiet as it was
    out = {"as_of": DAY, "panel": panel.source, "cpus": os.cpu_count(), "repeats": args.repeat, "load_1min": round(load, 1),
           "county_codes": "tidy table's county_fips" if "county_fips" in columns else "geography's rules at map time",
           "cli_s": results, "steps_s": in_process(), "target_s": TARGET_S,
           "target_met": all(v <= TARGET_S for _, v, _ in results)}  # fmt: skip
    for name, seconds, cpu in results:
        print(f"{name}: {seconds:.2f} s, CPU {cpu:.2f} s ({'met' if seconds <= TARGET_S else 'MISSED'}; target <= {TARGET_S} s)")
    print("one county map in-process: " + ", ".join(f"{k} {v:.2f} s" for k, v in out["steps_s"]))
    print(f"county codes from: {out['county_codes']}; load average (1 min) at the end: {out['load_1min']}")
    if args.json:
        record(args.json, out, "maps")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
