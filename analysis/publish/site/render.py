"""Writing the site: Jinja2 templates in, files under reports/site/ out, each written only when its bytes change.

Why: the same data must give the same site byte for byte, and a second `reproduce` must not touch
pages whose content did not move (their mtimes stay, the stamp's digests still match). Every file
the site writes goes through :class:`Site`, which remembers what it wrote, so files a previous
run wrote and this one did not (a claim removed from the registry) are pruned at the end.

Links are relative (``root`` is "../" per folder level), so the pages work opened from disk
(file://) and served (`python -m analysis serve`). Nothing is fetched from the network: styles,
scripts and Plotly's bundle are files of the site.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from pathlib import Path

from ...core import atomic, paths

TEMPLATES = paths.PACKAGE_DIR / "templates"
ASSETS = "assets"
#: verdict -> css class (colours in site.css pass WCAG AA against white text)
VERDICT_CLASS = {"supported": "v-sup", "partly supported": "v-part", "not supported": "v-not", "not checkable": "v-nc"}
SHORT_HASH = 12  # characters of a sha256 shown; the whole value is in the title and the copy button


def environment():
    """The Jinja2 environment of the site's templates (autoescaped, undefined names are errors)."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True, trim_blocks=True,
                             lstrip_blocks=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)  # fmt: skip
    env.filters.update(num=num, value=value, pct=pct, size=size, verdict_class=lambda v: VERDICT_CLASS.get(v, "v-nc"))
    env.globals.update(SHORT_HASH=SHORT_HASH)
    return env


def num(x) -> str:
    """An integer with thousands separators ('—' for none)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    return f"{int(x):,}" if float(x).is_integer() else f"{x:,.2f}"


def pct(x, digits: int = 1) -> str:
    return "—" if x is None else f"{100 * float(x):.{digits}f}%"


def value(v) -> str:
    """A claimed or reproduced value in a few words: numbers with separators, tables as 'k: v'."""
    if v is None:
        return "—"
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, float):
        return f"{v:,.4g}" if abs(v) < 1 else f"{v:,.1f}"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, dict):
        items = sorted(v.items(), key=lambda kv: -kv[1] if isinstance(kv[1], (int, float)) else 0) if len(v) > 8 else v.items()
        shown = ", ".join(f"{k}: {value(x)}" for k, x in list(items)[:8])
        return shown + (f" … ({len(v)} in all)" if len(v) > 8 else "")
    if isinstance(v, (list, tuple)):
        return ", ".join(value(x) for x in v)
    return str(v)


def size(n: int) -> str:
    """A file size in bytes, kB or MB (decimal units)."""
    if n < 1000:
        return f"{n} bytes"
    return f"{n / 1000:,.0f} kB" if n < 1_000_000 else f"{n / 1_000_000:,.1f} MB"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def script_json(obj) -> str:
    """JSON for a <script type="application/json"> or ld+json block: sorted, compact, and unable to
    close the script element ("</" written as "<\\/"), whatever text the data hold."""
    text = json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")


class Site:
    """The site folder: renders pages, writes files whose bytes changed, prunes what was not written."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.env = environment()
        self.written: dict[str, str] = {}  # relative path -> sha256 of what this run wrote (or kept)
        self.changed: list[str] = []

    def depth_root(self, rel: str) -> str:
        """The relative prefix from a page at ``rel`` to the site's root ('' or '../' ...)."""
        return "../" * rel.count("/")

    def render(self, template: str, rel: str, **context) -> str:
        return self.env.get_template(template).render(root=self.depth_root(rel), page=rel, **context)

    def page(self, rel: str, template: str, **context) -> None:
        self.write(rel, self.render(template, rel, **context))

    def write(self, rel: str, data: str | bytes) -> None:
        """Write ``data`` to root/rel unless the file already holds exactly these bytes."""
        data = data.encode("utf-8") if isinstance(data, str) else data
        if rel in self.written:
            raise ValueError(f"the site writes {rel} twice")
        path = self.root / rel
        try:
            same = path.stat().st_size == len(data) and path.read_bytes() == data
        except OSError:
            same = False
        if not same:
            atomic.write_bytes(path, data)
            self.changed.append(rel)
        self.written[rel] = sha256(data)

    def copy(self, rel: str, source: Path) -> None:
        self.write(rel, Path(source).read_bytes())

    def keep(self, rel: str) -> None:
        """A file left as the previous run wrote it (a download whose inputs did not change)."""
        self.written[rel] = sha256((self.root / rel).read_bytes())

    def prune(self) -> list[str]:
        """Delete the files under root that this run did not write (and folders left empty)."""
        gone = []
        for path in sorted(self.root.rglob("*"), reverse=True):
            rel = path.relative_to(self.root).as_posix()
            if path.is_file() and rel not in self.written and not path.name.startswith("."):
                path.unlink()
                gone.append(rel)
            elif path.is_dir() and not any(path.iterdir()):
                os.rmdir(path)
        return gone
