"""Measure `extract` against the claim registry on the five captured articles, and on the own test articles (issue 26).

    python benchmarks/bench_extract.py --json benchmarks/latest.json   # after `build --archive`

For each article the registry holds, the captured text (../shared/articles/) is drafted with
``extract`` at the article's date (the registry's day for an undated one) and compared with the
registry's claims, using the one definition of a match (analysis/factcheck/extract_match.py):

- recall: registry claims found by a drafted claim (checkable ones: those with a measure);
- precision: drafted readings (every drafted claim except the "not understood" flags, which read
  nothing) that match a registry claim or a reviewed reading the registry lacks
  (benchmarks/extract_reviewed.toml, each with the reviewer's reason); an unreviewed extra counts
  against it; the precision counting the flags as wrong is reported too;
- verdict agreement: registry checkable claims whose matching draft gets the same verdict from
  `check`'s engine on the same panel (a claim not found counts as a disagreement).

It also drafts the project's own test articles (tests/extract_articles/, each with the claims a
careful reader expects, written by hand) and reports the expected claims found. Articles marked
``held_out`` were written before the extractor was run on them; ``--first-run`` records a new
batch's figures once, before the extractor is changed for it, and every later run keeps those
records beside the figures now, so docs/performance.md shows how far the rules carried to unseen text.

The figures go under the "extract" key of the JSON file (other keys kept); scripts/update_readme.py
puts them in docs/performance.md. Targets are printed, never asserted.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import tomllib
from pathlib import Path

from record import record, recorded

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TARGETS = {"recall": 0.90, "verdict_agreement": 0.90, "precision": 0.85}
#: the project's own test articles (each NAME.txt|md|html with NAME.expected.toml)
OWN = ROOT / "tests" / "extract_articles"


def articles_dir() -> Path:
    from analysis.core import paths

    return paths.captured_articles(ROOT) or sys.exit("the captured articles (../shared/articles) are not here")


def reviewed(path: Path) -> list[dict]:
    return tomllib.loads(path.read_text(encoding="utf-8")).get("reading", []) if path.is_file() else []


def _judge(records: list[dict], panel) -> dict[str, str]:
    import tomli_w

    from analysis.factcheck import check

    if not records:
        return {}
    with tempfile.TemporaryDirectory() as tmp:
        f = Path(tmp) / "claims.toml"
        f.write_text(tomli_w.dumps({"claim": records}), encoding="utf-8")
        return {r["id"]: r["verdict"] for r in check.judge(check.load(f), panel)}


def run() -> dict:
    from analysis.core import paths
    from analysis.engine.measures import Panel
    from analysis.factcheck import claim_registry, claims, extract, extract_match
    from analysis.factcheck.verdicts import REASON_TYPES

    project = paths.project(ROOT)
    panel = Panel.default(project)
    folder = articles_dir()
    extras = reviewed(ROOT / "benchmarks" / "extract_reviewed.toml")
    per_article, unreviewed, missed = [], [], []
    totals = {k: 0 for k in ("registry", "registry_checkable", "found", "found_checkable", "drafted", "readings",
                             "flags", "correct", "agree")}  # fmt: skip
    started = time.perf_counter()
    for art in claim_registry.load_articles():
        day = art.date or claims.article_day(art.id)
        ex = extract.extract(folder / art.capture, date=day, source=art.publication, processed=project.processed)
        extract.validated(ex)
        gold = [c for c in claim_registry.load_claims() if c.article == art.id]
        checkable = [c for c in gold if c.comparison_type not in REASON_TYPES]
        drafted_verdicts = _judge([{k: v for k, v in d.items() if k != "line"} for d in ex.claims
                                   if extract_match.ctype(d["comparison"]) not in REASON_TYPES], panel)  # fmt: skip
        gold_verdicts = _judge([extract_match.as_file_claim(c) for c in checkable], panel)
        found = {c.id: [d for d in ex.claims if extract_match.matches(d, c, panel)] for c in gold}
        agree = sum(1 for c in checkable if any(drafted_verdicts.get(d["id"]) == gold_verdicts[c.id] for d in found[c.id]))
        flags = [d for d in ex.claims if str(d.get("reason", "")).startswith("not understood")]
        readings = [d for d in ex.claims if d not in flags]
        correct = 0
        for d in readings:
            if any(d in found[c.id] for c in gold):
                correct += 1
            elif any(r["article"] == art.id and r["text"] in d["quote"] and extract_match.same_figure(r["claimed"], d["claimed"])
                     and r["type"] == extract_match.ctype(d["comparison"]) and r["review"] == "correct" for r in extras):  # fmt: skip
                correct += 1
            else:
                unreviewed.append({"article": art.id, "id": d["id"], "quote": d["quote"][:120], "claimed": d["claimed"],
                                   "type": extract_match.ctype(d["comparison"]), "reading": d["reading"]})  # fmt: skip
        missed += [{"article": art.id, "id": c.id} for c in gold if not found[c.id]]
        row = {"article": art.id, "registry": len(gold), "registry_checkable": len(checkable),
               "found": sum(1 for c in gold if found[c.id]), "found_checkable": sum(1 for c in checkable if found[c.id]),
               "drafted": len(ex.claims), "readings": len(readings), "flags": len(flags), "correct": correct, "agree": agree,
               "skipped": len(ex.skipped)}  # fmt: skip
        per_article.append(row)
        for k in totals:
            totals[k] += row[k]
    t = totals
    result = {
        "articles": per_article, "totals": t,
        "recall_checkable": t["found_checkable"] / t["registry_checkable"], "recall_all": t["found"] / t["registry"],
        "precision": t["correct"] / t["readings"] if t["readings"] else 0.0,
        "precision_flags_as_wrong": t["correct"] / t["drafted"] if t["drafted"] else 0.0,
        "verdict_agreement": t["agree"] / t["registry_checkable"], "missed": missed, "unreviewed_extras": unreviewed,
        "seconds": round(time.perf_counter() - started, 2), "panel": panel.source, "targets": TARGETS,
    }  # fmt: skip
    result["targets_met"] = {"recall": result["recall_checkable"] >= TARGETS["recall"],
                             "verdict_agreement": result["verdict_agreement"] >= TARGETS["verdict_agreement"],
                             "precision": result["precision"] >= TARGETS["precision"]}  # fmt: skip
    return result


def own_articles() -> dict:
    """Recall on the project's own test articles: each expected claim found by a drafted claim
    (extract_match.finds_expected, the rule tests/test_extract.py asserts). Articles marked
    ``held_out`` were written before the extractor was run on them."""
    from analysis.factcheck import extract, extract_match

    rows = []
    for path in sorted(p for p in OWN.iterdir() if p.suffix in (".txt", ".md", ".html")):
        spec = path.with_name(path.stem + ".expected.toml")
        if not spec.is_file():
            continue
        expected = tomllib.loads(spec.read_text(encoding="utf-8"))
        ex = extract.extract(path, date=expected["date"], source="Test outlet")
        missed = [e for e in expected["expect"] if not any(extract_match.finds_expected(d, e) for d in ex.claims)]
        rows.append({"article": path.stem, "held_out": bool(expected.get("held_out")), "expected": len(expected["expect"]),
                     "found": len(expected["expect"]) - len(missed),
                     "missed": [f"{e['claimed']} {extract_match.ctype(e['comparison'])}" for e in missed]})  # fmt: skip
    held = [r for r in rows if r["held_out"]]
    return {"articles": rows, "expected": sum(r["expected"] for r in rows), "found": sum(r["found"] for r in rows),
            "held_out_expected": sum(r["expected"] for r in held), "held_out_found": sum(r["found"] for r in held)}  # fmt: skip


def _commit() -> str:
    import subprocess

    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False)
    return out.stdout.strip() or "unknown"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="add the figures to this JSON file under the key 'extract'")
    parser.add_argument("--first-run", action="store_true",
                        help="only record the first run of the held-out own articles no earlier run recorded (under "
                             "extract.first_runs), before the extractor is changed for them")  # fmt: skip
    args = parser.parse_args()
    if args.first_run:
        before = recorded(args.json).get("extract", {}) if args.json else {}
        earlier = before.get("first_runs", [])
        seen = {row["article"] for batch in earlier for row in batch["articles"]}
        fresh = [r for r in own_articles()["articles"] if r["held_out"] and r["article"] not in seen]
        first = {"commit": _commit(), "articles": fresh, "expected": sum(r["expected"] for r in fresh),
                 "found": sum(r["found"] for r in fresh)}  # fmt: skip
        print(f"held-out own articles not recorded before, first run at {first['commit']}: "
              f"{first['found']}/{first['expected']} expected claims found")
        for row in fresh:
            print(f"  {row['article']:30} {row['found']}/{row['expected']}; missed: {', '.join(row['missed']) or '-'}")
        if args.json and fresh:
            record(args.json, {**before, "first_runs": [*earlier, first]}, "extract")
        return 0
    r = run()
    r["own"] = own_articles()
    for row in r["articles"]:
        print(f"{row['article']:24} found {row['found_checkable']}/{row['registry_checkable']} checkable "
              f"({row['found']}/{row['registry']} all); {row['correct']}/{row['readings']} readings correct, "
              f"{row['flags']} not understood; verdicts agree {row['agree']}/{row['registry_checkable']}")  # fmt: skip
    print(f"recall {r['recall_checkable']:.1%} (target >= 90%), precision {r['precision']:.1%} (target >= 85%; "
          f"{r['precision_flags_as_wrong']:.1%} counting flags as wrong), verdict agreement {r['verdict_agreement']:.1%} "
          f"(target >= 90%)")  # fmt: skip
    own = r["own"]
    print(f"own test articles: {own['found']}/{own['expected']} expected claims found "
          f"(held out: {own['held_out_found']}/{own['held_out_expected']})")
    for row in own["articles"]:
        if row["missed"]:
            print(f"  {row['article']}: missed {', '.join(row['missed'])}")
    for m in r["missed"]:
        print(f"missed: {m['article']} {m['id']}")
    for u in r["unreviewed_extras"]:
        print(f"unreviewed extra: {u['article']} {u['id']} ({u['type']} {u['claimed']}): {u['reading'][:100]}")
    if args.json:
        before = recorded(args.json).get("extract", {})
        if "first_runs" in before:  # each recorded once by --first-run, kept by every later run
            r["first_runs"] = before["first_runs"]
        record(args.json, r, "extract")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
