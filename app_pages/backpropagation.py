"""Backpropagation (lesson 1.3.1–1.3.8): the 2-4-1 network node by node (1), the loss (4), and one batch
derived as the lesson derives it, equations (5)–(27), with the real numbers — and the update that lowers
the loss."""

import copy

import numpy as np
import streamlit as st

from nnviz.core.activations import ACTIVATIONS, HIDDEN_ACTIVATIONS
from nnviz.core.gradcheck import gradient_check
from nnviz.core.losses import one_weight_landscape
from nnviz.lesson.equations import EQUATIONS, UPDATE_RULE, fitted_value, latex_matrix
from nnviz.lesson.walkthrough import PHASES, derivation, gradient_shapes, lesson_batch, lesson_network, node_by_node
from nnviz.viz import charts
from nnviz.viz.charts import PLOTLY_CONFIG
from ui.common import HALF_WIDTH_EM, header, presentation_mode

PARTS = ["1.3.1 · Node by node (1)", "1.3.2 · The loss (4)", "1.3.3–1.3.8 · The derivation (5)–(27)"]


def settings_row():
    """The part of the lesson, and the settings (their defaults are the lesson's) folded into a popover, so that a
    step, its live values and the buttons share one screen."""
    ss = st.session_state
    row = st.container(horizontal=True, vertical_alignment="center", gap="small")
    part = row.segmented_control("Part of the lesson", PARTS, key="bp_part", default=PARTS[2], required=True,
                                 label_visibility="collapsed")
    summary = (f"m = {ss.get('bp_m', 4)} · seed {ss.get('bp_seed', 0)} · "
               f"{ACTIVATIONS[ss.get('bp_act', 'tanh')].label} · α = {ss.get('bp_lr', 1.0):g}")
    with row.popover(summary, icon=":material/tune:", width="content"):
        st.slider("Batch size m", 4, 8, 4, key="bp_m")
        st.number_input("Seed of the initial weights", 0, 10_000, 0, key="bp_seed")
        st.selectbox("Hidden activation", HIDDEN_ACTIVATIONS, index=HIDDEN_ACTIVATIONS.index("tanh"),
                     format_func=lambda a: ACTIVATIONS[a].label + (" (the lesson's)" if a == "tanh" else ""),
                     key="bp_act")
        st.select_slider("Learning rate α (for the update)", [0.01, 0.1, 0.3, 1.0, 3.0], value=1.0, key="bp_lr")
    return part


def the_model():
    """The session's 2-4-1 network: a fresh one whenever the batch size, seed or activation changes."""
    ss = st.session_state
    config = (ss.bp_m, ss.bp_seed, ss.bp_act)
    if ss.get("bp_config") != config:
        ss.bp_config = config
        ss.bp_model = lesson_network(seed=int(ss.bp_seed), activation=ss.bp_act)
        ss.bp_shown = 1
        ss.bp_losses = []
    return ss.bp_model


def node_by_node_part(model, X, present: bool):
    """1.3.1, equation (1): one hidden node's weighted sum and activation, then the four stacked."""
    m = X.shape[1]
    st.markdown("Each hidden node of the lesson's 2-4-1 network takes the two inputs, weighs each, adds its "
                "bias and applies the activation f. Pick a node and a sample to see the numbers.")
    left, right = st.columns([2, 3], gap="large")
    with left:
        node = st.radio("Hidden node i", [1, 2, 3, 4], horizontal=True, key="bp_node")
        sample = st.radio("Sample x (a column of the batch)", list(range(1, m + 1)), horizontal=True,
                          index=3, key="bp_sample", format_func=lambda j: f"x⁽{j}⁾") or 4
        view = node_by_node(model, X[:, min(sample, m) - 1], node)
        values = np.r_[X[:, min(sample, m) - 1], view.A1.ravel(), view.A2]
        st.plotly_chart(charts.network_figure([model.params["W1"], model.params["W2"]], node_values=values,
                                              presentation=present), config=PLOTLY_CONFIG)
        st.caption(f"Node colours: the values for x⁽{sample}⁾ = ({view.x[0, 0]:g}, {view.x[1, 0]:g}), on the "
                   "scale at the right. Line width: the weight's size; orange positive, blue negative.")
    with right:
        st.markdown(f"**Node {node}**, the lesson's $z_i$ and $a_i$ (f = {ACTIVATIONS[model.activation].label}):")
        st.latex(view.node_latex)
        st.markdown("Then the output node, with its own weights $W^{[2]}$:")
        st.latex(view.output_latex)
    st.markdown("**All four nodes at once**: row i of $W^{[1]}$ holds node i's weights — equation (1), the "
                "lesson's stacked form, and with this sample's numbers:")
    left, right = st.columns([2, 3], gap="large")
    left.latex(EQUATIONS[1].tagged)
    right.latex(view.stacked_latex)
    st.caption("Shapes for one sample (the lesson's list): W[1] 4×2 (row i: node i's weights) · B[1] 4×1 · Z[1] and "
               "A[1] 4×1 · W[2] 1×4 · Z[2] and A[2] 1×1, a single value. The slopes of tanh and σ, equations (2) "
               "and (3), are on the Activation functions page.")


def loss_part(present: bool):
    """1.3.2, equation (4): the cross-entropy of one sample, and why not least squares."""
    c1, c2 = st.columns(2, gap="large")
    with c1:
        st.latex(EQUATIONS[4].tagged)
        st.markdown("When the label is 1 the loss is −log ŷ: zero for a confident right answer, growing without "
                    "bound as ŷ → 0. When the label is 0 it is the mirror image, −log(1 − ŷ). For a batch the "
                    "lesson averages it (1.3.3):")
        st.latex(EQUATIONS[4].code)
        st.plotly_chart(charts.log_loss_figure(presentation=present), config=PLOTLY_CONFIG)
    with c2:
        w = np.linspace(-10, 10, 401)
        mse, bce = one_weight_landscape(w)
        st.markdown("**Why not least squares?** Take the simplest model, ŷ = σ(w·x), and plot its loss against "
                    "its one weight. After a sigmoid, the squared error flattens out on both sides — not convex, "
                    "with slopes near zero far from the answer — while cross-entropy stays convex, and steep "
                    "where the model is wrong.")
        st.plotly_chart(charts.landscape_figure(w, mse, bce, presentation=present), config=PLOTLY_CONFIG)


def show_step(step, digits: int, max_em: float, *, heading: bool = True, current: bool = False):
    """One step of the derivation: the equation (the lesson's form, the code's form, where the lesson differs) on
    the left, the batch's live values on the right. ``current``: the step Next just revealed (its boxes keyed)."""
    key = (lambda name: f"bp_{name}") if current else (lambda name: None)
    eq, live = st.container(key=key("step")).columns([11, 10], gap="medium")
    with eq.container(key=key("equation")):
        if heading:
            st.markdown(f"**{PHASES[step.phase]}**")
        st.latex(step.latex)
        st.caption(step.meaning)
        if step.code:
            st.latex(step.code)
            st.caption(f"**The code's form.** {step.relation}")
        if step.differs:
            st.caption(f":orange[:material/rule: **Where the lesson differs.**] {step.differs}")
        for note in step.notes:
            st.caption(f":blue[:material/info:] {note}")
    with live.container(key=key("values")):
        for symbol, value in step.values:
            st.latex(fitted_value(symbol, value, digits, max_em))
        st.caption("Live, on this batch — shapes " + ", ".join(step.shapes) + (f". {step.check}" if step.check else ""))


def derivation_part(model, X, Y, lr: float, digits: int, present: bool):
    """1.3.3–1.3.8: the lesson's equations (5)–(27) one step at a time on the batch, then the shapes, the gradient
    check and the update."""
    ss = st.session_state
    walk = derivation(model, X, Y, lr)
    n_steps = len(walk)
    if not ss.bp_losses:
        ss.bp_losses = [model.loss(X, Y)]

    def advance(delta: int):
        ss.bp_shown = int(np.clip(ss.bp_shown + delta, 1, n_steps))
        ss.bp_every = False

    def show_all():
        ss.bp_shown, ss.bp_every = n_steps, True

    b = st.columns([1, 1, 1, 1, 2], vertical_alignment="center")
    b[0].button("Previous", key="bp_prev", on_click=advance, args=(-1,), icon=":material/skip_previous:",
                disabled=ss.bp_shown <= 1, width="stretch")
    b[1].button("Next", key="bp_next", on_click=advance, args=(1,), icon=":material/skip_next:", type="primary",
                disabled=ss.bp_shown >= n_steps, width="stretch")
    b[2].button("Show all", key="bp_all", on_click=show_all, width="stretch")
    b[3].button("Start over", key="bp_restart", on_click=advance, args=(-n_steps,), width="stretch")
    shown = ss.bp_shown
    current = walk[shown - 1]
    b[4].markdown(f"**Step {shown} of {n_steps}** · " + (f"equation ({current.number})" if current.number else
                                                          "the batch"))
    if ss.get("bp_every"):
        phase = None
        for step in walk:
            show_step(step, digits, HALF_WIDTH_EM[present], heading=step.phase != phase)
            phase = step.phase
    else:
        show_step(current, digits, HALF_WIDTH_EM[present], current=True)  # right under the buttons
        if shown > 1:
            with st.expander(f"The {shown - 1} step{'s' if shown > 2 else ''} before", expanded=False):
                for k in range(shown - 2, -1, -1):
                    show_step(walk[k], digits, 0.8 * HALF_WIDTH_EM[present])  # an expander's columns are narrower
    if shown == n_steps:
        shapes_and_check(model, X, Y)
        update_part(model, X, Y, lr, digits, present)


def shapes_and_check(model, X, Y):
    m = X.shape[1]
    st.markdown("#### The shapes (end of 1.3.8)")
    st.markdown(f"With the lesson's names for the layer sizes — $n_x$ = {model.n_input} inputs, $n_h$ = "
                f"{model.n_hidden} hidden units, $n_y$ = {model.n_output} output — and a batch of m = {m}:")
    st.dataframe([{"array": line.symbols.replace(r"\ ", " ").replace("^{[", "[").replace("]}", "]"),
                   "shape (lesson)": line.names, "shape here": f"({line.shape[0]}, {line.shape[1]})"}
                  for line in gradient_shapes(model, m)], hide_index=True)
    st.markdown("#### Gradient check")
    check = gradient_check(copy.deepcopy(model), X, Y)
    st.dataframe([{"parameter": p.name, "shape": "×".join(map(str, p.shape)),
                   "analytic (first entries)": ", ".join(f"{v:+.6f}" for v in p.analytic[:4]),
                   "numeric (first entries)": ", ".join(f"{v:+.6f}" for v in p.numeric[:4]),
                   "relative error": f"{p.rel_error:.1e}"} for p in check.params], hide_index=True)
    (st.success if check.passed else st.error)(
        f"Backpropagation agrees with central differences: largest relative error {check.max_rel_error:.1e}."
        if check.passed else f"Mismatch: largest relative error {check.max_rel_error:.1e}.")


def update_part(model, X, Y, lr: float, digits: int, present: bool):
    """(7) and (8) applied: press, and the loss on the batch goes down (or, with a large α, up)."""
    st.markdown("#### Apply the update")

    def apply_update():
        model.update_weights(lr)
        st.session_state.bp_losses.append(model.loss(X, Y))

    c1, c2 = st.columns([2, 3])
    losses = st.session_state.bp_losses
    with c1:
        st.latex(UPDATE_RULE)
        st.caption(f"(7) and (8) with the learning rate α = {lr:g}, for all four arrays at once.")
        st.button("Apply the update", key="bp_apply", on_click=apply_update, icon=":material/south:", type="primary")
        if len(losses) > 1:
            st.metric("Loss on this batch", f"{losses[-1]:.4f}", f"{losses[-1] - losses[-2]:+.4f} after the last update",
                      delta_color="inverse")
        else:
            st.metric("Loss on this batch", f"{losses[-1]:.4f}")
    with c2:
        st.plotly_chart(charts.loss_after_updates_figure(losses, presentation=present), config=PLOTLY_CONFIG)
        st.caption("Press the button again and again: with a sensible α the loss goes down (the axis spans "
                   "the values, so small steps show). Try α = 3. Each press recomputes every step above.")
    w1, w2 = st.columns(2)  # each weight matrix in half the width: a narrow column once cut W₂ after "W₂ = [−"
    w1.latex(rf"W^{{[1]}} = {latex_matrix(model.params['W1'], digits=digits)}")
    w2.latex(rf"W^{{[2]}} = {latex_matrix(model.params['W2'], digits=digits)}")


def main():
    present = presentation_mode()
    header("backpropagation", "the 2-4-1 network node by node, the loss, then the lesson's derivation "
           "(5)–(27) step by step on a real batch.")
    part = settings_row()
    model = the_model()
    X, Y = lesson_batch(st.session_state.bp_m)
    digits = 2 if present else 3
    if part == PARTS[0]:
        node_by_node_part(model, X, present)
    elif part == PARTS[1]:
        loss_part(present)
    else:
        derivation_part(model, X, Y, float(st.session_state.bp_lr), digits, present)


main()
