"""The views inside the network, under "Look inside" (and, in presentation mode, the main one beside the chart):
the decision boundary, the hidden units' maps, the test set in 2-D, the lesson's steps, the equations with this
run's shapes, the gradient check, and export & share."""

from __future__ import annotations

import copy
import json
import urllib.parse

import numpy as np
import streamlit as st

from nnviz.core import export
from nnviz.core.activations import ACTIVATIONS
from nnviz.core.datasets import LESSON
from nnviz.core.gradcheck import gradient_check
from nnviz.core.network import labels_to_Y
from nnviz.core.settings import FULL_BATCH, TrainerSettings, to_query
from nnviz.lesson import equations
from nnviz.serving.data_store import DataRef, load_data
from nnviz.serving.gate import LIVE
from nnviz.serving.runner import Run
from nnviz.viz import charts, live_chart, live_views, maps
from nnviz.viz.charts import PLOTLY_CONFIG
from ui.common import TRAINER_BESIDE_HEIGHT, gated, presentation_mode, problem
from ui.trainer.controls import DATASET_LABELS
from ui.trainer.lesson_steps import lesson_steps_view
from ui.trainer.session import KEY, recipe_note, state, widget

BOUNDARY, HIDDEN, PROJECTION, LESSON_STEPS = "Decision boundary", "Hidden units", "Test set in 2-D", "Lesson 1.3.4–1.3.9"
EQUATIONS, GRADCHECK, EXPORT = "Equations", "Gradient check", "Export & share"
LIVE_VIEWS = (BOUNDARY, HIDDEN, PROJECTION)


def views_for(ds, settings: TrainerSettings) -> list[str]:
    """The views this run has: the plane's maps for 2-D data, a projection otherwise; the lesson's steps on its data."""
    views = [BOUNDARY, HIDDEN] if ds.is_2d else [PROJECTION]
    if settings.dataset == LESSON:
        views.append(LESSON_STEPS)
    return views + [EQUATIONS, GRADCHECK, EXPORT]


def live_view(view: str, run: Run, ds, ref, interval: float | None, beside: bool = False):
    """A view that follows a playing run, every 2 s or more: each new figure is a full draw in the browser (with the
    boundary every 1 s the page's main thread was busy most of the time and Pause answered later)."""
    @st.fragment(run_every=max(2.0, 4 * interval) if interval else None)
    @gated(LIVE)
    def follow():
        if beside:
            with st.container(key=widget("beside")):  # holds its height while each new figure is swapped in
                inside_view(view, run.poll(), ds, ref, beside=True)
        else:
            inside_view(view, run.poll(), ds, ref)

    follow()


def show_view(view: str, run: Run, ds, ref, settings: TrainerSettings, interval: float | None):
    """The view chosen under "Look inside"."""
    if view in LIVE_VIEWS:
        live_view(view, run, ds, ref, interval)
    elif view == LESSON_STEPS:
        lesson_steps_view(run.poll(), run.settings, KEY, presentation_mode())
    elif view == EQUATIONS:
        equations_view(ds, settings)
    elif view == GRADCHECK:
        gradcheck_view(run.poll(), ds, settings)
    else:
        export_view(run)


def lesson_note(settings: TrainerSettings):
    note = recipe_note(settings)
    if note:
        st.caption(note)


@st.cache_data(max_entries=16, show_spinner=False)
def projection_for(ref: DataRef):
    """The fixed 2-D view of a dataset (computed once per dataset, not on every redraw)."""
    return maps.pca_2d(load_data(ref).X_train)


def inside_view(view: str, snap, ds, ref, beside: bool = False):
    """A live view of the network. ``beside``: drawn in the narrow column beside the loss chart."""
    present = presentation_mode()
    model = snap.model
    height = TRAINER_BESIDE_HEIGHT if beside else None
    if view == BOUNDARY:
        grid = maps.grid_over(np.vstack([ds.X_train, ds.X_test]), resolution=60 if not present else 50)
        spec = live_views.boundary_spec(grid.xs, grid.ys, maps.output_map(model, grid), ds.X_train, ds.y_train,
                                        ds.X_test, ds.y_test, feature_names=ds.feature_names,
                                        presentation=present, height=height, legend=not beside)
        st.vega_lite_chart(live_chart.drawn_often(spec), theme=None)
        st.caption("Colour: the network's P(class 1); black line: P = 0.5, the decision boundary. "
                   "Filled dots train, hollow dots test.")
    elif view == HIDDEN:
        grid = maps.grid_over(np.vstack([ds.X_train, ds.X_test]), resolution=30)
        act = ACTIVATIONS[model.activation]
        lo, hi = {"tanh": (-1, 1), "sigmoid": (0, 1)}.get(act.name, (None, None))
        unit_maps = maps.hidden_maps(model, grid, max_units=16)
        if lo is None:
            span = float(np.max(np.abs(unit_maps))) or 1.0
            lo, hi = -span, span
        fig = charts.hidden_units_figure(grid.xs, grid.ys, unit_maps, (lo, hi), presentation=present,
                                         columns=4, total_units=model.n_hidden)
        st.plotly_chart(fig, config=PLOTLY_CONFIG)
        st.caption("Each hidden unit draws one line across the plane (where W1·x + b1 = 0) and bends it "
                   "through its activation; the output layer adds these maps up, weighted by W2.")
    elif view == PROJECTION:
        projection = projection_for(ref)
        prob = model.predict(ds.X_test.T)[0]
        title = "Test set in 2-D" if beside else f"Test set ({ds.n_test} samples, {ds.n_features} features) in 2-D"
        spec = live_views.projection_spec(projection(ds.X_test), prob, ds.y_test, projection.explained,
                                          presentation=present, title=title, height=height, short_titles=beside)
        st.vega_lite_chart(live_chart.drawn_often(spec), theme=None)
        st.caption("The test samples on their two principal components (a fixed view): the fill is the "
                   "predicted probability, the outline the true class.")


def equations_view(ds, settings: TrainerSettings):
    m = ds.n_train if settings.batch_size == FULL_BATCH else min(settings.batch_size, ds.n_train)
    args = (ds.n_features, settings.hidden, 1, m, settings.activation)
    st.markdown(f"**Forward pass** — one batch of m = {m} samples, one column each "
                f"({ds.n_features} inputs, {settings.hidden} hidden units, 1 output).")
    for eq in equations.forward_equations(*args):
        st.latex(eq.latex)
        st.caption(eq.meaning)
    st.markdown("**Backward pass and update** — the gradients have the shapes of what they update.")
    for eq in equations.backward_equations(*args):
        st.latex(eq.latex)
        st.caption(eq.meaning)


def gradcheck_view(snap, ds, settings: TrainerSettings):
    s = state()
    st.markdown("Backpropagation's gradients against central differences "
                "(L(θ + ε) − L(θ − ε)) / 2ε, for the current weights and the first batch of training data.")
    if st.button("Run gradient check", key=widget("gradcheck_button"), icon=":material/fact_check:"):
        model = copy.deepcopy(snap.model)  # the check nudges weights; never those a worker is training
        m = min(64, settings.batch_for(ds.n_train))
        X = ds.X_train[:m].T
        Y = labels_to_Y(ds.y_train[:m], 1)
        with np.errstate(all="ignore"):
            result = gradient_check(model, X, Y, tolerance=1e-5, max_entries=60)
        s.gradcheck = (result, m, snap.epoch)
    if s.gradcheck is None:
        return
    result, m, epoch = s.gradcheck
    rows = [{"parameter": p.name, "shape": "×".join(map(str, p.shape)), "entries checked": f"{p.n_checked}/{p.n_total}",
             "max |analytic − numeric|": f"{p.max_abs_diff:.2e}", "relative error": f"{p.rel_error:.2e}",
             "result": "pass" if p.rel_error < result.tolerance else "FAIL"} for p in result.params]
    st.dataframe(rows, hide_index=True)
    if not np.isfinite(result.max_rel_error):
        problem("The check could not be computed: the weights are no longer finite numbers.", "Press Reset.")
    elif result.passed:
        st.success(f"Pass: the largest relative error is {result.max_rel_error:.1e} (< {result.tolerance:.0e}) — "
                   f"batch of {m}, weights after epoch {epoch}.", icon=":material/check_circle:")
    else:
        problem(f"Fail: the largest relative error is {result.max_rel_error:.1e} (tolerance {result.tolerance:.0e}).",
                "With ReLU this can happen when a unit sits exactly at its kink; otherwise backprop has a bug.")


def export_view(run: Run):
    """Export and share the run on screen: its own settings and data, whatever the widgets say now."""
    snap = run.poll()
    settings, ds = run.settings.with_schedule(snap.schedule), load_data(run.ref)  # changes made while it played too
    last = snap.epochs[-1] if snap.epochs else None
    metrics = {}
    if last is not None:
        metrics = {"epoch": last.epoch, "train accuracy": round(last.train_acc, 4),
                   "test accuracy": round(last.test_acc, 4), "test loss": round(last.test_loss, 6),
                   export.TRAIN_LOSS_READOUT: round(last.train_loss, 6)}
    settings_dict = to_query(settings)
    # the file itself, not a function that makes it on click: the download is then a plain link to this run's bytes
    npz = export.weights_npz(snap.model, ds.X_train, ds.y_train, ds.X_test, ds.y_test, settings_dict, metrics)
    script = export.standalone_script(snap.model.activation, "nnviz_run.npz", metrics,
                                      settings_text="Settings: " + json.dumps(settings_dict))
    st.markdown(f"**This run**: {DATASET_LABELS[settings.dataset]} · {settings.label()} · "
                f"{f'epoch {last.epoch}' if last else 'not trained yet'}.")
    c1, c2 = st.columns(2)
    c1.download_button("Weights and data (.npz)", npz, file_name="nnviz_run.npz", mime="application/octet-stream",
                       key=widget("dl_npz"), icon=":material/download:", width="stretch")
    c2.download_button("NumPy script (.py)", script, file_name="nnviz_run.py",
                       mime="text/x-python", key=widget("dl_py"), icon=":material/code:", width="stretch")
    st.caption("The script rebuilds the network from the .npz (weights and data) with NumPy alone and prints both "
               "sets' loss and accuracy with the final weights: the test loss and both accuracies are the readouts "
               "above. Its training loss is not the Train loss readout, which is the mean of the last epoch's batch "
               "losses, each taken before its step; the script says both.")
    st.markdown("**Shareable link** — opens this page with this run's settings and seed: same seed, same curve.")
    base = (st.context.url or "").split("?")[0]
    st.code(f"{base}?{urllib.parse.urlencode(to_query(settings))}", language=None, wrap_lines=True)
    if settings.dataset == "csv":
        st.caption("A link cannot carry an uploaded file: whoever opens it uploads the same CSV.")
