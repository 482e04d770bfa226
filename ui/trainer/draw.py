""""Draw your own": the plane a class clicks points onto, above the trainer. The points are a setting
(``pts=`` in the link, ``nnviz.core.drawn_data``'s form), so a drawn set is shared and reproduced like any other;
each click that changes them makes a new run, as any change of the data does."""

from __future__ import annotations

import streamlit as st

from nnviz.core.datasets import MAX_2D_CLASSES
from nnviz.core.drawn_data import KINDS, MAX_POINTS, Drawing, add_point, decode, encode, remove_point
from nnviz.viz.draw_plane import clicks, draw_spec, drawing_chart
from ui.common import presentation_mode
from ui.trainer.session import state, widget

KIND_LABELS = {"classes": "classes", "regression": "values"}


def current_drawing() -> Drawing:
    text = st.session_state.get(widget("points")) or ""
    kind = st.session_state.get(widget("draw_kind")) or "classes"
    return decode(text) if text else Drawing.empty(kind)


def _set(drawing: Drawing):
    st.session_state[widget("points")] = encode(drawing) if len(drawing) else ""


def _clear():
    _set(Drawing.empty(st.session_state.get(widget("draw_kind")) or "classes"))


def _kind_changed():
    _clear()  # a drawing holds classes or values, not both


def draw_panel(problem_text: str | None):
    """The plane, what a click adds (a class, or a value), Clear, and how many points there are. ``problem_text``:
    why the drawing cannot train yet (too few points, one class), said under it."""
    present = presentation_mode()
    drawing = current_drawing()
    if widget("draw_kind") not in st.session_state:
        st.session_state[widget("draw_kind")] = drawing.kind
    s = state()
    left, right = st.columns([1, 2] if not present else [1, 3], gap="medium")
    with left:
        st.segmented_control("Draw", list(KINDS), key=widget("draw_kind"), required=True,
                             format_func=KIND_LABELS.get, on_change=_kind_changed,
                             help="Points of a class (a classification) or points with a value (a regression).")
        if st.session_state[widget("draw_kind")] == "classes":
            label = st.segmented_control("Class of the next point", list(range(MAX_2D_CLASSES)), required=True,
                                         key=widget("draw_class"), default=0, wrap=True)  # 6 in a narrow column
        else:
            label = st.slider("Value of the next point", -1.0, 1.0, 0.5, step=0.25, key=widget("draw_value"))
        st.button("Clear", key=widget("draw_clear"), on_click=_clear, icon=":material/delete:", width="stretch")
        st.caption(f"{len(drawing)} of at most {MAX_POINTS} points. Click the plane to add one; shift-click removes "
                   "the nearest.")
    with right:
        spec = draw_spec(drawing.kind, presentation=present, height=300 if not present else 330)
        event = st.vega_lite_chart(drawing_chart(spec, drawing, s.draw_turn), theme=None, key=widget("draw_plane"),
                                   on_select="rerun", selection_mode=["add", "remove"])
        if problem_text:
            st.info(problem_text, icon=":material/draw:")
    todo = clicks(getattr(event, "selection", None) or (event or {}).get("selection"), s.draw_turn)
    if todo:
        for action, x1, x2 in todo:
            try:
                drawing = (add_point(drawing, x1, x2, label) if action == "add" else remove_point(drawing, x1, x2))
            except ValueError as err:  # the most points a link carries, or a label out of range
                st.warning(str(err))
                break
        s.draw_turn += 1
        _set(drawing)
        st.rerun()
