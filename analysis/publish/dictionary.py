"""docs/data-dictionary.md's processed-tables part, written from table_spec, and the claims file's JSON
Schema, written from its models (``python -m analysis docs``).

The file keeps its hand-written prose (types, CSV escaping, the reports) outside two marker lines;
between them everything is rendered from the spec, so a column is never described twice.
tests/test_data_dictionary.py regenerates it and fails when the committed file differs; test_check.py
does the same for docs/claims-file.schema.json.
"""

from __future__ import annotations

import textwrap

from ..core import atomic, paths, table_spec
from ..core.errors import UsageError

BEGIN = "<!-- generated from analysis/core/table_spec.py by `python -m analysis docs`: edit there, not here -->"
END = "<!-- end of generated part -->"
WIDTH = 100


def _para(text: str) -> list[str]:
    return [textwrap.fill(text, WIDTH, break_long_words=False, break_on_hyphens=False), ""] if text else []


def render() -> str:
    """The generated part, marker lines included."""
    out = [BEGIN, ""]
    for group in table_spec.GROUPS:
        out += [f"## {group.title}", "", *_para(group.intro)]
        for table in group.tables:
            same = f"Same columns as `data/processed/{table.same_as.path}`." if table.same_as else ""
            out += [f"### data/processed/{table.path}", "", *_para(" ".join(p for p in (same, table.intro) if p))]
            if table.own:
                out += [f"| {'key' if table.keys else 'column'} | type | meaning |", "|---|---|---|"]
                out += [f"| `{c.name}` | {c.type} | {c.meaning} |" for c in table.own]
                out.append("")
    return "\n".join([*out, END]) + "\n"


def updated(text: str) -> str:
    """``text`` (the whole dictionary) with its generated part rendered again."""
    if text.count(BEGIN) != 1 or text.count(END) != 1 or text.index(BEGIN) > text.index(END):
        raise UsageError("the generated part's marker lines are missing or repeated", path="docs/data-dictionary.md")
    head, rest = text.split(BEGIN + "\n", 1)
    return head + render() + rest.split(END + "\n", 1)[1]


def path():
    return paths.DOCS_DIR / "data-dictionary.md"


def write() -> bool:
    """Render the dictionary in place; True when it changed."""
    target = path()
    text = target.read_text(encoding="utf-8")
    new = updated(text)
    if new != text:
        atomic.write_text(target, new)
    return new != text


def schema_path():
    return paths.DOCS_DIR / "claims-file.schema.json"


def write_schema() -> bool:
    """docs/claims-file.schema.json from the claims file's models (factcheck/claims_schema.py); True when it changed."""
    from ..factcheck import claims_schema

    target, text = schema_path(), claims_schema.json_schema()
    changed = not target.is_file() or target.read_text(encoding="utf-8") != text
    if changed:
        atomic.write_text(target, text)
    return changed


def cmd_docs(args) -> int:
    for target, changed in ((path(), write()), (schema_path(), write_schema())):
        print(f"{paths.relative_to_root(target)} {'written' if changed else 'already current'}")
    return 0


def register(sub) -> None:
    p = sub.add_parser("docs", help="write docs/data-dictionary.md's processed-table sections (from analysis/core/table_spec.py) "
                                    "and docs/claims-file.schema.json (from analysis/factcheck/claims_schema.py)")  # fmt: skip
    p.set_defaults(func=cmd_docs)
