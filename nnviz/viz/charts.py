"""Plotly figure builders: arrays in, ``go.Figure`` out. No Streamlit here, and no training.

Every figure has axis titles and a legend where it has more than one trace, and a
``presentation`` flag that makes type, lines and markers big enough for the back of
a classroom.

Figures are assembled as plain dicts; Plotly's property validation (most of a figure's cost) runs only when
``VALIDATE`` is on — the test suite turns it on (``NNVIZ_VALIDATE_FIGURES=1``), so every figure the app can build
is checked there. Long series are thinned to at most ``MAX_POINTS`` per trace.
"""

from __future__ import annotations

import os

import numpy as np
import plotly.graph_objects as go

from nnviz.viz.downsample import MAX_POINTS, envelope, thin
from nnviz.viz.network_layout import node_labels, unit_count, weighted_connections
from nnviz.viz.theme import (
    ACTIVATION_SCALE,
    BATCH,
    CLASS_COLOURS,
    GRAY,
    PROBABILITY_SCALE,
    TEST,
    TRAIN,
    Style,
    style,
)

VALIDATE = os.environ.get("NNVIZ_VALIDATE_FIGURES") == "1"
#: Plotly's display options for every chart the pages show: ``st.plotly_chart(fig, config=PLOTLY_CONFIG)``
#: (Streamlit serialises it, never changes it). No "made with Plotly" logo in the mode bar.
PLOTLY_CONFIG = {"displaylogo": False}


def _figure(spec: dict) -> go.Figure:
    return go.Figure(spec) if VALIDATE else go.Figure(spec, _validate=False)


def _layout(s: Style, **extra) -> dict:
    layout = {
        "height": s.height,
        "font": {"size": s.font},
        "margin": {"l": 10, "r": 10, "t": 60, "b": 10},
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.06, "xanchor": "left", "x": 0,
                   "traceorder": "normal"},
        "hoverlabel": {"font": {"size": s.font}},
        "template": "plotly_white",
    }
    layout.update(extra)
    return layout


#: Margins in px of the figures redrawn while something trains (normal, presentation): what Plotly's automargin
#: needs for them, plus a little room (docs/decisions/plotly-margins.md); automargin stays on for the unforeseen.
TRAINING_MARGINS = {False: {"l": 80, "r": 26, "t": 88, "b": 70}, True: {"l": 104, "r": 34, "t": 100, "b": 92}}
HIDDEN_MARGINS = {False: {"l": 16, "r": 96, "t": 70, "b": 16}, True: {"l": 20, "r": 120, "t": 70, "b": 20}}


def _roomy_margins(layout: dict, margins: dict):
    """Start a figure that is redrawn often with the margins its labels, legend and colour bar need, so that Plotly
    draws it once per update, not twice (docs/decisions/plotly-margins.md)."""
    layout["margin"] = dict(margins)


def _axis(title, s: Style, **extra):
    axis = {"title": {"text": title, "font": {"size": s.font}}, "tickfont": {"size": s.font}, "automargin": True}
    axis.update(extra)
    return axis


def training_figure(epochs, train_loss, test_loss, train_acc, test_acc, batch_x=(), batch_loss=(), *,
                    presentation: bool = False, loss_label: str = "cross-entropy", test_name: str = "test",
                    batch_name: str = "batch loss", short_names: bool = False,
                    titles: tuple[str, str] = ("Loss", "Accuracy"), zoom_accuracy: bool = False,
                    height: int | None = None) -> go.Figure:
    """Loss (left) and accuracy (right) per epoch, and the noisy per-batch loss as a faint trace (``batch_x`` in
    epochs) — the MNIST page's Keras curves.

    ``test_*`` may hold NaN where there is no test set; ``test_name`` names it ("validation"), ``batch_name`` the
    per-batch trace; ``short_names`` writes the legend as the lesson's plots do ("train", "test": one legend for
    both panels); ``titles`` are the panels' titles; ``zoom_accuracy`` spans the accuracy axis from its lowest
    tick under the curves (``nice_range``) instead of 0–100 %.
    """
    s = style(presentation)
    data = []
    hover = "epoch %{x:.0f}<br>%{fullData.name}: %{y:.4f}<extra></extra>"
    bx, by = np.asarray(batch_x, dtype=float), np.asarray(batch_loss, dtype=float)
    if bx.size > 2 * MAX_POINTS:
        # Too many batches to draw one by one: their range (min–max) per bin as a faint band.
        cx, lo, _mean, hi = envelope(bx, by, MAX_POINTS)
        data.append({"type": "scatter", "mode": "lines", "x": cx, "y": lo, "line": {"width": 0},
                     "hoverinfo": "skip", "showlegend": False, "xaxis": "x", "yaxis": "y"})
        data.append({"type": "scatter", "mode": "lines", "x": cx, "y": hi, "fill": "tonexty",
                     "fillcolor": "rgba(134, 142, 150, 0.28)", "line": {"width": 0}, "name": f"{batch_name} (range)",
                     "hovertemplate": "epoch %{x:.2f}<br>highest: %{y:.4f}<extra></extra>", "xaxis": "x", "yaxis": "y"})
    elif bx.size:
        data.append({"type": "scatter", "mode": "lines", "x": bx, "y": by,
                     "name": batch_name, "line": {"color": BATCH, "width": max(1.0, s.line * 0.45)},
                     "opacity": 0.45, "hovertemplate": "epoch %{x:.2f}<br>%{fullData.name}: %{y:.4f}<extra></extra>",
                     "xaxis": "x", "yaxis": "y"})
    marker = {"size": s.marker} if np.size(epochs) < 30 else None
    mode = "lines+markers" if marker else "lines"
    for y, part, what, colour, axis in ((train_loss, "train", "loss", TRAIN, 1), (test_loss, test_name, "loss", TEST, 1),
                                        (train_acc, "train", "accuracy", TRAIN, 2),
                                        (test_acc, test_name, "accuracy", TEST, 2)):
        y = np.asarray(y, dtype=float)
        if y.size == 0 or np.all(np.isnan(y)):
            continue
        ex, ey = thin(epochs, y)
        trace = {"type": "scatter", "mode": mode, "x": ex, "y": ey, "name": part if short_names else f"{part} {what}",
                 "legendgroup": part, "showlegend": not short_names or axis == 1,
                 "line": {"color": colour, "width": s.line, "dash": "solid" if part == "train" else "dash"},
                 "hovertemplate": hover, "xaxis": "x" if axis == 1 else "x2", "yaxis": "y" if axis == 1 else "y2"}
        if marker:
            trace["marker"] = marker
        data.append(trace)
    accuracy_axis = {"range": [0, 1.02], "tickformat": ".0%"}
    if zoom_accuracy:
        lo, hi, step = nice_range(np.r_[np.asarray(train_acc, dtype=float), np.asarray(test_acc, dtype=float)])
        accuracy_axis = {"range": [lo - step / 4, hi + step / 4], "dtick": step, "tick0": lo, "tickformat": ".1%"}
    layout = _layout(
        s,
        xaxis=_axis("epoch", s, domain=[0.0, 0.40], rangemode="tozero"),
        yaxis=_axis(f"loss ({loss_label})" if loss_label else "loss", s, rangemode="tozero"),
        xaxis2=_axis("epoch", s, domain=[0.60, 1.0], anchor="y2", rangemode="tozero"),
        yaxis2=_axis("accuracy", s, anchor="x2", **accuracy_axis),
        annotations=[
            {"text": f"<b>{titles[0]}</b>", "x": 0.0, "xref": "paper", "y": 1.0, "yref": "paper", "yanchor": "bottom",
             "xanchor": "left", "showarrow": False, "font": {"size": s.title}, "yshift": -2},
            {"text": f"<b>{titles[1]}</b>", "x": 0.60, "xref": "paper", "y": 1.0, "yref": "paper",
             "yanchor": "bottom", "xanchor": "left", "showarrow": False, "font": {"size": s.title}, "yshift": -2},
        ],
        hovermode="x",
        uirevision="training",  # keep the user's zoom while the chart streams
    )
    layout["legend"]["y"] = 1.12
    _roomy_margins(layout, TRAINING_MARGINS[presentation])
    if height is not None:
        layout["height"] = height
    return _figure({"data": data, "layout": layout})


def hidden_units_figure(xs, ys, maps, activation_range=(-1.0, 1.0), *, presentation: bool = False,
                        columns: int = 4, total_units: int | None = None) -> go.Figure:
    """A small map per hidden unit of its activation over the plane (``maps`` of shape (units, n, n))."""
    s = style(presentation)
    maps = np.asarray(maps)
    k = maps.shape[0]
    columns = max(1, min(columns, k))
    rows = -(-k // columns)
    gap = 0.04
    w = (1 - gap * (columns - 1)) / columns
    h = (1 - gap * (rows - 1)) / rows
    lo, hi = activation_range
    data, layout_axes, annotations = [], {}, []
    for i in range(k):
        r, c = divmod(i, columns)
        ax = "" if i == 0 else str(i + 1)
        x0 = c * (w + gap)
        y1 = 1 - r * (h + gap)
        data.append({"type": "heatmap", "x": xs, "y": ys, "z": maps[i], "zmin": lo, "zmax": hi,
                     "colorscale": ACTIVATION_SCALE, "showscale": i == 0, "xaxis": f"x{ax}", "yaxis": f"y{ax}",
                     "colorbar": {"title": {"text": "activation", "side": "right"}, "thickness": 12,
                                  "tickfont": {"size": s.font}},
                     "name": f"unit {i + 1}",
                     "hovertemplate": f"unit {i + 1}<br>(%{{x:.2f}}, %{{y:.2f}})<br>a = %{{z:.3f}}<extra></extra>"})
        x_domain = [max(0.0, round(x0, 6)), min(1.0, round(x0 + w, 6))]
        y_domain = [max(0.0, round(y1 - h, 6)), min(1.0, round(y1, 6))]
        layout_axes[f"xaxis{ax}"] = {"domain": x_domain, "anchor": f"y{ax}", "showticklabels": False,
                                     "range": [xs[0], xs[-1]]}
        layout_axes[f"yaxis{ax}"] = {"domain": y_domain, "anchor": f"x{ax}", "showticklabels": False,
                                     "range": [ys[0], ys[-1]], "scaleanchor": f"x{ax}"}
        annotations.append({"text": f"unit {i + 1}", "x": x0 + w / 2, "y": y1, "xref": "paper", "yref": "paper",
                            "yanchor": "bottom", "showarrow": False, "font": {"size": s.font}})
    title = "Each hidden unit's activation over the plane"
    if total_units and total_units > k:
        title += f" (first {k} of {total_units} units)"
    layout = _layout(s, annotations=annotations, **layout_axes)
    layout["title"] = {"text": title, "font": {"size": s.title}}
    layout["height"] = max(220, int(rows * (150 if not presentation else 200) + 80))
    _roomy_margins(layout, HIDDEN_MARGINS[presentation])
    return _figure({"data": data, "layout": layout})


def network_figure(weights, *, layer_names=("input", "hidden", "output"), node_values=None,
                   presentation: bool = False, title: str = "") -> go.Figure:
    """A layered network drawn as a graph: each weight a line whose width is its size and whose
    colour is its sign (``weight_stroke``).

    ``weights`` is the list of weight matrices in the lesson's layout, ``W`` of shape
    (units out, units in) per layer; ``node_values`` optionally colours the units.
    """
    s = style(presentation)
    sizes = [weights[0].shape[1]] + [W.shape[0] for W in weights]
    xs = np.linspace(0, 1, len(sizes))
    pos = [[(xs[layer], (n - 1) / 2 - i) for i in range(n)] for layer, n in enumerate(sizes)]
    data = [{"type": "scatter", "mode": "lines", "x": [x0, x1], "y": [y0, y1], "showlegend": False,
             "line": {"width": width, "color": colour}, "opacity": 0.85, "hoverinfo": "text", "text": label}
            for (x0, y0), (x1, y1), width, colour, label in weighted_connections(weights, pos)]
    node_x = [p[0] for col in pos for p in col]
    node_y = [p[1] for col in pos for p in col]
    labels = [label for layer in node_labels(sizes) for label in layer]
    marker = {"size": 34 if presentation else 26, "color": "#f8f9fa", "line": {"color": "#495057", "width": 2}}
    text_colours, hover = "#212529", labels
    if node_values is not None:
        values = np.asarray(node_values, dtype=float)
        marker.update({"color": np.clip(values, -1, 1), "colorscale": ACTIVATION_SCALE, "cmin": -1, "cmax": 1,
                       "colorbar": {"title": {"text": "value", "side": "right"}, "thickness": 12, "len": 0.7,
                                    "tickvals": [-1, 0, 1], "ticktext": ["≤ −1", "0", "≥ 1"]}})
        # white on the dark ends of the scale, dark on its light middle: every label readable
        text_colours = ["white" if abs(v) > 0.55 else "#212529" for v in values]
        hover = [f"{label} = {v:+.3f}" for label, v in zip(labels, values, strict=True)]
    data.append({"type": "scatter", "mode": "markers+text", "x": node_x, "y": node_y, "text": labels,
                 "textfont": {"size": s.font, "color": text_colours}, "marker": marker, "showlegend": False,
                 "hoverinfo": "text", "hovertext": hover})
    top = max(sizes) / 2 + 0.3
    annotations = [{"text": f"<b>{name}</b><br>{unit_count(n)}", "x": x, "y": top, "showarrow": False,
                    "font": {"size": s.font}, "yanchor": "bottom"}
                   for name, n, x in zip(layer_names, sizes, xs, strict=False)]
    layout = _layout(s, annotations=annotations,
                     xaxis={"visible": False, "range": [-0.12, 1.12]},
                     yaxis={"visible": False, "range": [-top - 0.2, top + 0.9]})
    layout["height"] = int(s.height * 0.9)
    if title:
        layout["title"] = {"text": title, "font": {"size": s.title}}
    return _figure({"data": data, "layout": layout})


def neuron_plane_figure(w1: float, w2: float, threshold: float, inputs, outputs, segment, targets=None, *,
                        smooth_grid=None, presentation: bool = False, title: str = "") -> go.Figure:
    """The input plane of a two-input neuron on [−0.5, 1.5]²: the binary ``inputs`` (shape (4, 2); filled by the
    neuron's ``outputs``, outlined red where they disagree with ``targets``), the line w1·x1 + w2·x2 = θ as its
    ``segment`` in the square (None when there is no line), and the side where it fires shaded (or, with
    ``smooth_grid`` = (xs, ys, values), the smooth output as a heatmap)."""
    INPUTS = np.asarray(inputs)  # noqa: N806 - the neuron's four inputs, as nnviz.lesson.neuron names them
    s = style(presentation)
    data = []
    lo, hi = -0.5, 1.5
    if smooth_grid is not None:
        xs, ys, values = smooth_grid
        data.append({"type": "heatmap", "x": xs, "y": ys, "z": values, "zmin": 0, "zmax": 1,
                     "colorscale": PROBABILITY_SCALE, "opacity": 0.85, "name": "output",
                     "colorbar": {"title": {"text": "output", "side": "right"}, "thickness": 12},
                     "hovertemplate": "(%{x:.2f}, %{y:.2f}) → %{z:.3f}<extra></extra>"})
    else:
        xs = np.linspace(lo, hi, 81)
        gx, gy = np.meshgrid(xs, xs)
        fires = (w1 * gx + w2 * gy >= threshold).astype(float)
        data.append({"type": "heatmap", "x": xs, "y": xs, "z": fires, "zmin": 0, "zmax": 1, "showscale": False,
                     "colorscale": [[0, "#e7f5ff"], [1, "#fff4e6"]], "hoverinfo": "skip", "name": "fires"})
    seg = segment
    if seg is not None:
        (xa, ya), (xb, yb) = seg
        data.append({"type": "scatter", "mode": "lines", "x": [xa, xb], "y": [ya, yb], "name": "w₁x₁ + w₂x₂ = θ",
                     "line": {"color": "#212529", "width": s.line + 1}})
    outputs = np.asarray(outputs)
    wrong = np.zeros(4, bool) if targets is None else outputs != np.asarray(targets)
    for value in (0, 1):
        sel = outputs == value
        data.append({
            "type": "scatter", "mode": "markers+text", "x": INPUTS[sel, 0], "y": INPUTS[sel, 1],
            "name": f"output {value}", "text": [f"{value}"] * int(sel.sum()), "textposition": "middle center",
            "textfont": {"size": s.font + 2, "color": "white"},
            "marker": {"size": 3.2 * s.marker + 14, "color": CLASS_COLOURS[value],
                       "line": {"color": ["#e03131" if w else "white" for w in wrong[sel]], "width": 4}},
            "hovertemplate": "x = (%{x:.0f}, %{y:.0f})<br>output " + str(value) + "<extra></extra>",
        })
    layout = _layout(s, xaxis=_axis("x₁", s, range=[lo, hi], dtick=1, zeroline=False),
                     yaxis=_axis("x₂", s, range=[lo, hi], dtick=1, scaleanchor="x", zeroline=False))
    if title:
        layout["title"] = {"text": title, "font": {"size": s.title}}
        layout["margin"]["t"] = 90
    layout["height"] = int(s.height * 1.05)
    return _figure({"data": data, "layout": layout})


def activation_figure(names, x=None, *, derivative: bool = True, presentation: bool = False,
                      columns: int | None = None) -> go.Figure:
    """Activation functions side by side over ``x`` (default −10 … 10), each with its derivative
    (dashed) and its output range shaded."""
    from nnviz.core.activations import ACTIVATIONS

    s = style(presentation)
    x = np.linspace(-10, 10, 801) if x is None else np.asarray(x, dtype=float)
    names = list(names)
    columns = columns or len(names)
    rows = -(-len(names) // columns)
    gap_x, gap_y = 0.06, 0.22
    w = (1 - gap_x * (columns - 1)) / columns
    h = (1 - gap_y * (rows - 1)) / rows
    data, axes, annotations = [], {}, []
    for i, name in enumerate(names):
        act = ACTIVATIONS[name]
        r, c = divmod(i, columns)
        ax = "" if i == 0 else str(i + 1)
        x0, y1 = c * (w + gap_x), 1 - r * (h + gap_y)
        y = act.f(x)
        data.append({"type": "scatter", "mode": "lines", "x": x, "y": y, "name": "f(z)", "legendgroup": "f",
                     "showlegend": i == 0, "line": {"color": TRAIN, "width": s.line}, "xaxis": f"x{ax}",
                     "yaxis": f"y{ax}", "hovertemplate": f"{act.label}: z = %{{x:.2f}}, f = %{{y:.4f}}<extra></extra>"})
        if derivative:
            data.append({"type": "scatter", "mode": "lines", "x": x, "y": act.df(y), "name": "f′(z)",
                         "legendgroup": "df", "showlegend": i == 0,
                         "line": {"color": TEST, "width": s.line, "dash": "dash"}, "xaxis": f"x{ax}",
                         "yaxis": f"y{ax}", "hovertemplate": f"{act.label}′: z = %{{x:.2f}}, f′ = %{{y:.4f}}<extra></extra>"})
        axes[f"xaxis{ax}"] = {"domain": [max(0.0, round(x0, 6)), min(1.0, round(x0 + w, 6))], "anchor": f"y{ax}",
                              "title": {"text": "z", "font": {"size": s.font}}, "tickfont": {"size": s.font},
                              "zeroline": True}
        axes[f"yaxis{ax}"] = {"domain": [max(0.0, round(y1 - h, 6)), min(1.0, round(y1, 6))], "anchor": f"x{ax}",
                              "tickfont": {"size": s.font}, "zeroline": True}
        annotations.append({"text": f"<b>{act.label}</b><br>range {act.output_range} · f′ in {act.derivative_range}",
                            "x": x0 + w / 2, "y": y1, "xref": "paper", "yref": "paper", "yanchor": "bottom",
                            "showarrow": False, "font": {"size": s.font}})
        if act.name in ("sigmoid", "tanh", "step"):  # bounded: mark the bounds it never crosses
            lo_y, hi_y = (-1.0, 1.0) if act.name == "tanh" else (0.0, 1.0)
            for level in (lo_y, hi_y):
                data.append({"type": "scatter", "mode": "lines", "x": [x[0], x[-1]], "y": [level, level],
                             "line": {"color": "#868e96", "width": 1.5, "dash": "dot"}, "hoverinfo": "skip",
                             "name": "output range", "legendgroup": "range", "showlegend": i == 0 and level == lo_y,
                             "xaxis": f"x{ax}", "yaxis": f"y{ax}"})
    layout = _layout(s, annotations=annotations, **axes)
    layout["height"] = int((s.height * 0.95) * rows)
    layout["margin"]["t"] = 95
    layout["legend"]["y"] = 1.0 + 60 / layout["height"]
    return _figure({"data": data, "layout": layout})


def softmax_figure(labels, probabilities, scores=None, *, presentation: bool = False,
                   temperature: float | None = None) -> go.Figure:
    """Softmax outputs as bars that sum to 1, each labelled with its probability (and score)."""
    s = style(presentation)
    probabilities = np.asarray(probabilities, dtype=float)
    text = [f"{p:.3f}" for p in probabilities]
    data = [{"type": "bar", "x": list(labels), "y": probabilities, "text": text, "textposition": "outside",
             "marker": {"color": TRAIN}, "name": "softmax", "textfont": {"size": s.font},
             "hovertemplate": "%{x}: %{y:.4f}<extra></extra>"}]
    t = f" (temperature {temperature:g})" if temperature is not None else ""
    layout = _layout(s, xaxis=_axis("class", s), yaxis=_axis("probability", s, range=[0, 1.12]),
                     title={"text": f"Σ = {probabilities.sum():.6f}{t}", "font": {"size": s.title}})
    layout["margin"]["t"] = 70
    return _figure({"data": data, "layout": layout})


def saturation_figure(z, activation: str, share: float, *, presentation: bool = False) -> go.Figure:
    """A histogram of pre-activations under the activation's derivative: where the bars stand on a
    flat part of the derivative curve, gradients vanish."""
    from nnviz.core.activations import ACTIVATIONS

    s = style(presentation)
    act = ACTIVATIONS[activation]
    z = np.asarray(z, dtype=float)
    span = max(6.0, float(np.percentile(np.abs(z), 99.5)) * 1.1)
    xs = np.linspace(-span, span, 601)
    counts, edges = np.histogram(np.clip(z, -span, span), bins=80, range=(-span, span))
    data = [
        {"type": "bar", "x": (edges[:-1] + edges[1:]) / 2, "y": counts / counts.sum(), "name": "pre-activations z",
         "marker": {"color": "rgba(28,126,214,0.45)"}, "width": float(edges[1] - edges[0]),
         "hovertemplate": "z ≈ %{x:.2f}: %{y:.1%} of units<extra></extra>", "yaxis": "y"},
        {"type": "scatter", "mode": "lines", "x": xs, "y": act.derivative(xs), "name": f"{act.label}′(z)",
         "line": {"color": TEST, "width": s.line}, "yaxis": "y2",
         "hovertemplate": "z = %{x:.2f}: slope %{y:.3f}<extra></extra>"},
    ]
    layout = _layout(
        s, xaxis=_axis("pre-activation z = w·x + b", s),
        yaxis=_axis("share of units", s, tickformat=".0%"),
        yaxis2=_axis("derivative", s, overlaying="y", side="right", rangemode="tozero"),
        title={"text": f"{share:.0%} of the units sit where the slope is below 10 % of its peak",
               "font": {"size": s.title}},
        bargap=0,
    )
    layout["margin"]["t"] = 90
    return _figure({"data": data, "layout": layout})


def log_loss_figure(*, presentation: bool = False) -> go.Figure:
    """The two halves of cross-entropy: −log ŷ (when y = 1) and −log(1 − ŷ) (when y = 0)."""
    s = style(presentation)
    p = np.linspace(0.001, 0.999, 500)
    data = [
        {"type": "scatter", "mode": "lines", "x": p, "y": -np.log(p), "name": "y = 1: −log ŷ",
         "line": {"color": CLASS_COLOURS[1], "width": s.line}},
        {"type": "scatter", "mode": "lines", "x": p, "y": -np.log1p(-p), "name": "y = 0: −log(1 − ŷ)",
         "line": {"color": CLASS_COLOURS[0], "width": s.line}},
    ]
    layout = _layout(s, xaxis=_axis("prediction ŷ", s, range=[0, 1]), yaxis=_axis("loss", s, range=[0, 7]))
    return _figure({"data": data, "layout": layout})


def nice_range(values, ticks: int = 4) -> tuple[float, float, float]:
    """An axis range and tick step for ``values`` (NaN ignored) whose lowest and highest ticks lie at or beyond the
    data — so that no curve runs below the lowest tick label, unread — with about ``ticks`` ticks."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return 0.0, 1.0, 0.25
    lo, hi = float(v.min()), float(v.max())
    span = max(hi - lo, 1e-9)
    raw = span / ticks
    magnitude = 10 ** np.floor(np.log10(raw))
    step = float(min((m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw), default=10 * magnitude))
    return float(np.floor(lo / step) * step), float(np.ceil(hi / step) * step), step


def draws_figure(values, marked: float, marked_label: str, x_title: str, *, presentation: bool = False) -> go.Figure:
    """A histogram of repeated draws of one quantity, with one value (``marked``, e.g. what the lesson printed)
    as a labelled vertical line: where a single draw falls among many."""
    s = style(presentation)
    data = [{"type": "histogram", "x": np.asarray(values, dtype=float), "nbinsx": 40, "name": "draws",
             "marker": {"color": "#a5d8ff", "line": {"color": "#1c7ed6", "width": 1}}, "showlegend": False,
             "hovertemplate": "%{x}: %{y} draws<extra></extra>"}]
    layout = _layout(s, xaxis=_axis(x_title, s), yaxis=_axis("draws", s),
                     shapes=[{"type": "line", "x0": marked, "x1": marked, "yref": "paper", "y0": 0, "y1": 1,
                              "line": {"color": "#e8590c", "width": s.line + 1, "dash": "dash"}}],
                     annotations=[{"x": marked, "yref": "paper", "y": 1, "text": marked_label, "showarrow": False,
                                   "xanchor": "left", "yanchor": "top", "font": {"size": s.font, "color": "#e8590c"}}])
    return _figure({"data": data, "layout": layout})


def landscape_figure(w, mse, bce, *, presentation: bool = False) -> go.Figure:
    """Loss against the single weight of ŷ = σ(w·x): least squares (flat, non-convex) vs cross-entropy."""
    s = style(presentation)
    data = [
        {"type": "scatter", "mode": "lines", "x": w, "y": mse, "name": "least squares (MSE)",
         "line": {"color": BATCH, "width": s.line}, "yaxis": "y"},
        {"type": "scatter", "mode": "lines", "x": w, "y": bce, "name": "cross-entropy", "yaxis": "y2",
         "line": {"color": TRAIN, "width": s.line}},
    ]
    layout = _layout(s, xaxis=_axis("the weight w", s), yaxis=_axis("MSE", s, rangemode="tozero"),
                     yaxis2=_axis("cross-entropy", s, overlaying="y", side="right", rangemode="tozero"))
    return _figure({"data": data, "layout": layout})


def digit_figure(image, *, numbers: bool = False, title: str = "", presentation: bool = False,
                 zmax: float = 255.0, colorscale=None) -> go.Figure:
    """A 28×28 image as a heatmap (row 1 at the top), optionally with each pixel's value written in it."""
    s = style(presentation)
    img = np.asarray(image, dtype=float)
    n_rows, n_cols = img.shape
    trace = {"type": "heatmap", "z": img, "x": np.arange(1, n_cols + 1), "y": np.arange(1, n_rows + 1),
             "zmin": 0, "zmax": zmax, "colorscale": colorscale or GRAY, "showscale": False,
             "hovertemplate": "row %{y}, column %{x}: %{z:.0f}<extra></extra>", "xgap": 1 if numbers else 0,
             "ygap": 1 if numbers else 0}
    if numbers:
        trace["texttemplate"] = "%{z:.0f}"
        trace["textfont"] = {"size": 9 if not presentation else 11}
    axis = {"showticklabels": numbers, "ticks": "", "showgrid": False, "zeroline": False,
            "tickfont": {"size": 9}, "dtick": 1 if numbers else None}
    layout = _layout(s, xaxis={**axis, "side": "top", "constrain": "domain"},
                     yaxis={**axis, "autorange": "reversed", "scaleanchor": "x"})
    layout["margin"] = {"l": 5, "r": 5, "t": 40 if title else 5, "b": 5}
    layout["height"] = (760 if presentation else 640) if numbers else (320 if presentation else 260)
    if title:
        layout["title"] = {"text": title, "font": {"size": s.title}}
    return _figure({"data": [trace], "layout": layout})


def digit_gallery_figure(images, titles, *, columns: int = 10, presentation: bool = False,
                         zmax: float | None = 255.0, colorscale=None, zmid: float | None = None) -> go.Figure:
    """Small images in a grid, each with a title (e.g. the mean digit per class, or misclassified test images)."""
    s = style(presentation)
    images = np.asarray(images, dtype=float)
    k = images.shape[0]
    columns = max(1, min(columns, k))
    rows = -(-k // columns)
    lines = max(str(t).count("<br>") + 1 for t in titles) if k else 1  # a title may take several lines
    gap_x, gap_y = 0.01, 0.12 * lines / max(rows, 1)
    w = (1 - gap_x * (columns - 1)) / columns
    h = (1 - gap_y * (rows - 1)) / rows
    data, axes, annotations = [], {}, []
    for i in range(k):
        r, c = divmod(i, columns)
        ax = "" if i == 0 else str(i + 1)
        x0, y1 = c * (w + gap_x), 1 - r * (h + gap_y)
        trace = {"type": "heatmap", "z": images[i], "colorscale": colorscale or GRAY, "showscale": False,
                 "xaxis": f"x{ax}", "yaxis": f"y{ax}", "hovertemplate": f"{titles[i]}<extra></extra>".replace("<br>", " ")}
        if zmid is not None:
            trace["zmid"] = zmid
        elif zmax is not None:
            trace.update(zmin=0, zmax=zmax)
        data.append(trace)
        axes[f"xaxis{ax}"] = {"domain": [max(0.0, round(x0, 6)), min(1.0, round(x0 + w, 6))], "anchor": f"y{ax}",
                              "visible": False, "constrain": "domain"}
        axes[f"yaxis{ax}"] = {"domain": [max(0.0, round(y1 - h, 6)), min(1.0, round(y1, 6))], "anchor": f"x{ax}",
                              "visible": False, "autorange": "reversed", "scaleanchor": f"x{ax}"}
        annotations.append({"text": titles[i], "x": x0 + w / 2, "y": y1, "xref": "paper", "yref": "paper",
                            "yanchor": "bottom", "showarrow": False, "font": {"size": s.font - 1}})
    layout = _layout(s, annotations=annotations, **axes)
    cell = 130 if presentation else 105
    layout["height"] = int(rows * cell * (12 / max(columns, 1)) ** 0.3 + 10 + lines * 30)
    layout["margin"] = {"l": 5, "r": 5, "t": max(30, lines * (s.font + 5) + 5), "b": 5}
    return _figure({"data": data, "layout": layout})


def unit_activations_figure(image, *, presentation: bool = False) -> go.Figure:
    """A layer's activations laid out as an image (the MNIST network's 512 units as 16 rows of 32: unit u at row
    u // columns, column u % columns), dark for 0, bright for the most active."""
    s = style(presentation)
    img = np.asarray(image, dtype=float)
    rows, columns = img.shape
    units = np.arange(rows * columns).reshape(rows, columns)
    trace = {"type": "heatmap", "z": img, "customdata": units, "colorscale": "Viridis", "zmin": 0,
             "zmax": float(img.max()) if img.max() > 0 else 1.0, "xgap": 1, "ygap": 1,
             "colorbar": {"title": {"text": "a", "side": "right"}, "thickness": 12, "tickfont": {"size": s.font - 2}},
             "hovertemplate": "unit %{customdata}: a = %{z:.3f}<extra></extra>"}
    axis = {"showticklabels": False, "ticks": "", "showgrid": False, "zeroline": False}
    layout = _layout(s, xaxis={**axis, "constrain": "domain"}, yaxis={**axis, "autorange": "reversed",
                                                                      "scaleanchor": "x"})
    layout["margin"] = {"l": 5, "r": 5, "t": 5, "b": 5}
    layout["height"] = 230 if presentation else 190
    return _figure({"data": [trace], "layout": layout})


def probability_bars(probabilities, *, presentation: bool = False, highlight: int | None = None) -> go.Figure:
    """P(digit) for 0 … 9 as bars, the predicted one highlighted."""
    s = style(presentation)
    p = np.asarray(probabilities, dtype=float).reshape(-1)
    best = int(np.argmax(p)) if highlight is None else highlight
    colours = [TEST if d == best else TRAIN for d in range(p.size)]
    data = [{"type": "bar", "x": [str(d) for d in range(p.size)], "y": p, "marker": {"color": colours},
             "text": [f"{v:.0%}" if v >= 0.01 else "" for v in p], "textposition": "outside",
             "textfont": {"size": s.font}, "hovertemplate": "digit %{x}: %{y:.4f}<extra></extra>", "name": "P(digit)"}]
    layout = _layout(s, xaxis=_axis("digit", s, type="category"), yaxis=_axis("probability", s, range=[0, 1.15],
                                                                                tickformat=".0%"), showlegend=False,
                     uniformtext={"minsize": s.font, "mode": "show"})  # never shrink a bar's label
    layout["height"] = 300 if not presentation else 340
    return _figure({"data": data, "layout": layout})


def confusion_figure(matrix, *, labels=None, what: str = "digit", presentation: bool = False) -> go.Figure:
    """A k×k confusion matrix: rows the true class, columns the predicted one, counts written in the cells
    (``labels``: the classes' names, 0 … k−1 by default; ``what`` names them on the axes)."""
    s = style(presentation)
    m = np.asarray(matrix)
    names = [str(n) for n in (labels if labels is not None else range(m.shape[0]))]
    data = [{"type": "heatmap", "z": np.log1p(m), "x": names, "y": names,
             "text": m, "texttemplate": "%{text}", "textfont": {"size": s.font - 2},
             "colorscale": [[0, "#f8f9fa"], [1, "#1c7ed6"]], "showscale": False,
             "hovertemplate": "true %{y}, predicted %{x}: %{text}<extra></extra>"}]
    layout = _layout(s, xaxis=_axis(f"predicted {what}", s, side="top", type="category"),
                     yaxis=_axis(f"true {what}", s, autorange="reversed", type="category", scaleanchor="x"))
    layout["height"] = (520 if not presentation else 560) if m.shape[0] > 6 else (380 if not presentation else 440)
    return _figure({"data": data, "layout": layout})


# ----------------------------------------------------------------------------- the lesson's own figures


def loss_after_updates_figure(losses, *, presentation: bool = False) -> go.Figure:
    """The loss of one batch after 0, 1, 2, … updates, each point labelled with its value. The y-axis spans
    the values (not from 0), so that even small steps down — or up, with too large a step — are visible."""
    s = style(presentation)
    y = np.asarray(losses, dtype=float).reshape(-1)
    x = np.arange(y.size)
    lo, hi = (float(np.min(y)), float(np.max(y))) if y.size else (0.0, 1.0)
    pad = 0.15 * (hi - lo) if hi - lo > 1e-9 else 0.02 * max(abs(hi), 1e-3)
    data = [{"type": "scatter", "mode": "lines+markers+text", "x": x, "y": y, "name": "loss on this batch",
             "text": [f"{v:.4f}" for v in y], "textposition": "top center", "textfont": {"size": s.font - 2},
             "line": {"color": TRAIN, "width": s.line}, "marker": {"size": s.marker + 2},
             "hovertemplate": "after %{x} updates: %{y:.5f}<extra></extra>"}]
    layout = _layout(s, xaxis=_axis("updates applied", s, dtick=1, range=[-0.4, max(y.size - 1, 1) + 0.4]),
                     yaxis=_axis("loss on this batch", s, range=[lo - pad, hi + 2 * pad]), showlegend=False)
    layout["height"] = 300 if not presentation else 330
    layout["margin"]["t"] = 20
    return _figure({"data": data, "layout": layout})


def digit_numbers_figure(image, *, presentation: bool = False, cell: int | None = None) -> go.Figure:
    """A 28×28 image as a grid of its numbers on grey levels: rows and columns numbered 1 … 28 (the lesson's
    ``1x1`` … ``28x28``), square cells of ``cell`` pixels large enough to read each value, and no empty rows."""
    s = style(presentation)
    img = np.asarray(image, dtype=float)
    n_rows, n_cols = img.shape
    cell = cell or (40 if presentation else 29)  # a projector's cell holds "255" at 17 px
    trace = {"type": "heatmap", "z": img, "x": np.arange(1, n_cols + 1), "y": np.arange(1, n_rows + 1),
             "zmin": 0, "zmax": 255, "colorscale": GRAY, "showscale": False, "xgap": 1, "ygap": 1,
             "texttemplate": "%{z:.0f}", "textfont": {"size": 17 if presentation else 11},
             "hovertemplate": "row %{y}, column %{x} (pixel %{y}x%{x}): %{z:.0f}<extra></extra>"}
    axis = {"ticks": "", "showgrid": False, "zeroline": False, "tickfont": {"size": s.font - 3}, "dtick": 1,
            "fixedrange": True}
    layout = _layout(s, xaxis={**axis, "side": "top", "range": [0.5, n_cols + 0.5], "constrain": "domain"},
                     yaxis={**axis, "range": [n_rows + 0.5, 0.5], "scaleanchor": "x", "constrain": "domain"})
    layout["margin"] = {"l": 30, "r": 5, "t": 30, "b": 5}
    layout["height"] = n_rows * cell + 35  # the width follows: the cells are square (scaleanchor)
    return _figure({"data": [trace], "layout": layout})


def mcculloch_pitts_figure(w1: float, w2: float, threshold: float, x=None, *, presentation: bool = False) -> go.Figure:
    """The McCulloch–Pitts neuron as the lesson describes it: inputs x₁, x₂, a weight on each connection, the
    sum, the threshold θ, the output y. With ``x`` = (x₁, x₂), every part carries its value."""
    s = style(presentation)
    ink, fire_c = "#495057", CLASS_COLOURS[1]
    vals = None if x is None else (float(x[0]), float(x[1]))
    total = None if vals is None else w1 * vals[0] + w2 * vals[1]
    out = None if total is None else int(total >= threshold)
    inputs = [(0.0, 1.0), (0.0, -1.0)]
    sum_xy, thr_xy, out_xy = (2.2, 0.0), (3.9, 0.0), (5.4, 0.0)
    data, ann = [], []
    for k, ((px, py), w) in enumerate(zip(inputs, (w1, w2), strict=True)):
        data.append({"type": "scatter", "mode": "lines", "x": [px, sum_xy[0]], "y": [py, sum_xy[1]], "hoverinfo": "skip",
                     "line": {"color": CLASS_COLOURS[1] if w > 0 else CLASS_COLOURS[0], "width": 1.5 + 2.5 * min(abs(w), 2)},
                     "showlegend": False})
        label = f"w{'₁₂'[k]} = {w:g}" + ("" if vals is None else f"<br>w{'₁₂'[k]}·x{'₁₂'[k]} = {w * vals[k]:g}")
        ann.append({"x": (px + sum_xy[0]) / 2 - 0.2, "y": (py + sum_xy[1]) / 2 + (0.45 if py > 0 else -0.45), "text": label,
                    "showarrow": False, "font": {"size": s.font}, "bgcolor": "rgba(255,255,255,0.9)"})
    data.append({"type": "scatter", "mode": "lines", "x": [sum_xy[0], thr_xy[0], out_xy[0]], "y": [0, 0, 0],
                 "line": {"color": ink, "width": 2.5}, "hoverinfo": "skip", "showlegend": False})
    node_text = [f"x₁{'' if vals is None else f' = {vals[0]:g}'}", f"x₂{'' if vals is None else f' = {vals[1]:g}'}",
                 "Σ", "≥ θ", "y" if out is None else f"y = {out}"]
    node_x = [inputs[0][0], inputs[1][0], sum_xy[0], thr_xy[0], out_xy[0]]
    node_y = [inputs[0][1], inputs[1][1], 0, 0, 0]
    colours = ["#f8f9fa"] * 4 + ["#f8f9fa" if out is None else (fire_c if out else "#dee2e6")]
    data.append({"type": "scatter", "mode": "markers+text", "x": node_x, "y": node_y, "text": node_text,
                 "textfont": {"size": s.font + 1}, "showlegend": False, "hoverinfo": "skip",
                 "marker": {"size": [58, 58, 58, 58, 64], "color": colours, "symbol": ["circle"] * 3 + ["square", "circle"],
                            "line": {"color": ink, "width": 2}}})
    below = [(0.0, "inputs"), (sum_xy[0], "sum" if total is None else f"sum = {total:g}"),
             (thr_xy[0], f"threshold θ = {threshold:g}"), (out_xy[0], "output" if out is None else
                                                           ("fires" if out else "stays silent"))]
    for px, text in below:
        ann.append({"x": px, "y": -1.75 if px == 0 else -0.75, "text": text, "showarrow": False,
                    "font": {"size": s.font - 1, "color": "#495057"}})
    layout = _layout(s, annotations=ann, showlegend=False,
                     xaxis={"visible": False, "range": [-0.8, 6.1], "fixedrange": True},
                     yaxis={"visible": False, "range": [-2.1, 1.6], "fixedrange": True})
    layout["height"] = 260 if not presentation else 290
    layout["margin"] = {"l": 5, "r": 5, "t": 10, "b": 5}
    return _figure({"data": data, "layout": layout})
