"""Benchmark a newsroom's batch: `check` on 2,000 claims over 500 distinct dates (issue 26, item 5).

    DATA_MIRROR=../shared/data/raw python benchmarks/bench_batch.py --json benchmarks/latest.json

The claims file is made from the registry's own checkable claims (their measures, printed figures and
comparisons: a season of coverage repeats those), each dated on one of 500 distinct days drawn evenly
from the days the archive has a participating sheet (2021-01-13 to 2026-05-18), so the claims fall on many different
sheets. It runs as a whole CLI call in this checkout (its built archive panel), median of 3, and the
evidence folder is measured after the run. Two figures:

- the verdicts with their evidence (``--no-held``): the target, <= 3 s and <= 20 MB of evidence;
- the same with "when did it hold" for every claim (each claim judged on every sheet), reported beside it.

Targets are printed, never asserted. The figures go under the "batch" key of the JSON file.
"""

from __future__ import annotations

import argparse
import json
import shutil
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

TARGETS = {"batch_s": 3.0, "batch_evidence_mb": 20.0}
N_CLAIMS, N_DATES = 2000, 500


def claims_file(path: Path) -> dict:
    """N_CLAIMS claims over N_DATES distinct days: the registry's checkable claims, re-dated."""
    from analysis.core import paths
    from analysis.engine import reader
    from analysis.factcheck import claim_registry

    panel = reader.open_panel(paths.project(ROOT))
    if panel.source != "archive":
        sys.exit("the archive panel is not built and current: run `make build` first")
    sheets = panel.sheets_of("participating")
    days = sorted({d.isoformat() for d in sheets["published"]})  # 748 distinct days with a sheet, 2021 to 2026
    if len(days) < N_DATES:
        sys.exit(f"the archive has sheets on {len(days)} distinct days, fewer than {N_DATES}")
    dates = [days[round(i * (len(days) - 1) / (N_DATES - 1))] for i in range(N_DATES)]  # evenly spread, distinct
    cores = [c.core for c in claim_registry.load_claims()
             if c.core.checkable and c.measure.source == "ice" and c.measure.kind == "participating"]  # fmt: skip
    lines = []
    for i in range(N_CLAIMS):
        core, day = cores[i % len(cores)], dates[i % len(dates)]
        if core.measure.since is not None and core.measure.since.isoformat() >= day:
            day = dates[-1 - (i % 50)]
        record = {"id": f"{core.id}-{i:04d}", "date": day, "quote": core.quote, "measure": core.measure.to_dict(),
                  "claimed": core.claimed, "comparison": core.comparison, "also_units": core.also_units}  # fmt: skip
        lines.append("[[claim]]")
        lines += [f"{k} = {_toml(v)}" for k, v in record.items()]
        lines.append("")
    path.write_text("\n".join(lines))
    return {"claims": N_CLAIMS, "dates": len(set(dates)), "measures": len({c.measure for c in cores})}


def _toml(value) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(value)


def run(toml: Path, evidence: Path, *extra: str) -> tuple[float, int]:
    shutil.rmtree(evidence, ignore_errors=True)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "analysis", "check", str(toml), "--format", "json", "--evidence-dir",
                           str(evidence), *extra], cwd=ROOT, env=cli_env(ROOT), capture_output=True, text=True)  # fmt: skip
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"check failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    size = sum(p.stat().st_size for p in evidence.rglob("*") if p.is_file())
    return seconds, size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, help="merge the figures into this JSON file under 'batch'")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        toml = Path(tmp) / "season.toml"
        out = claims_file(toml)
        evidence = Path(tmp) / "evidence"
        runs = [run(toml, evidence, "--no-held") for _ in range(3)]
        out["batch_s"] = statistics.median(r[0] for r in runs)
        out["batch_evidence_mb"] = runs[-1][1] / 2**20
        out["batch_evidence_files"] = sum(1 for _ in evidence.glob("*.csv"))
        out["batch_held_s"] = run(toml, evidence)[0]
    met = {"batch_s": out["batch_s"] <= TARGETS["batch_s"], "batch_evidence_mb": out["batch_evidence_mb"] <= TARGETS["batch_evidence_mb"]}
    print(f"check of {out['claims']:,} claims over {out['dates']} dates ({out['measures']} measures), whole CLI call, "
          f"--no-held: {out['batch_s']:.2f} s (target <= {TARGETS['batch_s']:.0f} s) {'met' if met['batch_s'] else 'MISSED'}")
    print(f"evidence: {out['batch_evidence_mb']:.1f} MB in {out['batch_evidence_files']:,} files (target <= "
          f"{TARGETS['batch_evidence_mb']:.0f} MB) {'met' if met['batch_evidence_mb'] else 'MISSED'}")
    print(f"with 'when did it hold' for every claim: {out['batch_held_s']:.2f} s")
    out["targets"], out["met"] = TARGETS, met
    if args.json:
        record(args.json, out, "batch")
    return 0


if __name__ == "__main__":
    sys.exit(main())
