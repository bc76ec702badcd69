"""Benchmark `reproduce` and `check` against their targets (issue 13), as whole CLI calls.

    DATA_MIRROR=../shared/data/raw python benchmarks/bench_reproduce.py --json benchmarks/latest.json

Figures (each in a fresh `git clone` of this checkout's HEAD under a temp folder, with the mirror
and this venv: nothing under the checkout's data/ or reports/ is touched):

- ``reproduce`` on the fresh clone: fetch (curated set and archive, from the mirror), build,
  archive panel from nothing, every notebook, claims and report; one run (it is minutes of CPU),
  with the time of each step and of each notebook;
- ``reproduce`` again with nothing changed (median of 3), and whether the report came out byte
  for byte the same (reports/ without the stamps);
- ``check FILE.toml`` of 50 claims on the built archive panel (median of 3): the claims are the
  worked examples of docs/claims-file.md, each at several dates. The target is for the verdicts
  and their evidence (``--no-held``), what a check was when it was set; "when did it hold" (each
  claim judged again on every one of ~900 sheets, on by default since issue 26) is timed beside it,
  as benchmarks/bench_batch.py does for a season.

The figures go under the "reproduce" key of the JSON file (the archive benchmark's keys are
kept); scripts/update_readme.py puts them in docs/performance.md. Targets are printed, never asserted.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

from clienv import cli_env
from record import record

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {"fresh_reproduce_s": 45.0, "again_s": 2.0, "check_50_s": 1.0}
N_CLAIMS = 50
DATES = ["2025-02-21", "2025-04-01", "2025-06-16", "2025-07-31", "2025-09-03", "2025-09-18", "2025-11-29",
         "2026-01-15", "2026-03-02", "2026-05-18"]  # fmt: skip


def cli(clone: Path, *args: str) -> tuple[float, subprocess.CompletedProcess]:
    env = cli_env(clone)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "analysis", *args], cwd=clone, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"`python -m analysis {' '.join(args)}` failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return seconds, proc


def report_digests(clone: Path) -> dict[str, str]:
    reports = clone / "reports"
    return {p.relative_to(reports).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(reports.rglob("*")) if p.is_file() and ".stamps" not in p.parts}  # fmt: skip


def steps(stdout: str) -> dict[str, float]:
    """reproduce's last line, 'time: fetch 0.2 s, build 0.1 s, ...' -> {step: seconds}."""
    line = next(line for line in reversed(stdout.splitlines()) if line.startswith("time: "))
    return {part.rsplit(" ", 2)[0]: float(part.rsplit(" ", 2)[1]) for part in line.removeprefix("time: ").split(", ")}


def claims_file(path: Path) -> int:
    """N_CLAIMS claims: docs/claims-file.md's examples, dated across DATES (ids made unique)."""
    docs = (ROOT / "docs" / "claims-file.md").read_text()
    examples = [c for block in re.findall(r"```toml\n(.*?)```", docs, re.S) for c in tomllib.loads(block)["claim"]]
    lines = []
    for i in range(N_CLAIMS):
        claim = dict(examples[i % len(examples)])
        claim["id"] = f"{claim['id']}-{i:02d}"
        claim["date"] = DATES[(i // len(examples)) % len(DATES)]
        since = (claim.get("measure") or {}).get("since")
        if since and since >= claim["date"]:
            continue
        lines.append("[[claim]]")
        lines += [f"{k} = {json.dumps(v) if not isinstance(v, dict) else _inline(v)}" for k, v in claim.items()]
        lines.append("")
    path.write_text("\n".join(lines))
    return lines.count("[[claim]]")


def _inline(table: dict) -> str:
    return "{ " + ", ".join(f"{k} = {json.dumps(v) if not isinstance(v, dict) else _inline(v)}" for k, v in table.items()) + " }"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", help="add the figures to this JSON file under the key 'reproduce'")
    args = parser.parse_args()
    if not os.environ.get("DATA_MIRROR"):
        sys.exit("set DATA_MIRROR to the raw-data mirror (e.g. ../shared/data/raw): the benchmark is 'with the mirror'")
    os.environ["DATA_MIRROR"] = str(Path(os.environ["DATA_MIRROR"]).resolve())
    out: dict = {"cpus": os.cpu_count(), "python": sys.version.split()[0]}
    with tempfile.TemporaryDirectory(prefix="bench-reproduce-") as tmp:
        clone = Path(tmp) / "clone"
        subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
        out["commit"] = subprocess.run(["git", "-C", str(clone), "rev-parse", "--short", "HEAD"], capture_output=True,
                                       text=True, check=True).stdout.strip()  # fmt: skip

        out["fresh_s"], proc = cli(clone, "reproduce", "--quiet")
        out["fresh_steps"] = list(steps(proc.stdout).items())  # a list: the JSON keeps the pipeline's order
        out["notebook_s"] = {p.stem: json.loads(p.read_text())["seconds"] for p in sorted((clone / "reports" / ".stamps").glob("*.json"))}
        first = report_digests(clone)

        again, skipped = [], True
        for _ in range(3):
            seconds, proc = cli(clone, "reproduce", "--quiet")
            again.append(seconds)
            skipped = skipped and proc.stdout.count("inputs unchanged, not re-executed") == 6
        out["again_s"] = statistics.median(again)
        out["again_steps"] = list(steps(proc.stdout).items())
        out["again_all_skipped"] = skipped
        out["again_byte_identical"] = report_digests(clone) == first

        toml_path = Path(tmp) / "claims50.toml"
        out["check_claims"] = claims_file(toml_path)
        evidence = Path(tmp) / "evidence"
        check = [str(toml_path), "--format", "json", "--evidence-dir", str(evidence)]
        out["check_50_s"] = statistics.median(cli(clone, "check", *check, "--no-held")[0] for _ in range(3))
        out["check_50_held_s"] = statistics.median(cli(clone, "check", *check)[0] for _ in range(3))

    met = {"reproduce, fresh clone": out["fresh_s"] <= TARGETS["fresh_reproduce_s"],
           "reproduce again, nothing changed": out["again_s"] <= TARGETS["again_s"] and out["again_byte_identical"],
           "check of 50 claims": out["check_50_s"] <= TARGETS["check_50_s"]}  # fmt: skip
    out["targets_met"] = met
    print(f"reproduce on a fresh clone: {out['fresh_s']:.1f} s (target <= {TARGETS['fresh_reproduce_s']:.0f} s)  "
          f"{'met' if met['reproduce, fresh clone'] else 'MISSED'}")
    print("  steps: " + ", ".join(f"{k} {v:.1f} s" for k, v in out["fresh_steps"]))
    print("  notebooks: " + ", ".join(f"{k} {v:.1f} s" for k, v in out["notebook_s"].items()))
    print(f"reproduce again: {out['again_s']:.2f} s (target <= {TARGETS['again_s']:.0f} s), every notebook skipped: "
          f"{out['again_all_skipped']}, report byte-identical: {out['again_byte_identical']}  "
          f"{'met' if met['reproduce again, nothing changed'] else 'MISSED'}")
    print("  steps: " + ", ".join(f"{k} {v:.2f} s" for k, v in out["again_steps"]))
    print(f"check of {out['check_claims']} claims (whole CLI call, --no-held): {out['check_50_s']:.2f} s "
          f"(target <= {TARGETS['check_50_s']:.0f} s)  {'met' if met['check of 50 claims'] else 'MISSED'}")
    print(f"  with 'when did it hold' for every claim (the default): {out['check_50_held_s']:.2f} s")
    if args.json:
        record(args.json, out, "reproduce")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
