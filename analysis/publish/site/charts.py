"""Plotly figures of the site, as plain JSON specs the page hands to Plotly.newPlot (site.js).

Why specs and not plotly.graph_objects: building and validating a graph object costs tens of
milliseconds, and the site has a hundred charts; the specs use only a few well-known attributes,
which tests/test_site.py validates against Plotly's schema. Lines are steps ("hv"): a count holds
from one sheet until the next one changes it, so only the sheets where a value moves are kept.
"""

from __future__ import annotations

FONT = {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 13, "color": "#1f2328"}
COLOURS = ("#0550ae", "#bc4c00", "#1a7f37", "#8250df")  # distinct, dark enough on white (WCAG AA for lines and labels)
CONFIG = {"responsive": True, "displaylogo": False}


def steps(dates: list[str], values: list) -> tuple[list[str], list]:
    """The points of a step line where the value changes (and the last one)."""
    xs, ys = [], []
    for i, (d, v) in enumerate(zip(dates, values)):
        if not ys or v != ys[-1] or i == len(values) - 1:
            xs.append(d)
            ys.append(v)
    return xs, ys


def layout(title: str = "", *, y_title: str = "", height: int = 320, **extra) -> dict:
    out = {"font": FONT, "height": height, "margin": {"l": 56, "r": 16, "t": 40 if title else 16, "b": 48},
           "hovermode": "x unified", "legend": {"orientation": "h", "y": -0.2}, "plot_bgcolor": "#ffffff",
           "xaxis": {"type": "date", "gridcolor": "#eaeef2"},
           "yaxis": {"title": {"text": y_title}, "rangemode": "tozero", "gridcolor": "#eaeef2"}}  # fmt: skip
    if title:
        out["title"] = {"text": title, "x": 0, "font": {"size": 15}}
    out.update(extra)
    return out


def lines(series: dict[str, tuple[list[str], list]], *, y_title: str, title: str = "", height: int = 320,
          shapes: list | None = None, annotations: list | None = None) -> dict:
    """Step lines over time: {name: (dates, values)}."""
    data = []
    for i, (name, (dates, values)) in enumerate(series.items()):
        xs, ys = steps(dates, values)
        data.append({"type": "scatter", "mode": "lines", "name": name, "x": xs, "y": ys,
                     "line": {"shape": "hv", "width": 2, "color": COLOURS[i % len(COLOURS)]}})  # fmt: skip
    extra = {}
    if shapes:
        extra["shapes"] = shapes
    if annotations:
        extra["annotations"] = annotations
    return {"data": data, "layout": layout(title, y_title=y_title, height=height, **extra), "config": CONFIG}


def vline(day: str, label: str, colour: str = "#57606a") -> tuple[dict, dict]:
    """A dashed vertical line on a date, and its label at the top."""
    shape = {"type": "line", "xref": "x", "yref": "paper", "x0": day, "x1": day, "y0": 0, "y1": 1,
             "line": {"color": colour, "width": 1.5, "dash": "dash"}}  # fmt: skip
    note = {"x": day, "xref": "x", "y": 1, "yref": "paper", "text": label, "showarrow": False, "xanchor": "left",
            "yanchor": "bottom", "font": {"size": 12, "color": colour}}  # fmt: skip
    return shape, note


def hline(value: float, label: str, colour: str = "#c4202b") -> tuple[dict, dict]:
    """A dotted horizontal line at a value (the claimed figure), and its label at the left."""
    shape = {"type": "line", "xref": "paper", "yref": "y", "x0": 0, "x1": 1, "y0": value, "y1": value,
             "line": {"color": colour, "width": 1.5, "dash": "dot"}}  # fmt: skip
    note = {"x": 0, "xref": "paper", "y": value, "yref": "y", "text": label, "showarrow": False, "xanchor": "left",
            "yanchor": "bottom", "font": {"size": 12, "color": colour}}  # fmt: skip
    return shape, note
