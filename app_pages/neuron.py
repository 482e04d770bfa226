"""The neuron (lesson 1.2): McCulloch and Pitts' threshold unit builds AND, OR and NOT — and not XOR."""

import numpy as np
import streamlit as st

from nnviz.core.settings import to_query
from nnviz.lesson.neuron import (
    INPUTS,
    PRESETS,
    TARGETS,
    XOR_RUN,
    best_single_neuron,
    boundary_segment,
    fire,
    smooth_unit,
    truth_table,
    xor_from_gates,
)
from nnviz.viz import charts
from nnviz.viz.charts import PLOTLY_CONFIG
from ui.common import header, presentation_mode

KNOBS = (("nr_w1", 1.0), ("nr_w2", 1.0), ("nr_theta", 1.5), ("nr_goal", "AND"))  # the AND gate to start


def use_preset(name: str):
    w1, w2, theta = PRESETS[name]
    st.session_state.update(nr_w1=w1, nr_w2=w2, nr_theta=theta, nr_goal=name)


def gate_section(present: bool):
    """Weights, threshold and a gate to compare with: the truth table and the neuron's line on the square."""
    left, right = st.columns([2, 3], gap="large")
    with left:
        st.markdown("**Presets** — or find the weights yourself:")
        cols = st.columns(2)  # two by two: four in a row cut "NOT x1" to "NO…" at 1280×720
        for k, name in enumerate(PRESETS):
            cols[k % 2].button(name, key=f"nr_preset_{name}", on_click=use_preset, args=(name,), width="stretch")
        st.slider("Weight w₁", -2.0, 2.0, step=0.1, key="nr_w1")
        st.slider("Weight w₂", -2.0, 2.0, step=0.1, key="nr_w2")
        st.slider("Threshold θ", -2.5, 2.5, step=0.1, key="nr_theta")
        goal = st.selectbox("Compare with the truth table of", list(TARGETS), key="nr_goal")
    w1, w2, theta = st.session_state.nr_w1, st.session_state.nr_w2, st.session_state.nr_theta
    rows = truth_table(w1, w2, theta, goal)
    outputs = [r.output for r in rows]
    right_count = sum(r.output == r.target for r in rows)
    with left:
        # a static table: it takes the width it needs, so no column is cut off in a narrow column
        st.table([{"x₁": r.x1, "x₂": r.x2, "sum": f"{r.weighted_sum:g}", "y": r.output, goal: r.target,
                   "match": "✓" if r.output == r.target else "✗"} for r in rows], hide_index=True)
        if right_count == 4:
            st.success(f"This neuron computes **{goal}**: all 4 rows right.", icon=":material/check_circle:")
        else:
            st.info(f"{right_count} of 4 rows match {goal}. "
                    + ("No single neuron gets all four — see below." if goal == "XOR" else
                       "Move the line: the neuron fires on the shaded side."), icon=":material/info:")
    with right:
        st.markdown("**The neuron, part by part** (the lesson's 1.2: inputs, weights, sum, threshold, output):")
        pair = st.radio("Trace the input", range(4), horizontal=True, key="nr_trace",
                        format_func=lambda k: f"({int(INPUTS[k, 0])}, {int(INPUTS[k, 1])})")
        st.plotly_chart(charts.mcculloch_pitts_figure(w1, w2, theta, INPUTS[pair], presentation=present),
                        config=PLOTLY_CONFIG)
        fig = charts.neuron_plane_figure(w1, w2, theta, INPUTS, outputs, boundary_segment(w1, w2, theta),
                                         TARGETS[goal], presentation=present,
                                         title=f"The line w₁x₁ + w₂x₂ = θ: {w1:g}·x₁ + {w2:g}·x₂ = {theta:g}")
        st.plotly_chart(fig, config=PLOTLY_CONFIG)
        st.caption("Each input pair is a corner of the square; its colour is the neuron's output (red ring: "
                   "differs from the chosen gate). Orange side: the neuron fires.")
    return w1, w2, theta, outputs


def xor_section(present: bool):
    """The best single neuron on XOR gets 3 of 4; two gates and a third combine into XOR."""
    st.subheader("Why XOR needs a hidden layer")
    best = best_single_neuron("XOR")
    c1, c2 = st.columns(2, gap="large")
    with c1:
        st.markdown(
            f"XOR fires when exactly one input is 1: (0,1) and (1,0) on one side, (0,0) and (1,1) on the other. "
            f"No straight line splits the square's corners that way. Trying every weight and threshold from −2 to "
            f"2 in steps of 0.25 — **{best.tried:,} neurons** — the best gets **{best.correct} of 4** rows right "
            f"(for example w₁ = {best.w1:g}, w₂ = {best.w2:g}, θ = {best.threshold:g})."
        )
        st.markdown("A **hidden layer** fixes it: two neurons draw two lines, and a third combines them — "
                    "x₁ XOR x₂ = AND(OR(x₁, x₂), NAND(x₁, x₂)).")
        layers = xor_from_gates()
        st.table([{"x₁": int(x[0]), "x₂": int(x[1]), **{k: int(v[i]) for k, v in layers.items()},
                   "XOR": TARGETS["XOR"][i]} for i, x in enumerate(INPUTS)], hide_index=True)
        st.page_link("app_pages/shallow_network.py", label="Train a network with a hidden layer on XOR",
                     icon=":material/hub:", query_params=to_query(XOR_RUN))
    with c2:
        fig = charts.neuron_plane_figure(best.w1, best.w2, best.threshold, INPUTS,
                                         fire(INPUTS, best.w1, best.w2, best.threshold),
                                         boundary_segment(best.w1, best.w2, best.threshold),
                                         TARGETS["XOR"], presentation=present,
                                         title=f"The best single neuron on XOR: {best.correct} of 4")
        st.plotly_chart(fig, config=PLOTLY_CONFIG)


def smooth_section(present: bool, w1: float, w2: float, theta: float, outputs: list[int]):
    """The same weights through a smooth activation: the slope gradient descent needs."""
    st.subheader("From a threshold to a slope")
    c1, c2 = st.columns([2, 3], gap="large")
    with c1:
        st.markdown(
            "Replace the step by a smooth activation and the same neuron outputs a number between 0 and 1 that "
            "changes a little when a weight changes a little. That slope is what gradient descent follows; the "
            "step has none (its derivative is 0 everywhere except at the jump)."
        )
        activation = st.radio("Activation", ["sigmoid", "tanh"], horizontal=True, key="nr_smooth_act",
                              format_func={"sigmoid": "sigmoid σ", "tanh": "tanh, rescaled to 0…1"}.get)
        steepness = st.slider("Steepness k", 0.5, 20.0, 3.0, step=0.5, key="nr_k",
                              help="g(k·(w·x − θ)): the larger k, the closer to the step.")
        st.latex(r"y = \sigma\big(k\,(w_1 x_1 + w_2 x_2 - \theta)\big)" if activation == "sigmoid"
                 else r"y = \tfrac{1}{2}\big(1 + \tanh(k\,(w_1 x_1 + w_2 x_2 - \theta))\big)")
        corners = smooth_unit(INPUTS, w1, w2, theta, activation, steepness)
        st.table([{"x₁": int(x[0]), "x₂": int(x[1]), "step": o, "smooth": f"{float(v):.3f}"}
                  for x, o, v in zip(INPUTS, outputs, corners, strict=True)], hide_index=True)
    xs = np.linspace(-0.5, 1.5, 81)
    gx, gy = np.meshgrid(xs, xs)
    values = smooth_unit(np.column_stack([gx.ravel(), gy.ravel()]), w1, w2, theta, activation, steepness)
    with c2:
        fig = charts.neuron_plane_figure(w1, w2, theta, INPUTS, outputs, boundary_segment(w1, w2, theta), None,
                                         smooth_grid=(xs, xs, values.reshape(xs.size, xs.size)),
                                         presentation=present, title=f"The same weights, smooth (k = {steepness:g})")
        st.plotly_chart(fig, config=PLOTLY_CONFIG)


def main():
    present = presentation_mode()
    header("neuron", "set the weights and the threshold of a McCulloch–Pitts neuron and build logic gates.")
    st.markdown(
        "A McCulloch–Pitts neuron adds up its binary inputs, each times a **weight**, and **fires** (outputs 1) "
        "when the sum reaches its **threshold** θ:  "
    )
    st.latex(r"y = \begin{cases} 1 & w_1 x_1 + w_2 x_2 \ge \theta \\ 0 & \text{otherwise} \end{cases}")
    for key, value in KNOBS:
        st.session_state.setdefault(key, value)
    w1, w2, theta, outputs = gate_section(present)
    st.divider()
    xor_section(present)
    st.divider()
    smooth_section(present, w1, w2, theta, outputs)


main()
