"""House figures: style, byte-stable atomic saves, source line, date marks, rankings."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib import font_manager

from analysis.analyses import figures

SOURCE = "ICE 287(g) participating-agencies sheet of 2025-09-02 (pm)"


@pytest.fixture(autouse=True)
def _isolate_matplotlib():
    """Each test gets fresh rcParams and leaves no open figures behind."""
    with mpl.rc_context():
        yield
    plt.close("all")


def _growth_figure(seed: int = 0):
    days = pd.date_range("2024-11-01", "2025-10-31", freq="D")
    rng = np.random.default_rng(seed)
    rate = np.where(days < "2025-01-20", 0.3, np.where(days < "2025-07-04", 3.5, 5.0))
    series = pd.Series(135 + np.cumsum(rng.poisson(rate)), index=days)
    fig, ax = figures.new_figure(
        "287(g) agreements kept growing after the inauguration",
        xlabel="Date agreement signed",
        ylabel="Agreements in force",
        subtitle="Cumulative count, all models (synthetic data)",
        source=SOURCE,
    )
    ax.plot(series.index, series.values)
    figures.format_date_axis(ax)
    figures.format_count_axis(ax, "agreements")
    figures.mark_dates(ax, figures.POLICY_DATES)
    return fig, ax


def _bboxes_overlap(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


# ----------------------------------------------------------------------------- style


def test_use_style_applies_house_style():
    mpl.rcParams["axes.spines.top"] = True
    mpl.rcParams["svg.hashsalt"] = None
    figures.use_style()
    assert mpl.rcParams["axes.spines.top"] is False
    assert mpl.rcParams["axes.spines.right"] is False
    assert mpl.rcParams["svg.hashsalt"] == "ice-287g-claims"
    assert mpl.rcParams["savefig.dpi"] == 150
    assert mpl.rcParams["figure.dpi"] == 100
    assert mpl.rcParams["font.sans-serif"][0] == "DejaVu Sans"
    assert mpl.rcParams["axes.prop_cycle"].by_key()["color"][0].upper() == "#0072B2"


def test_style_overrides_local_matplotlibrc_changes():
    mpl.rcParams["lines.linestyle"] = ":"  # a key the style file does not set
    figures.use_style()
    assert mpl.rcParams["lines.linestyle"] == "-"


def test_style_font_sizes_are_readable():
    figures.use_style()
    for key in ("font.size", "axes.labelsize", "axes.titlesize", "xtick.labelsize",
                "ytick.labelsize", "legend.fontsize", "figure.titlesize"):
        size = font_manager.FontProperties(size=mpl.rcParams[key]).get_size_in_points()
        assert size >= 10, key


def test_style_font_is_the_one_matplotlib_ships():
    figures.use_style()
    found = Path(font_manager.findfont(font_manager.FontProperties(), fallback_to_default=False))
    assert Path(mpl.get_data_path()) in found.parents, found


def test_use_style_forces_agg_over_a_non_interactive_backend():
    mpl.rcParams["backend"] = "svg"
    figures.use_style()
    assert mpl.get_backend().lower() == "agg"


def test_use_style_leaves_jupyter_inline_alone():
    inline = "module://matplotlib_inline.backend_inline"
    mpl.rcParams["backend"] = inline  # as ipykernel sets it; pyplot is not switched
    figures.use_style()
    assert figures._current_backend() == inline


# ----------------------------------------------------------------------------- new_figure


def test_new_figure_has_title_labels_and_source_line():
    fig, ax = _growth_figure()
    texts = {t.get_gid(): t.get_text() for t in fig.texts}
    assert texts["source"] == f"Source: {SOURCE}; analysis: ice-287g-claims"
    assert any(SOURCE in t.get_text() for t in fig.texts)
    assert fig.get_suptitle() == "287(g) agreements kept growing after the inauguration"
    assert texts["subtitle"].startswith("Cumulative count")
    assert ax.get_xlabel() == "Date agreement signed"
    assert ax.get_ylabel() == "Agreements in force"
    assert not ax.spines["top"].get_visible()


def test_source_line_is_bottom_left_and_clear_of_the_axes():
    fig, ax = _growth_figure()
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    source = next(t for t in fig.texts if t.get_gid() == "source")
    box = source.get_window_extent(renderer)
    fig_box = fig.bbox
    assert box.x0 < 0.05 * fig_box.width and box.y0 < 0.1 * fig_box.height
    assert box.x0 >= 0 and box.x1 <= fig_box.width  # not clipped
    axes_box = ax.get_tightbbox(renderer)  # ticks, tick labels and axis labels
    assert box.y1 < axes_box.y0, "source line overlaps the axes or their labels"
    title = next(t for t in fig.texts if t.get_gid() == "title")
    title_box = title.get_window_extent(renderer)
    assert title_box.y0 > axes_box.y1, "title overlaps the axes"


def test_source_prefix_kept_and_long_lines_wrapped():
    long = "Source: " + " ".join(["ICE 287(g) sheet of 2025-09-02 (pm)"] * 6)
    fig, _ = figures.new_figure("T", xlabel="x (days)", ylabel="y (count)", source=long,
                                figsize=(6, 4))
    text = next(t for t in fig.texts if t.get_gid() == "source").get_text()
    assert text.startswith("Source: ICE") and "\n" in text
    fig.canvas.draw()
    box = next(t for t in fig.texts if t.get_gid() == "source").get_window_extent()
    assert box.x1 <= fig.bbox.width


def test_dollar_signs_are_not_mathtext():
    fig, ax = figures.new_figure("ICE paid $5 million and $3 million", xlabel="x", ylabel="y",
                                 source=SOURCE)
    fig.canvas.draw()  # would raise or mangle if parsed as mathtext
    assert fig._suptitle.get_parse_math() is False


@pytest.mark.parametrize("kwargs", [{"source": "  "}, {"source": SOURCE, "title": ""}])
def test_new_figure_requires_title_and_source(kwargs):
    args = {"title": "A title", **kwargs}
    with pytest.raises(ValueError):
        figures.new_figure(args.pop("title"), xlabel="x", ylabel="y", **args)


# ----------------------------------------------------------------------------- save_figure


@pytest.mark.parametrize("fmt", ["png", "svg", "pdf"])
def test_save_is_byte_stable(tmp_path, monkeypatch, fmt):
    # Different SOURCE_DATE_EPOCHs: an unstripped date in the metadata would differ.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    (first,) = figures.save_figure(_growth_figure()[0], tmp_path / "a" / "fig", formats=(fmt,))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1000000000")
    fig, _ = _growth_figure()
    mpl.rcParams["svg.hashsalt"] = None  # save must not depend on an rc change after new_figure
    mpl.rcParams["savefig.dpi"] = 72
    (second,) = figures.save_figure(fig, tmp_path / "b" / "fig", formats=(fmt,))
    data = first.read_bytes()
    assert len(data) > 1000
    assert data == second.read_bytes()
    # ...and the comparison can tell figures apart.
    (other,) = figures.save_figure(_growth_figure(seed=1)[0], tmp_path / "c" / "fig",
                                   formats=(fmt,))
    assert other.read_bytes() != data


def test_saved_files_carry_no_software_version_or_date(tmp_path):
    written = figures.save_figure(_growth_figure()[0], tmp_path / "fig",
                                  formats=("png", "svg", "pdf"))
    png, svg, pdf = (p.read_bytes() for p in written)
    assert b"Software" not in png and mpl.__version__.encode() not in png
    assert b"<dc:date>" not in svg and b"matplotlib.org" not in svg
    assert b"CreationDate" not in pdf and b"Producer" not in pdf
    assert mpl.__version__.encode() not in svg + pdf


def test_save_returns_paths_creates_dirs_and_closes(tmp_path):
    fig, _ = _growth_figure()
    num = fig.number
    target = tmp_path / "deep" / "er" / "growth.png"
    written = figures.save_figure(fig, target, formats=("png", "svg"))
    assert written == [tmp_path / "deep" / "er" / "growth.png",
                       tmp_path / "deep" / "er" / "growth.svg"]
    assert all(p.is_file() for p in written)
    assert not plt.fignum_exists(num)
    assert sorted(os.listdir(target.parent)) == ["growth.png", "growth.svg"]
    mode = written[0].stat().st_mode & 0o777
    assert mode & 0o044, f"file not group/world readable: {oct(mode)}"


def test_dotted_stem_is_kept(tmp_path):
    (p,) = figures.save_figure(_growth_figure()[0], tmp_path / "growth.2025-09-02")
    assert p.name == "growth.2025-09-02.png"


def test_unknown_format_rejected_before_writing(tmp_path):
    with pytest.raises(ValueError):
        figures.save_figure(_growth_figure()[0], tmp_path / "fig", formats=("jpg",))
    assert os.listdir(tmp_path) == []


def test_failed_save_keeps_previous_file_and_leaves_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "fig.png"
    figures.save_figure(_growth_figure()[0], target)
    before = target.read_bytes()

    fig, _ = _growth_figure(seed=1)

    def broken_savefig(fh, *args, **kwargs):
        fh.write(b"\x89PNG half written")  # partial output, then the crash
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(fig, "savefig", broken_savefig)
    with pytest.raises(RuntimeError, match="disk on fire"):
        figures.save_figure(fig, target)
    assert target.read_bytes() == before
    assert os.listdir(tmp_path) == ["fig.png"]


def test_failure_in_second_format_replaces_neither(tmp_path, monkeypatch):
    old = figures.save_figure(_growth_figure()[0], tmp_path / "fig", formats=("png", "svg"))
    before = [p.read_bytes() for p in old]

    fig, _ = _growth_figure(seed=1)
    real = fig.savefig

    def fail_on_svg(fh, *args, format=None, **kwargs):
        if format == "svg":
            raise OSError("no space left")
        return real(fh, *args, format=format, **kwargs)

    monkeypatch.setattr(fig, "savefig", fail_on_svg)
    with pytest.raises(OSError):
        figures.save_figure(fig, tmp_path / "fig", formats=("png", "svg"))
    assert [p.read_bytes() for p in old] == before
    assert sorted(os.listdir(tmp_path)) == ["fig.png", "fig.svg"]


# ----------------------------------------------------------------------------- mark_dates


def _date_axes():
    fig, ax = figures.new_figure("Dates", xlabel="Date", ylabel="Agreements (count)",
                                 source=SOURCE)
    days = pd.date_range("2025-01-01", "2025-12-31", freq="D")
    ax.plot(days, np.linspace(0, 1000, len(days)))
    return fig, ax


def test_mark_dates_staggers_labels_three_days_apart():
    fig, ax = _date_axes()
    marks = figures.mark_dates(ax, {"Budget law": date(2025, 7, 4),
                                    "Guidance memo": date(2025, 7, 7)})
    assert [t.get_text() for _, t in marks] == ["Budget law", "Guidance memo"]
    fig.canvas.draw()
    (_, a), (_, b) = marks
    box_a, box_b = a.get_window_extent(), b.get_window_extent()
    assert not _bboxes_overlap(box_a, box_b)
    assert box_a.y0 != box_b.y0, "labels were not staggered vertically"
    for line, _ in marks:
        assert line.get_linestyle() in ("--", "dashed") or line.get_dashes() != (None, None)


def test_mark_dates_keeps_distant_labels_on_one_row_and_inside_axes():
    fig, ax = _date_axes()
    marks = figures.mark_dates(ax, {"Inauguration": date(2025, 1, 20),
                                    "Budget law": date(2025, 7, 4),
                                    "Reimbursement starts": date(2025, 12, 20)})
    fig.canvas.draw()
    boxes = [t.get_window_extent() for _, t in marks]
    assert len({round(b.y0, 3) for b in boxes}) == 1
    axes_box = ax.get_window_extent()
    assert all(axes_box.x0 <= b.x0 and b.x1 <= axes_box.x1 for b in boxes)


def test_mark_dates_label_near_right_edge_does_not_abut_another_line():
    # Nov 2024 - Oct 2025: "Reimbursement starts" (Oct 1) cannot hang right of its line,
    # and one line of text left of it would start at the Budget law line (Jul 4).
    fig, ax = _growth_figure()
    fig.canvas.draw()
    marks = {t.get_text().replace("\n", " "): (line, t) for line, t in ax_marks(ax)}
    line, label = marks["Reimbursement starts"]
    box = label.get_window_extent()
    own_x = ax.transData.transform((ax.xaxis.convert_units(line.get_xdata()[0]), 0))[0]
    assert 0 <= own_x - box.x1 <= 8  # hangs left of its own line
    for other, _ in marks.values():
        if other is line:
            continue
        x = ax.transData.transform((ax.xaxis.convert_units(other.get_xdata()[0]), 0))[0]
        assert not box.x0 - 15 <= x <= box.x1, "label starts next to another date line"
    axes_box = ax.get_window_extent()
    assert box.x0 >= axes_box.x0 and box.x1 <= axes_box.x1


def ax_marks(ax):
    """(line, label) pairs mark_dates added, from the gids it sets."""
    labels = sorted((t for t in ax.texts if (t.get_gid() or "").startswith("date-label-")),
                    key=lambda t: int(t.get_gid().rsplit("-", 1)[1]))
    lines = [ln for ln in ax.lines if ln.get_linestyle() == "--"]
    assert len(lines) == len(labels)
    return list(zip(lines, labels))


def test_mark_dates_many_close_dates_never_overlap():
    fig, ax = _date_axes()
    dates = {f"Event {i}": date(2025, 6, 1 + 2 * i) for i in range(6)}
    marks = figures.mark_dates(ax, dates)
    fig.canvas.draw()
    boxes = [t.get_window_extent() for _, t in marks]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not _bboxes_overlap(a, b)


def test_mark_dates_leaves_room_above_the_data():
    fig, ax = _date_axes()
    marks = figures.mark_dates(ax, {"Budget law": date(2025, 7, 4),
                                    "Reimbursement starts": date(2025, 10, 1)})
    fig.canvas.draw()
    line_top = ax.transData.transform((0, 1000))[1]  # highest data point, in pixels
    lowest_label = min(t.get_window_extent().y0 for _, t in marks)
    assert line_top < lowest_label


# ----------------------------------------------------------------------------- axes formats


def test_format_count_axis_separators_and_unit():
    fig, ax = figures.new_figure("Counts", xlabel="Date", ylabel="Agreements", source=SOURCE)
    ax.plot([0, 1, 2], [1200, 15000, 30000])
    figures.format_count_axis(ax, "count")
    assert ax.get_ylabel() == "Agreements (count)"
    assert ax.yaxis.get_major_formatter()(12345, 0) == "12,345"
    assert ax.get_ylim()[0] == 0
    figures.format_count_axis(ax, "count")  # idempotent
    assert ax.get_ylabel() == "Agreements (count)"


def test_format_date_axis_is_concise():
    fig, ax = _date_axes()
    figures.format_date_axis(ax)
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert "2025" in labels and "Jul" in labels


# ----------------------------------------------------------------------------- barh_ranking


def test_barh_ranking_largest_on_top_with_values_and_highlight():
    fig, ax = figures.new_figure("Ranking", xlabel="Agreements (count)", ylabel="",
                                 source=SOURCE)
    labels = ["Queens", "Texas", "Florida", "Kings"]
    values = [12, 214, 1327, 40]
    bars = figures.barh_ranking(ax, labels, values, highlight={"Queens", "Kings"})
    fig.canvas.draw()
    ticks = sorted(ax.get_yticklabels(), key=lambda t: -t.get_window_extent().y0)
    assert [t.get_text() for t in ticks] == ["Florida", "Texas", "Kings", "Queens"]
    value_texts = [t.get_text() for t in ax.texts]
    assert value_texts == ["1,327", "214", "40", "12"]
    colours = [tuple(b.get_facecolor()) for b in bars]
    assert colours[2] == colours[3] and colours[0] == colours[1] and colours[0] != colours[2]
    # Value labels fit inside the axes.
    axes_box = ax.get_window_extent()
    assert all(t.get_window_extent().x1 <= axes_box.x1 for t in ax.texts)


def test_barh_ranking_rejects_unknown_highlight_and_mismatch():
    fig, ax = figures.new_figure("Ranking", xlabel="Count", ylabel="", source=SOURCE)
    with pytest.raises(ValueError, match="Brooklyn"):
        figures.barh_ranking(ax, ["Kings", "Queens"], [1, 2], highlight=["Brooklyn"])
    with pytest.raises(ValueError):
        figures.barh_ranking(ax, ["Kings", "Queens"], [1])
