"""One look for every figure, whatever draws it (Plotly, Vega-Lite or SVG): the palette and the sizes for a laptop
or a projector. Imports no drawing library."""

from __future__ import annotations

from dataclasses import dataclass

TRAIN, TEST, BATCH = "#1f77b4", "#e8590c", "#868e96"  # the curves: training, test, per-batch loss
CLASS_COLOURS = ("#1c7ed6", "#f76707")  # class 0, class 1 (and a weight's sign: negative, positive)
#: classes 0 … 5 of a multiclass set (the 2-D sets and drawn data have at most 6): the two above, then four more
CLASS_PALETTE = (*CLASS_COLOURS, "#2f9e44", "#7048e8", "#d6336c", "#0c8599")
# P(class 1): class 0's blue for 0, white at 0.5, class 1's orange for 1 (as TensorFlow Playground colours its plane)
PROBABILITY_SCALE = [[0.0, CLASS_COLOURS[0]], [0.5, "#f8f9fa"], [1.0, CLASS_COLOURS[1]]]
ACTIVATION_SCALE = [[0.0, "#5f3dc4"], [0.5, "#f8f9fa"], [1.0, "#2b8a3e"]]  # a unit's value, −1 … 1
GRAY = [[0.0, "#000000"], [1.0, "#ffffff"]]  # a digit's ink, as MNIST stores it
FADED = "#adb5bd"  # earlier runs, a zero weight, the class board's other runs
REFERENCE, REFERENCE_BAND = "#2f9e44", "#b2f2bb"  # the lesson's result, and what its recipe reaches over seeds
INK, EDGE, GRID = "#212529", "#495057", "#e9ecef"


@dataclass(frozen=True)
class Style:
    font: int
    title: int
    line: float
    marker: int
    height: int


def style(presentation: bool = False) -> Style:
    """Sizes for a laptop screen, or for a projector seen from the back of a room."""
    return Style(font=20, title=24, line=4.5, marker=10, height=385) if presentation else \
        Style(font=13, title=16, line=2.2, marker=6, height=400)


def shorten(text, limit: int) -> str:
    """``text`` cut to ``limit`` characters, the last one "…" when it was longer."""
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"
