"""The views inside the network, under "Look inside" (and, in presentation mode, the main one beside the chart):
the decision boundary, the hidden units' maps, the test set in 2-D, the lesson's steps, the equations with this
run's shapes, the gradient check, and export & share."""

from __future__ import annotations

import copy
import functools
import json
import urllib.parse

import numpy as np
import streamlit as st

from nnviz.core import export
from nnviz.core.activations import ACTIVATIONS
from nnviz.core.datasets import LESSON
from nnviz.core.deep_network import confusion_matrix, per_class_accuracy
from nnviz.core.drawn_data import DRAWN
from nnviz.core.features import DEFAULT_FEATURES
from nnviz.core.gradcheck import gradient_check
from nnviz.core.optimizers import OPTIMIZERS, make_optimizer
from nnviz.core.settings import FULL_BATCH, TrainerSettings, to_query
from nnviz.core.training import MAX_EDITED_WEIGHT
from nnviz.lesson import equations
from nnviz.serving.data_store import DataRef, load_data
from nnviz.serving.gate import LIVE
from nnviz.serving.runner import Run
from nnviz.viz import charts, live_chart, live_views, maps
from nnviz.viz.charts import PLOTLY_CONFIG
from nnviz.viz.draw_plane import plane_grid
from nnviz.viz.hidden_space import (
    MAX_POINTS,
    decision_axes,
    hidden_space_chart,
    hidden_space_data,
    hidden_space_spec,
    pca_axes,
    unit_axes,
)
from nnviz.viz.network_view import network_chart, network_data, network_layout, selected
from nnviz.viz.network_view import network_spec as network_view_spec
from ui.common import TRAINER_BESIDE_HEIGHT, gated, plain, presentation_mode, problem
from ui.trainer.controls import DATASET_LABELS
from ui.trainer.lesson_steps import lesson_steps_view
from ui.trainer.session import KEY, recipe_note, state, widget

BOUNDARY, HIDDEN, PROJECTION, LESSON_STEPS = "Decision boundary", "Hidden units", "Test set in 2-D", "Lesson 1.3.4–1.3.9"
SURFACE, FIT, CONFUSION = "Predicted surface", "Predicted vs true", "Confusion matrix"
NETWORK, HIDDEN_SPACE = "Network", "Hidden space"
EQUATIONS, GRADCHECK, EXPORT = "Equations", "Gradient check", "Export & share"
LIVE_VIEWS = (BOUNDARY, SURFACE, NETWORK, HIDDEN, HIDDEN_SPACE, PROJECTION, FIT, CONFUSION)


def views_for(ds, settings: TrainerSettings) -> list[str]:
    """The views this run has: the plane's maps for 2-D data (the winning class, or a regression's surface), the
    first hidden layer's units when there is one, a projection of many-feature data, a confusion matrix for
    several classes, predicted against true values for a regression; the lesson's steps on its data."""
    regression = ds.problem == "regression"
    if ds.on_plane:
        views = [SURFACE if regression else BOUNDARY, NETWORK] + ([HIDDEN, HIDDEN_SPACE] if settings.hidden else [])
    else:
        views = ([PROJECTION] if ds.problem == "binary" else []) + [NETWORK] + ([HIDDEN_SPACE] if settings.hidden else [])
    if regression:
        views.append(FIT)
    elif ds.problem == "multiclass":
        views.append(CONFUSION)
    if settings.dataset == LESSON:
        views.append(LESSON_STEPS)
    return views + [EQUATIONS, GRADCHECK, EXPORT]


def beside_choice(shown: list[str]) -> str:
    """Presentation mode: which live view sits beside the chart (the first one unless the teacher picks another)."""
    live = [v for v in shown if v in LIVE_VIEWS]
    key = widget("beside_view")
    if st.session_state.get(key) not in live:
        st.session_state[key] = live[0]
    return st.selectbox("Beside the chart", live, key=key, label_visibility="collapsed")


def live_view(view: str, run: Run, ds, ref, interval: float | None, beside: bool = False):
    """A view that follows a playing run, every 2 s or more: each new figure is a full draw in the browser (with the
    boundary every 1 s the page's main thread was busy most of the time and Pause answered later). The network
    drawing and the hidden space keep their chart and change only its data, so they follow every second."""
    every = max(1.0 if view in (NETWORK, HIDDEN_SPACE) else 2.0, 4 * interval) if interval else None

    @st.fragment(run_every=every)
    @gated(LIVE)
    def follow():
        if beside:
            with st.container(key=widget("beside")):  # holds its height while each new figure is swapped in
                inside_view(view, run.poll(), ds, ref, beside=True)
        else:
            inside_view(view, run.poll(), ds, ref, run=None if interval else run)

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


def inside_view(view: str, snap, ds, ref, beside: bool = False, run: Run | None = None):
    """A live view of the network. ``beside``: drawn in the narrow column beside the loss chart. ``run``: a run that
    is not training, whose weights the network drawing may edit."""
    present = presentation_mode()
    model = snap.model
    height = TRAINER_BESIDE_HEIGHT if beside else None
    if view in (BOUNDARY, SURFACE):
        grid = plane_grid_for(ds, 60 if not present else 50)
        outputs = maps.output_maps(model, grid, ds.inputs)
        points = (ds.plane_train, ds.y_train, ds.plane_test, ds.y_test)
        axes = ("x1", "x2") if ds.inputs is not None else ds.feature_names
        common = dict(feature_names=axes, presentation=present, height=height, legend=not beside)
        if view == SURFACE:
            spec = live_views.surface_spec(grid.xs, grid.ys, outputs[0], *points, **common)
            note = "Colour: the value the network predicts (blue below 0, orange above, as for weights); the points: their targets."
        elif outputs.shape[0] > 1:
            spec = live_views.class_map_spec(grid.xs, grid.ys, outputs, *points, class_names=ds.class_labels, **common)
            note = "Colour: the class the network predicts, stronger where it is surer; black lines: where it changes."
        else:
            spec = live_views.boundary_spec(grid.xs, grid.ys, outputs[0], *points, **common)
            note = "Colour: the network's P(class 1); black line: P = 0.5, the decision boundary."
        st.vega_lite_chart(live_chart.drawn_often(spec), theme=None)
        features = "" if ds.inputs is None else f" The network sees {', '.join(ds.feature_names)} of each point."
        st.caption(f"{note} Filled dots train, hollow dots test.{features}")
    elif view == HIDDEN:
        grid = plane_grid_for(ds, 30)
        act = ACTIVATIONS[model.activations[0]]
        lo, hi = {"tanh": (-1, 1), "sigmoid": (0, 1)}.get(act.name, (None, None))
        unit_maps = maps.hidden_maps(model, grid, max_units=16, to_inputs=ds.inputs)
        if lo is None:
            span = float(np.max(np.abs(unit_maps))) or 1.0
            lo, hi = -span, span
        fig = charts.hidden_units_figure(grid.xs, grid.ys, unit_maps, (lo, hi), presentation=present,
                                         columns=4, total_units=model.hidden[0])
        st.plotly_chart(fig, config=PLOTLY_CONFIG)
        deeper = " (the first hidden layer; the layers after it combine these maps again)" if len(model.hidden) > 1 else ""
        st.caption("Each hidden unit draws one line across the plane (where W1·x + b1 = 0) and bends it "
                   f"through its activation; the output layer adds these maps up, weighted by W2{deeper}.")
    elif view == PROJECTION:
        projection = projection_for(ref)
        prob = model.predict(ds.X_test.T)[0]
        title = "Test set in 2-D" if beside else f"Test set ({ds.n_test} samples, {ds.n_features} features) in 2-D"
        spec = live_views.projection_spec(projection(ds.X_test), prob, ds.y_test, projection.explained,
                                          presentation=present, title=title, height=height, short_titles=beside)
        st.vega_lite_chart(live_chart.drawn_often(spec), theme=None)
        st.caption("The test samples on their two principal components (a fixed view): the fill is the "
                   "predicted probability, the outline the true class.")
    elif view == FIT:
        X, y, part = (ds.X_test, ds.y_test, "test") if ds.n_test else (ds.X_train, ds.y_train, "training")
        predicted = model.predict(X.T)[0]
        spec = live_views.fit_spec(y, predicted, presentation=present, height=height,
                                   title=f"{part.capitalize()} samples: predicted against true")
        st.vega_lite_chart(live_chart.drawn_often(spec), theme=None)
        st.caption("A perfect fit puts every sample on the dashed line. R² is 1 − (squared error / the target's "
                   "variance): 1 on the line, 0 for a network that predicts the mean.")
    elif view == CONFUSION:
        confusion_view(model, ds, present)
    elif view == NETWORK:
        network_view(snap, ds, present, height, beside, run)
    elif view == HIDDEN_SPACE:
        hidden_space_view(snap, ds, present, height, beside)


@functools.lru_cache(maxsize=16)
def _network_spec(layout, present: bool, height: int | None) -> dict:
    return network_view_spec(layout, presentation=present, height=height)


def network_layout_for(model, ds):
    """The drawing's layout: maps of the plane for 2-D data (over the features in use), else one sample's values."""
    if ds.on_plane:
        return network_layout(model, features=ds.inputs.names if ds.inputs is not None else DEFAULT_FEATURES)
    return network_layout(model, input_names=ds.feature_names)


def network_view(snap, ds, present: bool, height: int | None, beside: bool, run: Run | None):
    """TensorFlow Playground's picture of the network: every node a map (or value) of what it computes, every
    connection its weight; paused, a click on a connection (or a node's bias) edits it."""
    model = snap.model
    layout = network_layout_for(model, ds)
    if layout.maps:
        data = network_data(model, layout, grid=plane_grid_for(ds, layout.resolution))
    else:
        data = network_data(model, layout, sample=(ds.X_test if ds.n_test else ds.X_train)[0])
    key = widget("network_beside" if beside else "network")
    chart = network_chart(_network_spec(layout, present, height if beside else None), data)
    st.vega_lite_chart(chart, theme=None, key=key, on_select="rerun", selection_mode=["edge", "node"])
    shows = "its map over the plane" if layout.maps else "its value for the first test sample"
    if beside:  # a narrow column: the layers are named in the lesson's notation when their words do not fit
        st.caption(f"Each node shows {shows}; each line is a weight (width: its size; orange positive, blue "
                   "negative). X, A[l], ŷ: the lesson's inputs, layer l, output.")
    else:
        st.caption(f"Each node shows {shows}; each line is a weight (width: its size; orange positive, blue "
                   "negative). Point at a node or a line for its name and value" + (
                       "; pause and click one to edit it." if run is None else "; click one to edit it."))
    if not beside and st.toggle("The weights as numbers", key=widget("network_numbers"),
                                help="Each layer's W[l] and b[l] as the run holds them now (3 decimals; the first "
                                     "8 rows and columns)."):
        for layer in range(1, len(model.sizes)):
            st.latex(rf"W^{{[{layer}]}} = {equations.latex_matrix(model.params[f'W{layer}'], 3, 8, 8)},\quad "
                     rf"b^{{[{layer}]}} = {equations.latex_matrix(model.params[f'b{layer}'], 3, 1, 8)}")
    if run is not None:
        weight_editor(run, snap, ds, key)


def _objective(model, ds) -> float:
    """The training set's loss (with the penalty, as the run minimises it) for ``model``'s weights now."""
    with np.errstate(all="ignore"):
        return float(model.loss(ds.X_train.T, model.targets(ds.y_train)))


def weight_editor(run: Run, snap, ds, key: str):
    """The clicked weight (or bias) of a run that is not training: its name and value, a new value, and — once set —
    the training loss before and after, at once; the run then goes on from the edited network."""
    s = state()
    event = st.session_state.get(key) or {}
    choice = selected(event.get("selection"), snap.model)
    if s.edit is not None and s.edit[0] is run:
        _, label, before, after = s.edit
        st.success(f"{label}: the training loss went from {before:.4f} to {after:.4f}. Train goes on from here; "
                   "the chart marks the edit.", icon=":material/edit:")
    if choice is None:
        return
    value = choice.value(snap.model)
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    new = c1.number_input(f"{choice.label} = {value:.4f} — new value", -MAX_EDITED_WEIGHT, MAX_EDITED_WEIGHT,
                          value=float(round(value, 4)), step=0.1, format="%.4f",
                          key=widget(f"edit_{choice.param}_{choice.i}_{choice.j}"))
    if c2.button("Set", key=widget("edit_set"), icon=":material/edit:", width="stretch"):
        before = _objective(snap.model, ds)
        try:
            run.edit(choice.param, choice.i, choice.j, float(new))
        except ValueError as err:
            problem(plain(err))
            return
        s.edit = (run, choice.label, before, _objective(run.poll().model, ds))
        st.rerun()


def hidden_space_view(snap, ds, present: bool, height: int | None, beside: bool):
    """ConvNetJS's hidden space: the plane's grid and the points carried through the first hidden layer."""
    model = snap.model
    axes = hidden_axes_for(model, ds)
    spec = hidden_space_spec(model, axes, presentation=present, height=height)
    grid = plane_grid_for(ds, 60) if ds.on_plane else None
    points = ds.plane_train if ds.on_plane else ds.X_train
    features = (ds.inputs.names if ds.inputs is not None else DEFAULT_FEATURES) if ds.on_plane else None
    data = hidden_space_data(model, axes, points, ds.y_train, features=features, grid=grid)
    with st.container(key=widget("hidden_space_beside" if beside else "hidden_space")):
        st.vega_lite_chart(hidden_space_chart(spec, data), theme=None)
    what = {"decision": "along the output's weights (the first axis) and the main direction of the rest, so that "
                        "the output's boundary is the vertical line",
            "pca": "on its two principal components on the training data, fixed for the run",
            "units": "in its two units' activations"}[axes.kind]
    st.caption(f"Hidden layer 1 of {len(model.hidden)}, {what}. " + (
        "The grid lines are the plane's, bent by the layer: where a straight line separates the colours, the layer "
        "has made the classes linearly separable." if ds.on_plane else
        "Each point is a training sample as the layer sees it."))


def hidden_axes_for(model, ds):
    """The first hidden layer's axes: its two units, along the output (one hidden layer, two classes or a
    regression), or its principal components on the training data — computed once per run and network shape."""
    s = state()
    key = (s.run, model.sizes)
    if s.hidden_axes is not None and s.hidden_axes[0] == key:
        return s.hidden_axes[1]
    if model.sizes[1] == 2:
        axes = unit_axes(model, 0, 1, layer=1)
    elif len(model.hidden) == 1 and model.problem != "multiclass":
        axes = decision_axes(model)
    else:
        axes = pca_axes(model, ds.X_train[:MAX_POINTS], layer=1)
    s.hidden_axes = (key, axes)
    return axes


def plane_grid_for(ds, resolution: int) -> maps.Grid:
    """The grid a 2-D set's maps are drawn on: around its points, or the whole plane a class draws on."""
    if ds.name == DRAWN:
        return plane_grid(resolution)
    return maps.grid_over(np.vstack([ds.plane_train, ds.plane_test]), resolution=resolution)


def confusion_view(model, ds, present: bool):
    """Which classes the network mixes up: the test set's confusion matrix and each class's accuracy."""
    X, y, part = (ds.X_test, ds.y_test, "test") if ds.n_test else (ds.X_train, ds.y_train, "training")
    with np.errstate(all="ignore"):
        matrix = confusion_matrix(y, model.predict_classes(X.T), ds.n_classes)
    names = ds.class_labels
    left, right = st.columns([3, 2] if not present else [1, 1], gap="medium")
    left.plotly_chart(charts.confusion_figure(matrix, labels=names, what="class", presentation=present),
                      config=PLOTLY_CONFIG)
    shares = per_class_accuracy(matrix)
    right.dataframe([{"class": name, "samples": int(matrix[c].sum()),
                      "accuracy": "–" if np.isnan(shares[c]) else f"{shares[c] * 100:.1f} %"}
                     for c, name in enumerate(names)], hide_index=True)
    right.caption(f"The {part} set: a row per true class, a column per predicted one; the diagonal is right. A "
                  "class's accuracy is its diagonal cell over its row.")


def equations_view(ds, settings: TrainerSettings):
    """The equations of the network on screen with this run's shapes: the lesson's own, under its numbers, for the
    lesson's kind of network; otherwise the same notation with a layer index, for any depth, output, penalty and
    optimizer."""
    m = ds.n_train if settings.batch_size == FULL_BATCH else min(settings.batch_size, ds.n_train)
    sizes = (ds.n_features, *settings.hidden, ds.n_outputs)
    layers = ", ".join(map(str, settings.hidden)) or "no"
    st.markdown(f"**Forward pass** — one batch of m = {m} samples, one column each "
                f"({ds.n_features} inputs, {layers} hidden units{' per layer' if len(settings.hidden) > 1 else ''}, "
                f"{ds.n_outputs} output{'s' if ds.n_outputs > 1 else ''}).")
    if equations.is_lesson_network(sizes, ds.problem, settings.reg, settings.optimizer):
        args = (ds.n_features, settings.hidden[0], 1, m, settings.activation)
        forward, backward, update = equations.forward_equations(*args), equations.backward_equations(*args), []
    else:
        forward, backward, update = equations.network_equations(
            sizes, settings.activations, ds.problem, m, settings.reg, OPTIMIZERS[settings.optimizer].equations)
    for eq in forward:
        st.latex(eq.latex)
        st.caption(eq.meaning)
    st.markdown("**Backward pass** — the gradients have the shapes of what they update."
                if update else "**Backward pass and update** — the gradients have the shapes of what they update.")
    for eq in backward:
        st.latex(eq.latex)
        st.caption(eq.meaning)
    if update:
        constants = {"beta": "β", "beta1": "β₁", "beta2": "β₂", "eps": "ε"}
        values = "".join(f", {constants.get(k, k)} = {v:g}" for k, v in make_optimizer(settings.optimizer).settings.items())
        st.markdown(f"**Update** — {OPTIMIZERS[settings.optimizer].label}, for every layer l = 1 … {len(sizes) - 1} "
                    f"(b[l] alike), with learning rate α = {settings.lr:g}{values}"
                    + (", t the step's number" if settings.optimizer == "adam" else "") + ".")
        for eq in update:
            st.latex(eq.latex)


def gradcheck_view(snap, ds, settings: TrainerSettings):
    s = state()
    st.markdown("Backpropagation's gradients against central differences "
                "(L(θ + ε) − L(θ − ε)) / 2ε, for the current weights and the first batch of training data.")
    if st.button("Run gradient check", key=widget("gradcheck_button"), icon=":material/fact_check:"):
        model = copy.deepcopy(snap.model)  # the check nudges weights; never those a worker is training
        m = min(64, settings.batch_for(ds.n_train))
        X = ds.X_train[:m].T
        Y = model.targets(ds.y_train[:m], m)
        with np.errstate(all="ignore"):
            result = gradient_check(model, X, Y, tolerance=1e-5, max_entries=60)
        s.gradcheck = (result, m, snap.epoch)
    if s.gradcheck is None:
        return
    result, m, epoch = s.gradcheck
    def verdict(p):
        if not p.resolvable:
            return "too small to check"
        return "pass" if p.rel_error < result.tolerance else "FAIL"

    rows = [{"parameter": p.name, "shape": "×".join(map(str, p.shape)), "entries checked": f"{p.n_checked}/{p.n_total}",
             "max |analytic − numeric|": f"{p.max_abs_diff:.2e}", "relative error": f"{p.rel_error:.2e}",
             "result": verdict(p)} for p in result.params]
    st.dataframe(rows, hide_index=True)
    if not np.isfinite(result.max_rel_error):
        problem("The check could not be computed: the weights are no longer finite numbers.", "Press Reset.")
    elif result.passed:
        st.success(f"Pass: the largest relative error is {result.max_rel_error:.1e} (< {result.tolerance:.0e}) — "
                   f"batch of {m}, weights after epoch {epoch}.", icon=":material/check_circle:")
        small = [p.name for p in result.params if not p.resolvable]
        if small:
            st.info(f"{', '.join(small)}: the gradient is below what differences of the loss can resolve (about "
                    f"{max(p.noise for p in result.params):.0e}) — the error signal has all but vanished on its way "
                    "back through small weights. Glorot init (More settings) keeps it alive.",
                    icon=":material/info:")
    else:
        problem(f"Fail: the largest relative error is {result.max_rel_error:.1e} (tolerance {result.tolerance:.0e}).",
                "With ReLU this can happen when a unit sits exactly at its kink; otherwise backprop has a bug.")


def _rounded(value, digits: int):
    return None if value is None else round(float(value), digits)


def export_view(run: Run):
    """Export and share the run on screen: its own settings and data, whatever the widgets say now."""
    snap = run.poll()
    settings, ds = run.settings.with_schedule(snap.schedule), load_data(run.ref)  # changes made while it played too
    last = snap.epochs[-1] if snap.epochs else None
    metrics = {}
    if last is not None:
        score = "R²" if snap.model.problem == "regression" else "accuracy"
        metrics = {"epoch": last.epoch, f"train {score}": _rounded(last.train_score, 4),
                   f"test {score}": _rounded(last.test_score, 4), "test loss": _rounded(last.test_loss, 6),
                   export.TRAIN_LOSS_READOUT: _rounded(last.train_loss, 6)}
    settings_dict = to_query(settings)
    # the file itself, not a function that makes it on click: the download is then a plain link to this run's bytes
    recipe = export.training_recipe(settings, settings.new_trainer(ds).model, ds.n_train, snap.step)
    npz = export.weights_npz(snap.model, ds.X_train, ds.y_train, ds.X_test, ds.y_test, settings_dict, metrics, recipe)
    script = export.standalone_script("nnviz_run.npz", metrics,
                                      settings_text="Settings: " + json.dumps(settings_dict))
    st.markdown(f"**This run**: {DATASET_LABELS[settings.dataset]} · {settings.label()} · "
                f"{f'epoch {last.epoch}' if last else 'not trained yet'}.")
    c1, c2 = st.columns(2)
    c1.download_button("Weights and data (.npz)", npz, file_name="nnviz_run.npz", mime="application/octet-stream",
                       key=widget("dl_npz"), icon=":material/download:", width="stretch")
    c2.download_button("NumPy script (.py)", script, file_name="nnviz_run.py",
                       mime="text/x-python", key=widget("dl_py"), icon=":material/code:", width="stretch")
    st.caption("The script rebuilds the network from the .npz (weights and data) with NumPy alone and prints both "
               "sets' loss and accuracy (R² for a regression) with the final weights: without a weight penalty, the "
               "test loss and both scores are the readouts above. Its training loss is not the Train loss readout, "
               "which is the mean of the last epoch's batch losses, each taken before its step; the script says "
               "both. `python nnviz_run.py --train` trains the network again from its first weights, with the "
               "same batches, optimizer, penalty and changes, and prints how far it lands from these weights.")
    st.markdown("**Shareable link** — opens this page with this run's settings and seed: same seed, same curve.")
    base = (st.context.url or "").split("?")[0]
    st.code(f"{base}?{urllib.parse.urlencode(to_query(settings))}", language=None, wrap_lines=True)
    if settings.dataset == "csv":
        st.caption("A link cannot carry an uploaded file: whoever opens it uploads the same CSV.")
