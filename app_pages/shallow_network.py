"""Shallow network (lesson 1.3.1–1.3.9): pick hidden units, learning rate and batch size — and watch it learn.

The page reads its widgets into a ``TrainerSettings`` (the same schema as the URL),
asks ``nnviz`` for the data, the run and the figures, and draws them. Training runs
in worker processes (``nnviz.runner``); a fragment pulls the progress several times
a second while a run plays.
"""

from __future__ import annotations

import copy
import json
import urllib.parse
from dataclasses import fields, replace

import numpy as np
import streamlit as st

from nnviz import ShallowNN, Trainer, charts, equations, export, maps
from nnviz.activations import ACTIVATIONS, HIDDEN_ACTIVATIONS
from nnviz.admission import queue_message, queue_poll_interval
from nnviz.datasets import LESSON, TITLES, TWO_D, parse_csv
from nnviz.downsample import SeriesCache
from nnviz.gradcheck import gradient_check
from nnviz.network import labels_to_Y
from nnviz.runner import DataRef, Run, get_executor, load_data, redraw_interval, register_upload
from nnviz.state import (
    BATCH_SIZES,
    DATASETS,
    EPOCHS,
    FULL_BATCH,
    HIDDEN_UNITS,
    INITS,
    LEARNING_RATES,
    MAX_SEED,
    SAMPLES,
    SPEEDS,
    TrainerSettings,
    from_query,
    to_query,
)
from ui.common import header, plain, presentation_mode, problem

K = "tr_"  # this page's session-state prefix
MAX_PREVIOUS = 3
SPEED_LABELS = {"max": "as fast as possible", "50": "50 epochs/s", "10": "10 epochs/s", "2": "2 epochs/s"}
INIT_LABELS = {"lesson": "0.01 × N(0, 1) (lesson)", "glorot": "Glorot uniform"}
STATE_LABELS = {"ready": "ready", "queued": "queued", "playing": "training…", "paused": "paused",
                "finished": "finished", "diverged": "diverged", "failed": "failed"}

present = presentation_mode()
header("Shallow network", "1.3.1–1.3.9",
       "choose hidden units, learning rate and batch size, press Train, and watch the network learn.")


# ----------------------------------------------------------------------------- settings <-> widgets <-> URL

def load_settings():
    """The URL's settings on the first visit, or when a link brings new ones (e.g. the neuron page's
    XOR link); otherwise the session's last settings, so that leaving the page and coming back keeps them."""
    linked, problems = from_query(st.query_params)
    saved = st.session_state.get(K + "settings")
    from_link = saved is None or any(
        st.query_params.get(k) is not None and to_query(linked)[k] != v for k, v in to_query(saved).items()
    )
    if from_link:
        st.session_state[K + "settings"] = saved = linked
        st.session_state[K + "link_problems"] = problems
    for f in fields(TrainerSettings):
        if from_link or K + f.name not in st.session_state:
            st.session_state[K + f.name] = getattr(saved, f.name)


def current_settings() -> TrainerSettings:
    return TrainerSettings(**{f.name: st.session_state[K + f.name] for f in fields(TrainerSettings)})


def sync_url(settings: TrainerSettings):
    st.session_state[K + "settings"] = settings
    wanted = to_query(settings)
    if any(st.query_params.get(k) != v for k, v in wanted.items()):
        st.query_params.update(wanted)


get_executor()  # the first visit starts the training workers, before anyone presses Train
load_settings()
for message in st.session_state.pop(K + "link_problems", []):
    st.warning(plain(message))


def pace(speed: str) -> float | None:
    return None if speed == "max" else float(speed)


def main_controls(n_train: int | None):
    st.selectbox("Dataset", DATASETS, key=K + "dataset", format_func=lambda d: TITLES[d])
    st.select_slider("Hidden units", HIDDEN_UNITS, key=K + "hidden")
    st.select_slider("Learning rate", LEARNING_RATES, key=K + "lr", format_func=lambda v: f"{v:g}",
                     help="The step size α of W ← W − α·dW. Log-spaced, 0.0001 … 10.")
    st.select_slider("Batch size", BATCH_SIZES, key=K + "batch_size",
                     format_func=lambda v: "full" if v == FULL_BATCH else str(v),
                     help="Samples per gradient step: 1 is stochastic gradient descent, full is batch gradient descent.")
    if n_train is not None and not present:
        bs = st.session_state[K + "batch_size"]
        if bs == FULL_BATCH or bs >= n_train:
            st.caption(f"= the full training set: {n_train} samples, one step per epoch")
        else:
            st.caption(f"{-(-n_train // bs)} steps per epoch over {n_train} training samples")
    st.select_slider("Epochs", EPOCHS, key=K + "epochs", help="The run's budget: passes over the training data.")


def more_controls(dataset: str):
    if dataset in TWO_D:
        st.slider("Noise", 0.0, 0.5, step=0.05, key=K + "noise", help="Standard deviation of the jitter on each point.")
        st.slider("Train split", 10, 90, step=5, key=K + "train_split", format="%d%%",
                  help="Share of the points used for training; the rest tests.")
        st.select_slider("Samples", SAMPLES, key=K + "samples")
    st.selectbox("Activation", HIDDEN_ACTIVATIONS, key=K + "activation",
                 format_func=lambda a: ACTIVATIONS[a].label, help="The hidden layer's activation g.")
    st.selectbox("Init scale", INITS, key=K + "init", format_func=INIT_LABELS.get,
                 help="Initial weights: the lesson's small Gaussian, or Glorot's uniform range ±√(6/(fan_in+fan_out)).")
    st.number_input("Seed", 0, MAX_SEED, step=1, key=K + "seed",
                    help="Seeds the data (2-D sets), the initial weights and the shuffling: same seed, same curve.")
    st.toggle("Shuffle each epoch", key=K + "shuffle", help="The lesson visits the samples in the same order every epoch.")
    st.toggle("Standardize inputs", key=K + "standardize",
              help="Shift and scale each feature to mean 0, standard deviation 1 (training statistics).")
    st.radio("Speed", SPEEDS, key=K + "speed", format_func=SPEED_LABELS.get, horizontal=True,
             help="Slow a run down to watch the boundary move; training speed (steps/s) is measured either way.")


def upload_control():
    file = st.file_uploader("CSV file: numeric feature columns and a 0/1 label column", type=["csv", "txt"],
                            key=K + "csv", max_upload_size=5,
                            help="The label is the column named label, y, target or class, else the last one. "
                                 "At most 10,000 rows.")
    if file is not None and file.file_id != st.session_state.get(K + "csv_id"):
        st.session_state[K + "csv_id"] = file.file_id
        try:
            ds = parse_csv(file.getvalue(), name=file.name, seed=int(st.session_state[K + "seed"]))
        except ValueError as err:
            st.session_state[K + "csv_error"] = f"{file.name}: {err}"
        else:
            st.session_state[K + "upload"] = register_upload(ds)
            st.session_state[K + "csv_error"] = None
    error = st.session_state.get(K + "csv_error")
    if error:
        kept = st.session_state.get(K + "upload")
        problem(f"Could not use the file — {plain(error)}",
                f"The previous file ({plain(kept.title)}) is still loaded." if kept else "Fix the file and upload it again.")


def data_for(settings: TrainerSettings):
    """(Dataset, DataRef) for the settings, or None when there is nothing to train on yet."""
    if settings.dataset == "csv":
        upload = st.session_state.get(K + "upload")
        if upload is None:
            return None
        ref = replace(upload, standardize=settings.standardize)
    elif settings.dataset == LESSON:
        ref = DataRef(LESSON, standardize=settings.standardize)
    else:
        ref = DataRef(settings.dataset, settings.samples, float(settings.noise), settings.train_split / 100,
                      settings.seed, standardize=settings.standardize)
    return load_data(ref), ref


# ----------------------------------------------------------------------------- the run

def new_run(settings: TrainerSettings, ds, ref) -> Run:
    model = ShallowNN(ds.n_features, settings.hidden, 1, activation=settings.activation,
                      init_scale=0.01 if settings.init == "lesson" else "glorot", seed=settings.seed)
    batch = ds.n_train if settings.batch_size == FULL_BATCH else settings.batch_size
    trainer = Trainer(model, ds.X_train, ds.y_train, ds.X_test, ds.y_test, lr=settings.lr, batch_size=batch,
                      epochs=settings.epochs, shuffle=settings.shuffle, seed=settings.seed)
    run = Run(trainer, ref)
    st.session_state[K + "run"] = run
    st.session_state[K + "run_key"] = (settings.run_key(), ref)
    st.session_state[K + "run_settings"] = settings
    st.session_state.pop(K + "gradcheck", None)
    return run


def archive(run: Run):
    """Keep a finished or paused run's curves as a faded trace for comparison."""
    snap = run.poll()
    if not snap.epochs:
        return
    label = st.session_state[K + "run_settings"].label()
    loss = np.array([r.test_loss if r.test_loss is not None else r.train_loss for r in snap.epochs])
    acc = np.array([r.test_acc if r.test_acc is not None else r.train_acc for r in snap.epochs], dtype=float)
    curve = charts.Curve(label, np.array([r.epoch for r in snap.epochs]), loss, acc)
    st.session_state[K + "previous"] = ([curve] + st.session_state.get(K + "previous", []))[:MAX_PREVIOUS]


def on_train():
    run = st.session_state.get(K + "run")
    if run is not None:
        run.play(pace(st.session_state[K + "speed"]))


def on_pause():
    run = st.session_state.get(K + "run")
    if run is not None:
        run.pause()


def on_step():
    run = st.session_state.get(K + "run")
    if run is not None:
        run.step_epoch()


def on_reset():
    run = st.session_state.pop(K + "run", None)
    if run is not None:
        run.pause()
        archive(run)


# ----------------------------------------------------------------------------- drawing

def readouts(snap, settings: TrainerSettings):
    last = snap.epochs[-1] if snap.epochs else None
    st.markdown(f"### Epoch {snap.epoch} / {settings.epochs}")
    st.caption(f"step {snap.step:,} · {STATE_LABELS[snap.state]}" +
               (f" · {snap.steps_per_s:,.0f} steps/s" if present and snap.steps_per_s else ""))

    def value(name, percent=False):
        v = getattr(last, name) if last is not None else None
        if v is None:
            return "–"
        return f"{v * 100:.1f} %" if percent else f"{v:.4f}"

    items = [("Test accuracy", value("test_acc", True)), ("Test loss", value("test_loss")),
             ("Train accuracy", value("train_acc", True)), ("Train loss", value("train_loss"))]
    if not present:
        items.append(("Speed (steps/s)", f"{snap.steps_per_s:,.0f}" if snap.steps_per_s else "–"))
    for col, (label, text) in zip(st.columns(len(items)), items, strict=True):
        col.metric(label, text)


def training_chart(snap, settings: TrainerSettings):
    # built once per new slice of the run (downsampled to a fixed size), not on every redraw
    previous = tuple(st.session_state.get(K + "previous", []))
    key = (snap.epochs, snap.batch_steps, settings.log_scale, present, *previous)
    cached = st.session_state.get(K + "chart")
    if cached is None or len(cached[0]) != len(key) or any(a is not b for a, b in zip(cached[0], key, strict=True)):
        series = st.session_state.setdefault(K + "series", SeriesCache())  # grows with the run, never rebuilt
        s = series.series(snap.epochs, snap.batch_steps, snap.batch_losses, snap.steps_per_epoch)
        cached = (key, charts.training_figure(
            s.epochs, s.train_loss, s.test_loss, s.train_acc, s.test_acc, batch_x=s.batch_x, batch_loss=s.batch_loss,
            previous=previous, log_scale=settings.log_scale, presentation=present))
        st.session_state[K + "chart"] = cached
    st.plotly_chart(cached[1], config={"displaylogo": False})


def status_line(snap, settings):
    if snap.state == "queued":
        st.info(queue_message(snap.queued_ahead), icon=":material/hourglass_top:")
    elif snap.state == "diverged":
        problem(snap.message.capitalize(), "The chart keeps everything recorded up to that step.")
    elif snap.state == "failed":
        problem(plain(snap.message), "Press Reset to start again.")
    elif snap.state == "finished":
        timing = ""
        if snap.wall_seconds > 0:
            timing = f" in {snap.wall_seconds:.2f} s of training — {snap.step / snap.wall_seconds:,.0f} steps/s overall"
        st.success(f"Finished {settings.epochs} epochs ({snap.step:,} steps){timing}. Press Reset to start a new "
                   "run — this one stays on the chart, faded, for comparison.", icon=":material/check_circle:")
    elif len(snap.epochs) >= 3:
        if snap.epochs[-1].train_loss > 1.5 * snap.epochs[0].train_loss:  # O(1): runs on every redraw
            st.warning(f"The loss is higher than after the first epoch: the learning rate {settings.lr:g} "
                       "may be too high for these settings.", icon=":material/trending_up:")


@st.cache_data(max_entries=16, show_spinner=False)
def projection_for(ref: DataRef):
    """The fixed 2-D view of a dataset (computed once per dataset, not on every redraw)."""
    return maps.pca_2d(load_data(ref).X_train)


def inside_view(view: str, snap, ds, settings: TrainerSettings):
    model = snap.model
    if view == "Decision boundary":
        grid = maps.grid_over(np.vstack([ds.X_train, ds.X_test]), resolution=60 if not present else 50)
        fig = charts.decision_boundary_figure(grid.xs, grid.ys, maps.output_map(model, grid), ds.X_train,
                                              ds.y_train, ds.X_test, ds.y_test, feature_names=ds.feature_names,
                                              presentation=present)
        st.plotly_chart(fig, config={"displaylogo": False})
        st.caption("Colour: the network's P(class 1) at each point of the plane; black line: P = 0.5, "
                   "the decision boundary. Filled dots train, hollow dots test.")
    elif view == "Hidden units":
        grid = maps.grid_over(np.vstack([ds.X_train, ds.X_test]), resolution=30)
        act = ACTIVATIONS[model.activation]
        lo, hi = {"tanh": (-1, 1), "sigmoid": (0, 1)}.get(act.name, (None, None))
        unit_maps = maps.hidden_maps(model, grid, max_units=16)
        if lo is None:
            span = float(np.max(np.abs(unit_maps))) or 1.0
            lo, hi = -span, span
        fig = charts.hidden_units_figure(grid.xs, grid.ys, unit_maps, (lo, hi), presentation=present,
                                         columns=4, total_units=model.n_hidden)
        st.plotly_chart(fig, config={"displaylogo": False})
        st.caption("Each hidden unit draws one line across the plane (where W1·x + b1 = 0) and bends it "
                   "through its activation; the output layer adds these maps up, weighted by W2.")
    elif view == "Test set in 2-D":
        projection = projection_for(ref)
        prob = model.predict(ds.X_test.T)[0]
        fig = charts.projection_figure(projection(ds.X_test), prob, ds.y_test, projection.explained,
                                       presentation=present,
                                       title=f"Test set ({ds.n_test} samples, {ds.n_features} features) in 2-D")
        st.plotly_chart(fig, config={"displaylogo": False})
        st.caption("The samples projected on their two principal components — a fixed view, so only the fill "
                   "changes: it is the network's predicted probability; the outline is the true class.")


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
    st.markdown("Backpropagation's gradients against central differences "
                "(L(θ + ε) − L(θ − ε)) / 2ε, for the current weights and the first batch of training data.")
    if st.button("Run gradient check", key=K + "gradcheck_button", icon=":material/fact_check:"):
        model = copy.deepcopy(snap.model)  # the check nudges weights; never those a worker is training
        m = min(ds.n_train, 64 if settings.batch_size == FULL_BATCH else max(1, min(settings.batch_size, 64)))
        X = ds.X_train[:m].T
        Y = labels_to_Y(ds.y_train[:m], 1)
        with np.errstate(all="ignore"):
            result = gradient_check(model, X, Y, tolerance=1e-5, max_entries=60)
        st.session_state[K + "gradcheck"] = (result, m, snap.epoch)
    saved = st.session_state.get(K + "gradcheck")
    if saved is None:
        return
    result, m, epoch = saved
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


def export_view(snap, ds, settings: TrainerSettings):
    last = snap.epochs[-1] if snap.epochs else None
    metrics = {}
    if last is not None:
        metrics = {"epoch": last.epoch, "train accuracy": round(last.train_acc, 4),
                   "test accuracy": round(last.test_acc, 4), "test loss": round(last.test_loss, 6)}
    settings_dict = {k: v for k, v in to_query(settings).items()}
    model = snap.model

    def npz():
        return export.weights_npz(model, ds.X_train, ds.y_train, ds.X_test, ds.y_test, settings_dict, metrics)

    script = export.standalone_script(model.activation, "nnviz_run.npz", metrics,
                                      settings_text="Settings: " + json.dumps(settings_dict))
    c1, c2 = st.columns(2)
    c1.download_button("Download weights (.npz)", npz, file_name="nnviz_run.npz", mime="application/octet-stream",
                       key=K + "dl_npz", icon=":material/download:")
    c2.download_button("Download a NumPy script that evaluates it", script, file_name="nnviz_run.py",
                       mime="text/x-python", key=K + "dl_py", icon=":material/code:")
    st.caption("The script rebuilds the network from the .npz (weights and data) and prints its loss and "
               "accuracy — the numbers above — with NumPy alone.")
    st.markdown("**Shareable link** — opens this page with these settings and seed: same seed, same curve.")
    base = (st.context.url or "").split("?")[0]
    st.code(f"{base}?{urllib.parse.urlencode(to_query(settings))}", language=None, wrap_lines=True)
    if settings.dataset == "csv":
        st.caption("A link cannot carry an uploaded file: whoever opens it uploads the same CSV.")


# ----------------------------------------------------------------------------- the page

left, right = st.columns([1, 3] if present else [1, 2.6], gap="medium")
pending = data_for(current_settings())  # None for a CSV not uploaded yet
with left:
    main_controls(pending[0].n_train if pending else None)
    if st.session_state[K + "dataset"] == "csv":
        upload_control()
    with st.expander("More settings", expanded=not present, icon=":material/tune:"):
        more_controls(st.session_state[K + "dataset"])

settings = current_settings()
sync_url(settings)
resolved = data_for(settings)

with right:
    if resolved is None:
        st.info("Upload a CSV file to train on it (left), or pick another dataset.", icon=":material/upload_file:")
        st.stop()
    ds, ref = resolved
    run: Run | None = st.session_state.get(K + "run")
    key = (settings.run_key(), ref)
    if run is None or (run.history.n_steps == 0 and not run.busy and st.session_state.get(K + "run_key") != key):
        try:
            run = new_run(settings, ds, ref)
        except ValueError as err:
            problem(f"These settings cannot train: {plain(err)}", "Change the setting named in this message.")
            st.stop()
    changed = st.session_state.get(K + "run_key") != key
    run.epochs_per_s = pace(settings.speed)

    startable = run.state in ("ready", "paused") and not changed
    b = st.columns(5 if not present else 4)
    b[0].button("Train", key=K + "train", on_click=on_train, disabled=not startable, type="primary",
                icon=":material/play_arrow:", width="stretch", help="Start, or resume after a pause.")
    b[1].button("Pause", key=K + "pause", on_click=on_pause, disabled=run.state not in ("playing", "queued"),
                icon=":material/pause:", width="stretch")
    b[2].button("Step", key=K + "step", on_click=on_step, disabled=not startable or run.busy,
                icon=":material/skip_next:", width="stretch", help="Train one epoch, then stop.")
    b[3].button("Reset", key=K + "reset", on_click=on_reset, icon=":material/restart_alt:", width="stretch",
                help="A new run with the current settings; this one stays on the chart, faded.")
    if not present:
        b[4].toggle("Log scale", key=K + "log_scale", help="Show the loss on a logarithmic axis.")
    if changed:
        st.warning("The settings changed since this run started. Press **Reset** to start a new run with them "
                   "(this one stays on the chart, faded, for comparison).", icon=":material/restart_alt:")

    active_at_start, queued_at_start = run.active, run.state == "queued"
    interval = None
    if active_at_start:
        interval = queue_poll_interval(run.poll().queued_ahead) if queued_at_start else redraw_interval()

    @st.fragment(run_every=interval)
    def live():
        snap = run.poll()
        if run.active != active_at_start or (snap.state == "queued") != queued_at_start:
            st.rerun()  # the run stopped, started or left the queue: redraw the buttons too
        if snap.state == "playing" and redraw_interval() >= 2 * interval:
            st.rerun()  # many more runs play than when this one started: redraw less often
        readouts(snap, settings)
        status_line(snap, settings)
        training_chart(snap, settings)

    live()

    # Inside the network: in the right column, beside the long list of controls.
    views = (["Decision boundary", "Hidden units"] if ds.is_2d else ["Test set in 2-D"]) + \
        ["Equations", "Gradient check", "Export & share"]
    if st.session_state.get(K + "view") not in views:
        st.session_state[K + "view"] = views[0]
    st.segmented_control("Look inside", views, key=K + "view", required=True)
    view = st.session_state[K + "view"]
    if view in ("Decision boundary", "Hidden units", "Test set in 2-D"):
        @st.fragment(run_every=max(1.0, 2 * interval) if interval and not queued_at_start else None)
        def live_inside():
            inside_view(view, run.poll(), ds, settings)

        live_inside()
    elif view == "Equations":
        equations_view(ds, settings)
    elif view == "Gradient check":
        gradcheck_view(run.poll(), ds, settings)
    else:
        export_view(run.poll(), ds, settings)
