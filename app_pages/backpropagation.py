"""Backpropagation (lessons 1.3.2–1.3.8): the loss, then one batch through the lesson's 2-4-1 network,
forward and backward, with the real matrices — and the update that lowers the loss."""

import copy

import numpy as np
import streamlit as st

from nnviz import charts
from nnviz.equations import latex_matrix
from nnviz.gradcheck import gradient_check
from nnviz.losses import one_weight_landscape
from nnviz.walkthrough import lesson_batch, lesson_network, steps
from ui.common import header, presentation_mode

present = presentation_mode()
header("Backpropagation", "1.3.2–1.3.8",
       "see the loss, then step one batch through the forward pass, the loss and every gradient.")

st.subheader("The loss: cross-entropy")
c1, c2 = st.columns(2, gap="large")
with c1:
    st.latex(r"L(\hat{y}, y) = -\big[\,y\log\hat{y} + (1 - y)\log(1 - \hat{y})\,\big]")
    st.markdown("When the label is 1 the loss is −log ŷ: zero for a confident right answer, growing without "
                "bound as ŷ → 0. When the label is 0 it is the mirror image, −log(1 − ŷ).")
    st.plotly_chart(charts.log_loss_figure(presentation=present), config={"displaylogo": False})
with c2:
    w = np.linspace(-10, 10, 401)
    mse, bce = one_weight_landscape(w)
    st.markdown("**Why not least squares?** Take the simplest model, ŷ = σ(w·x), and plot its loss against its "
                "one weight. After a sigmoid, the squared error flattens out on both sides — not convex, "
                "with slopes near zero far from the answer — while cross-entropy stays convex, and steep "
                "where the model is wrong.")
    st.plotly_chart(charts.landscape_figure(w, mse, bce, presentation=present), config={"displaylogo": False})

st.divider()
st.subheader("One batch through the 2-4-1 network")
st.markdown("Two inputs, four tanh hidden units, one sigmoid output — the lesson's network — on a batch of XOR "
            "samples. Press **Next** to compute one quantity at a time; each is the real matrix, samples in "
            "columns.")

c1, c2, c3 = st.columns(3)
m = c1.slider("Batch size m", 4, 8, 4, key="bp_m")
seed = c2.number_input("Seed of the initial weights", 0, 10_000, 0, key="bp_seed")
lr = c3.select_slider("Learning rate α (for the update)", [0.01, 0.1, 0.3, 1.0, 3.0], value=1.0, key="bp_lr")

if st.session_state.get("bp_config") != (m, seed):
    st.session_state.bp_config = (m, seed)
    st.session_state.bp_model = lesson_network(seed=int(seed))
    st.session_state.bp_shown = 1
    st.session_state.bp_losses = []

model = st.session_state.bp_model
X, Y = lesson_batch(m)
walk = steps(model, X, Y)
loss_now = float(walk[6].value[0, 0])
if not st.session_state.bp_losses:
    st.session_state.bp_losses = [loss_now]


def advance(delta: int):
    st.session_state.bp_shown = int(np.clip(st.session_state.bp_shown + delta, 1, len(walk)))


b = st.columns(4)
b[0].button("Previous", key="bp_prev", on_click=advance, args=(-1,), icon=":material/skip_previous:",
            disabled=st.session_state.bp_shown <= 1, width="stretch")
b[1].button("Next", key="bp_next", on_click=advance, args=(1,), icon=":material/skip_next:", type="primary",
            disabled=st.session_state.bp_shown >= len(walk), width="stretch")
b[2].button("Show all", key="bp_all", on_click=advance, args=(len(walk),), width="stretch")
b[3].button("Start over", key="bp_restart", on_click=advance, args=(-len(walk),), width="stretch")

shown = walk[: st.session_state.bp_shown]
titles = {"data": "Data", "forward": "Forward pass", "loss": "Loss", "backward": "Backward pass"}
phase = None
for i, step in enumerate(shown, start=1):
    if step.phase != phase:
        phase = step.phase
        st.markdown(f"#### {titles[phase]}")
    c1, c2 = st.columns([1, 1])
    c1.latex(rf"\text{{({i})}}\quad {step.latex}")
    c1.caption(f"{step.symbol}: shape {step.shape} — {step.meaning}")
    c2.latex(rf"{step.tex} = {latex_matrix(step.value)}")

if st.session_state.bp_shown >= len(walk):
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
    st.latex(rf"W \leftarrow W - \alpha\,dW,\quad b \leftarrow b - \alpha\,db \qquad (\alpha = {lr:g})")

    def apply_update():
        model.update_weights(lr)
        st.session_state.bp_losses.append(model.loss(X, Y))

    st.button("Apply the update", key="bp_apply", on_click=apply_update, icon=":material/south:", type="primary")
    losses = st.session_state.bp_losses
    c1, c2 = st.columns([2, 3])
    with c1:
        st.latex(rf"W_1 = {latex_matrix(model.params['W1'])},\quad W_2 = {latex_matrix(model.params['W2'])}")
        if len(losses) > 1:
            change = losses[-1] - losses[-2]
            st.metric("Loss on this batch", f"{losses[-1]:.4f}", f"{change:+.4f} after the last update",
                      delta_color="inverse")
        else:
            st.metric("Loss on this batch", f"{losses[-1]:.4f}")
    with c2:
        st.plotly_chart(charts.line_figure(np.arange(len(losses)), losses, "updates applied", "loss on this batch",
                                           presentation=present), config={"displaylogo": False})
        st.caption("Press the button again and again: with a sensible α the loss goes down. Try α = 3.")
