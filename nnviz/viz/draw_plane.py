"""The plane a class draws on (``nnviz.core.drawn_data`` holds the points): a Vega-Lite spec that stays the same while
points come and go, a grid of clickable cells under them, and what a click asks for."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from nnviz.core.datasets import MAX_2D_CLASSES
from nnviz.core.drawn_data import DRAW_CELLS, KINDS, PLANE, Drawing
from nnviz.core.validation import check_int
from nnviz.viz.live_chart import vega_spec
from nnviz.viz.maps import Grid
from nnviz.viz.theme import CLASS_PALETTE, PROBABILITY_SCALE, style


def plane_grid(resolution: int = 60) -> Grid:
    """A grid over the whole drawing plane (the boundary and unit maps of a drawn set cover the plane, not only
    where the points happen to be)."""
    resolution = check_int("resolution", resolution, minimum=2, maximum=400)
    xs = np.linspace(PLANE[0], PLANE[1], resolution)
    gx, gy = np.meshgrid(xs, xs)
    return Grid(xs, xs.copy(), np.vstack([gx.ravel(), gy.ravel()]))


#: a value's colour: the Playground's, blue for −1, white for 0, orange for +1 (clamped beyond)
VALUES = {"domain": [-1, 0, 1], "range": [c for _, c in PROBABILITY_SCALE], "interpolate": "rgb", "clamp": True}
CLASSES = {"domain": list(range(MAX_2D_CLASSES)), "range": list(CLASS_PALETTE)}
#: both selections return the clicked cell's centre and the turn it was clicked in (see ``clicks``)
SELECTIONS = ("add", "remove")


def draw_spec(kind: str = "classes", *, presentation: bool = False, height: int | None = None) -> dict:
    """The plane to draw on, as a Vega-Lite spec that stays the same while points come and go (they are the
    datasets of ``draw_data``): the points, coloured by class or value, under a grid of transparent cells.

    A click on a cell selects it in the point selection "add", a shift-click in "remove"; each holds the cell's
    centre and the drawing's turn: with ``st.vega_lite_chart(spec, on_select="rerun", selection_mode=["add",
    "remove"], key=…)`` the event's ``selection`` is ``{"add": [{"x1": …, "x2": …, "turn": …}], "remove": […]}``
    (an empty list or {} when nothing is selected). ``clicks`` turns it into what to do."""
    if kind not in KINDS:
        raise ValueError(f"a drawing holds classes or regression values, got kind {kind!r}")
    s = style(presentation)
    lo, hi = PLANE
    cell = (hi - lo) / DRAW_CELLS
    scale = {"domain": [lo, hi], "zero": False, "nice": False}
    axis = {"values": [-2, -1, 0, 1, 2], "format": "~r", "grid": True}
    colour = ({"field": "label", "type": "nominal", "scale": CLASSES,
               "legend": {"title": None, "orient": "top", "columns": (MAX_2D_CLASSES + 1) // 2,  # two rows fit a column
                          "labelExpr": "'class ' + datum.label"}}
              if kind == "classes" else
              {"field": "label", "type": "quantitative", "scale": VALUES,
               "legend": {"title": "value", "orient": "right", "gradientLength": 120}})
    tooltip = [{"field": "x1", "format": ".3f"}, {"field": "x2", "format": ".3f"},
               {"field": "label", "title": "class" if kind == "classes" else "value",
                **({} if kind == "classes" else {"format": ".3f"})}]
    points = {
        "data": {"name": "points"},
        "mark": {"type": "circle", "stroke": "white", "strokeWidth": 1, "opacity": 1, "size": (s.marker + 5) ** 2},
        "encoding": {"x": {"field": "x1", "type": "quantitative", "scale": scale, "title": "x1", "axis": axis},
                     "y": {"field": "x2", "type": "quantitative", "scale": scale, "title": "x2", "axis": axis},
                     "color": colour, "tooltip": tooltip},
    }
    select = {"type": "point", "fields": ["x1", "x2", "turn"], "toggle": False, "clear": False}
    cells = {
        # the cells are generated in the browser, not sent: 1,024 rows that never change
        "data": {"sequence": {"start": 0, "stop": DRAW_CELLS * DRAW_CELLS, "as": "k"}},
        "transform": [
            {"calculate": f"{lo!r} + (datum.k % {DRAW_CELLS} + 0.5) * {cell!r}", "as": "x1"},
            {"calculate": f"{lo!r} + (floor(datum.k / {DRAW_CELLS}) + 0.5) * {cell!r}", "as": "x2"},
            {"calculate": f"datum.x1 - {cell / 2!r}", "as": "left"},
            {"calculate": f"datum.x1 + {cell / 2!r}", "as": "right"},
            {"calculate": f"datum.x2 - {cell / 2!r}", "as": "bottom"},
            {"calculate": f"datum.x2 + {cell / 2!r}", "as": "top"},
            {"calculate": "0", "as": "one"},
            {"lookup": "one", "from": {"data": {"name": "turn"}, "key": "one", "fields": ["turn"]}},
        ],
        "params": [
            {"name": "add", "select": {**select, "on": "click[!event.shiftKey]"}},
            {"name": "remove", "select": {**select, "on": "click[event.shiftKey]"}},
        ],
        # nearly transparent, not transparent: a mark with no opacity at all is never hit by a click
        "mark": {"type": "rect", "fill": "#212529", "fillOpacity": 0.002, "strokeWidth": 0, "cursor": "crosshair",
                 "tooltip": None},
        "encoding": {"x": {"field": "left", "type": "quantitative", "scale": scale},
                     "x2": {"field": "right"},
                     "y": {"field": "bottom", "type": "quantitative", "scale": scale},
                     "y2": {"field": "top"}},
    }
    return vega_spec([points, cells], {}, presentation, height if height is not None else s.height - 40,
                     usermeta={"embedOptions": {"renderer": "canvas"}})


def draw_data(drawing: Drawing, turn: int) -> dict[str, pa.Table]:
    """The datasets of ``draw_spec``: the points, and the page's ``turn`` — a number it raises after each click
    it has handled, so that a later click on the same cell is a new selection (and an old one is recognised)."""
    turn = check_int("turn", turn, minimum=0, maximum=2**31 - 1)
    label = drawing.y.astype(np.int8) if drawing.kind == "classes" else drawing.y
    return {"points": pa.table({"x1": drawing.X[:, 0], "x2": drawing.X[:, 1], "label": label}),
            "turn": pa.table({"one": np.zeros(1, np.int8), "turn": np.array([turn], np.int32)})}


def drawing_chart(spec: dict, drawing: Drawing, turn: int) -> dict:
    """``draw_spec`` with ``draw_data``: what a page passes to ``st.vega_lite_chart``."""
    return {**spec, "datasets": draw_data(drawing, turn)}


def clicks(selection, turn: int) -> list[tuple[str, float, float]]:
    """What the plane's selection asks for in this ``turn``: ("add" or "remove", x1, x2) for each selection made
    since the page last raised its turn (older ones, still held by the chart, are left out). ``selection`` is the
    event's ``selection`` (``event.selection``), or None."""
    out = []
    for action in SELECTIONS:
        entries = (selection or {}).get(action) or []
        for entry in entries if isinstance(entries, list) else []:
            try:
                x1, x2, t = float(entry["x1"]), float(entry["x2"]), entry["turn"]
            except (KeyError, TypeError, ValueError):
                continue
            if t == turn and PLANE[0] <= x1 <= PLANE[1] and PLANE[0] <= x2 <= PLANE[1]:
                out.append((action, x1, x2))
    return out
