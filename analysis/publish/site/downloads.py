"""The data page: the current list with county FIPS, the archive panel and its history, the claims,
and the data dictionary, each with its size and sha256.

Why these formats: Parquet keeps types and is small (the panel's 337,000 rows are ~2 MB); CSV is
what spreadsheets and every language read. The panel's CSV is gzip-compressed (160 MB of text
become ~12 MB; pandas, R and Stata read .csv.gz directly); the rest is small enough to ship plain.
CSV text cells that a spreadsheet would run are defused (core/csvsafe.py), dates are YYYY-MM-DD.
The archive files depend on the data alone, so they have their own stamp and are written again
only when the data change; gzip's header carries no time or name, so the bytes are the same
every time. The column meanings come from the data dictionary's own source (core/table_spec.py).
"""

from __future__ import annotations

import gzip
import io
import time
from concurrent.futures import ThreadPoolExecutor

from ...core import paths, table_spec
from .inputs import CURRENT_COLUMNS, MOA_URL_MEANING, Inputs
from .render import Site

STAMP = "site-downloads"
DIR = "data"
#: archive table -> the site's name of its download (one Parquet, one CSV each)
ARCHIVE = {"agreements.parquet": "archive_agreements", "history.parquet": "archive_history",
           "snapshots.parquet": "archive_snapshots"}  # fmt: skip
COMPRESSED = {"archive_agreements"}  # CSVs big enough to gzip
GZIP_LEVEL = 6
GZIP_PARTS = 4  # members compressed side by side (zlib frees the GIL); a multi-member .gz is one file to every reader


def _frame_csv(df) -> bytes:
    """A frame as the site's CSV: dates as YYYY-MM-DD text, text cells defused (csvsafe.frame_csv)."""
    import pandas as pd

    from ...core import csvsafe

    df = df.copy()
    for name in df.columns:
        if pd.api.types.is_datetime64_any_dtype(df[name]):
            df[name] = df[name].dt.strftime("%Y-%m-%d").astype("string")
        elif df[name].dtype == object:  # dates as objects (snapshots.published), text objects
            df[name] = df[name].map(lambda v: None if v is None or v != v else str(v)).astype("string")
    return csvsafe.frame_csv(df, index=False, lineterminator="\n").encode("utf-8")


def gzipped(data: bytes) -> bytes:
    """``data`` gzip-compressed in GZIP_PARTS members made in parallel; no time or name in the headers."""
    step = -(-len(data) // GZIP_PARTS) or 1
    parts = [data[i : i + step] for i in range(0, len(data), step)] or [b""]
    with ThreadPoolExecutor(max_workers=min(GZIP_PARTS, len(parts))) as pool:
        return b"".join(pool.map(lambda part: gzip.compress(part, compresslevel=GZIP_LEVEL, mtime=0), parts))


def archive_files(folder) -> dict[str, bytes]:
    """The archive's tables as the site's downloads: {file name: bytes}."""
    import pandas as pd
    import pyarrow.parquet as pq

    out = {}
    for table, name in ARCHIVE.items():
        path = folder / table
        if not path.exists():
            continue
        arrow = pq.read_table(path)
        sink = io.BytesIO()
        pq.write_table(arrow, sink, compression="zstd")
        out[f"{name}.parquet"] = sink.getvalue()
        text = _frame_csv(arrow.to_pandas() if table != "snapshots.parquet" else pd.read_parquet(path))
        out[f"{name}.csv.gz" if name in COMPRESSED else f"{name}.csv"] = gzipped(text) if name in COMPRESSED else text
    return out


def _archive(site: Site, inputs: Inputs, force: bool) -> list[str]:
    """Write the archive downloads when the data (or this module) changed; keep them otherwise."""
    from .. import stamps

    archive = inputs.archive
    if archive is None:
        return []
    reports = inputs.reports_dir
    stamp_inputs = {"data": stamps.data_version(), "code": stamps.code_version("publish.site.downloads")}
    prefix = f"{site.root.relative_to(reports).as_posix()}/{DIR}/"
    if not force and stamps.why_run(reports, STAMP, stamp_inputs) is None:
        kept = sorted(p.name for p in (site.root / DIR).glob("archive_*"))
        for name in kept:
            site.keep(f"{DIR}/{name}")
        return kept
    start = time.perf_counter()
    files = archive_files(archive.folder)
    for name, data in files.items():
        site.write(f"{DIR}/{name}", data)
    stamps.write(reports, STAMP, stamp_inputs, [prefix + n for n in files], time.perf_counter() - start)
    return sorted(files)


def _columns(spec, names: list[str], extra: dict[str, str] | None = None) -> list[dict]:
    meanings = {c.name: c.meaning for c in spec.columns}
    return [{"name": n, "meaning": meanings.get(n) or (extra or {}).get(n, "")} for n in names]


CURRENT = "current_agreements.csv"
WHAT = {"archive_agreements": "The archive panel: every row of every archived sheet (both lists), cleaned, with the cells as printed.",
        "archive_history": "The history: one row per spell of each agreement and agency (first and last sheet listing it, "
                           "removal window, renewals).",
        "archive_snapshots": "The archived sheets: file, sha256, publication date and edition, layout, rows."}  # fmt: skip
SPECS = {"archive_agreements": table_spec.ARCHIVE_AGREEMENTS, "archive_history": table_spec.HISTORY}


def write_data(site: Site, inputs: Inputs, *, force: bool = False) -> None:
    """The files that depend on the data alone: the current list and the archive's tables."""
    if inputs.current is not None:
        site.write(f"{DIR}/{CURRENT}", _frame_csv(inputs.current))
    _archive(site, inputs, force)


def write(site: Site, inputs: Inputs) -> None:
    """data.html (each file with what it is, its size and sha256; the data files are write_data's),
    the claims as CSV and JSON, and the data dictionary (also as dictionary.html)."""
    files = []
    if f"{DIR}/{CURRENT}" in site.written:
        snap = inputs.newest("participating")
        files.append({"name": CURRENT, "id": "current",
                      "what": f"The current list: every row of the newest participating sheet ({snap['file']}, {snap['published']}) "
                              "with the agency's county and county FIPS and the agreement PDF's address.",
                      "columns": _columns(table_spec.ARCHIVE_AGREEMENTS, CURRENT_COLUMNS, {"moa_url": MOA_URL_MEANING})})  # fmt: skip
    for rel in sorted(r for r in site.written if r.startswith(f"{DIR}/archive_")):
        name = rel.removeprefix(f"{DIR}/")
        stem = name.split(".")[0]
        files.append({"name": name, "id": name.replace(".", "-"), "what": WHAT.get(stem, ""),
                      "columns": _columns(SPECS[stem], SPECS[stem].names) if stem in SPECS and name.endswith(".parquet") else []})  # fmt: skip
    for name in ("claims.csv", "claims.json"):
        if (inputs.reports_dir / name).is_file():
            site.copy(f"{DIR}/{name}", inputs.reports_dir / name)
            files.append({"name": name, "id": name.replace(".", "-"), "columns": [],
                          "what": "Every claim: the passage, the claimed and reproduced values, the verdict and why, the sheet, "
                                  "its sha256 and the evidence file."})  # fmt: skip
    dictionary = paths.DOCS_DIR / "data-dictionary.md"
    if dictionary.is_file():
        site.copy(f"{DIR}/data-dictionary.md", dictionary)
        files.append({"name": "data-dictionary.md", "id": "dictionary", "columns": [],
                      "what": "The data dictionary: every table and column (also as a page: dictionary.html)."})
        site.page("dictionary.html", "document.html.j2", title="Data dictionary", body=markdown(dictionary.read_text(encoding="utf-8")))
    for f in files:
        f["size"] = (site.root / DIR / f["name"]).stat().st_size
        f["sha256"] = site.written[f"{DIR}/{f['name']}"]
    site.page("data.html", "data.html.j2", title="Data", files=files, reason=inputs.missing.get("archive", ""))


#: links between the project's docs, as the site names those pages
DOC_PAGES = {"data-dictionary.md": "dictionary.html", "methods.md": "methods.html#methods"}


def markdown(text: str) -> str:
    """Markdown as HTML (mistune, which nbconvert already brings): the dictionary and methods pages;
    links to other docs point at their pages, tables scroll in their own box."""
    import mistune

    body = mistune.html(text)
    for doc, page in DOC_PAGES.items():
        body = body.replace(f'href="{doc}"', f'href="{page}"')
    return body.replace("<table>", '<div class="scroll"><table>').replace("</table>", "</table></div>")
