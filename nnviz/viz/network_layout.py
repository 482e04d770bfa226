"""Where a layered network's units and connections go when it is drawn, and how each connection looks — shared by
every drawing of a network (the Plotly figure, the front page's SVG), so that they name and draw each weight alike.
Imports no drawing library."""

from __future__ import annotations

import numpy as np

from nnviz.viz.theme import CLASS_COLOURS, FADED


def node_labels(sizes) -> list[list[str]]:
    """A layered network's units as the lesson names them, layer by layer: x1, x2 … for the inputs, a1, a2 …
    for hidden units, ŷ (or ŷ1, ŷ2 …) for the outputs."""
    last = len(sizes) - 1
    return [[f"x{i + 1}" if k == 0 else ("ŷ" if n == 1 else f"ŷ{i + 1}") if k == last else f"a{i + 1}"
             for i in range(n)] for k, n in enumerate(sizes)]


def unit_count(n: int) -> str:
    """A layer's size under its name: "1 unit", "4 units"."""
    return f"{n} unit{'s' if n != 1 else ''}"


#: a connection's colour by its weight's sign: negative, zero, positive
SIGN_COLOURS = {-1: CLASS_COLOURS[0], 0: FADED, 1: CLASS_COLOURS[1]}
THINNEST, WIDEST = 0.5, 7.5  # a connection's width for a zero weight and for the biggest


def weight_stroke(w: float, biggest: float) -> tuple[float, str]:
    """A connection's line for weight ``w``: its width grows with ``|w|`` (0.5 to 7.5 at the ``biggest``), its
    colour is its sign (orange positive, blue negative, grey zero)."""
    return THINNEST + (WIDEST - THINNEST) * abs(w) / biggest, SIGN_COLOURS[1 if w > 0 else -1 if w < 0 else 0]


def stroke_widths(weights, biggest: float) -> np.ndarray:
    """``weight_stroke``'s widths for an array of weights at once."""
    return THINNEST + (WIDEST - THINNEST) * np.abs(np.asarray(weights, dtype=float)) / biggest


def weight_label(layer: int, j: int, i: int, w: float) -> str:
    """``W[j, i]`` of layer ``layer`` (from 0) as the lesson writes it, numbered from 1: "W1[3,2] = +0.412"."""
    return f"W{layer + 1}[{j + 1},{i + 1}] = {w:+.3f}"


def weighted_connections(weights, pos):
    """Each connection of a weighted network as drawn: ``(start, end, width, colour, label)``, the weights
    ``W`` of shape (units out, units in) per layer, ``pos[k][i]`` the point of unit ``i`` of layer ``k``."""
    biggest = max(float(np.max(np.abs(W))) for W in weights) or 1.0
    for layer, W in enumerate(weights):
        for j in range(W.shape[0]):
            for i in range(W.shape[1]):
                w = float(W[j, i])
                width, colour = weight_stroke(w, biggest)
                yield pos[layer][i], pos[layer + 1][j], width, colour, weight_label(layer, j, i, w)
