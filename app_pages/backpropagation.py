"""Backpropagation (lesson 1.3.1–1.3.8): the 2-4-1 network node by node (1), the loss (4), and one batch
derived as the lesson derives it, equations (5)–(27), with the real numbers — and the update that lowers
the loss."""

import copy

import numpy as np
import streamlit as st

from nnviz import charts
from nnviz.activations import ACTIVATIONS, HIDDEN_ACTIVATIONS
from nnviz.charts import PLOTLY_CONFIG
from nnviz.equations import EQUATIONS, latex_matrix
from nnviz.gradcheck import gradient_check
from nnviz.losses import one_weight_landscape
from nnviz.sections import section_label
from nnviz.walkthrough import PHASES, derivation, gradient_shapes, lesson_batch, lesson_network, node_by_node
from ui.common import header, presentation_mode

present = presentation_mode()
header("Backpropagation", section_label("backpropagation"),
       "the 2-4-1 network node by node, the loss, then the lesson's derivation (5)–(27) step by step on a real batch.")

PARTS = ["1.3.1 · Node by node (1)", "1.3.2 · The loss (4)", "1.3.3–1.3.8 · The derivation (5)–(27)"]
part = st.segmented_control("Part of the lesson", PARTS, key="bp_part", default=PARTS[2], required=True,
                            label_visibility="collapsed")

# the settings fold away (their defaults are the lesson's), so that on a phone the step shows without scrolling
ss = st.session_state
summary = (f"Batch m = {ss.get('bp_m', 4)} · seed {ss.get('bp_seed', 0)} · "
           f"{ACTIVATIONS[ss.get('bp_act', 'tanh')].label} · α = {ss.get('bp_lr', 1.0):g}")
settings = st.expander(f"Settings: {summary}", icon=":material/tune:")
c1, c2, c3, c4 = settings.columns(4)
m = c1.slider("Batch size m", 4, 8, 4, key="bp_m")
seed = c2.number_input("Seed of the initial weights", 0, 10_000, 0, key="bp_seed")
activation = c3.selectbox("Hidden activation", HIDDEN_ACTIVATIONS, index=HIDDEN_ACTIVATIONS.index("tanh"),
                          format_func=lambda a: ACTIVATIONS[a].label + (" (the lesson's)" if a == "tanh" else ""),
                          key="bp_act")
lr = c4.select_slider("Learning rate α (for the update)", [0.01, 0.1, 0.3, 1.0, 3.0], value=1.0, key="bp_lr")

if st.session_state.get("bp_config") != (m, seed, activation):
    st.session_state.bp_config = (m, seed, activation)
    st.session_state.bp_model = lesson_network(seed=int(seed), activation=activation)
    st.session_state.bp_shown = 1
    st.session_state.bp_losses = []

model = st.session_state.bp_model
X, Y = lesson_batch(m)
digits = 2 if present else 3


# ----------------------------------------------------------------------------- 1.3.1: equation (1)

if part == PARTS[0]:
    st.markdown("Each hidden node of the lesson's 2-4-1 network takes the two inputs, weighs each, adds its "
                "bias and applies the activation f. Pick a node and a sample to see the numbers.")
    left, right = st.columns([2, 3], gap="large")
    with left:
        node = st.radio("Hidden node i", [1, 2, 3, 4], horizontal=True, key="bp_node")
        sample = st.radio("Sample x (a column of the batch)", list(range(1, m + 1)), horizontal=True,
                          index=3, key="bp_sample", format_func=lambda j: f"x⁽{j}⁾") or 4
        view = node_by_node(model, X[:, min(sample, m) - 1], node)
        values = np.r_[X[:, min(sample, m) - 1], view.A1.ravel(), view.A2]
        st.plotly_chart(charts.network_figure([model.params["W1"], model.params["W2"]], node_values=np.clip(values, -1, 1),
                                              presentation=present), config=PLOTLY_CONFIG)
        st.caption(f"Node colours: the values for x⁽{sample}⁾ = ({view.x[0, 0]:g}, {view.x[1, 0]:g}). "
                   "Line width: the weight's size; orange positive, blue negative.")
    with right:
        st.markdown(f"**Node {node}**, the lesson's $z_i$ and $a_i$ (f = {ACTIVATIONS[activation].label}):")
        st.latex(view.node_latex)
        st.markdown("**All four nodes at once**: row i of $W^{[1]}$ holds node i's weights — equation (1), "
                    "the lesson's stacked form:")
        st.latex(EQUATIONS[1].tagged)
        st.latex(view.stacked_latex)
        st.markdown("Then the output node, with its own weights $W^{[2]}$:")
        st.latex(rf"A^{{[1]}} = {ACTIVATIONS[activation].symbol}(Z^{{[1]}}),\quad Z^{{[2]}} = W^{{[2]}}A^{{[1]}} + "
                 rf"B^{{[2]}} = {view.Z2:.3f},\quad \hat{{y}} = \sigma(Z^{{[2]}}) = {view.A2:.3f}")
        st.markdown("**Shapes for one sample** (the lesson's list): $W^{[1]}$ 4×2 (row i: node i's weights) · "
                    "$B^{[1]}$ 4×1 · $Z^{[1]}$ and $A^{[1]}$ 4×1 · $W^{[2]}$ 1×4 · $Z^{[2]}$ and $A^{[2]}$ 1×1, "
                    "a single value. The slopes of tanh and σ, equations (2) and (3), are on the "
                    "**Activation functions** page.")

# ----------------------------------------------------------------------------- 1.3.2: equation (4)

elif part == PARTS[1]:
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

# ----------------------------------------------------------------------------- 1.3.3–1.3.8: (5)–(27)

else:
    walk = derivation(model, X, Y, lr)
    n_steps = len(walk)
    if not st.session_state.bp_losses:
        st.session_state.bp_losses = [model.loss(X, Y)]

    def advance(delta: int):
        st.session_state.bp_shown = int(np.clip(st.session_state.bp_shown + delta, 1, n_steps))

    b = st.columns([1, 1, 1, 1, 2])
    b[0].button("Previous", key="bp_prev", on_click=advance, args=(-1,), icon=":material/skip_previous:",
                disabled=st.session_state.bp_shown <= 1, width="stretch")
    b[1].button("Next", key="bp_next", on_click=advance, args=(1,), icon=":material/skip_next:", type="primary",
                disabled=st.session_state.bp_shown >= n_steps, width="stretch")
    b[2].button("Show all", key="bp_all", on_click=advance, args=(n_steps,), width="stretch")
    b[3].button("Start over", key="bp_restart", on_click=advance, args=(-n_steps,), width="stretch")
    shown = st.session_state.bp_shown
    current = walk[shown - 1]
    b[4].markdown(f"**Step {shown} of {n_steps}** · " + (f"equation ({current.number})" if current.number else
                                                          "the batch"))

    width_px = 1180 if present else 860  # the main column at 1280×720 (the sidebar is folded away in presentation)

    def show_step(step, *, first_of_phase: bool):
        if first_of_phase:
            st.markdown(f"#### {PHASES[step.phase]}")
        st.latex(step.latex)
        st.caption(step.meaning)
        if step.code:
            st.latex(step.code)
            st.caption(f"**The code's form.** {step.relation}")
        if step.differs:
            st.warning(f"**Where the lesson differs.** {step.differs}", icon=":material/rule:")
        for note in step.notes:
            st.info(note, icon=":material/info:")
        # the live values side by side when they fit the width, else one under the other
        cols = [np.atleast_2d(v).shape[1] for _, v in step.values]
        wide = sum((230 + 72 * min(c, 8)) if present else (200 + 60 * min(c, 8)) for c in cols) > width_px
        for (symbol, value), slot in zip(step.values, [st.container()] * len(cols) if wide else st.columns(len(cols)),
                                         strict=True):
            slot.latex(rf"{symbol} = {latex_matrix(value, digits=digits)}")
        st.caption("Live, on this batch — shapes " + ", ".join(step.shapes) + (f". {step.check}" if step.check else ""))

    if shown < n_steps:
        # the step just revealed sits right under the buttons; the ones before it follow, newest first
        show_step(current, first_of_phase=True)
        if shown > 1:
            with st.expander(f"The {shown - 1} step{'s' if shown > 2 else ''} before", expanded=False):
                for k in range(shown - 2, -1, -1):
                    show_step(walk[k], first_of_phase=True)
    else:
        phase = None
        for step in walk:
            show_step(step, first_of_phase=step.phase != phase)
            phase = step.phase

        st.markdown("#### The shapes (end of 1.3.8)")
        n_x, n_h, n_y = model.n_input, model.n_hidden, model.n_output
        st.markdown(f"With the lesson's names for the layer sizes — $n_x$ = {n_x} inputs, $n_h$ = {n_h} hidden "
                    f"units, $n_y$ = {n_y} output — and a batch of m = {m}:")
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

        st.markdown("#### Apply the update")

        def apply_update():
            model.update_weights(lr)
            st.session_state.bp_losses.append(model.loss(X, Y))

        c1, c2 = st.columns([2, 3])
        losses = st.session_state.bp_losses
        with c1:
            st.latex(r"W \leftarrow W - \alpha\,dW,\quad b \leftarrow b - \alpha\,db")
            st.caption(f"(7) and (8) with the learning rate α = {lr:g}, for all four arrays at once.")
            st.button("Apply the update", key="bp_apply", on_click=apply_update, icon=":material/south:",
                      type="primary")
            if len(losses) > 1:
                change = losses[-1] - losses[-2]
                st.metric("Loss on this batch", f"{losses[-1]:.4f}", f"{change:+.4f} after the last update",
                          delta_color="inverse")
            else:
                st.metric("Loss on this batch", f"{losses[-1]:.4f}")
        with c2:
            st.plotly_chart(charts.loss_after_updates_figure(losses, presentation=present), config=PLOTLY_CONFIG)
            st.caption("Press the button again and again: with a sensible α the loss goes down (the axis spans "
                       "the values, so small steps show). Try α = 3. Each press recomputes every step above.")
        # the weights after the updates, each in half the width (a narrow column once cut W₂ after "W₂ = [−")
        w1, w2 = st.columns(2)
        w1.latex(rf"W^{{[1]}} = {latex_matrix(model.params['W1'], digits=digits)}")
        w2.latex(rf"W^{{[2]}} = {latex_matrix(model.params['W2'], digits=digits)}")
