"""House figures: one style, byte-stable saves, a title, labelled axes and a source line.

Every figure in the report and the notebooks goes through this module::

    from analysis.analyses import figures

    fig, ax = figures.new_figure(
        "287(g) agreements kept growing after the inauguration",
        xlabel="Date signed", ylabel="Agreements", subtitle="Cumulative, all task-force models",
        source="ICE 287(g) participating-agencies sheet of 2025-09-02 (pm)",
    )
    ax.plot(series.index, series.values)
    figures.format_date_axis(ax)
    figures.format_count_axis(ax, "agreements")
    figures.mark_dates(ax, figures.POLICY_DATES)          # last: it reserves headroom
    figures.save_figure(fig, paths.REPORTS_DIR / "fig" / "growth", formats=("png", "svg"))

Layout. ``new_figure`` puts the title (``fig.get_suptitle()``) and optional subtitle in a
strip at the top of the figure and the source line in a strip at the bottom, both aligned
with the left edge of the y-axis label, and runs constrained layout only in the space
between the strips, so tick labels, axis labels and the source line never overlap. Long
titles and source lines are wrapped to the figure width.

Text is never parsed as mathtext in the texts made here: a "$" in "$1.2 billion" stays a
dollar sign.

Byte stability. ``save_figure`` re-applies the house style while saving, strips every
time- or version-dependent piece of metadata, and relies on ``svg.hashsalt`` for SVG ids, so
the same figure saved twice (in one process or two, on any machine with the same
matplotlib) gives identical bytes.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import matplotlib as mpl
import numpy as np
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
from matplotlib.container import BarContainer
from matplotlib.font_manager import FontProperties
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.lines import Line2D
from matplotlib.text import Annotation
from matplotlib.textpath import TextToPath

__all__ = [
    "STYLE_PATH",
    "PROJECT",
    "POLICY_DATES",
    "FORMATS",
    "use_style",
    "new_figure",
    "save_figure",
    "mark_dates",
    "format_count_axis",
    "format_date_axis",
    "barh_ranking",
]

STYLE_PATH = Path(__file__).resolve().parent.parent / "resources" / "house.mplstyle"
PROJECT = "ice-287g-claims"

#: Policy dates most figures mark; pass a subset or your own dict to ``mark_dates``.
POLICY_DATES: dict[str, date] = {
    "Inauguration": date(2025, 1, 20),
    "Budget law": date(2025, 7, 4),
    "Reimbursement starts": date(2025, 10, 1),
}

#: Formats ``save_figure`` writes, with the metadata that makes each byte-stable.
#: (Keys set to None are left out of the file; the Title is added per figure.)
FORMATS: dict[str, dict[str, Any]] = {
    "png": {"Software": None},
    "svg": {"Date": None, "Creator": None},
    "pdf": {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None},
}

# Layout constants, in inches unless named *_PT (points).
_PAD = 0.12  # outer margin of title / source line
_GAP = 0.04  # between title and subtitle
_HEAD_GAP = 0.14  # between the header strip and the plot
_FOOT_GAP = 0.10  # between the plot (x-axis label) and the source line
_CL_PAD = 3 / 72  # constrained-layout w_pad / h_pad
_LINE = 1.3  # line height as a multiple of the font size
_SMALL_PT = 10.0  # smallest text in a figure (source line, date labels, bar values)
_MUTED = "#555555"
_OTHER_BAR = "#BBBBBB"

_TEXT_TO_PATH = TextToPath()


# --------------------------------------------------------------------------- style


def _current_backend() -> str | None:
    """The configured backend name, or None while matplotlib has not resolved one yet."""
    getter = getattr(mpl.rcParams, "_get_backend_or_none", None)
    if getter is not None:
        return getter()
    value = dict.__getitem__(mpl.rcParams, "backend")
    return None if value is mpl.rcsetup._auto_backend_sentinel else value


def _ensure_backend() -> None:
    """Switch to Agg unless an interactive backend (GUI, Jupyter inline, widget) is in use."""
    backend = _current_backend()
    if backend is not None:
        from matplotlib.backends import BackendFilter, backend_registry

        non_interactive = set(backend_registry.list_builtin(BackendFilter.NON_INTERACTIVE))
        # Anything else -- qtagg, tkagg, "inline", "module://matplotlib_inline..." -- is
        # somebody's interactive session: leave it alone.
        if backend.lower() not in non_interactive or backend.lower() == "agg":
            return
    mpl.use("Agg")


def use_style() -> None:
    """Use Agg (unless an interactive backend is active) and apply the house style.

    The style is applied on top of matplotlib's defaults, not on top of whatever a local
    matplotlibrc or an earlier cell changed, so every machine draws the same figure.
    """
    _ensure_backend()
    mpl.style.use(["default", STYLE_PATH])


# --------------------------------------------------------------------------- text helpers


def _text_width_pt(text: str, size: float, weight: str = "normal") -> float:
    """Width of one line of ``text`` in points, measured with the house font."""
    if not text:
        return 0.0
    prop = FontProperties(size=size, weight=weight)
    width, _, _ = _TEXT_TO_PATH.get_text_width_height_descent(text, prop, ismath=False)
    return float(width)


def _wrap(text: str, size: float, max_width_pt: float, weight: str = "normal") -> str:
    """Greedy word wrap of ``text`` so each line fits ``max_width_pt`` (explicit \\n kept)."""
    out: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}" if line else word
            if not line or _text_width_pt(candidate, size, weight) <= max_width_pt:
                line = candidate
            else:
                out.append(line)
                line = word
        out.append(line)
    return "\n".join(out)


def _height_in(text: str, size: float) -> float:
    """Approximate height in inches of a (possibly multi-line) text block."""
    return (text.count("\n") + 1) * size * _LINE / 72


def _source_line(source: str) -> str:
    text = " ".join(str(source).split())
    if not text:
        raise ValueError("a figure needs a source line naming the data and snapshot")
    if not text.lower().startswith("source"):
        text = f"Source: {text}"
    if PROJECT not in text:
        text = f"{text}; analysis: {PROJECT}"
    return text


# --------------------------------------------------------------------------- figure


def new_figure(
    title: str,
    *,
    xlabel: str,
    ylabel: str,
    source: str,
    figsize: tuple[float, float] | None = None,
    subtitle: str | None = None,
):
    """A house-styled figure with one Axes: title, optional subtitle, axis labels, source line.

    ``xlabel`` and ``ylabel`` should carry units ("Agreements (count)", "Date signed"); pass
    "" only where the tick labels are the categories (e.g. a ranking's name axis).
    ``source`` names the data and snapshot; "Source: " and "; analysis: ice-287g-claims" are
    added when missing. The title is the figure's suptitle (``fig.get_suptitle()``); the
    title, subtitle and source texts carry the gids "title", "subtitle" and "source" (they
    are also the element ids in SVG output). Returns ``(fig, ax)``.
    """
    if not str(title).strip():
        raise ValueError("a figure needs a title")
    for name, value in (("xlabel", xlabel), ("ylabel", ylabel)):
        if not isinstance(value, str):
            raise TypeError(f"{name} must be a string, got {type(value).__name__}")
    source_text = _source_line(source)

    use_style()
    rc = mpl.rcParams
    width, height = (float(v) for v in (figsize if figsize is not None else rc["figure.figsize"]))
    if width <= 2 * _PAD + 1 or height <= 2:
        raise ValueError(f"figsize too small for a titled figure: {figsize}")
    text_width_pt = (width - 2 * _PAD) * 72

    title_size = FontProperties(size=rc["figure.titlesize"]).get_size_in_points()
    subtitle_size = FontProperties(size=rc["font.size"]).get_size_in_points()
    title_text = _wrap(" ".join(str(title).split()), title_size, text_width_pt, "bold")
    source_text = _wrap(source_text, _SMALL_PT, text_width_pt)

    top = _PAD + _height_in(title_text, title_size)
    subtitle_y = None
    if subtitle:
        subtitle = _wrap(" ".join(str(subtitle).split()), subtitle_size, text_width_pt)
        subtitle_y = top + _GAP
        top = subtitle_y + _height_in(subtitle, subtitle_size)
    top += _HEAD_GAP
    bottom = _PAD + _height_in(source_text, _SMALL_PT) + _FOOT_GAP
    if top + bottom > 0.6 * height:
        raise ValueError(
            f"title, subtitle and source take {top + bottom:.1f} of {height:.1f} inches; "
            "shorten them or pass a taller figsize"
        )

    # Constrained layout runs between the header and footer strips; its own pad puts the
    # y-axis label at _PAD from the left edge, in line with the title and the source line.
    engine = ConstrainedLayoutEngine(
        w_pad=_CL_PAD,
        h_pad=_CL_PAD,
        rect=(
            (_PAD - _CL_PAD) / width,
            bottom / height,
            1 - 2 * (_PAD - _CL_PAD) / width,
            1 - (top + bottom) / height,
        ),
    )
    fig = plt.figure(figsize=(width, height), layout=engine)
    ax = fig.add_subplot()

    x0 = _PAD / width
    common = {"ha": "left", "va": "top", "in_layout": False, "parse_math": False}
    fig.suptitle(
        title_text, x=x0, y=1 - _PAD / height, fontsize=title_size, fontweight="bold",
        gid="title", **common,
    )
    if subtitle:
        fig.text(
            x0, 1 - subtitle_y / height, subtitle, fontsize=subtitle_size, color=_MUTED,
            gid="subtitle", **common,
        )
    fig.text(
        x0, _PAD / height, source_text, fontsize=_SMALL_PT, color=_MUTED, gid="source",
        **{**common, "va": "bottom"},
    )
    ax.set_xlabel(xlabel, parse_math=False)
    ax.set_ylabel(ylabel, parse_math=False)
    return fig, ax


# --------------------------------------------------------------------------- saving


def _targets(path: Path, formats: Sequence[str]) -> list[tuple[str, Path]]:
    if isinstance(formats, str):
        formats = (formats,)
    fmts = [str(f).lower().lstrip(".") for f in formats]
    if not fmts:
        raise ValueError("formats is empty")
    unknown = sorted(set(fmts) - set(FORMATS))
    if unknown:
        raise ValueError(f"unsupported figure format(s) {unknown}; use {sorted(FORMATS)}")
    if len(set(fmts)) != len(fmts):
        raise ValueError(f"format listed twice: {list(formats)}")
    if len(fmts) == 1 and path.suffix.lower() == f".{fmts[0]}":
        return [(fmts[0], path)]  # the name as given: "OUT.PNG" is written, not "OUT.png"
    # "growth.png" and "growth" are the same stem; "fig.2025-09-02" keeps its dotted name.
    stem = path.with_suffix("") if path.suffix.lower().lstrip(".") in FORMATS else path
    return [(fmt, stem.with_name(f"{stem.name}.{fmt}")) for fmt in fmts]


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def save_figure(fig, path, *, formats: Sequence[str] = ("png",)) -> list[Path]:
    """Write ``fig`` as ``path.<fmt>`` for each format, byte-stable and atomic; close it.

    ``path`` is a stem ("reports/fig/growth") or carries one of the formats' suffixes
    ("reports/fig/growth.png"). Parent directories are created. Every format is first
    rendered to a temporary file in the target directory; only when all succeeded are they
    moved into place with ``os.replace``, so a failure leaves the previous files untouched
    and no temporary file behind. The figure is closed in every case. Returns the paths
    written, in the order of ``formats``.
    """
    targets = _targets(Path(path), formats)
    title = fig.get_suptitle() if hasattr(fig, "get_suptitle") else ""
    title = " ".join(title.split())
    written: list[tuple[Path, Path]] = []
    try:
        for _, target in targets:
            target.parent.mkdir(parents=True, exist_ok=True)
        # Re-apply the house style while saving: draw-time settings (hash salt, font
        # embedding, dpi) must not depend on what a notebook changed after new_figure.
        with mpl.style.context(["default", STYLE_PATH]):
            for fmt, target in targets:
                tmp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
                # os.open with 0o666 gives the file the usual umask-derived mode
                # (mkstemp's 0o600 would survive os.replace and hide it from a web server).
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
                written.append((tmp, target))
                with os.fdopen(fd, "wb") as fh:
                    metadata = dict(FORMATS[fmt])
                    if title:
                        metadata["Title"] = title
                    fig.savefig(fh, format=fmt, metadata=metadata)
                    fh.flush()
                    os.fsync(fh.fileno())
        for tmp, target in written:
            os.replace(tmp, target)
    except BaseException:
        for tmp, _ in written:
            try:
                tmp.unlink()
            except FileNotFoundError:
                pass
        raise
    finally:
        plt.close(fig)
    for directory in {target.parent for _, target in targets}:
        _fsync_dir(directory)
    return [target for _, target in targets]


def alt_text(fig) -> str:
    """The figure in words, for screen readers and for the site's alt attributes: its title,
    subtitle and source line (new_figure's texts), then its axis labels."""
    texts = {t.get_gid(): " ".join(t.get_text().split()) for t in fig.texts if t.get_gid() and t.get_text().strip()}
    if not texts.get("title") and fig.get_suptitle().strip():
        texts["title"] = " ".join(fig.get_suptitle().split())
    axes = [f"{which} axis: {label}" for ax in fig.axes for which, label in (("x", ax.get_xlabel()), ("y", ax.get_ylabel()))
            if label.strip()]  # fmt: skip
    parts = [texts.get("title", "Figure"), texts.get("subtitle", ""), "; ".join(axes), texts.get("source", "")]
    return ". ".join(p.rstrip(".") for p in parts if p) + "."


class Inline:
    """A saved (closed) figure shown in a notebook as PNG, with its alt text in the output's metadata
    (``{"image/png": {"alt": ...}}``), which the site's notebook chapters put on the image."""

    def __init__(self, fig):
        self.fig = fig
        self.alt = alt_text(fig)

    def _repr_png_(self):
        import io

        buf = io.BytesIO()
        with mpl.style.context(["default", STYLE_PATH]):  # as save_figure draws it: the same bytes every run
            self.fig.savefig(buf, format="png", metadata=dict(FORMATS["png"]))
        return buf.getvalue(), {"alt": self.alt}

    def __repr__(self) -> str:
        return f"<figure: {self.alt}>"


def inline(fig) -> Inline:
    """Show a figure in a notebook (its last expression): the PNG and its description."""
    return Inline(fig)


# --------------------------------------------------------------------------- axes helpers


def _axes_size_pt(ax) -> tuple[float, float]:
    """Axes width and height in points, slightly underestimated (layout may shrink it)."""
    fig_w, fig_h = ax.figure.get_size_inches()
    pos = ax.get_position()
    return pos.width * fig_w * 72 * 0.95, pos.height * fig_h * 72 * 0.9


def _two_lines(label: str, fontsize: float) -> str:
    """``label`` split at the word boundary that makes its widest line narrowest."""
    words = label.split()
    if len(words) < 2:
        return label
    splits = [(" ".join(words[:i]), " ".join(words[i:])) for i in range(1, len(words))]
    best = min(splits, key=lambda s: max(_text_width_pt(p, fontsize) for p in s))
    return "\n".join(best)


def mark_dates(
    ax,
    dates: Mapping[str, date],
    *,
    y: float = 0.98,
    color: str = _MUTED,
    fontsize: float = _SMALL_PT,
    headroom: bool = True,
) -> list[tuple[Line2D, Annotation]]:
    """Dashed vertical lines with small labels for policy dates; returns (line, label) pairs.

    Each label hangs from the top of its line at axes fraction ``y``: to the right of the
    line, or to its left near the right edge (then only where its far end is not next to
    another marked line, which would read as that line's label); a label that does not fit
    is split onto two lines. A label that would overlap one already placed drops below it,
    so dates a few days apart stay legible. With ``headroom`` the y-axis top is raised so
    the plotted data stay below the labels. Call after the data are plotted and the y
    limits are set (it reads the current limits). Pairs are returned in date order.
    """
    items = sorted(dates.items(), key=lambda kv: (kv[1], kv[0]))
    if not items:
        return []
    lines = [
        ax.axvline(d, color=color, linestyle=(0, (4, 3)), linewidth=1.0, zorder=1.5)
        for _, d in items
    ]
    x0, x1 = ax.get_xlim()  # after the lines, which may widen the view
    width_pt, height_pt = _axes_size_pt(ax)
    offset_pt, gap_pt, pad_pt, near_pt = 3.0, 6.0, 1.5, 12.0
    line_pt = fontsize * _LINE
    at = [(float(ax.xaxis.convert_units(d)) - x0) / (x1 - x0) * width_pt for _, d in items]

    placed = []  # (start, end, ha, text, n_lines, index)
    for i, (label, _) in enumerate(items):
        others = [a for j, a in enumerate(at) if j != i]
        options = []
        for text in dict.fromkeys([label, _two_lines(label, fontsize)]):
            w = max(_text_width_pt(part, fontsize) for part in text.split("\n")) + 2 * pad_pt
            right = (at[i] + offset_pt, at[i] + offset_pt + w)
            left = (at[i] - offset_pt - w, at[i] - offset_pt)
            options.append((right[1] <= width_pt, "left", right, text))
            clear = not any(left[0] - near_pt <= a < at[i] for a in others)
            options.append((left[0] >= 0 and clear, "right", left, text))
        # Right of the line if it fits on one or two lines, else left of it; when nothing
        # fits, the shortest form that stays inside the axes, else one line to the right.
        fitting = [o for o in sorted(options, key=lambda o: o[1] != "left") if o[0]]
        if not fitting:
            fitting = [o for o in options[::-1] if o[2][0] >= 0] or options[:1]
        _, ha, (start, end), text = fitting[0]
        placed.append((start, end, ha, text, text.count("\n") + 1, i))

    boxes: list[tuple[float, float, float, float]] = []  # start, end, top, bottom (pt down)
    result: list[tuple[Line2D, Annotation]] = []
    for start, end, ha, text, n_lines, i in sorted(placed, key=lambda p: (p[0], p[5])):
        height = n_lines * line_pt + 2 * pad_pt
        top = 0.0
        while True:
            clash = [b for b in boxes if b[0] < end + gap_pt and start < b[1] + gap_pt
                     and b[2] < top + height and top < b[3]]
            if not clash:
                break
            top = max(b[3] for b in clash)
        boxes.append((start, end, top, top + height))
        annotation = ax.annotate(
            text,
            xy=(items[i][1], y),
            xycoords=("data", "axes fraction"),
            xytext=(offset_pt if ha == "left" else -offset_pt, -top),
            textcoords="offset points",
            ha=ha,
            va="top",
            multialignment=ha,
            linespacing=1.1,
            fontsize=fontsize,
            color=color,
            parse_math=False,
            annotation_clip=False,
            zorder=5,
            bbox={"boxstyle": f"square,pad={pad_pt / fontsize:.3f}", "fc": "white",
                  "ec": "none", "alpha": 0.85},
            gid=f"date-label-{i}",
        )
        result.append((lines[i], annotation))
    result.sort(key=lambda pair: lines.index(pair[0]))

    if headroom and ax.get_yscale() == "linear" and height_pt > 0:
        lowest = max(b[3] for b in boxes)
        band = ((1 - y) * height_pt + lowest + 4) / height_pt
        y0, y1 = ax.get_ylim()
        data_top = ax.dataLim.y1
        if 0 < band < 0.5 and y1 > y0 and np.isfinite(data_top):
            needed = (data_top - band * y0) / (1 - band)
            if needed > y1:
                ax.set_ylim(y0, needed)
    return result


def format_count_axis(ax, unit: str, *, axis: str = "y", zero: bool = True) -> None:
    """Whole-number ticks with thousands separators (12,345) and ``unit`` in the axis label.

    The label becomes "<label> (<unit>)" (or just the unit when there is no label); with
    ``zero`` the axis starts at 0 when all data are non-negative, as counts should.
    Use ``axis="x"`` for horizontal bar charts.
    """
    if axis not in ("x", "y"):
        raise ValueError(f"axis must be 'x' or 'y', got {axis!r}")
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_locator(
        mticker.MaxNLocator(nbins="auto", steps=[1, 2, 2.5, 5, 10], integer=True)
    )
    target.set_major_formatter(mticker.StrMethodFormatter("{x:,.0f}"))
    label = target.get_label_text().strip()
    unit = str(unit).strip()
    if unit and unit.lower() not in label.lower():
        label = f"{label} ({unit})" if label else unit[:1].upper() + unit[1:]
    target.set_label_text(label, parse_math=False)
    if zero:
        lo = ax.dataLim.y0 if axis == "y" else ax.dataLim.x0
        if lo >= 0:
            (ax.set_ylim if axis == "y" else ax.set_xlim)(0, None)


def format_date_axis(ax, *, axis: str = "x") -> None:
    """Concise date ticks: "2025", "Feb", "Mar", ... with the year only where it changes."""
    if axis not in ("x", "y"):
        raise ValueError(f"axis must be 'x' or 'y', got {axis!r}")
    target = ax.xaxis if axis == "x" else ax.yaxis
    locator = mdates.AutoDateLocator(minticks=4, maxticks=10)
    target.set_major_locator(locator)
    target.set_major_formatter(mdates.ConciseDateFormatter(locator, show_offset=False))


def barh_ranking(
    ax,
    labels: Iterable[Any],
    values: Iterable[float],
    *,
    highlight: Iterable[Any] | None = None,
    value_fmt: str = "{:,.0f}",
    color: str = "C0",
) -> BarContainer:
    """Ranked horizontal bars, largest on top, each with its value at the bar's end.

    ``highlight`` names labels to emphasise (e.g. the five states an article named): those
    bars keep ``color`` and bold labels, the others turn grey. A highlight that is not
    among ``labels`` raises ValueError (a typo would otherwise pass silently). Ties are
    ordered by label. Returns the BarContainer.
    """
    labels = [str(label) for label in labels]
    values = [float(v) for v in values]
    if len(labels) != len(values):
        raise ValueError(f"{len(labels)} labels but {len(values)} values")
    if not labels:
        raise ValueError("nothing to rank")
    if any(v != v for v in values):
        raise ValueError("values contain NaN; drop or fill them before ranking")
    marked = {str(h) for h in highlight} if highlight is not None else set()
    unknown = sorted(marked - set(labels))
    if unknown:
        raise ValueError(f"highlight labels not among the bars: {unknown}")

    order = sorted(range(len(labels)), key=lambda i: (-values[i], labels[i]))
    names = [labels[i] for i in order]
    vals = [values[i] for i in order]
    is_marked = [name in marked for name in names]
    colors = [color if (m or not marked) else _OTHER_BAR for m in is_marked]

    positions = list(range(len(names)))
    bars = ax.barh(positions, vals, color=colors, height=0.7, zorder=2)
    ax.set_yticks(positions, names)
    ax.set_ylim(len(names) - 0.5, -0.5)  # inverted: rank 1 on top
    ax.grid(False, axis="y")
    ax.grid(True, axis="x")
    ax.tick_params(axis="y", length=0)
    for tick, m in zip(ax.get_yticklabels(), is_marked):
        tick.set_fontweight("bold" if m else "normal")
        tick.set_parse_math(False)

    texts = [value_fmt.format(v) for v in vals]
    value_labels = ax.bar_label(bars, labels=texts, padding=3, fontsize=_SMALL_PT, color="#222222")
    for text, m in zip(value_labels, is_marked):
        text.set_parse_math(False)
        if m:
            text.set_fontweight("bold")

    # Room at the right for the value labels.
    if min(vals) >= 0 and max(vals) > 0:
        width_pt, _ = _axes_size_pt(ax)
        widest = max(_text_width_pt(t, _SMALL_PT, "bold") for t in texts)
        frac = (widest + 3 + 6) / width_pt
        ax.set_xlim(0, max(vals) / (1 - min(frac, 0.5)))
    return bars


def backlog_figure(table: pd.DataFrame, as_of: str | dt.date, sheet: str, *, top_n: int = 20):
    """Ranked bars of the ``top_n`` counties by pending cases per 1,000 residents, counties whose
    sheriff or jail holds an agreement in bold colour. Returns (fig, ax); save with figures.save_figure."""
    from ..engine import coverage

    ranked = table[table["per_1000"].notna()].head(top_n)
    labels = [f"{c}, {s}" for c, s in zip(ranked["county"], ranked["state"])]
    covered = [lab for lab, st in zip(labels, ranked["status"]) if st == coverage.STATUS_COUNTY]
    fig, ax = new_figure(
        f"Pending immigration-court cases per 1,000 residents: top {len(labels)} counties",
        xlabel="Pending cases per 1,000 residents", ylabel="",
        subtitle=(f"Blue and bold: the county's sheriff or jail holds a 287(g) agreement on {as_of} "
                  f"({len(covered)} of {len(labels)})" if covered else
                  f"None of these counties' sheriffs or jails holds a 287(g) agreement on {as_of}"),
        source=f"TRAC pending cases by address (county table, undated); Census Vintage 2024 county population; "
               f"ICE 287(g) sheet {sheet}",
        figsize=(8, 7),
    )  # fmt: skip
    barh_ranking(ax, labels, ranked["per_1000"].astype(float).tolist(), highlight=covered, value_fmt="{:,.1f}")
    return fig, ax
