"""The hidden space (ConvNetJS's view): the plane's grid lines and the data carried through a hidden layer, seen in
two of that layer's coordinates, so that a class watches the layer bend the plane until a straight line separates
the classes — "the hidden layer makes the data linearly separable".

Which two coordinates (``HiddenAxes``):

- "units": two chosen hidden units, a[l]ᵢ and a[l]ⱼ — the whole layer when it has two units;
- "pca": the layer's first two principal components on the training data, computed once (``pca_axes``) and kept
  for the run, so that the picture moves only because the network does;
- "decision" (the last hidden layer of a binary or regression network): the first axis along the output's weights
  W[L], on which the output's logit grows linearly, the second the main direction of what is left. The output's
  P = 0.5 is then exactly a vertical line: the straight line that separates the classes in hidden space.

``hidden_space_spec`` is the Vega-Lite spec, fixed for the run; ``hidden_space_data`` the datasets (``lines``,
``points``, ``boundary``) for the current weights, as ``nnviz.viz.live_chart`` splits the loss chart.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from nnviz.core.features import check_features, feature_matrix
from nnviz.viz.live_chart import vega_spec
from nnviz.viz.maps import Grid
from nnviz.viz.network_view import subscript
from nnviz.viz.theme import CLASS_PALETTE, EDGE, FADED, INK, PROBABILITY_SCALE, style

KINDS = ("units", "pca", "decision")
GRID_LINES = 13  # lines of constant x1, and as many of constant x2
LINE_POINTS = 41  # points along each line: enough to draw its bends smoothly
MAX_POINTS = 600  # training points drawn at most (the first ones): the picture, not the whole set
#: the bounded activations' range, which fixes the axes in "units" (a little room around it)
BOUNDS = {"tanh": (-1.05, 1.05), "sigmoid": (-0.05, 1.05)}


@dataclass(frozen=True)
class HiddenAxes:
    """How hidden layer ``layer`` is shown in 2-D: coordinates (a − ``mean``) · ``components``ᵀ, where
    ``components`` of shape (2, n_l) are fixed ("units", "pca") or follow the weights ("decision": None here,
    computed by ``project`` from the model). ``titles`` name the two axes."""

    kind: str
    layer: int
    titles: tuple[str, str]
    mean: np.ndarray | None = None
    components: np.ndarray | None = None
    units: tuple[int, int] | None = None
    explained: tuple[float, float] | None = None

    def project(self, model, A) -> np.ndarray:
        """Activations ``A`` of shape (n_l, m) of ``model``'s layer as (m, 2) coordinates."""
        A = np.asarray(A, dtype=float)
        if self.kind == "decision":
            mean, comps = _decision_components(model, A)
        else:
            mean, comps = self.mean, self.components
        return (A.T - mean) @ comps.T


def _check_layer(model, layer) -> int:
    n_hidden = len(model.sizes) - 2
    if n_hidden < 1:
        raise ValueError("the network has no hidden layer: there is no hidden space to show")
    if isinstance(layer, bool) or not isinstance(layer, numbers.Integral) or not 1 <= layer <= n_hidden:
        raise ValueError(f"layer must be a hidden layer, 1 … {n_hidden}, got {layer!r}")
    return int(layer)


def _name(layer: int, i: int) -> str:
    return f"a[{layer}]{subscript(i + 1)}"


def unit_axes(model, i: int = 0, j: int = 1, layer: int = 1) -> HiddenAxes:
    """Hidden units ``i`` and ``j`` (from 0) of ``layer`` as the axes."""
    layer = _check_layer(model, layer)
    n = model.sizes[layer]
    for name, u in (("i", i), ("j", j)):
        if isinstance(u, bool) or not isinstance(u, numbers.Integral) or not 0 <= u < n:
            raise ValueError(f"unit {name} must be one of layer {layer}'s {n} units, 0 … {n - 1}, got {u!r}")
    if i == j:
        raise ValueError(f"choose two different units, got {i} twice")
    comps = np.zeros((2, n))
    comps[0, i] = comps[1, j] = 1.0
    return HiddenAxes("units", layer, (_name(layer, i), _name(layer, j)), np.zeros(n), comps, (int(i), int(j)))


def _activations(model, X, layer: int) -> np.ndarray:
    """Layer ``layer``'s activations (n_l, m) for inputs ``X`` of shape (m, n_input)."""
    with np.errstate(all="ignore"):
        return model.layers(np.asarray(X, dtype=float).T)[2 * layer - 1]


def _signed(rows: np.ndarray) -> np.ndarray:
    """Each row with its largest entry positive: a fixed sign, so a recomputed axis does not flip."""
    out = rows.copy()
    for r in out:
        if r[np.argmax(np.abs(r))] < 0:
            r *= -1
    return out


def pca_axes(model, X, layer: int = 1) -> HiddenAxes:
    """The first two principal components of ``layer``'s activations on ``X`` (the training inputs, (m,
    n_input)) as the axes. Compute it once per run: it stays put while the network learns."""
    layer = _check_layer(model, layer)
    A = _activations(model, X, layer)
    n = A.shape[0]
    mean = A.mean(axis=1)
    _, s, vt = np.linalg.svd(np.nan_to_num(A.T - mean), full_matrices=False)
    comps = np.zeros((2, n))
    k = min(2, vt.shape[0])
    comps[:k] = _signed(vt[:k])
    total = float(np.sum(s**2))
    share = [float(v) / total if total > 0 else 0.0 for v in (s**2)[:2]] + [0.0, 0.0]
    titles = tuple(f"PC {c} of layer {layer} ({share[c - 1]:.0%})" for c in (1, 2))
    return HiddenAxes("pca", layer, titles, mean, comps, explained=(share[0], share[1]))


def decision_axes(model) -> HiddenAxes:
    """The last hidden layer seen along the output's weights (axis 1) and the main direction of the rest (axis 2);
    for a network with one output (binary or regression). The axes follow the weights as they change."""
    if model.sizes[-1] != 1:
        raise ValueError(f"the decision view needs one output unit (binary or regression); this network has "
                         f"{model.sizes[-1]} (choose two units or the principal components)")
    layer = _check_layer(model, len(model.sizes) - 2)
    return HiddenAxes("decision", layer, (f"along W[{layer + 1}] (the output's weights)", "across it"))


def _decision_components(model, A) -> tuple[np.ndarray, np.ndarray]:
    L = len(model.sizes) - 1
    w = np.asarray(model.params[f"W{L}"][0], dtype=float)
    norm = float(np.linalg.norm(w))
    n = w.size
    d1 = w / norm if norm > 0 and np.isfinite(norm) else np.eye(n)[0]
    A = np.nan_to_num(A)
    mean = A.mean(axis=1)
    R = A.T - mean
    R = R - np.outer(R @ d1, d1)  # what the output's direction leaves
    d2 = np.eye(n)[1 % n] if n > 1 else np.zeros(n)
    if n > 1 and np.any(R):
        _, _, vt = np.linalg.svd(R, full_matrices=False)
        d2 = _signed(vt[:1])[0]
    return mean, np.vstack([d1, d2])


def hidden_axes(model, X, layer: int = 1, units: tuple[int, int] | None = None) -> HiddenAxes:
    """The natural axes for ``layer``: ``units`` when given, the two units of a two-unit layer, else its principal
    components on ``X`` (the training inputs)."""
    layer = _check_layer(model, layer)
    if units is not None:
        return unit_axes(model, *units, layer=layer)
    if model.sizes[layer] == 2:
        return unit_axes(model, 0, 1, layer=layer)
    return pca_axes(model, X, layer)


# ----------------------------------------------------------------------------- the spec and its data

def _classes(k: int) -> dict:
    """The colour scale of k classes: the first k of the palette (cycled past six)."""
    return {"domain": list(range(k)), "range": [CLASS_PALETTE[c % len(CLASS_PALETTE)] for c in range(k)]}

VALUES = {"domain": [-1, 0, 1], "range": [c for _, c in PROBABILITY_SCALE], "interpolate": "rgb", "clamp": True}


def hidden_space_spec(model, axes: HiddenAxes, *, presentation: bool = False, height: int | None = None,
                      title: str | None = None) -> dict:
    """The hidden space of ``model`` on ``axes``: the plane's grid lines as the layer bends them (lines of constant
    x1 dark, of constant x2 light), the training points coloured by class (or value), and — where it is exact —
    the output's decision line. Fixed for the run: only ``hidden_space_data`` changes while it plays."""
    s = style(presentation)
    bounds = BOUNDS.get(model.activations[axes.layer - 1]) if axes.kind == "units" else None
    scale = {"domain": list(bounds), "nice": False, "zero": False} if bounds else {"zero": False, "nice": True}
    x = {"field": "u", "type": "quantitative", "scale": scale, "title": axes.titles[0],
         "axis": {"format": "~r", "grid": False}}
    y = {"field": "v", "type": "quantitative", "scale": scale, "title": axes.titles[1],
         "axis": {"format": "~r", "grid": False}}
    regression = model.problem == "regression"
    k = max(2, model.sizes[-1])  # classes
    colour = ({"field": "label", "type": "quantitative", "scale": VALUES,
               "legend": {"title": "value", "orient": "right", "gradientLength": 100}} if regression else
              {"field": "label", "type": "nominal", "scale": _classes(k),
               "legend": {"title": None, "orient": "top", "columns": k, "labelExpr": "'class ' + datum.label"}})
    layers = [
        {"data": {"name": "lines"},
         "mark": {"type": "line", "strokeWidth": max(1.0, s.line * 0.45), "clip": True, "interpolate": "linear"},
         "encoding": {"x": x, "y": y, "detail": {"field": "line", "type": "nominal"},
                      "order": {"field": "t", "type": "quantitative"},
                      "stroke": {"field": "dir", "type": "nominal", "legend": None,
                                 "scale": {"domain": [0, 1], "range": [EDGE, FADED]}}}},
        {"data": {"name": "boundary"},
         "mark": {"type": "rule", "color": INK, "strokeWidth": s.line, "strokeDash": [8, 5], "clip": True},
         "encoding": {"x": x, "y": y, "x2": {"field": "u2"}, "y2": {"field": "v2"}}},
        {"data": {"name": "points"},
         "mark": {"type": "circle", "stroke": "white", "strokeWidth": 0.8, "opacity": 0.9,
                  "size": (s.marker + 2) ** 2, "clip": True},
         "encoding": {"x": x, "y": y, "color": colour,
                      "tooltip": [{"field": "label", "title": "value" if regression else "class"},
                                  {"field": "u", "title": axes.titles[0], "format": ".3f"},
                                  {"field": "v", "title": axes.titles[1], "format": ".3f"}]}},
    ]
    return vega_spec(layers, {}, presentation, height if height is not None else s.height - 40, title=title,
                     usermeta={"embedOptions": {"renderer": "canvas"}})


def _inputs(points2d, features) -> np.ndarray:
    return feature_matrix(points2d, features) if features is not None else np.asarray(points2d, dtype=float)


def hidden_space_data(model, axes: HiddenAxes, X, y, *, features=None, grid: Grid | None = None,
                      max_points: int = MAX_POINTS) -> dict[str, pa.Table]:
    """The datasets of ``hidden_space_spec`` for ``model``'s current weights.

    ``X`` of shape (m, n) and ``y`` (m,): the points to carry (the first ``max_points`` of them) — 2-D points when
    ``features`` names the network's input features of the plane, else the network's inputs themselves. ``grid``:
    the plane whose lines are carried (2-D data only; none without). ``lines``: ``line``, ``t`` (the order along
    it), ``dir`` (0: constant x1, 1: constant x2), ``u``, ``v``; ``points``: ``u``, ``v``, ``label``;
    ``boundary``: segments ``u``, ``v``, ``u2``, ``v2`` where the output's P = 0.5, when the axes show it exactly
    (the decision axes, or the two units of a two-unit last hidden layer, of a binary network)."""
    if features is not None:
        features = check_features(features)
    X = np.asarray(X, dtype=float)
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[0] != y.shape[0]:
        raise ValueError(f"X must have one row per label: got X {X.shape} and y {y.shape}")
    if not isinstance(max_points, numbers.Integral) or max_points < 1:
        raise ValueError(f"max_points must be a whole number ≥ 1, got {max_points!r}")
    X, y = X[:max_points], y[:max_points]
    layer = axes.layer
    A = _activations(model, _inputs(X, features), layer)
    P = axes.project(model, A)
    label = y.astype(np.float32) if model.problem == "regression" else y.astype(np.int8)
    points = pa.table({"u": P[:, 0].astype(np.float32), "v": P[:, 1].astype(np.float32), "label": label})

    lines = np.zeros((0, 2))
    if grid is not None and features is not None:
        (x0, x1), (y0, y1) = (grid.xs[0], grid.xs[-1]), (grid.ys[0], grid.ys[-1])
        along = np.linspace(0, 1, LINE_POINTS)
        pts = []
        for d, (lo, hi) in enumerate(((x0, x1), (y0, y1))):
            for c in np.linspace(lo, hi, GRID_LINES):
                if d == 0:  # x1 constant: a vertical line of the plane
                    pts.append(np.c_[np.full(LINE_POINTS, c), y0 + along * (y1 - y0)])
                else:
                    pts.append(np.c_[x0 + along * (x1 - x0), np.full(LINE_POINTS, c)])
        lines = axes.project(model, _activations(model, _inputs(np.vstack(pts), features), layer))
    n = len(lines) // LINE_POINTS
    line = np.repeat(np.arange(n), LINE_POINTS)
    table = pa.table({"line": line.astype(np.int16), "t": np.tile(np.arange(LINE_POINTS), n).astype(np.int16),
                      "dir": (line >= GRID_LINES).astype(np.int8), "u": lines[:, 0].astype(np.float32),
                      "v": lines[:, 1].astype(np.float32)})
    return {"lines": table, "points": points, "boundary": _boundary(model, axes, A, np.vstack([P, lines]))}


def _boundary(model, axes: HiddenAxes, A, seen) -> pa.Table:
    """Where the output's P = 0.5 crosses the picture, when the two axes determine the output exactly."""
    empty = _segments([])
    L = len(model.sizes) - 1
    if model.problem != "binary" or axes.layer != L - 1:
        return empty
    seen = seen[np.all(np.isfinite(seen), axis=1)]
    if not len(seen):
        return empty
    (ulo, vlo), (uhi, vhi) = seen.min(axis=0), seen.max(axis=0)
    pad_u, pad_v = 0.05 * (uhi - ulo) + 1e-9, 0.05 * (vhi - vlo) + 1e-9
    ulo, uhi, vlo, vhi = ulo - pad_u, uhi + pad_u, vlo - pad_v, vhi + pad_v
    w, b = model.params[f"W{L}"][0], float(model.params[f"b{L}"][0, 0])
    if axes.kind == "decision":
        mean, comps = _decision_components(model, A)
        norm = float(np.linalg.norm(w))
        if not norm > 0 or not np.isfinite(norm):
            return empty
        u = -b / norm - float(mean @ comps[0])  # z = |w|·(u + mean·d1) + b = 0
        seg = [(u, vlo, u, vhi)] if ulo <= u <= uhi else []
    elif axes.kind == "units" and model.sizes[axes.layer] == 2:
        i, j = axes.units
        seg = _clip_line(float(w[i]), float(w[j]), b, ulo, uhi, vlo, vhi)
    else:
        return empty
    return _segments(seg)


def _segments(seg: list[tuple]) -> pa.Table:
    a = np.asarray(seg, dtype=np.float32).reshape(-1, 4)
    return pa.table({name: a[:, i] for i, name in enumerate(("u", "v", "u2", "v2"))})


def _clip_line(a, c, b, ulo, uhi, vlo, vhi) -> list[tuple]:
    """The part of the line a·u + c·v + b = 0 inside the box, as one segment (or none)."""
    ends = []
    if c != 0:
        for u in (ulo, uhi):
            v = -(a * u + b) / c
            if vlo <= v <= vhi:
                ends.append((u, v))
    if a != 0:
        for v in (vlo, vhi):
            u = -(c * v + b) / a
            if ulo <= u <= uhi:
                ends.append((u, v))
    ends = sorted(set(ends))
    return [(*ends[0], *ends[-1])] if len(ends) >= 2 and ends[0] != ends[-1] else []


def hidden_space_chart(spec: dict, data: dict) -> dict:
    """``hidden_space_spec`` with ``hidden_space_data``: what a page passes to ``st.vega_lite_chart``."""
    return {**spec, "datasets": data}
