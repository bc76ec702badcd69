"""`export`: the processed tables as CSV, Parquet or Stata files, each with its data dictionary.

Researchers work in R, Stata or spreadsheets; they get every table in data/processed/ in one
format, each beside its section of docs/data-dictionary.md, so no column travels without its
meaning. Stata cannot hold everything pandas can, so .dta files are converted in documented ways
(the conversions applied to a table are listed in its dictionary extract):

- variable names: at most 32 characters, letters/digits/underscore, not starting with a digit;
  longer or invalid names are shortened and made unique (the extract lists the renames);
- text: missing text becomes "" (Stata strings cannot be missing); text longer than 2,045
  characters is stored as strL;
- dates and date-times at midnight: Stata daily dates (%td); missing dates are Stata missing (.);
- booleans: byte 0/1;
- integers: pandas/Stata choose the smallest Stata integer type that holds them (byte, int,
  long); integers beyond long's range become double; nullable integers become double with
  missing values as Stata missing (.);
- variable labels: the dictionary's meaning, cut to Stata's 80 characters.
"""

from __future__ import annotations

import argparse
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..core import atomic, csvsafe, paths, table_spec
from ..core.errors import OutputError, StaleOutputError, UsageError

if TYPE_CHECKING:
    import pandas as pd

FORMATS = ("csv", "parquet", "dta")
DICTIONARY = "data-dictionary.md"
STATA_NAME_MAX = table_spec.STATA_NAME_MAX
STATA_LABEL_MAX = 80
STATA_STR_MAX = 2045


@dataclass
class Exported:
    table: str  # processed path relative to data/processed, e.g. agreements.parquet
    path: Path
    rows: int
    conversions: list[str] = field(default_factory=list)


def dictionary_path() -> Path:
    return paths.DOCS_DIR / DICTIONARY


def parse_dictionary(text: str) -> dict[str, list[dict[str, str]]]:
    """Sections of the data dictionary: heading (a file path) -> rows {column, type, meaning}.

    A section is a ``### path`` heading followed by a markdown table whose first column is the
    column (or key) name in backticks; ``Same columns as `other/path`.`` copies another section
    (any rows of its own come after the copied ones).
    """
    sections: dict[str, list[dict[str, str]]] = {}
    same_as: dict[str, str] = {}
    current = None
    for line in text.splitlines():
        heading = re.match(r"^###\s+(\S+)\s*$", line)
        if heading:
            current = heading[1].strip("`")
            sections[current] = []
            continue
        if line.startswith("## "):
            current = None
            continue
        if current is None:
            continue
        ref = re.match(r"^Same columns as `([^`]+)`", line)
        if ref:
            same_as[current] = ref[1]
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else []
        if len(cells) >= 3 and cells[0].startswith("`") and cells[0].endswith("`"):
            sections[current].append({"column": cells[0].strip("`"), "type": cells[1].strip("`"), "meaning": cells[2]})
    for name, other in same_as.items():
        sections[name] = list(sections.get(other, [])) + sections[name]  # its own rows follow the copied ones
    return sections


def section_text(text: str, heading: str) -> str:
    """The markdown of one ``### heading`` section, for the extract written beside a table."""
    out, inside = [], False
    for line in text.splitlines():
        if re.match(r"^#{2,3}\s", line):
            if inside:
                break
            inside = line.strip() == f"### {heading}" or line.strip() == f"### `{heading}`"
        if inside:
            out.append(line)
    return "\n".join(out).strip() + "\n" if out else ""


def tables() -> list[str]:
    """Every table in data/processed/ (parquet and csv, archive panel included), relative paths."""
    base = paths.PROCESSED_DIR
    if not (base / "agreements.parquet").is_file():
        raise StaleOutputError("processed tables not found; run `python -m analysis build`", path="data/processed")
    found = [p for p in [*base.glob("*"), *base.glob("archive/*")]  # tables only (a parquet may be a folder of parts)
             if (p.is_file() or p.suffix == ".parquet") and p.suffix in (".parquet", ".csv") and not p.name.startswith(".")]  # fmt: skip
    return sorted(p.relative_to(base).as_posix() for p in found)


def read_table(rel: str) -> pd.DataFrame:
    import pandas as pd  # here, not at the top: the CLI must start without pandas

    path = paths.PROCESSED_DIR / rel
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    return pd.read_csv(path, keep_default_na=False, dtype=str).pipe(_csv_types)


def _csv_types(df: pd.DataFrame) -> pd.DataFrame:
    """corrections.csv and qa.csv are text apart from the Excel row number."""
    import pandas as pd  # here, not at the top: the CLI must start without pandas

    if "row" in df.columns:
        df["row"] = pd.to_numeric(df["row"]).astype("int64")
    return df


def out_name(rel: str) -> str:
    """archive/agreements.parquet -> archive_agreements (one flat folder for other tools)."""
    return rel.rsplit(".", 1)[0].replace("/", "_")


# ----------------------------------------------------------------------------- Stata


stata_names = table_spec.stata_names  # the rule; a column in the spec may name itself (Column.stata)


def to_stata_frame(df: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str], list[str]]:
    """A frame Stata can hold, the date columns to write as %td, and the conversions applied."""
    import numpy as np
    import pandas as pd  # here, not at the top: the CLI must start without pandas

    out = pd.DataFrame(index=df.index)
    dates: dict[str, str] = {}
    notes: list[str] = []
    for col in df.columns:
        s = df[col]
        if pd.api.types.is_bool_dtype(s):
            out[col] = s.astype("int8")
            notes.append(f"`{col}`: boolean -> byte 0/1")
        elif pd.api.types.is_datetime64_any_dtype(s):
            values = pd.to_datetime(s)
            if values.dt.tz is not None:
                values = values.dt.tz_convert(None)
            if (values.dropna() != values.dropna().dt.normalize()).any():
                raise UsageError(f"column {col!r} holds times of day; Stata export supports dates only")
            out[col] = values.astype("datetime64[s]")  # seconds: no overflow for years beyond 2262
            dates[col] = "td"
            notes.append(f"`{col}`: date -> Stata daily date (%td)" + ("; missing -> ." if s.isna().any() else ""))
        elif pd.api.types.is_integer_dtype(s) and not pd.api.types.is_extension_array_dtype(s):
            out[col] = s
        elif pd.api.types.is_integer_dtype(s) or pd.api.types.is_float_dtype(s):
            if s.isna().any() or pd.api.types.is_extension_array_dtype(s):
                out[col] = s.astype("float64")
                if pd.api.types.is_integer_dtype(s):
                    notes.append(f"`{col}`: nullable integer -> double, missing -> .")
            else:
                out[col] = s.astype("float64")
        elif _is_date_objects(s):
            out[col] = pd.Series(np.array([v if pd.notna(v) else None for v in s], dtype="datetime64[s]"), index=s.index)
            dates[col] = "td"
            notes.append(f"`{col}`: date -> Stata daily date (%td)")
        else:
            text = s.astype(object).where(s.notna(), "")
            text = text.map(lambda v: v if isinstance(v, str) else str(v))
            if s.isna().any():
                notes.append(f"`{col}`: text, missing -> \"\"")
            out[col] = text.astype(object)
    return out, dates, notes


def _is_date_objects(s: pd.Series) -> bool:

    import datetime as dt

    if s.dtype != object:
        return False
    values = s.dropna()
    return len(values) > 0 and all(isinstance(v, dt.date) and not isinstance(v, dt.datetime) for v in values)


def write_dta(df: pd.DataFrame, path: Path, labels: dict[str, str], chosen: dict[str, str] | None = None) -> list[str]:

    frame, dates, notes = to_stata_frame(df)
    names = stata_names(list(frame.columns), chosen)
    renamed = {c: n for c, n in names.items() if c != n}
    notes += [f"`{c}` renamed `{n}` (Stata names: <= {STATA_NAME_MAX} characters, letters/digits/_)" for c, n in renamed.items()]
    frame = frame.rename(columns=names)
    dates = {names[c]: f for c, f in dates.items()}
    long_text = [names[c] for c in df.columns if frame[names[c]].dtype == object and len(frame)
                 and frame[names[c]].map(lambda v: len(str(v).encode("utf-8"))).max() > STATA_STR_MAX]  # fmt: skip
    notes += [f"`{c}`: text longer than {STATA_STR_MAX} bytes -> strL" for c in long_text]
    var_labels = {names[c]: labels[c][:STATA_LABEL_MAX] for c in df.columns if labels.get(c)}
    with atomic.atomic_path(path) as tmp:
        frame.to_stata(tmp, write_index=False, version=118, convert_dates=dates, variable_labels=var_labels,
                       convert_strl=long_text)  # fmt: skip
    return notes


# ----------------------------------------------------------------------------- export


def _plain_label(meaning: str) -> str:
    return re.sub(r"[`*]", "", meaning).strip()


def check_outdir(out_dir: Path | str) -> Path:
    """Refuse to export into the project's own data folders, or into an empty name (which is the current
    folder: `export --format csv ""` wrote 33 files there)."""
    if not str(out_dir).strip():
        raise UsageError("OUTDIR is empty: name the folder to export into")
    out_dir = Path(out_dir)
    resolved = out_dir.resolve()
    if resolved == paths.DATA_DIR.resolve() or paths.DATA_DIR.resolve() in resolved.parents:
        raise UsageError("export into data/ would overwrite the project's own tables; choose another folder", path=str(out_dir))
    return out_dir


def refuse_to_overwrite(out_dir: Path, names: list[str]) -> None:
    """Exported files are replaced only with --overwrite: a second export to the same folder (or a
    typo naming another folder) must not silently replace files someone may have edited. A file
    where the folder should be is refused too (export writes a folder of files)."""
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError("exists and is not a folder; export writes one file per table into a folder", path=str(out_dir))
    existing = [n for n in names if (out_dir / n).exists()]
    if existing:
        which = f"{existing[0]} and {len(existing) - 1} more of the files to write already exist" if len(existing) > 1 \
            else f"{existing[0]} already exists"
        raise OutputError(f"{which}; pass --overwrite to replace them, or choose another folder", path=str(out_dir))


def export(out_dir: Path | str, fmt: str, *, only: list[str] | None = None, overwrite: bool = False) -> list[Exported]:
    """Write every processed table to ``out_dir`` in ``fmt`` with its dictionary extract beside it
    (existing files are refused unless ``overwrite``: see refuse_to_overwrite)."""

    if fmt not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    out_dir = check_outdir(out_dir)
    dict_file = dictionary_path()
    if not dict_file.is_file():
        raise UsageError("data dictionary not found", path=paths.relative_to_root(dict_file))
    dict_text = dict_file.read_text(encoding="utf-8")
    sections = parse_dictionary(dict_text)
    rels = only or tables()
    names = [n for rel in rels for n in (f"{out_name(rel)}.{fmt}", f"{out_name(rel)}.dictionary.md")] + [DICTIONARY]
    refuse_to_overwrite(out_dir, [] if overwrite else names)
    new_files = [out_dir / n for n in names if not (out_dir / n).exists()]
    atomic.ensure_dir(out_dir)
    try:
        return _write_all(out_dir, fmt, rels, dict_file, dict_text, sections)
    except BaseException:  # a full disk halfway: no set of some tables but not others is left behind
        for path in new_files:
            path.unlink(missing_ok=True)
        raise


def _write_all(out_dir: Path, fmt: str, rels: list[str], dict_file: Path, dict_text: str, sections: dict) -> list[Exported]:
    done: list[Exported] = []
    for rel in rels:
        heading = f"data/processed/{rel}"
        df = read_table(rel)
        target = out_dir / f"{out_name(rel)}.{fmt}"
        notes: list[str] = []
        if fmt == "parquet":
            with atomic.atomic_path(target) as tmp:
                df.to_parquet(tmp, index=False, compression="zstd")
        elif fmt == "csv":
            with atomic.atomic_path(target) as tmp:
                csvsafe.escape_frame(df).to_csv(tmp, index=False, lineterminator="\n", date_format="%Y-%m-%d")
            notes.append("missing values and empty text are both written as empty cells; dates as YYYY-MM-DD")
            notes.append("text cells beginning with = + - @, a tab or a carriage return (other than plain numbers) get a "
                         "leading ' so that spreadsheets show them as text instead of running them (CSV injection)")
        else:
            labels = {r["column"]: _plain_label(r["meaning"]) for r in sections.get(heading, [])}
            spec = table_spec.TABLES.get(rel)
            notes = write_dta(df, target, labels, spec.stata_names() if spec else None)
        extract = section_text(dict_text, heading) or f"### {heading}\n\n(not documented in docs/{DICTIONARY})\n"
        extract = (f"# {target.name}\n\nExported from `{heading}` ({len(df):,} rows) by "
                   f"`python -m analysis export --format {fmt}`. Full dictionary: `{DICTIONARY}` in this folder.\n\n"
                   + extract)  # fmt: skip
        if notes:
            extract += f"\n#### Conversions for {fmt}\n\n" + "\n".join(f"- {n}" for n in notes) + "\n"
        atomic.write_text(out_dir / f"{out_name(rel)}.dictionary.md", extract)
        done.append(Exported(rel, target, len(df), notes))
    with atomic.atomic_path(out_dir / DICTIONARY) as tmp:
        shutil.copyfile(dict_file, tmp)
    return done


def cmd_export(args) -> int:
    from . import freshness

    check_outdir(args.outdir)
    freshness.warn_if_stale()
    done = export(args.outdir, args.format, overwrite=args.overwrite)
    for item in done:
        print(f"{item.table:<32} -> {item.path.name} ({item.rows:,} rows)")
    print(f"{len(done)} tables written to {args.outdir} as {args.format}, each with <name>.dictionary.md; "
          f"full dictionary in {Path(args.outdir) / DICTIONARY}")  # fmt: skip
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="write the processed tables as csv, parquet or Stata .dta, each with its data dictionary")
    p.add_argument("outdir", help="folder to write into (created if missing)")
    p.add_argument("--format", required=True, choices=list(FORMATS))
    p.add_argument("--overwrite", action="store_true", help="replace files a previous export left in OUTDIR (refused otherwise)")
    p.set_defaults(func=cmd_export)
