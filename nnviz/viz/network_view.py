"""The live network drawing, as TensorFlow Playground draws it, for any ``DeepNN``: a Vega-Lite spec that stays
the same while the network learns (``network_spec``) and the datasets that change with its weights
(``network_data``). Streamlit mounts a chart anew when its spec changes, a blank frame and a full draw each
time (``nnviz.viz.live_chart`` says why); the datasets alone travel on every redraw and the browser updates the same
chart in place.

Layers go left to right as in the lesson's figure of 1.3.1: the inputs (the features in use), each hidden layer,
the output. Every node shows what it computes:

- 2-D data (``maps``): its activation over the plane, a small map on a grid shared by all nodes — the inputs'
  features, each hidden unit's a[l]_i, the output's P(class 1) (or class probability, or value);
- more features: its value for one chosen sample, a filled circle.

Every connection's width and colour are its weight's size and sign (``nnviz.viz.network_layout``'s encoding, the one
every drawing of a network uses). Hovering a node or a connection names it in the lesson's notation (a[1]₃,
b[1]₃, W[2]₁₃: row i, column j of W[l], from unit j of layer l − 1 to unit i of layer l) with its value.

Connections and nodes are selectable: ``st.vega_lite_chart(chart, on_select="rerun", selection_mode=["edge",
"node"], key=…)`` returns the clicked connection as ``selection["edge"] == [{"layer": l, "i": i, "j": j}]`` and
the clicked node as ``selection["node"] == [{"layer": k, "unit": u}]`` (indices from 0, layers as the lesson
counts them: W[l] for l = 1 … L, nodes k = 0 … L with 0 the inputs); ``selected`` turns either into the
parameter it names, which ``Selected.set`` edits. Give the chart a ``key``: Streamlit then keeps its identity
from the key alone, whatever the data.

The cost is bounded whatever the network: at most ``MAX_UNITS`` nodes of a layer are drawn (the first ones; the
drawing says how many more there are), so a 6 × 512 network draws at most 6 × 16 hidden nodes and the
connections between drawn nodes, and the maps' grid shrinks as the nodes grow in number (``MAX_CELLS``).
"""

from __future__ import annotations

import json
import numbers
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from nnviz.core.features import check_features, feature_labels, feature_matrix
from nnviz.viz.live_chart import vega_spec
from nnviz.viz.maps import Grid
from nnviz.viz.network_layout import SIGN_COLOURS, stroke_widths, unit_count
from nnviz.viz.theme import ACTIVATION_SCALE, CLASS_PALETTE, EDGE, INK, PROBABILITY_SCALE, shorten, style

#: nodes drawn per layer at most: the first ones (maps: a column of 16 maps still reads on a projector)
MAX_UNITS = {"maps": 16, "values": 20}
#: cells per side of a node's map, at most and at least; and the cells of all maps together at most
MAX_RESOLUTION, MIN_RESOLUTION, MAX_CELLS = 12, 6, 6000
TITLE_PX = 42  # room above the nodes for each layer's name
LABEL_CHARS = 12  # an input's name beside its node is cut here
SELECTIONS = ("edge", "node")
_SUBSCRIPTS = "₀₁₂₃₄₅₆₇₈₉"
#: a value's colour: a hidden unit's or an input's (purple −1, white 0, green +1), and the output's
ACTIVATION_COLOURS = {"domain": [-1, 0, 1], "range": [c for _, c in ACTIVATION_SCALE], "interpolate": "rgb",
                      "clamp": True}
PROBABILITY_COLOURS = {"domain": [-1, 0, 1], "range": [c for _, c in PROBABILITY_SCALE], "interpolate": "rgb",
                       "clamp": True}
SHARE_COLOURS = {"domain": [-1, 1], "range": ["#f8f9fa", INK], "interpolate": "rgb", "clamp": True}
SIGNS = {"domain": [-1, 0, 1], "range": [SIGN_COLOURS[-1], SIGN_COLOURS[0], SIGN_COLOURS[1]]}


def subscript(n: int) -> str:
    """``n`` in subscript digits: 23 → "₂₃"."""
    return "".join(_SUBSCRIPTS[int(d)] for d in str(int(n)))


def _indices(*ns: int) -> str:
    """Subscript indices, run together as the lesson writes them (W₂₃), with a comma once one has two digits."""
    return ("," if any(n >= 10 for n in ns) else "").join(subscript(n) for n in ns)


def weight_name(layer: int, i: int, j: int) -> str:
    """W[l]ᵢⱼ in the lesson's notation, indices from 0 given, shown from 1: ``weight_name(1, 1, 2)`` is "W[1]₂₃"."""
    return f"W[{layer}]{_indices(i + 1, j + 1)}"


def bias_name(layer: int, i: int) -> str:
    """b[l]ᵢ, index from 0 given: ``bias_name(1, 2)`` is "b[1]₃"."""
    return f"b[{layer}]{subscript(i + 1)}"


def unit_name(layer: int, i: int, n_layers: int, n_output: int, input_labels=()) -> str:
    """Node i (from 0) of layer k: an input's feature name (or xⱼ), a[l]ᵢ for a hidden unit, ŷ (or ŷᵢ) at the output."""
    if layer == 0:
        return input_labels[i] if i < len(input_labels) else f"x{subscript(i + 1)}"
    if layer == n_layers:
        return "ŷ" if n_output == 1 else f"ŷ{subscript(i + 1)}"
    return f"a[{layer}]{subscript(i + 1)}"


@dataclass(frozen=True)
class NetworkLayout:
    """What the drawing of a network depends on besides its weights: its layers, what its inputs are, how much of
    it is drawn. ``network_layout`` makes one; ``network_spec`` and ``network_data`` take the same one.

    ``features``: the 2-D features the inputs are (maps of the plane), or None (values for one sample).
    ``shown[k]``: how many nodes of layer k are drawn (the first ones). ``resolution``: cells per side of each
    map (0 without maps)."""

    sizes: tuple[int, ...]
    problem: str
    activations: tuple[str, ...]
    input_labels: tuple[str, ...]
    features: tuple[str, ...] | None
    shown: tuple[int, ...]
    resolution: int

    @property
    def maps(self) -> bool:
        return self.features is not None

    @property
    def n_layers(self) -> int:
        """L: the output's layer index."""
        return len(self.sizes) - 1

    @property
    def hidden_units(self) -> tuple[int, ...]:
        """How many nodes of each layer are not drawn."""
        return tuple(n - s for n, s in zip(self.sizes, self.shown, strict=True))

    @property
    def rows(self) -> int:
        """The tallest column, in node slots (its "+N more" line counted)."""
        return max(s + (h > 0) for s, h in zip(self.shown, self.hidden_units, strict=True))

    @property
    def offsets(self) -> tuple[float, ...]:
        """Each column's first slot: columns are centred on the tallest."""
        return tuple((self.rows - s - (h > 0)) / 2 for s, h in zip(self.shown, self.hidden_units, strict=True))

    def nodes(self) -> list[tuple[int, int]]:
        """(layer, unit) of every drawn node, layer by layer: a node's place in this list is its id."""
        return [(k, u) for k, s in enumerate(self.shown) for u in range(s)]


def network_layout(model, *, features=None, input_names=None, max_units: int | None = None,
                   resolution: int | None = None) -> NetworkLayout:
    """The layout of ``model``'s drawing: with ``features`` (the 2-D features its inputs are, e.g. ("x1", "x2"))
    each node is a map of the plane; otherwise each node shows its value for one sample, its inputs named by
    ``input_names`` (default x₁, x₂, …). ``max_units``: nodes drawn per layer (default 16 with maps, 20
    without); ``resolution``: cells per side of a map (default: as many as ``MAX_CELLS`` allows, 6 … 12)."""
    sizes = tuple(int(n) for n in model.sizes)
    if features is not None:
        features = check_features(features)
        if len(features) != sizes[0]:
            raise ValueError(f"the network takes {sizes[0]} inputs but {len(features)} features were given: "
                             f"{', '.join(features)}")
        labels = feature_labels(features)
    else:
        labels = tuple(str(n) for n in input_names) if input_names is not None else \
            tuple(f"x{subscript(i + 1)}" for i in range(sizes[0]))
        if len(labels) != sizes[0]:
            raise ValueError(f"the network takes {sizes[0]} inputs but {len(labels)} input names were given")
    mode = "maps" if features is not None else "values"
    limit = MAX_UNITS[mode] if max_units is None else _check_count("max_units", max_units, 1, 64)
    shown = tuple(min(n, limit) for n in sizes)
    if features is None:
        resolution = 0
    elif resolution is None:
        resolution = int(np.clip(np.floor(np.sqrt(MAX_CELLS / sum(shown))), MIN_RESOLUTION, MAX_RESOLUTION))
    else:
        resolution = _check_count("resolution", resolution, 2, 40)
    return NetworkLayout(sizes, model.problem, tuple(model.activations), labels, features, shown, resolution)


def _check_count(name: str, value, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not low <= value <= high:
        raise ValueError(f"{name} must be a whole number from {low} to {high}, got {value!r}")
    return int(value)


# ----------------------------------------------------------------------------- the fixed spec


def _array(values) -> str:
    """A Vega expression's array literal."""
    # strings as JSON: a valid string literal of Vega's expressions whatever a CSV's column names hold
    return "[" + ",".join(f"{v:g}" if isinstance(v, (int, float, np.integer, np.floating)) else json.dumps(str(v))
                          for v in values) + "]"


def _sub_expr(n: str) -> str:
    """A Vega expression writing the number ``n`` (an expression, 1 … 999) in subscript digits."""
    def digit(e):
        return f"substring('{_SUBSCRIPTS}', {e}, {e} + 1)"
    return (f"(({n}) >= 100 ? {digit(f'floor(({n}) / 100)')} : '') + "
            f"(({n}) >= 10 ? {digit(f'floor(({n}) / 10) % 10')} : '') + {digit(f'({n}) % 10')}")


def _names_expr(layout: NetworkLayout, layer: str, unit: str) -> str:
    """A Vega expression naming node ``unit`` of layer ``layer`` (both expressions) as ``unit_name`` does."""
    L, k = layout.n_layers, layout.sizes[-1]
    inputs = _array([shorten(s, LABEL_CHARS) for s in layout.input_labels[: layout.shown[0]]])
    output = "'ŷ'" if k == 1 else f"'ŷ' + {_sub_expr(f'{unit} + 1')}"
    return (f"({layer}) == 0 ? {inputs}[{unit}] : ({layer}) == {L} ? {output} : "
            f"'a[' + ({layer}) + ']' + {_sub_expr(f'{unit} + 1')}")


def _layer_title(layout: NetworkLayout, k: int) -> dict[str, str]:
    """A layer's name and what it holds, in words, and in the lesson's notation for a narrow column (X, A[l], ŷ)."""
    L = layout.n_layers
    if k == 0:
        return {"title": "input", "sub": f"{layout.sizes[0]} feature{'s' if layout.sizes[0] != 1 else ''}",
                "short": "X", "short_sub": f"{layout.sizes[0]} in"}
    if k == L:
        what = {"binary": "P(class 1)", "regression": "value"}.get(layout.problem, f"{layout.sizes[-1]} classes")
        brief = {"binary": "P(1)", "regression": "value"}.get(layout.problem, "softmax")
        return {"title": "output", "sub": what, "short": "ŷ", "short_sub": brief}
    act = layout.activations[k - 1]
    return {"title": "hidden" if L == 2 else f"hidden {k}", "sub": f"{unit_count(layout.sizes[k])}, {act}",
            "short": f"A[{k}]", "short_sub": f"{layout.sizes[k]} {act}"}


def network_spec(layout: NetworkLayout, *, presentation: bool = False, height: int | None = None) -> dict:
    """The drawing of a network with ``layout``, without its data (``network_data``): the same dict, to the
    JSON, for every set of weights. ``height`` in pixels; the width is the column's."""
    s = style(presentation)
    height = height if height is not None else s.height
    L, rows, g = layout.n_layers, layout.rows, layout.resolution
    title_px = TITLE_PX + (12 if presentation else 0)
    slot_px = max((height - 8 - title_px) / rows, 1.0)
    y_top = -0.5 - title_px / slot_px
    x_lo, x_hi = -0.8, L + 0.55
    nodes = layout.nodes()
    offsets = layout.offsets
    node_x = _array([k for k, _ in nodes])
    node_y = _array([offsets[k] + u for k, u in nodes])
    x_scale = {"domain": [x_lo, x_hi], "zero": False, "nice": False}
    y_scale = {"domain": [y_top, rows - 0.5], "zero": False, "nice": False, "reverse": True}
    x = {"field": "x", "type": "quantitative", "scale": x_scale, "axis": None}
    y = {"field": "y", "type": "quantitative", "scale": y_scale, "axis": None}
    # a node's side in pixels: 80 % of a slot, at most 45 % of the gap between two columns
    side = (f"clamp(min({0.8 * slot_px:.4g}, 0.45 * width / {x_hi - x_lo:g}), 6, "
            f"{96 if presentation else 72})")
    params = [{"name": "side", "expr": side}]
    placed = [{"calculate": f"{node_x}[datum.node]", "as": "x"}, {"calculate": f"{node_y}[datum.node]", "as": "y"}]

    # the connections: the clicked one's dark outline under them, each drawn, and a wide invisible line over each
    # to click and hover
    edge_place = [
        {"calculate": "datum.layer - 1", "as": "x"}, {"calculate": "datum.layer", "as": "x2"},
        {"calculate": f"{_array(offsets)}[datum.layer - 1] + datum.j", "as": "y"},
        {"calculate": f"{_array(offsets)}[datum.layer] + datum.i", "as": "y2"},
        {"calculate": "datum.w > 0 ? 1 : datum.w < 0 ? -1 : 0", "as": "sign"},
    ]
    ends = {"xOffset": {"expr": "side / 2"}, "x2Offset": {"expr": "-side / 2"}}
    edge_enc = {"x": x, "y": y, "x2": {"field": "x2"}, "y2": {"field": "y2"}}
    layers = [
        {"data": {"name": "edges"}, "transform": [{"filter": {"param": "edge", "empty": False}}, *edge_place],
         "mark": {"type": "rule", "color": INK, "strokeCap": "round", **ends},
         "encoding": {**edge_enc, "strokeWidth": {"field": "width", "type": "quantitative",
                                                  "scale": {"type": "linear", "zero": False, "domain": [0, 8],
                                                            "range": [4.5, 12.5]}, "legend": None}}},
        {"data": {"name": "edges"}, "transform": edge_place,
         "mark": {"type": "rule", "opacity": 0.85, "strokeCap": "round", **ends},
         "encoding": {**edge_enc, "strokeWidth": {"field": "width", "type": "quantitative", "scale": None},
                      "stroke": {"field": "sign", "type": "nominal", "scale": SIGNS, "legend": None}}},
        {"data": {"name": "edges"},
         "transform": [*edge_place,
                       {"calculate": f"'W[' + datum.layer + ']' + {_sub_expr('datum.i + 1')} + "
                                     f"(datum.i >= 9 || datum.j >= 9 ? ',' : '') + {_sub_expr('datum.j + 1')}",
                        "as": "name"},
                       {"calculate": _names_expr(layout, "datum.layer - 1", "datum.j"), "as": "from"},
                       {"calculate": _names_expr(layout, "datum.layer", "datum.i"), "as": "to"}],
         "params": [{"name": "edge", "select": {"type": "point", "fields": ["layer", "i", "j"], "toggle": False,
                                                "clear": "dblclick"}}],
         # nearly invisible, not invisible: a line without opacity is never hit by the pointer
         "mark": {"type": "rule", "strokeWidth": 9, "color": INK, "strokeOpacity": 0.004, "cursor": "pointer",
                  **ends},
         "encoding": {**edge_enc,
                      "tooltip": [{"field": "name", "title": "weight"},
                                  {"field": "w", "title": "value", "format": "+.4f"},
                                  {"field": "from", "title": "from"}, {"field": "to", "title": "to"}]}},
    ]

    output_colours = SHARE_COLOURS if layout.problem == "multiclass" else PROBABILITY_COLOURS
    out_filter = {"filter": f"{_array([k for k, _ in nodes])}[datum.node] == {L}"}
    in_filter = {"filter": f"{_array([k for k, _ in nodes])}[datum.node] < {L}"}
    if layout.maps:
        g2 = g * g
        cell = [{"calculate": f"floor(datum.k / {g2})", "as": "node"},
                {"calculate": f"datum.k % {g}", "as": "col"},
                {"calculate": f"floor((datum.k % {g2}) / {g})", "as": "row"}, *placed]
        cell_mark = {"type": "square", "strokeWidth": 0, "opacity": 1,
                     # each cell a little wider than its share: abutting cells leave seams on a canvas
                     "size": {"expr": f"pow(side / {g} + 0.8, 2)"},
                     "xOffset": {"expr": f"(datum.col - {(g - 1) / 2:g}) * side / {g}"},
                     "yOffset": {"expr": f"({(g - 1) / 2:g} - datum.row) * side / {g}"}}
        for name, colours in (("cells", ACTIVATION_COLOURS), ("outputs", output_colours)):
            layers.append({"data": {"name": name}, "transform": cell, "mark": cell_mark,
                           "encoding": {"x": x, "y": y, "fill": {"field": "c", "type": "quantitative",
                                                                 "scale": colours, "legend": None}}})
    else:
        for filt, colours in ((in_filter, ACTIVATION_COLOURS), (out_filter, output_colours)):
            layers.append({"data": {"name": "nodes"}, "transform": [*placed, filt],
                           "mark": {"type": "circle", "opacity": 1, "size": {"expr": "side * side"}},
                           "encoding": {"x": x, "y": y, "fill": {"field": "c", "type": "quantitative",
                                                                 "scale": colours, "legend": None}}})
    # each node's outline, on top: hovered, it names the node; clicked, it selects it (its bias)
    outline = "square" if layout.maps else "circle"
    layers.append({
        "data": {"name": "nodes"}, "transform": placed,
        "params": [{"name": "node", "select": {"type": "point", "fields": ["layer", "unit"], "toggle": False,
                                               "clear": "dblclick"}}],
        "mark": {"type": outline, "fill": "white", "fillOpacity": 0.004, "cursor": "pointer",
                 "size": {"expr": "side * side"}},
        "encoding": {"x": x, "y": y, "stroke": {"field": "ring", "type": "nominal", "scale": None},
                     "strokeWidth": {"condition": {"param": "node", "empty": False, "value": 3.5},
                                     "value": 1.5 if layout.problem == "multiclass" else 1},
                     "tooltip": [{"field": "name", "title": "unit"}, {"field": "what", "title": "value"},
                                 {"field": "bias", "title": "bias"}]},
    })

    # words, fixed with the architecture: the layers' names, the inputs' and outputs' names, what is not drawn
    titles = [{"x": k, **_layer_title(layout, k)} for k in range(L + 1)]
    font = s.font
    text = {"type": "text", "fontSize": font, "color": INK}
    # the words while they fit between two columns (a glyph is ~0.6 of the font size wide), else the notation
    words_px = max(max(len(t["title"]) * 0.62 * font, len(t["sub"]) * 0.55 * (font - 2)) for t in titles) + 6
    brief_px = max(len(t["short_sub"]) * 0.55 * (font - 2) for t in titles) + 6  # "8 tanh"; narrower: none
    gap = f"width / {x_hi - x_lo:g}"
    pick = [{"calculate": f"{gap} >= {words_px:.0f} ? datum.title : datum.short", "as": "shown"},
            {"calculate": f"{gap} >= {words_px:.0f} ? datum.sub : {gap} >= {brief_px:.0f} ? datum.short_sub : ''",
             "as": "shown_sub"}]
    layers += [
        {"data": {"values": titles}, "transform": pick,
         "mark": {**text, "fontWeight": "bold", "baseline": "bottom", "y": 18},
         "encoding": {"x": x, "text": {"field": "shown"}}},
        {"data": {"values": titles}, "transform": pick,
         "mark": {**text, "fontSize": font - 2, "color": EDGE, "baseline": "bottom", "y": 19 + font},
         "encoding": {"x": x, "text": {"field": "shown_sub"}}},
        {"data": {"values": [{"x": 0, "y": offsets[0] + u, "label": shorten(layout.input_labels[u], LABEL_CHARS)}
                             for u in range(layout.shown[0])]},
         "mark": {**text, "fontSize": font - 1, "align": "right", "baseline": "middle", "dx": {"expr": "-side/2 - 5"},
                  "limit": 90},
         "encoding": {"x": x, "y": y, "text": {"field": "label"}}},
    ]
    out_labels = [{"x": L, "y": offsets[L] + u, "label": _output_label(layout, u)} for u in range(layout.shown[L])]
    layers.append({"data": {"values": out_labels},
                   "mark": {**text, "fontSize": font - 1, "align": "left", "baseline": "middle",
                            "dx": {"expr": "side/2 + 5"}, "limit": 80},
                   "encoding": {"x": x, "y": y, "text": {"field": "label"}}})
    more = [{"x": k, "y": offsets[k] + layout.shown[k] - 0.1, "label": f"+{h} more"}
            for k, h in enumerate(layout.hidden_units) if h > 0]
    if more:
        layers.append({"data": {"values": more},
                       "mark": {**text, "fontSize": font - 2, "color": EDGE, "baseline": "top"},
                       "encoding": {"x": x, "y": y, "text": {"field": "label"}}})
    spec = vega_spec(layers, {}, presentation, height, params=params,
                     resolve={"scale": {"fill": "independent", "stroke": "independent",
                                        "strokeWidth": "independent"}},
                     usermeta={"embedOptions": {"renderer": "canvas"}})
    spec["config"]["view"] = {"stroke": None}  # a drawing, not a plot: no frame
    return spec


def _output_label(layout: NetworkLayout, u: int) -> str:
    if layout.problem == "binary":
        return "P(1)"
    if layout.problem == "regression":
        return "value"
    return f"class {u}"


# ----------------------------------------------------------------------------- the data, for the current weights


def _colour_values(layout: NetworkLayout, k: int, values: np.ndarray) -> np.ndarray:
    """A layer's values as the colour scale's −1 … 1: tanh and the output's P as they are (P as 2P − 1), sigmoid
    0 … 1 spread to −1 … 1, anything unbounded (inputs, ReLU, linear) divided by the layer's largest |value|."""
    L = layout.n_layers
    if k == L:
        if layout.problem == "regression":
            return np.clip(values, -1, 1)  # a value's colour, as the drawn points' and the Playground's
        return 2 * values - 1
    name = layout.activations[k - 1] if k > 0 else None
    if name == "tanh":
        return values
    if name == "sigmoid":
        return 2 * values - 1
    biggest = float(np.max(np.abs(values))) if values.size else 0.0
    return values / biggest if biggest > 0 and np.isfinite(biggest) else np.zeros_like(values)


def _fmt(v: float) -> str:
    return f"{v:+.3f}" if np.isfinite(v) else str(v)


def network_data(model, layout: NetworkLayout, *, grid: Grid | None = None, sample=None) -> dict[str, pa.Table]:
    """The datasets of ``network_spec(layout)`` for ``model``'s current weights.

    With maps (``layout.features``): ``grid``, a ``maps.Grid`` over the plane with ``layout.resolution`` points
    per side; each drawn node's activation at every grid point goes into ``cells`` (inputs and hidden units) or
    ``outputs`` (the output layer): ``k`` = node id × resolution² + grid point (row-major, x2 slowest), ``v`` the
    value (float32), ``c`` its colour. Without maps: ``sample``, one sample's inputs of shape (n_input,); each
    node's value is in ``nodes``. Always ``edges`` — ``layer`` l, ``i``, ``j``, the weight ``w`` = W[l][i, j]
    exactly, its line's ``width`` — and ``nodes``: id, layer, unit, name, its bias and what it shows, as text.

    Arrow tables, what Streamlit sends: built from arrays directly, a redraw costs no pandas conversion."""
    sizes = tuple(model.sizes)
    if sizes != layout.sizes or model.problem != layout.problem or tuple(model.activations) != layout.activations:
        raise ValueError(f"the layout is for a {'-'.join(map(str, layout.sizes))} network, got "
                         f"{'-'.join(map(str, sizes))}: make the layout again for this network")
    L = layout.n_layers
    if layout.maps:
        if grid is None or grid.n != layout.resolution or grid.ys.size != layout.resolution:
            got = "no grid" if grid is None else f"a grid of {grid.n} × {grid.ys.size}"
            raise ValueError(f"the maps need a grid of {layout.resolution} × {layout.resolution} points, got {got}")
        X = feature_matrix(grid.points.T, layout.features).T  # (n_input, g²)
    else:
        if sample is None:
            raise ValueError("without maps, the drawing shows one sample's values: give sample=")
        X = np.asarray(sample, dtype=float).reshape(-1, 1)
        if X.shape[0] != sizes[0] or not np.all(np.isfinite(X)):
            raise ValueError(f"sample must hold {sizes[0]} finite input values, got {np.asarray(sample).shape}")
    with np.errstate(all="ignore"):
        outs = model.layers(X)
    values = [X] + list(outs[1::2])  # layer k's activations, (n_k, m)

    nodes = layout.nodes()
    node_layer = np.array([k for k, _ in nodes], dtype=np.int8)
    node_unit = np.array([u for _, u in nodes], dtype=np.int16)
    shown_values = [values[k][:n] for k, n in enumerate(layout.shown)]  # (shown_k, m) per layer
    colours = [_colour_values(layout, k, V) for k, V in enumerate(shown_values)]
    biases = [np.full(layout.shown[0], np.nan)] + [model.params[f"b{k}"][:n, 0] for k, n in
                                                   enumerate(layout.shown) if k > 0]
    bias_text = ["none: an input" if k == 0 else f"{bias_name(k, u)} = {_fmt(float(biases[k][u]))}" for k, u in nodes]
    if layout.maps:
        lo = np.concatenate([np.nanmin(V, axis=1) if V.size else np.zeros(0) for V in shown_values])
        hi = np.concatenate([np.nanmax(V, axis=1) if V.size else np.zeros(0) for V in shown_values])
        what = [f"{_fmt(a)} … {_fmt(b)} over the plane" for a, b in zip(lo.tolist(), hi.tolist(), strict=True)]
        c = np.full(len(nodes), np.nan, dtype=np.float32)
    else:
        what = [_fmt(v) for V in shown_values for v in V[:, 0].tolist()]
        c = np.concatenate([C[:, 0] for C in colours]).astype(np.float32)
    data = {"nodes": pa.table({
        "node": pa.array(np.arange(len(nodes), dtype=np.int16)), "layer": pa.array(node_layer),
        "unit": pa.array(node_unit), "name": pa.array(_node_names(layout)), "bias": pa.array(bias_text),
        "what": pa.array(what), "c": pa.array(c),
        # an output of several classes is outlined in its class's colour
        "ring": pa.array([CLASS_PALETTE[u % len(CLASS_PALETTE)] if k == L and sizes[-1] > 1 else EDGE
                          for k, u in nodes]),
    })}

    parts = []
    for layer in range(1, L + 1):
        W = model.params[f"W{layer}"][: layout.shown[layer], : layout.shown[layer - 1]]
        i, j = np.divmod(np.arange(W.size), W.shape[1])
        parts.append((np.full(W.size, layer), i, j, W.ravel()))
    w = np.concatenate([p[3] for p in parts]).astype(np.float64)
    finite = np.abs(w[np.isfinite(w)])
    biggest = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
    with np.errstate(invalid="ignore"):
        widths = np.nan_to_num(stroke_widths(w, biggest), nan=0.5, posinf=7.5)
    data["edges"] = pa.table({
        "layer": pa.array(np.concatenate([p[0] for p in parts]).astype(np.int8)),
        "i": pa.array(np.concatenate([p[1] for p in parts]).astype(np.int16)),
        "j": pa.array(np.concatenate([p[2] for p in parts]).astype(np.int16)),
        "w": pa.array(w),
        "width": pa.array(widths.astype(np.float32)),
    })
    if layout.maps:
        m = X.shape[1]
        first = np.cumsum([0, *layout.shown])  # each layer's first node id
        for name, ks in (("cells", range(L)), ("outputs", [L])):
            ids = np.concatenate([np.arange(first[k], first[k + 1]) for k in ks])
            data[name] = pa.table({
                "k": pa.array((ids[:, None] * m + np.arange(m)).ravel().astype(np.uint16)),
                "v": pa.array(np.concatenate([shown_values[k] for k in ks]).ravel().astype(np.float32)),
                "c": pa.array(np.nan_to_num(np.concatenate([colours[k] for k in ks]).ravel(), nan=0.0)
                              .astype(np.float32)),
            })
    return data


def _node_names(layout: NetworkLayout) -> list[str]:
    L, k = layout.n_layers, layout.sizes[-1]
    return [unit_name(layer, u, L, k, layout.input_labels) for layer, u in layout.nodes()]


def network_chart(spec: dict, data: dict) -> dict:
    """``network_spec`` with ``network_data``: what a page passes to ``st.vega_lite_chart``."""
    return {**spec, "datasets": data}


# ----------------------------------------------------------------------------- what a click selects


@dataclass(frozen=True)
class Selected:
    """A parameter picked on the drawing: the weight W[l][i, j] (a connection) or the bias b[l][i] (a node; j = 0).
    Indices from 0, as ``DeepNN.set_weight`` takes them; ``label`` writes them as the lesson does, from 1."""

    param: str  # "W2", "b1", …
    layer: int
    i: int
    j: int

    @property
    def is_bias(self) -> bool:
        return self.param.startswith("b")

    @property
    def label(self) -> str:
        return bias_name(self.layer, self.i) if self.is_bias else weight_name(self.layer, self.i, self.j)

    def value(self, model) -> float:
        return float(model.params[self.param][self.i, self.j])

    def set(self, model, value) -> None:
        """Set the parameter in ``model`` (``DeepNN.set_weight``: a finite number, or a ``ValueError``)."""
        model.set_weight(self.param, self.i, self.j, value)


def _whole(v) -> int | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, numbers.Integral):
        return int(v)
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return None


def selected(selection, model) -> Selected | None:
    """The parameter the drawing's selection picks in ``model``: the clicked connection's weight, else the clicked
    node's bias (an input has none), else None. ``selection`` is the chart event's ``selection``; a selection
    that does not fit ``model`` (made on another architecture) picks nothing."""
    selection = selection or {}
    L, sizes = len(model.sizes) - 1, model.sizes
    for entry in _entries(selection.get("edge")):
        layer, i, j = (_whole(entry.get(f)) for f in ("layer", "i", "j"))
        if None not in (layer, i, j) and 1 <= layer <= L and 0 <= i < sizes[layer] and 0 <= j < sizes[layer - 1]:
            return Selected(f"W{layer}", layer, i, j)
    for entry in _entries(selection.get("node")):
        layer, unit = _whole(entry.get("layer")), _whole(entry.get("unit"))
        if None not in (layer, unit) and 1 <= layer <= L and 0 <= unit < sizes[layer]:
            return Selected(f"b{layer}", layer, unit, 0)
    return None


def _entries(value) -> list[dict]:
    return [e for e in value if isinstance(e, dict)] if isinstance(value, list) else []
