"""The MNIST page's trainings: each queued in the server's one training process (``nnviz.serving.jobs.QUEUE``), at
most one per session at a time, drawn while queued or running, its curves live."""

import numpy as np
import streamlit as st

from nnviz.mnist.dense_net import load_ready_history
from nnviz.serving.gate import LIVE
from nnviz.serving.jobs import QUEUE, Job, JobState, QueueRefused
from nnviz.viz import charts
from ui.common import gated, plain, problem, rerun_page
from ui.identity import owner
from ui.mnist_data import ready_model

JOB_KEYS = ("mn_job", "mn_hist", "mn_twin")  # this session's trainings: Keras, the History experiment, the twin


def ready_net():
    """The ready model's weights and summary (models/train_ready_model.py exports them), loaded once per process."""
    return ready_model()


@st.cache_data(show_spinner=False)
def ready_history():
    return load_ready_history()


def session_owner():
    """This browser session's id, a check whether it is still connected (its tab still open), and its client."""
    who = owner()
    return who.session, who.alive, who.client


def busy_job() -> Job | None:
    return next((j for k in JOB_KEYS if (j := st.session_state.get(k)) is not None and j.busy), None)


def start(key: str, make_job):
    """A Train button's callback: queue one training for this session, unless one is queued or running."""
    st.session_state.pop("mn_refused", None)
    if busy_job() is not None:
        st.session_state.mn_refused = "You already have a training queued or running: wait for it, or stop it first."
        return
    sid, alive, client = session_owner()
    try:
        st.session_state[key] = QUEUE.submit(make_job(owner=sid, alive=alive, client=client))
    except QueueRefused as err:
        st.session_state.mn_refused = str(err)


def refused_notice():
    if "mn_refused" in st.session_state:
        st.warning(st.session_state.pop("mn_refused"), icon=":material/block:")


def curves_figure(history: dict, label_val: str, batches=(), present: bool = False):
    """Per-epoch loss and accuracy (with the validation curves named ``label_val``), and the running
    per-batch loss while an epoch is under way."""
    n = len(history.get("loss", []))
    b = np.asarray([row[:2] for row in batches], dtype=float).reshape(-1, 2)
    return charts.training_figure(np.arange(1, n + 1), history.get("loss", []),
                                  (history.get("val_loss") or [np.nan] * n)[:n], history.get("accuracy", []),
                                  (history.get("val_accuracy") or [np.nan] * n)[:n], batch_x=b[:, 0],
                                  batch_loss=b[:, 1], presentation=present, loss_label="categorical cross-entropy",
                                  test_name=label_val, batch_name="loss so far in the epoch")


def lesson_history_figure(history: dict, present: bool):
    """The lesson's two History plots: "model loss" and "model accuracy", legend train / test, the accuracy zoomed
    in as the lesson's plot is (every curve above the lowest tick)."""
    n = len(history.get("loss", []))
    return charts.training_figure(np.arange(1, n + 1), history.get("loss", []), history.get("val_loss", [])[:n],
                                  history.get("accuracy", []), history.get("val_accuracy", [])[:n],
                                  presentation=present, loss_label="", short_names=True,
                                  titles=("model loss", "model accuracy"), zoom_accuracy=True)


def show_job(job: Job, label_val: str, present: bool):
    """A queued, running or finished training: its place in the queue, its progress, its live curves."""
    p = job.progress
    if job.state == JobState.QUEUED:
        ahead = QUEUE.position(job)
        st.warning(f"Queued: {ahead} training{'s' if ahead != 1 else ''} ahead of yours. One training runs at "
                   "a time on this server, so that a class cannot exhaust its memory.", icon=":material/hourglass:")
    elif job.state == JobState.RUNNING and not p.batches_per_epoch:
        st.info(f"Starting: {p.stage or 'the training process is starting'} …", icon=":material/hourglass_top:")
    elif job.state == JobState.RUNNING:
        done = p.epoch + p.batch / p.batches_per_epoch
        ends = np.diff([0.0, *p.epoch_seconds])  # the time each finished epoch took, as this training measured it
        st.progress(min(1.0, done / p.epochs),
                    text=f"Epoch {min(p.epoch + 1, p.epochs)} of {p.epochs} · batch {p.batch:,} of "
                         f"{p.batches_per_epoch:,}" + (f" · loss so far {p.batch_loss:.4f}" if p.batch_loss else "")
                         + (f" · {np.median(ends):.1f} s per epoch here" if len(ends) else ""))
    elif job.state == JobState.FAILED:
        problem(f"The training failed: {plain(job.error)}", "Press Train to try again.")
    elif job.state == JobState.DROPPED:
        st.info(f"This training was dropped from the queue: {plain(job.error or 'its page had been closed')}.")
    else:
        show_job_outcome(job)
    if p.history["loss"] or (job.state == JobState.RUNNING and p.batches):
        batches = p.batches if job.state == JobState.RUNNING else ()
        st.plotly_chart(curves_figure(p.history, label_val, batches, present),
                        config=charts.PLOTLY_CONFIG)


def show_job_outcome(job: Job):
    took = (job.finished_at or 0) - (job.started_at or 0)
    waited = max(0.0, (job.started_at or job.queued_at) - job.queued_at)
    verb = "Stopped" if job.state == JobState.STOPPED else "Finished"
    st.success(f"{verb} after {len(job.progress.history['loss'])} epoch(s) in {took:.1f} s"
               + (f" (after {waited:.0f} s in the queue)." if waited >= 1 else "."), icon=":material/check_circle:")


def job_fragment(key: str, draw):
    """Redraw a training's progress twice a second while it is queued or running; rerun the page when it ends
    (so that its buttons and the model in use follow)."""
    busy = (job := st.session_state.get(key)) is not None and job.busy

    @st.fragment(run_every=0.5 if busy else None)
    @gated(LIVE)
    def progress():
        job = st.session_state.get(key)
        draw(job)
        if job is not None and busy and not job.busy:
            rerun_page(LIVE)

    progress()
