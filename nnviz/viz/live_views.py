"""The trainer's live views of the network — the decision boundary and the projection of many-feature data —
as Vega-Lite specs that stay the same while a run plays: only their data change, and the browser redraws the
same chart in place, where a Plotly figure is mounted anew at every update and a click on Pause waits for its
draw (docs/decisions/live-charts-vega-lite.md).

``boundary_spec`` draws P(class 1) over the plane as a grid of coloured cells (on a canvas: thousands of marks),
the line where it crosses 0.5 (``maps.contour_segments``), the training points filled and the test points
hollow. The map fills the plot whatever its shape (a unit of x and of y may differ on screen, so no white bands
beside a narrow map). ``projection_spec`` draws the test set on
its two principal components, filled by the predicted probability, outlined by the true class.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from nnviz.viz.live_chart import vega_spec
from nnviz.viz.maps import class_boundaries, contour_segments
from nnviz.viz.theme import CLASS_COLOURS, CLASS_PALETTE, INK, PROBABILITY_SCALE, shorten, style

#: P(class 1) as Vega-Lite's colour scale: the same stops as the Plotly figures' colour scale
PROBABILITY = {"domain": [stop for stop, _ in PROBABILITY_SCALE], "range": [colour for _, colour in PROBABILITY_SCALE],
               "interpolate": "rgb", "clamp": True}
CLASSES = {"domain": [0, 1], "range": list(CLASS_COLOURS)}
#: a long column name (an uploaded CSV's) is cut here: a title wider than the plot would widen the chart
TITLE_LIMIT = 40
#: a canvas, not SVG: the grid is 2,500–3,600 cells and the projection 1,000 points, and an SVG element per mark
#: is slow to replace
CANVAS = {"embedOptions": {"renderer": "canvas"}}


def _gradient(title: str, s, beside: bool, orient: str = "top") -> dict:
    """The legend of P(class 1): a vertical bar at the right, or (``beside``: a narrow column) a horizontal one
    above (``orient``) the plot, so that the plot keeps the column's width."""
    legend = {"title": title, "titleFontSize": s.font, "labelFontSize": s.font, "format": ".1f",
              "values": [0, 0.5, 1], "gradientThickness": 14}
    if beside:
        return {**legend, "orient": orient, "direction": "horizontal", "gradientLength": 8 * s.font,
                "titleOrient": "left", "titleAnchor": "middle", "titlePadding": 10}
    return {**legend, "orient": "right", "direction": "vertical", "gradientLength": 160}


def _points(X, y) -> pd.DataFrame:
    X = np.asarray(X, dtype=float).reshape(-1, 2)
    return pd.DataFrame({"x": X[:, 0].astype(np.float32), "y": X[:, 1].astype(np.float32),
                         "class": np.asarray(y).astype(np.int8)})


def boundary_spec(xs, ys, prob, X_train, y_train, X_test=None, y_test=None, *, feature_names=("x1", "x2"),
                  presentation: bool = False, height: int | None = None, legend: bool = True) -> dict:
    """P(class 1) over the grid ``xs`` × ``ys`` (``prob`` of shape (len(ys), len(xs)), rows follow ``ys``), its 0.5
    line, the training points filled and the test points hollow. ``legend=False``: no class legend (a narrow
    column beside the loss chart; the page's caption says what the marks are). The spec depends only on the
    grid, the points and the sizes: while a run plays, only the datasets ``map`` and ``boundary`` change."""
    s = style(presentation)
    xs, ys = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    prob = np.asarray(prob, dtype=float).reshape(ys.size, xs.size)
    gx, gy = np.meshgrid(xs, ys)
    segments = contour_segments(xs, ys, prob, 0.5)
    datasets = {
        "map": pd.DataFrame({"x": gx.ravel().astype(np.float32), "y": gy.ravel().astype(np.float32),
                             "p": np.nan_to_num(prob.ravel(), nan=0.5).astype(np.float32)}),
        "boundary": pd.DataFrame(segments.astype(np.float32), columns=["x", "y", "x2", "y2"]),
        "train": _points(X_train, y_train),
    }
    has_test = X_test is not None and len(X_test)
    if has_test:
        datasets["test"] = _points(X_test, y_test)
    x_scale = {"domain": [float(xs[0]), float(xs[-1])], "zero": False, "nice": False}
    y_scale = {"domain": [float(ys[0]), float(ys[-1])], "zero": False, "nice": False}
    # each cell is centred on its grid point, a little wider than half the step each side: abutting cells
    # would leave hairline seams on a canvas (anti-aliasing)
    hx = float(xs[-1] - xs[0]) / max(xs.size - 1, 1) * 0.52
    hy = float(ys[-1] - ys[0]) / max(ys.size - 1, 1) * 0.52
    x_enc = {"field": "x", "type": "quantitative", "scale": x_scale, "title": shorten(feature_names[0], TITLE_LIMIT),
             "axis": {"format": "~r", "grid": False}}
    y_enc = {"field": "y", "type": "quantitative", "scale": y_scale, "title": shorten(feature_names[1], TITLE_LIMIT),
             "axis": {"format": "~r", "grid": False}}
    gradient = _gradient("P(class 1)", s, beside=not legend)
    class_legend = {"title": None, "orient": "top", "labelExpr": "'class ' + datum.label",
                    "symbolStrokeColor": "white"} if legend else None
    size = (s.marker + 1) ** 2  # Vega's size is the area of a symbol's bounding square: here its diameter + 1 px, squared
    layers = [
        {"data": {"name": "map"},
         "transform": [{"calculate": f"datum.x - {hx!r}", "as": "x0"}, {"calculate": f"datum.x + {hx!r}", "as": "x1"},
                       {"calculate": f"datum.y - {hy!r}", "as": "y0"}, {"calculate": f"datum.y + {hy!r}", "as": "y1"}],
         "mark": {"type": "rect", "clip": True, "strokeWidth": 0},
         "encoding": {"x": {**x_enc, "field": "x0"}, "x2": {"field": "x1"}, "y": {**y_enc, "field": "y0"},
                      "y2": {"field": "y1"},
                      "fill": {"field": "p", "type": "quantitative", "scale": PROBABILITY,
                               "legend": gradient},
                      "tooltip": [{"field": "x", "title": shorten(feature_names[0], TITLE_LIMIT), "format": ".2f"},
                                  {"field": "y", "title": shorten(feature_names[1], TITLE_LIMIT), "format": ".2f"},
                                  {"field": "p", "title": "P(class 1)", "format": ".3f"}]}},
        {"data": {"name": "boundary"},
         "mark": {"type": "rule", "color": INK, "strokeWidth": s.line, "strokeCap": "round", "clip": True},
         "encoding": {"x": x_enc, "y": y_enc, "x2": {"field": "x2"}, "y2": {"field": "y2"}}},
        {"data": {"name": "train"},
         "mark": {"type": "point", "filled": True, "stroke": INK, "strokeWidth": 1, "opacity": 1, "size": size,
                  "clip": True},
         "encoding": {"x": x_enc, "y": y_enc,
                      "color": {"field": "class", "type": "nominal", "scale": CLASSES, "legend": class_legend},
                      "tooltip": [{"field": "class", "title": "train, class"}]}},
    ]
    if has_test:
        layers.append(
            {"data": {"name": "test"},
             "mark": {"type": "point", "filled": False, "fill": "white", "fillOpacity": 1, "strokeWidth": 2,
                      "opacity": 1, "size": size, "clip": True},
             "encoding": {"x": x_enc, "y": y_enc,
                          "stroke": {"field": "class", "type": "nominal", "scale": CLASSES, "legend": class_legend},
                          "tooltip": [{"field": "class", "title": "test, class"}]}})
    return vega_spec(layers, datasets, presentation, height if height is not None else s.height - 40,
                     usermeta=CANVAS)


def projection_spec(P, prob, y, explained=(0.0, 0.0), *, presentation: bool = False,
                    title: str = "Test set, projected to 2-D", height: int | None = None,
                    short_titles: bool = False) -> dict:
    """Many-feature samples on their two principal components (``P`` of shape (m, 2)), filled by the predicted
    probability ``prob``, outlined and shaped by the true class ``y``. Only the ``points`` dataset's ``p``
    changes while a run plays. ``short_titles``: "PC 1 (10%)" for a narrow column."""
    s = style(presentation)
    P = np.asarray(P, dtype=float).reshape(-1, 2)
    points = pd.DataFrame({"x": P[:, 0].astype(np.float32), "y": P[:, 1].astype(np.float32),
                           "class": np.asarray(y).astype(np.int8),
                           "p": np.nan_to_num(np.asarray(prob, dtype=float), nan=0.5).astype(np.float32)})
    x_title = f"PC 1 ({explained[0]:.0%})" if short_titles else f"principal component 1 ({explained[0]:.0%} of variance)"
    y_title = f"PC 2 ({explained[1]:.0%})" if short_titles else f"principal component 2 ({explained[1]:.0%} of variance)"
    classes = {"title": None, "orient": "top", "symbolFillColor": "white",
               "labelExpr": "'class ' + datum.label" if short_titles else "'true class ' + datum.label"}
    layer = {
        "data": {"name": "points"},
        "mark": {"type": "point", "filled": False, "fillOpacity": 1, "strokeWidth": 1.5, "opacity": 1,
                 "size": (s.marker + 2) ** 2},
        "encoding": {
            "x": {"field": "x", "type": "quantitative", "title": x_title, "scale": {"zero": False},
                  "axis": {"format": "~r"}},
            "y": {"field": "y", "type": "quantitative", "title": y_title, "scale": {"zero": False},
                  "axis": {"format": "~r"}},
            "fill": {"field": "p", "type": "quantitative", "scale": PROBABILITY,
                     "legend": _gradient("P(class 1)" if short_titles else "predicted P(class 1)", s,
                                         beside=short_titles, orient="bottom")},
            "stroke": {"field": "class", "type": "nominal", "scale": CLASSES, "legend": classes},
            "shape": {"field": "class", "type": "nominal", "scale": {"domain": [0, 1], "range": ["circle", "diamond"]},
                      "legend": classes},
            "tooltip": [{"field": "class", "title": "true class"}, {"field": "p", "title": "P(class 1)",
                                                                    "format": ".3f"}],
        },
    }
    return vega_spec([layer], {"points": points}, presentation, height if height is not None else s.height - 40,
                     title=title, usermeta=CANVAS)


def _plane_axes(xs, ys, feature_names):
    x_scale = {"domain": [float(xs[0]), float(xs[-1])], "zero": False, "nice": False}
    y_scale = {"domain": [float(ys[0]), float(ys[-1])], "zero": False, "nice": False}
    x_enc = {"field": "x", "type": "quantitative", "scale": x_scale, "title": shorten(feature_names[0], TITLE_LIMIT),
             "axis": {"format": "~r", "grid": False}}
    y_enc = {"field": "y", "type": "quantitative", "scale": y_scale, "title": shorten(feature_names[1], TITLE_LIMIT),
             "axis": {"format": "~r", "grid": False}}
    return x_enc, y_enc


def _cells(xs, ys, x_enc, y_enc, fill: dict, extra: dict | None = None, tooltip=()) -> dict:
    """The grid's cells, each centred on its point and a little wider than half the step each side."""
    hx = float(xs[-1] - xs[0]) / max(xs.size - 1, 1) * 0.52
    hy = float(ys[-1] - ys[0]) / max(ys.size - 1, 1) * 0.52
    return {"data": {"name": "map"},
            "transform": [{"calculate": f"datum.x - {hx!r}", "as": "x0"}, {"calculate": f"datum.x + {hx!r}", "as": "x1"},
                          {"calculate": f"datum.y - {hy!r}", "as": "y0"}, {"calculate": f"datum.y + {hy!r}", "as": "y1"}],
            "mark": {"type": "rect", "clip": True, "strokeWidth": 0},
            "encoding": {"x": {**x_enc, "field": "x0"}, "x2": {"field": "x1"}, "y": {**y_enc, "field": "y0"},
                         "y2": {"field": "y1"}, "fill": fill, **(extra or {}),
                         "tooltip": [{"field": "x", "title": x_enc["title"], "format": ".2f"},
                                     {"field": "y", "title": y_enc["title"], "format": ".2f"}, *tooltip]}}


def _sample_layers(x_enc, y_enc, colour: dict, size: float, has_test: bool, tooltip_field: str, title: str) -> list:
    layers = [{"data": {"name": "train"},
               "mark": {"type": "point", "filled": True, "stroke": INK, "strokeWidth": 1, "opacity": 1,
                        "size": size, "clip": True},
               "encoding": {"x": x_enc, "y": y_enc, "color": colour,
                            "tooltip": [{"field": tooltip_field, "title": f"train, {title}"}]}}]
    if has_test:
        layers.append({"data": {"name": "test"},
                       "mark": {"type": "point", "filled": False, "fill": "white", "fillOpacity": 1, "strokeWidth": 2,
                                "opacity": 1, "size": size, "clip": True},
                       "encoding": {"x": x_enc, "y": y_enc, "stroke": colour,
                                    "tooltip": [{"field": tooltip_field, "title": f"test, {title}"}]}})
    return layers


def class_map_spec(xs, ys, probs, X_train, y_train, X_test=None, y_test=None, *, class_names=(),
                   feature_names=("x1", "x2"), presentation: bool = False, height: int | None = None,
                   legend: bool = True) -> dict:
    """k classes over the plane (``probs`` of shape (k, len(ys), len(xs))): each cell in the colour of its winning
    class, the stronger the surer (its probability, from 1/k to 1), the lines where the winner changes, the training
    points filled and the test points hollow in their true class's colour."""
    s = style(presentation)
    xs, ys = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    probs = np.nan_to_num(np.asarray(probs, dtype=float).reshape(-1, ys.size, xs.size), nan=0.0)
    k = probs.shape[0]
    names = tuple(class_names) or tuple(str(c) for c in range(k))
    gx, gy = np.meshgrid(xs, ys)
    winner = probs.argmax(axis=0)
    datasets = {
        "map": pd.DataFrame({"x": gx.ravel().astype(np.float32), "y": gy.ravel().astype(np.float32),
                             "class": winner.ravel().astype(np.int8),
                             "p": probs.max(axis=0).ravel().astype(np.float32)}),
        "boundary": pd.DataFrame(class_boundaries(xs, ys, probs).astype(np.float32), columns=["x", "y", "x2", "y2"]),
        "train": _points(X_train, y_train),
    }
    has_test = X_test is not None and len(X_test)
    if has_test:
        datasets["test"] = _points(X_test, y_test)
    x_enc, y_enc = _plane_axes(xs, ys, feature_names)
    scale = {"domain": list(range(k)), "range": [CLASS_PALETTE[c % len(CLASS_PALETTE)] for c in range(k)]}
    labels = "{" + ", ".join(f"{c}: {shorten(n, 16)!r}" for c, n in enumerate(names)) + "}"
    class_legend = {"title": None, "orient": "top", "labelExpr": f"'class ' + {labels}[datum.label]",
                    "symbolStrokeColor": "white", "columns": min(k, 6)} if legend else None
    fill = {"field": "class", "type": "nominal", "scale": scale, "legend": None}
    opacity = {"fillOpacity": {"field": "p", "type": "quantitative", "legend": None,
                               "scale": {"domain": [1.0 / k, 1.0], "range": [0.08, 0.7], "clamp": True}}}
    size = (s.marker + 1) ** 2
    layers = [
        _cells(xs, ys, x_enc, y_enc, fill, opacity, [{"field": "class", "title": "predicted class"},
                                                     {"field": "p", "title": "its probability", "format": ".3f"}]),
        {"data": {"name": "boundary"},
         "mark": {"type": "rule", "color": INK, "strokeWidth": s.line * 0.8, "strokeCap": "round", "clip": True},
         "encoding": {"x": x_enc, "y": y_enc, "x2": {"field": "x2"}, "y2": {"field": "y2"}}},
        *_sample_layers(x_enc, y_enc, {"field": "class", "type": "nominal", "scale": scale, "legend": class_legend},
                        size, has_test, "class", "class"),
    ]
    return vega_spec(layers, datasets, presentation, height if height is not None else s.height - 40,
                     usermeta=CANVAS)


#: a regression's value: blue below 0, white at 0, orange above — the house's sense everywhere (orange for a
#: positive weight and for P(class 1) near 1), though TensorFlow Playground has it the other way round
VALUE_SCALE = {"domain": [-1, 0, 1], "range": [CLASS_COLOURS[0], "#f8f9fa", CLASS_COLOURS[1]],
               "interpolate": "rgb", "clamp": True}


def surface_spec(xs, ys, values, X_train, y_train, X_test=None, y_test=None, *, feature_names=("x1", "x2"),
                 presentation: bool = False, height: int | None = None, legend: bool = True) -> dict:
    """A regression over the plane: each cell coloured by the predicted value (``values`` of shape (len(ys),
    len(xs))), the points by their target, on one colour scale (−1 … 1, the 2-D sets' range), so that a point
    that matches its cell fills with the cell's colour."""
    s = style(presentation)
    xs, ys = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    values = np.nan_to_num(np.asarray(values, dtype=float).reshape(ys.size, xs.size), nan=0.0)
    gx, gy = np.meshgrid(xs, ys)

    def points(X, y):
        X = np.asarray(X, dtype=float).reshape(-1, 2)
        return pd.DataFrame({"x": X[:, 0].astype(np.float32), "y": X[:, 1].astype(np.float32),
                             "target": np.asarray(y, dtype=float).astype(np.float32)})

    datasets = {"map": pd.DataFrame({"x": gx.ravel().astype(np.float32), "y": gy.ravel().astype(np.float32),
                                     "value": values.ravel().astype(np.float32)}),
                "train": points(X_train, y_train)}
    has_test = X_test is not None and len(X_test)
    if has_test:
        datasets["test"] = points(X_test, y_test)
    x_enc, y_enc = _plane_axes(xs, ys, feature_names)
    gradient = {**_gradient("predicted value" if legend else "ŷ", s, beside=not legend), "values": [-1, 0, 1]}
    fill = {"field": "value", "type": "quantitative", "scale": VALUE_SCALE, "legend": gradient}
    # the points' own field: sharing the cells' field would merge the two legends into one of symbols
    colour = {"field": "target", "type": "quantitative", "scale": VALUE_SCALE, "legend": None}
    layers = [_cells(xs, ys, x_enc, y_enc, fill, tooltip=[{"field": "value", "title": "predicted", "format": ".3f"}]),
              *_sample_layers(x_enc, y_enc, colour, (s.marker + 1) ** 2, has_test, "target", "target")]
    return vega_spec(layers, datasets, presentation, height if height is not None else s.height - 40,
                     usermeta=CANVAS)


def fit_spec(y_true, y_pred, *, presentation: bool = False, height: int | None = None, title: str = "") -> dict:
    """A regression's test samples: predicted against true value, with the line where the two are equal."""
    s = style(presentation)
    y_true, y_pred = np.asarray(y_true, dtype=float), np.nan_to_num(np.asarray(y_pred, dtype=float))
    lo = float(min(y_true.min(initial=0.0), y_pred.min(initial=0.0)))
    hi = float(max(y_true.max(initial=1.0), y_pred.max(initial=1.0)))
    domain = {"domain": [lo, hi], "nice": False, "zero": False}
    datasets = {"points": pd.DataFrame({"true": y_true.astype(np.float32), "predicted": y_pred.astype(np.float32)}),
                "diagonal": pd.DataFrame({"true": [lo], "predicted": [lo], "true2": [hi], "predicted2": [hi]})}
    x = {"field": "true", "type": "quantitative", "title": "true value", "scale": domain, "axis": {"format": "~r"}}
    y = {"field": "predicted", "type": "quantitative", "title": "predicted value", "scale": domain,
         "axis": {"format": "~r"}}
    layers = [{"data": {"name": "diagonal"}, "mark": {"type": "rule", "color": INK, "strokeDash": [6, 4],
                                                      "strokeWidth": max(1.5, s.line * 0.5)},
               "encoding": {"x": x, "y": y, "x2": {"field": "true2"}, "y2": {"field": "predicted2"}}},
              {"data": {"name": "points"}, "mark": {"type": "point", "filled": True, "opacity": 0.7,
                                                    "color": CLASS_COLOURS[0], "size": (s.marker + 1) ** 2},
               "encoding": {"x": x, "y": y, "tooltip": [{"field": "true", "format": ".3f"},
                                                        {"field": "predicted", "format": ".3f"}]}}]
    return vega_spec(layers, datasets, presentation, height if height is not None else s.height - 40,
                     title=title or None, usermeta=CANVAS)
