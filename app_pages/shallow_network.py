"""Shallow network (lesson 1.3.1–1.3.9): pick hidden units, learning rate and batch size — and watch it learn.

The page reads its widgets into a ``TrainerSettings`` (the same schema as the URL) and hands it to
``nnviz``: the settings build the trainer, the ``Run`` carries them (so an export or a link always
describes the run on screen), ``nnviz.diagnosis`` names what the run is doing, and ``nnviz.charts``
draws it. Training runs in worker processes (``nnviz.runner``); a fragment pulls the progress several
times a second while a run plays. Train, Pause, Step and Reset sit in the trainer panel, a fragment of its
own: a click that changes nothing else (a run that joins or leaves the queue) reruns that panel alone.

A setting that changes the run (not the speed or the log scale) starts a fresh run at once, as
TensorFlow Playground does; the previous run stays on the chart, faded, for comparison.
"""

from __future__ import annotations

import copy
import json
import urllib.parse
from dataclasses import fields, replace
from typing import NamedTuple

import numpy as np
import streamlit as st

from nnviz import charts, equations, export, lesson, live_chart, live_views, maps
from nnviz.activations import ACTIVATIONS, HIDDEN_ACTIVATIONS
from nnviz.admission import queue_message, queue_poll_interval
from nnviz.charts import PLOTLY_CONFIG
from nnviz.data_store import DataRef, UploadMissing, load_data, register_upload
from nnviz.datasets import LESSON, TITLES, TWO_D
from nnviz.diagnosis import diagnose, format_accuracy, format_loss, hidden_units
from nnviz.downsample import SeriesCache
from nnviz.gate import ACTION, LIVE, POLL
from nnviz.gradcheck import gradient_check
from nnviz.network import labels_to_Y
from nnviz.runner import SERVER_ID, Run, get_executor, read_csv_upload, redraw_interval
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
from ui.common import (
    TRAINER_BESIDE_HEIGHT,
    TRAINER_CHART_HEIGHT,
    gated,
    header,
    outside_gate,
    plain,
    presentation_mode,
    problem,
    rerun_page,
)
from ui.identity import owner
from ui.share import share_panel

K = "tr_"  # this page's session-state prefix
RUN_MARK = "run"  # URL key: the server that holds the run on screen (see ``restart_notice``)
MAX_PREVIOUS = 3
SPEED_LABELS = {"max": "as fast as possible", "50": "50 epochs/s", "10": "10 epochs/s", "2": "2 epochs/s"}
INIT_LABELS = {"lesson": "0.01 × N(0, 1) (lesson)", "glorot": "Glorot uniform"}
DATASET_LABELS = {**TITLES, LESSON: "Lesson's data (20-D)"}
STATE_LABELS = {"ready": "ready", "queued": "queued", "playing": "training…", "paused": "paused",
                "finished": "finished", "diverged": "diverged", "failed": "failed"}
VIEW_BOUNDARY, VIEW_PROJECTION = "Decision boundary", "Test set in 2-D"

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


def sync_url(settings: TrainerSettings, run: Run | None):
    """The URL always holds the settings, and — from the moment Train is pressed — which server holds the
    run on screen, so that a reconnect to a restarted server can say that the run was lost. (Marked when
    the run starts, not at its first step: the live fragment draws the steps without a full rerun, and only
    a full rerun writes the URL.)"""
    st.session_state[K + "settings"] = settings
    wanted = to_query(settings)
    if run is not None and (run.history.n_steps or run.active):
        wanted[RUN_MARK] = SERVER_ID
    if any(st.query_params.get(k) != v for k, v in wanted.items()):
        st.query_params.update(wanted)
    if RUN_MARK not in wanted and RUN_MARK in st.query_params:
        del st.query_params[RUN_MARK]


def restart_notice():
    """A new session whose URL names another server's run: the server restarted, and the run is gone."""
    if K + "settings" in st.session_state:
        return  # not a new session
    mark = st.query_params.get(RUN_MARK)
    if mark and mark != SERVER_ID:
        st.session_state[K + "lost"] = True


get_executor()  # the first visit starts the training workers, before anyone presses Train
restart_notice()
load_settings()
for message in st.session_state.pop(K + "link_problems", []):
    st.warning(plain(message))


def main_controls(n_train: int | None):
    st.selectbox("Dataset", DATASETS, key=K + "dataset", format_func=DATASET_LABELS.get)
    st.select_slider("Hidden units", HIDDEN_UNITS, key=K + "hidden")
    st.select_slider("Learning rate", LEARNING_RATES, key=K + "lr", format_func=lambda v: f"{v:g}",
                     help="The step size α of W ← W − α·dW. Log-spaced, 0.0001 … 10.")
    st.select_slider("Batch size", BATCH_SIZES, key=K + "batch_size",
                     format_func=lambda v: "full" if v == FULL_BATCH else str(v),
                     help="Samples per gradient step: 1 is stochastic gradient descent, full is batch gradient descent.")
    if n_train is not None and not present:
        settings = current_settings()
        if settings.batch_for(n_train) == n_train:
            st.caption(f"= the full training set: {n_train} samples, one step per epoch")
        else:
            st.caption(f"{settings.steps_per_epoch(n_train)} steps per epoch over {n_train} training samples")
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
             help="How fast a run plays, in epochs per second, so that a class can watch the boundary move.")
    st.toggle("Log scale", key=K + "log_scale", help="Show the loss on a logarithmic axis.")


def lesson_controls():
    """One click to the lesson's own run, and one to what its text meant."""
    c1, c2 = (st.container(), st.container()) if present else st.columns(2)
    c1.button("The lesson's run", key=K + "lesson_run", on_click=use_recipe, args=(lesson.LESSON_RUN,),
              icon=":material/school:", width="stretch",
              help="Lesson data, 10 hidden units, batch 100, 500 epochs, learning rate 1, the lesson's init, "
                   "no shuffling — and Train.")
    c2.button("What the text meant", key=K + "text_run", on_click=use_recipe, args=(lesson.TEXT_MEANT_RUN,),
              icon=":material/menu_book:", width="stretch",
              help="The same run with the learning rate 0.01 that the lesson's text passes to fit — and Train.")


def lesson_note(settings: TrainerSettings):
    mine = replace(settings, seed=0, speed="50", log_scale=False).run_key()
    if mine == lesson.LESSON_RUN.run_key():
        st.caption("**The lesson's run.** Its text calls `fit(..., lr=0.01)`, but its `update_weights` never "
                   "multiplies by `lr` (every step is `W -= dW`): it really trained with learning rate **1**.")
    elif mine == lesson.TEXT_MEANT_RUN.run_key():
        st.caption("**What the lesson's text meant**: learning rate 0.01 really applied — steps 100× smaller "
                   "than the lesson's code took. Compare with the lesson's run (faded).")


def upload_control():
    file = st.file_uploader("CSV file: numeric feature columns and a 0/1 label column", type=["csv", "txt"],
                            key=K + "csv", max_upload_size=5,
                            help="The label is the column named label, y, target or class, else the last one. "
                                 "At most 10,000 rows.")
    if file is not None and file.file_id != st.session_state.get(K + "csv_id"):
        st.session_state[K + "csv_id"] = file.file_id
        try:  # a bad file or a full disk: ValueError, with a message for the user
            ds = read_csv_upload(file.getvalue(), file.name, int(st.session_state[K + "seed"]), waiting=outside_gate)
            st.session_state[K + "upload"] = register_upload(ds)
        except ValueError as err:
            st.session_state[K + "csv_error"] = f"{file.name}: {err}"
        else:
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
    try:
        return load_data(ref), ref
    except UploadMissing as err:  # the stored copy is gone: say so, and take the file again if still chosen
        for key in ("upload", "csv_id"):
            st.session_state.pop(K + key, None)
        st.session_state[K + "csv_error"] = f"{ref.title}: {err}"
        return None


# ----------------------------------------------------------------------------- the run

def archive(run: Run):
    """Keep a run's curves as a faded trace for comparison."""
    snap = run.poll()
    if not snap.epochs:
        return
    loss = np.array([r.test_loss if r.test_loss is not None else r.train_loss for r in snap.epochs])
    acc = np.array([r.test_acc if r.test_acc is not None else r.train_acc for r in snap.epochs], dtype=float)
    curve = charts.Curve(run.settings.label(), np.array([r.epoch for r in snap.epochs]), loss, acc, run.settings)
    st.session_state[K + "previous"] = ([curve] + st.session_state.get(K + "previous", []))[:MAX_PREVIOUS]


def current_run(settings: TrainerSettings, ds, ref) -> Run | None:
    """The session's run for ``settings``: the one on screen if it is for these settings, else a fresh one.
    A run with progress that is replaced stays on the chart, faded; if it was playing, the new one plays."""
    run: Run | None = st.session_state.get(K + "run")
    restart = st.session_state.pop(K + "restart", False)
    if run is not None and run.key == (settings.run_key(), ref) and not restart:
        return run
    play = restart or (run is not None and run.state == "playing")
    if run is not None:
        run.pause(wait=0.0)
        if run.history.n_steps:
            archive(run)
            if not play:
                st.session_state[K + "notice"] = (f"New settings, new run — the previous one ({run.settings.label()}) "
                                                  "stays on the chart, faded.")
    st.session_state.pop(K + "run", None)
    try:
        run = Run(settings.new_trainer(ds), ref, settings=settings, owner=owner())
    except ValueError as err:
        problem(f"These settings cannot train: {plain(err)}", "Change the setting named in this message.")
        return None
    st.session_state[K + "run"] = run
    st.session_state.pop(K + "gradcheck", None)
    if play:
        run.play(settings.epochs_per_s)
    return run


def use_recipe(recipe: TrainerSettings):
    """Set the widgets to ``recipe`` (keeping the seed and the display choices), and play it."""
    for f in fields(TrainerSettings):
        if f.name not in ("seed", "speed", "log_scale"):
            st.session_state[K + f.name] = getattr(recipe, f.name)
    st.session_state[K + "restart"] = True
    st.session_state.pop(K + "lost", None)


def drawn_live(run: Run) -> bool:
    """Whether the run plays live: the views inside the network then follow it with timers of their own."""
    return run.active and run.state != "queued"


class PageView(NamedTuple):
    """What the page outside the trainer panel shows of a run: the run itself, its step (the views inside the
    network, the log, the export) and whether they follow it live (their timers)."""

    run: Run
    steps: int
    live: bool


def page_view(run: Run) -> PageView:
    return PageView(run, run.history.n_steps, drawn_live(run))


def page_is_stale() -> bool:
    """Whether the page outside the trainer panel no longer shows the run on screen: a new run, a run that
    started or stopped playing live, or (not live) one that took a step."""
    run, drawn = st.session_state.get(K + "run"), st.session_state.get(K + "drawn")
    if run is None or drawn is None or drawn.run is not run:
        return True
    live = drawn_live(run)
    return live != drawn.live or (not live and run.history.n_steps != drawn.steps)


def rerun_if_page_changed():
    """From a button's callback: a click whose outcome changes more than the trainer panel (a run that starts or
    stops playing live, a step, a new run) reruns the whole page; the others (Train or Pause of a queued run —
    a lecture hall's press wave) rerun the panel alone."""
    if page_is_stale():
        st.rerun()


def on_train():
    run = st.session_state.get(K + "run")
    st.session_state.pop(K + "notice", None)
    st.session_state.pop(K + "lost", None)
    if run is not None:
        run.play(current_settings().epochs_per_s)
    rerun_if_page_changed()


def on_pause():
    run = st.session_state.get(K + "run")
    if run is not None:
        # no wait for the slice under way: the run holds where its last merged slice left it (at most one
        # redraw ahead of the screen), and the page answers the click without waiting for a worker
        run.pause(wait=0.0)
    rerun_if_page_changed()


def on_step():
    run = st.session_state.get(K + "run")
    st.session_state.pop(K + "notice", None)
    if run is not None:
        run.step_epoch()
    rerun_if_page_changed()


def on_reset():
    run = st.session_state.pop(K + "run", None)
    st.session_state.pop(K + "notice", None)
    if run is not None:
        run.pause(wait=0.0)
        archive(run)
    rerun_if_page_changed()


# ----------------------------------------------------------------------------- drawing

def readouts(snap, settings: TrainerSettings):
    """The epoch, then one row of numbers that never truncates (each sized to its content): accuracies,
    losses, the one speed (training steps per second), and the run's state."""
    last = snap.epochs[-1] if snap.epochs else None
    cells = [
        ("Test accuracy", format_accuracy(last.test_acc if last else None)),
        ("Test loss", format_loss(last.test_loss if last else None)),
        ("Train accuracy", format_accuracy(last.train_acc if last else None)),
        ("Train loss", format_loss(last.train_loss if last else None)),
        ("Steps/s", f"{snap.speed:,.0f}" if snap.speed else "–"),
    ]
    with st.container(key=K + "readouts", horizontal=True, vertical_alignment="bottom", gap="small"):
        st.markdown(f"### Epoch {snap.epoch} / {settings.epochs}", width="content")
        for label, text in cells:
            st.metric(label, text, width="content")
        st.caption(f"step {snap.step:,} · {STATE_LABELS[snap.state]}", width="content")


def verdict_for(run: Run, snap, ds):
    """The diagnosis of the run as of this snapshot — computed once per new slice (the run's version), not on
    every redraw: it reads the whole history and runs the hidden units over up to 2,000 samples."""
    cached = st.session_state.get(K + "verdict")
    if cached is not None and cached[0] is run and cached[1] is snap.epochs and cached[2] == snap.state:
        return cached[3]  # the run keeps one epochs tuple per slice: the same tuple, the same history
    settings = run.settings
    units = None
    if len(snap.epochs) >= 20:
        units = hidden_units(snap.model, ds.X_train[:2000])
    verdict = diagnose(snap.epochs, lr=settings.lr, stopped=snap.state, units=units, init=settings.init,
                       batch_size=settings.batch_for(ds.n_train))
    st.session_state[K + "verdict"] = (run, snap.epochs, snap.state, verdict)
    return verdict


def status_line(run: Run, snap, ds):
    """One short message, in a box of fixed minimum height: what the run is doing and what to try."""
    settings = run.settings
    with st.container(key=K + "status"):
        if snap.state == "queued":
            st.info(queue_message(snap.queued_ahead), icon=":material/hourglass_top:")
            return
        if snap.state == "failed":
            problem(plain(snap.message), "Press Reset to start again.")
            return
        if run.refused and snap.state in ("ready", "paused"):
            st.warning(run.refused, icon=":material/speed:")
            return
        verdict = verdict_for(run, snap, ds) if snap.epochs or snap.state == "diverged" else None
        if snap.state == "diverged":
            problem(f"{verdict.title} {verdict.advice}")
            return
        if verdict is not None and verdict.bad:
            ended = "Finished, but — " if snap.state == "finished" else ""
            st.warning(f"{ended}{verdict.title} {verdict.advice}", icon=":material/warning:")
        elif snap.state == "finished":
            st.success(f"{finish_summary(snap, settings)}. Reset or change a setting for a new run; this one "
                       "stays on the chart, faded.", icon=":material/check_circle:")
        elif st.session_state.get(K + "notice") and snap.state == "ready":
            st.info(st.session_state[K + "notice"] + " Press **Train**.", icon=":material/restart_alt:")
        elif st.session_state.get(K + "lost") and snap.state == "ready":
            st.warning("The server restarted, and the run that was on screen was lost. Its settings are still "
                       "here (they are in the link): press **Train** to start it again.", icon=":material/sync_problem:")
        elif snap.state == "ready":
            st.info("Ready: press **Train** to watch it learn, or **Step** for one epoch.", icon=":material/play_arrow:")
        elif snap.state == "paused":
            st.info(f"Paused at epoch {snap.epoch}. **Train** resumes.", icon=":material/pause:")
        else:
            st.info(f"Training at {SPEED_LABELS[settings.speed]} — the chart follows every epoch.",
                    icon=":material/model_training:")


def finish_summary(snap, settings: TrainerSettings) -> str:
    """How a finished run ended, in the words the class board's and the bench's readers know."""
    timing = ""
    if snap.wall_seconds > 0:
        timing = f" in {snap.wall_seconds:.2f} s of training — {snap.speed:,.0f} steps/s overall"
    return f"Finished {settings.epochs} epochs ({snap.step:,} steps){timing}"


def earlier_runs(previous, settings: TrainerSettings) -> tuple:
    """The runs kept for comparison, each labelled by what differs from the run on screen (labels are the
    legend's names, so a repeated one is numbered)."""
    out, seen = [], {}
    for curve in previous:
        label = curve.settings.label_against(settings) if curve.settings is not None else curve.label
        seen[label] = seen.get(label, 0) + 1
        out.append(replace(curve, label=label if seen[label] == 1 else f"{label} ({seen[label]})"))
    return tuple(out)


def training_chart(snap, settings: TrainerSettings, height: int | None):
    """The loss and accuracy charts (Vega-Lite, updated in place: ``nnviz.live_chart``): built once per new
    slice of the run (downsampled to a fixed number of points, so a redraw costs the same at epoch 10 and
    2,000), not on every redraw."""
    previous = tuple(st.session_state.get(K + "previous", []))
    key = (snap.epochs, snap.batch_steps, settings.log_scale, present, height, *previous)
    cached = st.session_state.get(K + "chart")
    if cached is None or len(cached[0]) != len(key) or any(a is not b for a, b in zip(cached[0], key, strict=True)):
        reference = band = None
        if settings.dataset == LESSON:
            measured = lesson.MEASURED_LESSON_RUN
            reference = (lesson.LESSON_ACCURACY, f"lesson: {lesson.LESSON_ACCURACY:.1%}")
            band = (measured.mean - measured.sd, measured.mean + measured.sd)
        series = st.session_state.setdefault(K + "series", SeriesCache())  # grows with the run, never rebuilt
        previous = earlier_runs(previous, settings)
        s = series.series(snap.epochs, snap.batch_steps, snap.batch_losses, snap.steps_per_epoch)
        cached = (key, tuple(map(live_chart.drawn_often, (
            live_chart.loss_spec(s.epochs, s.train_loss, s.test_loss, batch_x=s.batch_x, batch_loss=s.batch_loss,
                                 previous=previous, log_scale=settings.log_scale, presentation=present, height=height),
            live_chart.accuracy_spec(s.epochs, s.train_acc, s.test_acc, previous=previous, presentation=present,
                                     reference=reference, reference_band=band, height=height)))))
        st.session_state[K + "chart"] = cached
    with st.container(key=K + "chart"):  # holds the charts' height when one is mounted anew
        for column, spec in zip(st.columns(2, gap="medium"), cached[1], strict=True):
            column.vega_lite_chart(spec, theme=None)


@st.cache_data(max_entries=16, show_spinner=False)
def projection_for(ref: DataRef):
    """The fixed 2-D view of a dataset (computed once per dataset, not on every redraw)."""
    return maps.pca_2d(load_data(ref).X_train)


def inside_view(view: str, snap, ds, ref, beside: bool = False):
    """A live view of the network. ``beside``: drawn in the narrow column beside the loss chart."""
    model = snap.model
    height = TRAINER_BESIDE_HEIGHT if beside else None
    if view == VIEW_BOUNDARY:
        grid = maps.grid_over(np.vstack([ds.X_train, ds.X_test]), resolution=60 if not present else 50)
        spec = live_views.boundary_spec(grid.xs, grid.ys, maps.output_map(model, grid), ds.X_train, ds.y_train,
                                        ds.X_test, ds.y_test, feature_names=ds.feature_names,
                                        presentation=present, height=height, legend=not beside)
        st.vega_lite_chart(live_chart.drawn_often(spec), theme=None)
        st.caption("Colour: the network's P(class 1); black line: P = 0.5, the decision boundary. "
                   "Filled dots train, hollow dots test.")
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
        st.plotly_chart(fig, config=PLOTLY_CONFIG)
        st.caption("Each hidden unit draws one line across the plane (where W1·x + b1 = 0) and bends it "
                   "through its activation; the output layer adds these maps up, weighted by W2.")
    elif view == VIEW_PROJECTION:
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
    st.markdown("Backpropagation's gradients against central differences "
                "(L(θ + ε) − L(θ − ε)) / 2ε, for the current weights and the first batch of training data.")
    if st.button("Run gradient check", key=K + "gradcheck_button", icon=":material/fact_check:"):
        model = copy.deepcopy(snap.model)  # the check nudges weights; never those a worker is training
        m = min(64, settings.batch_for(ds.n_train))
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


def export_view(run: Run):
    """Export and share the run on screen: its own settings and data, whatever the widgets say now."""
    snap = run.poll()
    settings, ds = run.settings, load_data(run.ref)
    last = snap.epochs[-1] if snap.epochs else None
    metrics = {}
    if last is not None:
        metrics = {"epoch": last.epoch, "train accuracy": round(last.train_acc, 4),
                   "test accuracy": round(last.test_acc, 4), "test loss": round(last.test_loss, 6)}
    settings_dict = to_query(settings)
    # the file itself, not a function that makes it on click: the download is then a plain link to this run's bytes
    npz = export.weights_npz(snap.model, ds.X_train, ds.y_train, ds.X_test, ds.y_test, settings_dict, metrics)
    script = export.standalone_script(snap.model.activation, "nnviz_run.npz", metrics,
                                      settings_text="Settings: " + json.dumps(settings_dict))
    st.markdown(f"**This run**: {DATASET_LABELS[settings.dataset]} · {settings.label()} · "
                f"{f'epoch {last.epoch}' if last else 'not trained yet'}.")
    c1, c2 = st.columns(2)
    c1.download_button("Weights and data (.npz)", npz, file_name="nnviz_run.npz", mime="application/octet-stream",
                       key=K + "dl_npz", icon=":material/download:", width="stretch")
    c2.download_button("NumPy script (.py)", script, file_name="nnviz_run.py",
                       mime="text/x-python", key=K + "dl_py", icon=":material/code:", width="stretch")
    st.caption("The script rebuilds the network from the .npz (weights and data) and prints its loss and "
               "accuracy — the numbers above — with NumPy alone.")
    st.markdown("**Shareable link** — opens this page with this run's settings and seed: same seed, same curve.")
    base = (st.context.url or "").split("?")[0]
    st.code(f"{base}?{urllib.parse.urlencode(to_query(settings))}", language=None, wrap_lines=True)
    if settings.dataset == "csv":
        st.caption("A link cannot carry an uploaded file: whoever opens it uploads the same CSV.")


def loss_log_view(snap):
    """The lesson's training log, as its fit printed it, from this run."""
    which = st.radio("Loss printed", ("last batch", "epoch mean"), horizontal=True, key=K + "log_which",
                     help="The lesson printed the loss of each epoch's last batch only; the chart shows the mean "
                          "over the epoch's batches.")
    lines = lesson.loss_log(snap.epochs, which)
    st.caption("Every 10 epochs, `iteration i: loss …` as the lesson's `fit` printed it (i counts from 0). "
               + ("The lesson printed the loss of the epoch's **last batch** only — one batch of 100 samples, "
                  "so it jumps more than the epoch's mean." if which == "last batch" else
                  "Here: the mean loss over the epoch's batches."))
    if not lines:
        st.info("Train the run to see its log.", icon=":material/receipt_long:")
        return
    st.code("\n".join(lines), language=None, height=300)
    st.caption(f"Accuracy over the test set at the end — the lesson: {lesson.LESSON_ACCURACY:.1%}; "
               f"we measured for its recipe {lesson.MEASURED_LESSON_RUN.describe()}.")


# ----------------------------------------------------------------------------- the trainer panel

@st.fragment
@gated(ACTION)
def trainer_panel(run: Run, settings: TrainerSettings, ds, interval: float | None):
    """Train, Pause, Step and Reset, the readouts, what the run is doing and its chart: one fragment, so that a
    click whose outcome stays inside it reruns it alone (``rerun_if_page_changed``). In a lecture hall nearly
    every Train press queues its run, and a whole page is some seventy messages to every one of them.

    ``interval`` (seconds between redraws) is set while the run plays live: a fragment inside follows it. A
    queued run's countdown polls for its turn on its own timer, with one element; its readouts and chart do not
    change while it waits, so they are drawn once, around it (at 30 students, 26 waited)."""
    snap = run.poll()  # first: a poll may let a queued run in, and the page must then follow it live
    if page_is_stale():
        st.rerun()  # the run changed since the page was drawn (admitted from the queue, finished, reset ...)
    sync_url(settings, run)  # Train marks the link with the server that holds the run
    with st.container(key=K + "buttons"):
        b = st.columns(4)
        b[0].button("Train", key=K + "train", on_click=on_train, disabled=run.state not in ("ready", "paused"),
                    type="primary", icon=":material/play_arrow:", width="stretch", help="Start, or resume after a pause.")
        b[1].button("Pause", key=K + "pause", on_click=on_pause, disabled=run.state not in ("playing", "queued"),
                    icon=":material/pause:", width="stretch")
        b[2].button("Step", key=K + "step", on_click=on_step, disabled=run.state not in ("ready", "paused") or run.busy,
                    icon=":material/skip_next:", width="stretch", help="Train one epoch, then stop.")
        b[3].button("Reset", key=K + "reset", on_click=on_reset, icon=":material/restart_alt:", width="stretch",
                    help="A new run with the current settings; this one stays on the chart, faded.")
    if snap.state == "queued":
        readouts(snap, settings)
        st.fragment(run_every=queue_poll_interval(snap.queued_ahead))(gated(POLL)(countdown))(run, ds)
        training_chart(snap, settings, CHART_HEIGHT)
    elif interval:
        st.fragment(run_every=interval)(gated(LIVE)(live_progress))(run, settings, ds, interval)
    else:
        readouts(snap, settings)
        status_line(run, snap, ds)
        training_chart(snap, settings, CHART_HEIGHT)


def countdown(run: Run, ds):
    """A queued run's place in the queue, polled on its own timer; the whole page follows once it leaves."""
    snap = run.poll()
    if snap.state != "queued":
        rerun_page(LIVE)  # admitted (or dropped for silence): the buttons and the live views change
    status_line(run, snap, ds)


def live_progress(run: Run, settings: TrainerSettings, ds, interval: float):
    """A live run's readouts, status and chart, every ``interval`` seconds."""
    snap = run.poll()
    if not drawn_live(run):
        rerun_page(LIVE)  # the run stopped (finished, diverged, paused): redraw the buttons and the views too
    if snap.state == "playing" and redraw_interval() >= 2 * interval:
        rerun_page(LIVE)  # many more runs play than when this one started: redraw less often
    readouts(snap, settings)
    status_line(run, snap, ds)
    training_chart(snap, settings, CHART_HEIGHT)


# ----------------------------------------------------------------------------- the page

CHART_HEIGHT = TRAINER_CHART_HEIGHT[present]

with st.container(key=K + "layout"):
    if present:
        left, mid, right = st.columns([0.9, 2.25, 1.35], gap="small")
    else:
        left, mid = st.columns([1, 2.6], gap="medium")
        right = None
pending = data_for(current_settings())  # None for a CSV not uploaded yet
with left:
    main_controls(pending[0].n_train if pending else None)
    if st.session_state[K + "dataset"] == "csv":
        upload_control()
    with st.expander("More settings", expanded=not present, icon=":material/tune:"):
        more_controls(st.session_state[K + "dataset"])
    lesson_controls()

settings = current_settings()
resolved = data_for(settings)

with mid:
    if resolved is None:
        sync_url(settings, None)
        st.info("Upload a CSV file to train on it (left), or pick another dataset.", icon=":material/upload_file:")
        st.stop()
    ds, ref = resolved
    run = current_run(settings, ds, ref)
    sync_url(settings, run)
    if run is None:
        st.stop()
    run.epochs_per_s = settings.epochs_per_s
    st.session_state[K + "drawn"] = drawn = page_view(run)
    interval = redraw_interval() if drawn.live else None
    trainer_panel(run, settings, ds, interval)
    if not present:
        lesson_note(settings)

views = [VIEW_BOUNDARY, "Hidden units"] if ds.is_2d else [VIEW_PROJECTION]
if settings.dataset == LESSON:
    views.append("Lesson's log")
views += ["Equations", "Gradient check", "Export & share"]
if present:  # the main live view sits beside the chart; the others below
    beside_view, views = views[0], views[1:]
    with right:
        # The views inside the network are Plotly figures, and each new one is a full draw in the browser
        # (bench_feel: with the boundary every 1 s the page's main thread was 64–77 % busy and "paused" showed
        # 0.25–0.65 s after the click; every 2 s, 47–56 % and 0.25–0.41 s): they follow every 2 s or more.
        @st.fragment(run_every=max(2.0, 4 * interval) if interval else None)
        @gated(LIVE)
        def live_beside():
            with st.container(key=K + "beside"):  # holds its height while each new figure is swapped in
                inside_view(beside_view, run.poll(), ds, ref, beside=True)

        live_beside()
    lesson_note(settings)

with mid if not present else st.container():
    if st.session_state.get(K + "view") not in views:
        st.session_state[K + "view"] = views[0]
    with st.container(key=K + "view_box"):
        st.segmented_control("Look inside", views, key=K + "view", required=True)
    view = st.session_state[K + "view"]
    if view in (VIEW_BOUNDARY, "Hidden units", VIEW_PROJECTION):
        @st.fragment(run_every=max(2.0, 4 * interval) if interval else None)
        @gated(LIVE)
        def live_inside():
            inside_view(view, run.poll(), ds, ref)

        live_inside()
    elif view == "Lesson's log":
        loss_log_view(run.poll())
    elif view == "Equations":
        equations_view(ds, settings)
    elif view == "Gradient check":
        gradcheck_view(run.poll(), ds, settings)
    else:
        export_view(run)

share_panel(run.poll(), run.settings, where=left)
