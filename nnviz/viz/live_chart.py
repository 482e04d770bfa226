"""The trainer's live loss and accuracy charts as Vega-Lite specs: arrays in, two specs out.

Why not Plotly, as for the charts drawn once: the live chart is redrawn several times a second while a run plays,
and Streamlit mounts every redrawn Plotly figure anew (docs/decisions/live-charts-vega-lite.md). A Vega-Lite chart
keeps its spec (the data travel apart, as named datasets)
and Streamlit updates it in place: the same chart, its lines drawn anew from the new data.

The spec changes — and the chart is mounted anew — only when what it shows changes kind: markers below 30
epochs, the per-batch loss becoming a band, an earlier run added for comparison, log scale, presentation mode.

``loss_spec`` and ``accuracy_spec`` take a run's per-epoch and per-batch series; a page keeps
``drawn_often(spec)`` until the run's next slice and draws it with ``st.vega_lite_chart(spec, theme=None)``
in a column of its own (each chart fills its column's width).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from nnviz.viz.downsample import MAX_POINTS, Curve, envelope, thin
from nnviz.viz.theme import BATCH, FADED, GRID, INK, REFERENCE, REFERENCE_BAND, TEST, TRAIN, style

PREVIOUS = FADED
REFERENCE_DASH = [2, 4]
#: stroke dash per line kind (Vega-Lite: dash, gap lengths in pixels)
SOLID, DASHED = [1, 0], [8, 5]
PREVIOUS_DASHES = ([2, 4], [8, 5], [8, 4, 2, 4], [14, 6])
SHOW_MARKERS_BELOW = 30  # epochs: a short run shows its points, a long one only lines
#: the panel's title says "Loss" or "Accuracy": its legend says only whose line it is ("train", "test", "batch")
LEGEND = {"labelExpr": "replace(replace(replace(datum.label, ' loss', ''), ' accuracy', ''), ' R²', '')",
          "symbolOpacity": 1}


def _finite(values, positive: bool = False) -> np.ndarray:
    """NaN where a value cannot be drawn (infinite; zero or below on a log scale): the line breaks there."""
    v = np.asarray(values, dtype=float).copy()
    bad = ~np.isfinite(v)
    if positive:
        bad |= v <= 0
    v[bad] = np.nan
    return v


def _frame(curves) -> pd.DataFrame:
    """``curves``: (series name, epochs, values) -> one long table (series, epoch, value), thinned."""
    parts = []
    for name, x, y in curves:
        ex, ey = thin(x, y)
        parts.append(pd.DataFrame({"series": name, "epoch": np.asarray(ex, dtype=float),
                                   "value": np.asarray(ey, dtype=float)}))
    if not parts:
        return pd.DataFrame({"series": pd.Series(dtype=str), "epoch": pd.Series(dtype=float),
                             "value": pd.Series(dtype=float)})
    return pd.concat(parts, ignore_index=True)


def _config(presentation: bool) -> dict:
    s = style(presentation)
    return {
        "font": "sans-serif",
        "view": {"stroke": "#dee2e6"},
        "axis": {"labelFontSize": s.font, "titleFontSize": s.font, "titleFontWeight": "normal",
                 "labelColor": "#343a40", "titleColor": INK, "gridColor": GRID, "labelOverlap": True,
                 "tickCount": 5},
        "legend": {"labelFontSize": s.font, "symbolStrokeWidth": s.line, "symbolSize": 24 * s.font,
                   "labelLimit": 16 * s.font, "orient": "top", "title": None, "direction": "horizontal",
                   "columns": 2, "columnPadding": 14, "rowPadding": 4, "offset": 6},
        "title": {"fontSize": s.title, "anchor": "start", "fontWeight": "bold", "offset": 6},
    }


def _line_layer(dataset: str, names: list[str], colours: list[str], dashes: list[list[int]], width: float,
                y_title: str, y_scale: dict, y_axis: dict, markers: bool, opacity: float = 1.0) -> dict:
    mark = {"type": "line", "strokeWidth": width, "opacity": opacity, "clip": True}
    if markers:
        mark["point"] = {"filled": True, "size": width * 18}
    return {
        "data": {"name": dataset},
        "mark": mark,
        "encoding": {
            "x": {"field": "epoch", "type": "quantitative", "title": "epoch", "scale": {"zero": True, "nice": False},
                  "axis": {"format": "~r"}},
            "y": {"field": "value", "type": "quantitative", "title": y_title, "scale": y_scale, "axis": y_axis},
            "color": {"field": "series", "type": "nominal", "scale": {"domain": names, "range": colours},
                      "sort": names, "legend": LEGEND},
            "strokeDash": {"field": "series", "type": "nominal", "scale": {"domain": names, "range": dashes},
                           "sort": names},
            "tooltip": [{"field": "series", "title": "line"}, {"field": "epoch", "format": ".2~f"},
                        {"field": "value", "format": ".4f"}],
        },
    }


def vega_spec(layers: list[dict], datasets: dict, presentation: bool, height: int | None, title: str | dict | None = None,
              **extra) -> dict:
    """A layered Vega-Lite spec that fills its column's width, with the app's type sizes (``presentation``:
    for the back of a room); ``extra``: further top-level keys (``usermeta``, ``resolve``…)."""
    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "datasets": datasets,
        "layer": layers,
        "config": _config(presentation),
        "autosize": {"type": "fit", "contains": "padding"},
        "padding": {"left": 4, "right": 12, "top": 4, "bottom": 4},
        **extra,
    }
    if title:
        spec["title"] = title
    if height is not None:
        spec["height"] = height
    return spec


#: The per-batch loss is drawn up to this many times the highest loss of the epoch curves (or of a coin flip's, ln 2,
#: when they are lower): higher spikes — a diverging run's last batches reach hundreds — are drawn at the cap.
BATCH_CAP = 3.0


def batch_ceiling(curves) -> float:
    """Where the batch losses are cut: ``BATCH_CAP`` × the highest finite epoch loss (at least ln 2)."""
    highs = [float(np.nanmax(y)) for _, _, y in curves if np.any(np.isfinite(y))]
    return BATCH_CAP * max(highs + [float(np.log(2))])


def change_layers(marks, presentation: bool, at: str = "top") -> tuple[list[dict], dict]:
    """A vertical rule at each change made during the run, labelled ("lr 1 → 0.1") at the top or the bottom
    (``at``) of the plot: ``marks`` holds (epoch, label) pairs, the epoch fractional when the change came
    mid-epoch. (layers, datasets)"""
    if not marks:
        return [], {}
    s = style(presentation)
    frame = pd.DataFrame({"epoch": [float(x) for x, _ in marks], "label": [str(label) for _, label in marks]})
    x = {"field": "epoch", "type": "quantitative"}
    rule = {"data": {"name": "changes"}, "mark": {"type": "rule", "color": INK, "strokeWidth": max(1.5, s.line * 0.5),
                                                  "strokeDash": [6, 3], "clip": True},
            "encoding": {"x": x, "tooltip": [{"field": "label", "title": "change"},
                                             {"field": "epoch", "format": ".2~f"}]}}
    # right of its rule, or left of it in the chart's last third (a change made at the end: a weight edit, paused);
    # at the top of a loss chart and the bottom of an accuracy chart, away from where their curves end up
    right = "scale('x', datum.epoch) > width * 0.66"
    place = {"baseline": "top", "y": 4} if at == "top" else {"baseline": "bottom", "y": {"expr": "height - 4"}}
    text = {"data": {"name": "changes"},
            "mark": {"type": "text", "align": {"expr": f"{right} ? 'right' : 'left'"},
                     "dx": {"expr": f"{right} ? -4 : 4"}, **place, "fontSize": s.font, "color": INK, "clip": True},
            "encoding": {"x": x, "text": {"field": "label"}}}
    return [rule, text], {"changes": frame}


def loss_spec(epochs, train_loss, test_loss, batch_x=(), batch_loss=(), previous: tuple[Curve, ...] = (),
              log_scale: bool = False, presentation: bool = False, loss_label: str = "cross-entropy",
              height: int | None = None, marks=()) -> dict:
    """Loss per epoch (train solid, test dashed), the per-batch loss faint behind it (as a min–max band when
    there are too many batches to draw; cut at ``batch_ceiling``), earlier runs' test loss as faded lines labelled
    with their settings; ``marks`` the changes made during the run (``change_layers``)."""
    s = style(presentation)
    markers = np.size(epochs) < SHOW_MARKERS_BELOW
    main, names, colours, dashes = [], [], [], []
    for name, y, colour, dash in (("train loss", train_loss, TRAIN, SOLID), ("test loss", test_loss, TEST, DASHED)):
        y = _finite(y, positive=log_scale)
        if y.size and not np.all(np.isnan(y)):
            main.append((name, epochs, y))
            names.append(name)
            colours.append(colour)
            dashes.append(dash)
    before = [(run.label, run.epochs, _finite(run.loss, positive=log_scale)) for run in previous]
    datasets = {"curves": _frame(main)}
    y_scale = {"type": "log"} if log_scale else {"zero": True}
    y_axis = {"format": "~r", "tickCount": 4}
    y_title = f"loss ({loss_label})"
    layers = []
    bx, by = np.asarray(batch_x, dtype=float), _finite(batch_loss, positive=log_scale)
    by = np.minimum(by, batch_ceiling(main))  # a diverging run's spikes would flatten both curves
    batch_names = []
    if bx.size > 2 * MAX_POINTS:
        cx, lo, _, hi = envelope(bx, by, MAX_POINTS)
        datasets["batches"] = pd.DataFrame({"series": "batch loss (range)", "epoch": cx, "lo": lo, "hi": hi})
        batch_names = ["batch loss (range)"]
        layers.append({
            "data": {"name": "batches"},
            "mark": {"type": "area", "opacity": 0.28, "clip": True},
            "encoding": {"x": {"field": "epoch", "type": "quantitative"},
                         "y": {"field": "lo", "type": "quantitative"}, "y2": {"field": "hi"},
                         "color": {"field": "series", "type": "nominal", "legend": LEGEND}},
        })
    elif bx.size:
        datasets["batches"] = _frame([("batch loss", bx, by)])
        batch_names = ["batch loss"]
        layers.append({
            "data": {"name": "batches"},
            "mark": {"type": "line", "strokeWidth": max(1.0, s.line * 0.45), "opacity": 0.45, "clip": True},
            "encoding": {"x": {"field": "epoch", "type": "quantitative"},
                         "y": {"field": "value", "type": "quantitative"},
                         "color": {"field": "series", "type": "nominal", "legend": LEGEND}},
        })
    all_names = names + batch_names + [label for label, _, _ in before]
    all_colours = colours + [BATCH] * len(batch_names) + [PREVIOUS] * len(before)
    all_dashes = dashes + [SOLID] * len(batch_names) + [PREVIOUS_DASHES[i % len(PREVIOUS_DASHES)]
                                                       for i in range(len(before))]
    if before:
        datasets["previous"] = _frame(before)
        layers.insert(0, _line_layer("previous", all_names, all_colours, all_dashes, s.line * 0.8, y_title,
                                     y_scale, y_axis, markers=False, opacity=0.8))
    layers.append(_line_layer("curves", all_names, all_colours, all_dashes, s.line, y_title, y_scale, y_axis, markers))
    rules, rule_data = change_layers(marks, presentation)
    return vega_spec(layers + rules, {**datasets, **rule_data}, presentation, height, title="Loss")


def accuracy_spec(epochs, train_acc, test_acc, previous: tuple[Curve, ...] = (), presentation: bool = False,
                  reference: tuple[float, str] | None = None,
                  reference_band: tuple[float, float, str] | None = None, height: int | None = None,
                  marks=(), metric: str = "accuracy") -> dict:
    """Accuracy per epoch; ``reference`` (accuracy, label) a dotted line (e.g. the lesson's 93.6 %),
    ``reference_band`` (low, high, label) a shaded band (what runs of the recipe reach over seeds), both named in the
    chart's subtitle, in their colour (beside the curves they would cover them). With a reference the axis spans
    50–100 % (a coin flip to perfect, for the lesson's two classes), so that a band of a point or two is wide enough
    to see; otherwise 0–100 %. ``marks``: the changes made during the run (``change_layers``). ``metric="R²"``: a
    regression's R² instead, on 0 … 1 (a worse fit than the mean, below 0, is drawn at 0)."""
    s = style(presentation)
    markers = np.size(epochs) < SHOW_MARKERS_BELOW
    main, names, colours, dashes = [], [], [], []
    r2 = metric != "accuracy"
    for name, y, colour, dash in ((f"train {metric}", train_acc, TRAIN, SOLID),
                                  (f"test {metric}", test_acc, TEST, DASHED)):
        y = _finite(y)
        if y.size and not np.all(np.isnan(y)):
            main.append((name, epochs, y))
            names.append(name)
            colours.append(colour)
            dashes.append(dash)
    before = [(run.label, run.epochs, _finite(run.accuracy)) for run in previous]
    all_names = names + [label for label, _, _ in before]
    all_colours = colours + [PREVIOUS] * len(before)
    all_dashes = dashes + [PREVIOUS_DASHES[i % len(PREVIOUS_DASHES)] for i in range(len(before))]
    referenced = reference is not None or reference_band is not None
    if referenced:
        y_scale = {"domain": [0.5, 1.005], "nice": False, "clamp": True}
        y_axis = {"format": ".0%", "values": [0.5, 0.6, 0.7, 0.8, 0.9, 1.0], "labelOverlap": False}
    elif r2:
        y_scale = {"domain": [0, 1.02], "nice": False, "clamp": True}
        y_axis = {"format": ".1f", "values": [0, 0.2, 0.4, 0.6, 0.8, 1.0], "labelOverlap": False}
    else:
        y_scale = {"domain": [0, 1.02], "nice": False}
        y_axis = {"format": ".0%", "values": [0, 0.2, 0.4, 0.6, 0.8, 1.0], "labelOverlap": False}
    datasets = {"curves": _frame(main)}
    layers, named = [], []
    if reference_band is not None:
        lo, hi, label = reference_band
        layers.append({"data": {"values": [{}]}, "mark": {"type": "rect", "color": REFERENCE_BAND, "opacity": 0.45},
                       "encoding": {"y": {"datum": lo, "type": "quantitative", "scale": y_scale}, "y2": {"datum": hi}}})
        named.append(f"▮ {label}")
    if reference is not None:
        value, label = reference
        layers.append({"data": {"values": [{}]},
                       "mark": {"type": "rule", "color": REFERENCE, "strokeWidth": max(2.0, s.line * 0.8),
                                "strokeDash": REFERENCE_DASH},
                       "encoding": {"y": {"datum": value, "type": "quantitative", "scale": y_scale}}})
        named.insert(0, f"┈ {label}")
    if before:
        datasets["previous"] = _frame(before)
        layers.append(_line_layer("previous", all_names, all_colours, all_dashes, s.line * 0.8, metric,
                                  y_scale, y_axis, markers=False, opacity=0.8))
    layers.append(_line_layer("curves", all_names, all_colours, all_dashes, s.line, metric, y_scale, y_axis,
                              markers))
    heading = "R²" if r2 else "Accuracy"
    title = {"text": heading, "subtitle": named, "subtitleColor": REFERENCE,  # a line each: a column is narrow
             "subtitleFontSize": round(s.font * 0.9)} if referenced else heading
    rules, rule_data = change_layers(marks, presentation, at="bottom")  # the curves rise to the top
    return vega_spec(layers + rules, {**datasets, **rule_data}, presentation, height, title=title)


def drawn_often(spec: dict) -> dict:
    """The spec with its datasets as Arrow tables: a live chart is drawn again and again between two slices of
    its run, and Streamlit converts a pandas dataset to Arrow on every draw, an Arrow table at almost no cost.

    ``nthreads=1``: left to itself, pyarrow converts the columns on a thread pool it creates and shuts down on
    every call, and starting a thread waits for the interpreter lock (docs/decisions/live-charts-vega-lite.md)."""
    return {**spec, "datasets": {name: df if isinstance(df, pa.Table) else  # already Arrow: as it is
                                 pa.Table.from_pandas(df, preserve_index=False, nthreads=1)
                                 for name, df in spec["datasets"].items()}}
