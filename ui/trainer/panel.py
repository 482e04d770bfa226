"""The trainer panel: Train, Pause, Step and Reset, the readouts, what the run is doing, and its live chart —
one fragment, so that a click whose outcome stays inside it reruns it alone (in a lecture hall nearly every Train
press queues its run, and a whole page is some seventy messages to every one of them). While the run plays, a
fragment inside follows it on a timer; a queued run's countdown polls on a slower one."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import streamlit as st

from nnviz.core.datasets import LESSON
from nnviz.core.settings import TrainerSettings
from nnviz.lesson import recipes
from nnviz.lesson.diagnosis import diagnose, format_accuracy, format_loss, guess_loss, hidden_units
from nnviz.lesson.examples import example_for
from nnviz.serving.admission import queue_message, queue_poll_interval
from nnviz.serving.gate import ACTION, LIVE, POLL
from nnviz.serving.runner import Run, RunState, redraw_interval
from nnviz.viz import live_chart
from ui.common import TRAINER_CHART_HEIGHT, gated, plain, presentation_mode, problem, rerun_page
from ui.trainer.controls import RECIPE_ICONS, SPEED_LABELS
from ui.trainer.pause_point import pause_point
from ui.trainer.session import (
    drawn_live,
    link_behind,
    on_pause,
    on_pause_shown,
    on_reset,
    on_step,
    on_train,
    page_is_stale,
    state,
    sync_url,
    widget,
)

STATE_LABELS = {RunState.PLAYING: "training…"}  # the others read as their own name


@st.fragment
@gated(ACTION)
def trainer_panel(run: Run, settings: TrainerSettings, ds, interval: float | None):
    """The panel. ``interval`` (seconds between redraws) is set while the run plays live: a fragment inside follows
    it. A queued run's countdown polls for its turn on its own timer, with one element; its readouts and chart do
    not change while it waits, so they are drawn once, around it (most of a class waits at first)."""
    snap = run.poll()  # first: a poll may let a queued run in, and the page must then follow it live
    if page_is_stale():
        st.rerun()  # the run changed since the page was drawn (admitted from the queue, finished, reset ...)
    sync_url(settings, run)  # Train marks the link with the server that holds the run
    with st.container(key=widget("buttons")):
        b = st.columns(4)
        idle = run.state in (RunState.READY, RunState.PAUSED)
        b[0].button("Train", key=widget("train"), on_click=on_train, disabled=not idle,
                    type="primary", icon=":material/play_arrow:", width="stretch", help="Start, or resume after a pause.")
        b[1].button("Pause", key=widget("pause"), on_click=on_pause,
                    disabled=run.state not in (RunState.PLAYING, RunState.QUEUED),
                    icon=":material/pause:", width="stretch")
        b[2].button("Step", key=widget("step"), on_click=on_step,
                    disabled=not idle or run.busy,
                    icon=":material/skip_next:", width="stretch", help="Train one epoch, then stop.")
        b[3].button("Reset", key=widget("reset"), on_click=on_reset, icon=":material/restart_alt:", width="stretch",
                    help="A new run with the current settings; this one stays on the chart, faded.")
    height = TRAINER_CHART_HEIGHT[presentation_mode()]
    if snap.state == RunState.QUEUED:
        readouts(snap, settings)
        st.fragment(run_every=queue_poll_interval(snap.queued_ahead))(gated(POLL)(countdown))(run, ds)
        training_chart(snap, settings, height)
    elif interval:
        st.fragment(run_every=interval)(gated(LIVE)(live_progress))(run, settings, ds, interval)
    else:
        readouts(snap, settings)
        status_line(run, snap, ds)
        training_chart(snap, settings, height)


def countdown(run: Run, ds):
    """A queued run's place in the queue, polled on its own timer; the whole page follows once it leaves."""
    snap = run.poll()
    if snap.state != RunState.QUEUED:
        rerun_page(LIVE)  # admitted (or dropped for silence): the buttons and the live views change
    status_line(run, snap, ds)


def live_progress(run: Run, settings: TrainerSettings, ds, interval: float):
    """A live run's readouts, status and chart, every ``interval`` seconds."""
    snap = run.poll()
    if not drawn_live(run):
        rerun_page(LIVE)  # the run stopped (finished, diverged, paused): redraw the buttons and the views too
    if snap.state == RunState.PLAYING and redraw_interval() >= 2 * interval:
        rerun_page(LIVE)  # many more runs play than when this one started: redraw less often
    if link_behind(run, snap):
        sync_url(settings, run)  # a change made while it plays took effect: the link replays it from now on
    readouts(snap, settings)
    status_line(run, snap, ds)
    training_chart(snap, settings, TRAINER_CHART_HEIGHT[presentation_mode()])
    pause_point(snap.step, widget("shown"), f".st-key-{widget('pause')} button", f".st-key-{widget('readouts')}",
                on_pause_shown)


def readouts(snap, settings: TrainerSettings):
    """The epoch, then one row of numbers that never truncates (each sized to its content): accuracies,
    losses, the one speed (training steps per second), and the run's state."""
    last = snap.epochs[-1] if snap.epochs else None
    if snap.model.problem == "regression":
        cells = [
            ("Test R²", format_r2(last.test_r2 if last else None)),
            ("Test RMSE", format_loss(last.test_rmse if last else None)),
            ("Train R²", format_r2(last.train_r2 if last else None)),
            ("Train loss", format_loss(last.train_loss if last else None)),
        ]
    else:
        cells = [
            ("Test accuracy", format_accuracy(last.test_acc if last else None)),
            ("Test loss", format_loss(last.test_loss if last else None)),
            ("Train accuracy", format_accuracy(last.train_acc if last else None)),
            ("Train loss", format_loss(last.train_loss if last else None)),
        ]
    cells.append(("Steps/s", f"{snap.speed:,.0f}" if snap.speed else "–"))
    with st.container(key=widget("readouts"), horizontal=True, vertical_alignment="bottom", gap="small"):
        st.markdown(f"### Epoch {snap.epoch} / {settings.epochs}", width="content")
        for label, text in cells:
            st.metric(label, text, width="content")
        st.caption(f"step {snap.step:,} · {STATE_LABELS.get(snap.state, snap.state)}", width="content")


def format_r2(r2: float | None) -> str:
    return "–" if r2 is None or not np.isfinite(r2) else f"{r2:.3f}"


def loss_label(model) -> str:
    """What the loss chart's axis says the loss is: the problem's loss, and the penalty when there is one."""
    loss = "½·MSE" if model.problem == "regression" else "cross-entropy"
    return loss if model.regularization == "none" else f"{loss} + {model.regularization.upper()} penalty"


def verdict_for(run: Run, snap, ds):
    """The diagnosis of the run as of this snapshot — computed once per new slice (the run's version), not on
    every redraw: it reads the whole history and runs the hidden units over up to 2,000 samples."""
    s = state()
    cached = s.verdict
    if cached is not None and cached[0] is run and cached[1] is snap.epochs and cached[2] == snap.state:
        return cached[3]  # the run keeps one epochs tuple per slice: the same tuple, the same history
    settings = run.settings
    units = None
    if len(snap.epochs) >= 20 and snap.model.hidden:
        units = hidden_units(snap.model, ds.X_train[:2000])
    lr = next((c.new for c in reversed(snap.schedule) if c.what == "lr"), settings.lr)  # the one it trains with
    verdict = diagnose(snap.epochs, lr=lr, stopped=snap.state, units=units, init=settings.init,
                       batch_size=settings.batch_for(ds.n_train), guess=guess_loss(ds.problem, ds.n_classes, ds.y_train),
                       score="R²" if ds.problem == "regression" else "accuracy")
    s.verdict = (run, snap.epochs, snap.state, verdict)
    return verdict


def status_line(run: Run, snap, ds):
    """One short message, in a box of fixed minimum height: what the run is doing and what to try."""
    settings, s = run.settings, state()
    recipe = recipes.recipe_for(settings)
    example = example_for(settings)
    with st.container(key=widget("status")):
        if snap.state == RunState.QUEUED:
            st.info(queue_message(snap.queued_ahead), icon=":material/hourglass_top:")
            return
        if snap.state == RunState.FAILED:
            problem(plain(snap.message), "Press Reset to start again.")
            return
        if run.refused and snap.state in (RunState.READY, RunState.PAUSED):
            st.warning(run.refused, icon=":material/speed:")
            return
        verdict = verdict_for(run, snap, ds) if snap.epochs or snap.state == RunState.DIVERGED else None
        if snap.state == RunState.DIVERGED:
            problem(f"{verdict.title} {verdict.advice}")
            return
        if verdict is not None and verdict.bad:
            # the summary first, as for a good run (the class board's readers and bench_hall read it), then the verdict
            # (on a projector without the timing, which the readouts show, so that the chart stays on screen)
            summary = finish_summary(snap, settings, timing=not presentation_mode())
            ended = f"{summary}, but — " if snap.state == RunState.FINISHED else ""
            st.warning(f"{ended}{verdict.title} {verdict.advice}", icon=":material/warning:")
        elif snap.state == RunState.FINISHED and example is not None:  # what to watch stays after a short run
            st.success(f"{finish_summary(snap, settings)}. **{example.title}** — {example.watch}",
                       icon=":material/check_circle:")
        elif snap.state == RunState.FINISHED:
            st.success(f"{finish_summary(snap, settings)}. Reset or change a setting for a new run; this one "
                       "stays on the chart, faded.", icon=":material/check_circle:")
        elif s.notice and snap.state == RunState.READY:
            st.info(s.notice + " Press **Train**.", icon=":material/restart_alt:")
        elif s.lost and snap.state == RunState.READY:
            st.warning("The server restarted, and the run that was on screen was lost. Its settings are still "
                       "here (they are in the link): press **Train** to start it again.", icon=":material/sync_problem:")
        elif recipe is not None and snap.state in (RunState.READY, RunState.PLAYING):
            st.info(recipe.about, icon=RECIPE_ICONS[recipe.key])
        elif example is not None and snap.state in (RunState.READY, RunState.PLAYING):
            st.info(f"**{example.title}** — {example.watch}", icon=":material/science:")
        elif snap.state == RunState.READY:
            st.info("Ready: press **Train** to watch it learn, or **Step** for one epoch.", icon=":material/play_arrow:")
        elif snap.state == RunState.PAUSED:
            st.info(f"Paused at epoch {snap.epoch}. **Train** resumes.", icon=":material/pause:")
        else:
            st.info(f"Training at {SPEED_LABELS[settings.speed]} — the chart follows every epoch.",
                    icon=":material/model_training:")


def finish_summary(snap, settings: TrainerSettings, timing: bool = True) -> str:
    """How a finished run ended, in the words the class board's and the bench's readers know (``timing``: with its
    steps, time and speed)."""
    if not timing:
        return f"Finished {settings.epochs} epochs"
    spent = f" in {snap.wall_seconds:.2f} s of training — {snap.speed:,.0f} steps/s overall" if snap.wall_seconds > 0 else ""
    return f"Finished {settings.epochs} epochs ({snap.step:,} steps){spent}"


def earlier_runs(previous, settings: TrainerSettings) -> tuple:
    """The runs kept for comparison, each labelled by what differs from the run on screen (labels are the
    legend's names, so a repeated one is numbered)."""
    out, seen = [], {}
    for curve in previous:
        label = curve.settings.label_against(settings) if curve.settings is not None else curve.label
        seen[label] = seen.get(label, 0) + 1
        out.append(replace(curve, label=label if seen[label] == 1 else f"{label} ({seen[label]})"))
    return tuple(out)


def change_marks(snap) -> tuple[tuple[float, str], ...]:
    """Where the chart marks each change made during the run: (epoch, "lr 1 → 0.1"), the epoch fractional
    for a change made mid-epoch (the chart's x axis counts epochs)."""
    return tuple((c.step / snap.steps_per_epoch, c.label()) for c in snap.schedule)


def training_chart(snap, settings: TrainerSettings, height: int | None):
    """The loss and accuracy charts (Vega-Lite, updated in place: ``nnviz.viz.live_chart``): built once per new
    slice of the run (downsampled to a fixed number of points, so a redraw costs the same at epoch 10 and
    2,000), not on every redraw."""
    s = state()
    present = presentation_mode()
    previous = tuple(s.previous)
    key = (snap.epochs, snap.batch_steps, snap.schedule, settings.log_scale, present, height, *previous)
    cached = s.chart
    if cached is None or len(cached[0]) != len(key) or any(a is not b for a, b in zip(cached[0], key, strict=True)):
        reference = band = None
        if settings.dataset == LESSON:
            reference = (recipes.LESSON_ACCURACY, f"the lesson: {recipes.LESSON_ACCURACY * 100:.1f} %")
            recipe = recipes.recipe_for(settings)
            if recipe is not None:  # what this recipe reaches over seeds
                m = recipe.measured
                band = (m.mean - m.sd, m.mean + m.sd, recipe.band_label)
        previous = earlier_runs(previous, settings)
        c = s.series.series(snap.epochs, snap.batch_steps, snap.batch_losses, snap.steps_per_epoch)
        marks = change_marks(snap)
        cached = (key, tuple(map(live_chart.drawn_often, (
            live_chart.loss_spec(c.epochs, c.train_loss, c.test_loss, batch_x=c.batch_x, batch_loss=c.batch_loss,
                                 previous=previous, log_scale=settings.log_scale, presentation=present, height=height,
                                 marks=marks, loss_label=loss_label(snap.model)),
            live_chart.accuracy_spec(c.epochs, c.train_acc, c.test_acc, previous=previous, presentation=present,
                                     reference=reference, reference_band=band, height=height, marks=marks,
                                     metric="R²" if snap.model.problem == "regression" else "accuracy")))))
        s.chart = cached
    with st.container(key=widget("chart")):  # holds the charts' height when one is mounted anew
        for column, spec in zip(st.columns(2, gap="medium"), cached[1], strict=True):
            column.vega_lite_chart(spec, theme=None)
