"""Train your own, the History experiment and the NumPy twin: the page's three trainings, each queued."""

import streamlit as st

from nnviz.core.training import steps_per_epoch
from nnviz.mnist.jobs import HISTORY_EXPERIMENT, history_job, keras_job, twin_job
from nnviz.mnist.lesson_runs import HISTORY_LOG_ACCURACY, LESSON_FIT, held_out_training_images
from nnviz.serving.jobs import JobState
from nnviz.viz import charts
from ui.mnist.jobs import (
    busy_job,
    curves_figure,
    job_fragment,
    lesson_history_figure,
    ready_history,
    refused_notice,
    show_job,
    show_job_outcome,
    start,
)


def train_section(data, own, present):
    (x_train, _), _ = data
    busy = busy_job() is not None
    c1, c2, c3 = st.columns(3)
    lesson = LESSON_FIT  # the default: the lesson's first fit, on every training image (it holds none out)
    epochs = c1.slider("Epochs", 1, 20, lesson.epochs, key="mn_epochs", disabled=busy)
    batch = c2.select_slider("Batch size", [16, 32, 64, 128, 256, 512, 1024], value=lesson.batch_size,
                             key="mn_batch", disabled=busy)
    split = c3.slider("Validation split", 0.0, 0.3, lesson.validation_split, step=0.05, key="mn_split", disabled=busy,
                      help="The share of the training images held out to validate each epoch (the lesson holds "
                           "none out: 0).")
    b1, b2 = st.columns(2)
    b1.button("Train", key="mn_train", disabled=busy, type="primary", icon=":material/play_arrow:",
              on_click=start, args=("mn_job", lambda **who: keras_job(epochs=epochs, batch_size=batch,
                                                                      validation_split=split, **who)))
    job = st.session_state.get("mn_job")
    b2.button("Stop", key="mn_stop", on_click=job.stop if job is not None else None,
              disabled=job is None or not job.busy, icon=":material/stop:")
    refused_notice()

    def draw(job):
        if job is None:
            images = round(len(x_train) * (1 - split))
            recipe = (" — the lesson's recipe" if (epochs, batch, split) ==
                      (lesson.epochs, lesson.batch_size, lesson.validation_split) else "")
            st.info(f"Train the lesson's network yourself: {epochs} epochs of {images:,} images in "
                    f"{steps_per_epoch(images, batch):,} batches of {batch}{recipe}. Your model then replaces the "
                    "ready one for this session.", icon=":material/school:")
            return
        show_job(job, "validation", present)
        if job.state == JobState.DONE and st.session_state.get("mn_model_from") is not job:
            st.session_state.mn_model, st.session_state.mn_model_from = job.result, job
            st.session_state.pop("mn_eval", None)
            st.rerun()

    job_fragment("mn_job", draw)
    if own is not None:
        st.button("Go back to the ready model", key="mn_forget",
                  on_click=lambda: [st.session_state.pop(k, None) for k in ("mn_model", "mn_eval")])


def history_section(data, present):
    (x_train, _), (x_test, _) = data
    n = len(x_train) + len(x_test)
    held = round(n * HISTORY_EXPERIMENT["validation_split"])
    seen = held_out_training_images(len(x_train), len(x_test), HISTORY_EXPERIMENT["validation_split"])
    steps = steps_per_epoch(n - held, HISTORY_EXPERIMENT["batch_size"])
    st.markdown(
        f"At the end of 1.4 the lesson trains its network once more to look at what `fit` returns: a **History**, "
        f"the loss and accuracy of every epoch. It puts the {len(x_train):,} training and {len(x_test):,} test images "
        f"together ({n:,}), keeps the last third aside to validate (`validation_split=0.33`: {held:,} images), and "
        f"trains {HISTORY_EXPERIMENT['epochs']} epochs on the other {n - held:,}. Its `fit` call gives no batch size, "
        f"so Keras uses 32: {steps:,} iterations per epoch, the number in its log.")
    st.caption("Like the lesson, this continues from the already trained network (the ready model). So the "
               f"held-out third is not new to it: it contains {seen:,} of the training images it learned from, "
               f"besides the {len(x_test):,} test images — its \"test\" curve is flattering.")
    job = st.session_state.get("mn_hist")
    st.button("Run the lesson's History experiment", key="mn_hist_train", disabled=busy_job() is not None,
              type="primary", icon=":material/play_arrow:", on_click=start, args=("mn_hist", history_job))
    refused_notice()

    def draw(job):
        if job is None:
            return
        if job.busy or not job.progress.history["loss"]:
            show_job(job, "test", present)
            return
        h = job.progress.history
        show_job_outcome(job)
        st.markdown("**The lesson's plots of `history.history`**")
        st.plotly_chart(lesson_history_figure(h, present), config=charts.PLOTLY_CONFIG)
        train_log, val_log = HISTORY_LOG_ACCURACY
        st.caption(f"After {len(h['loss'])} epochs: accuracy {h['accuracy'][-1]:.2%} on the images it trained on, "
                   f"{h['val_accuracy'][-1]:.2%} on the held-out third (the lesson's log: {train_log * 100:.2f} % "
                   f"and {val_log * 100:.2f} %).")

    job_fragment("mn_hist", draw)
    if job is not None and job.busy:
        st.button("Stop", key="mn_hist_stop", on_click=job.stop, icon=":material/stop:")


def twin_section(present):
    st.markdown("The same 784-512-10 architecture, written from scratch: nnviz's `ShallowNN` with a ReLU hidden "
                "layer and a softmax output, trained by plain mini-batch gradient descent on the first 10,000 "
                "training images (Keras uses rmsprop and all 60,000). The lesson's maths beside Keras.")
    busy = busy_job() is not None
    c1, c2, c3 = st.columns(3)
    epochs = c1.slider("Epochs", 1, 20, 5, key="mn_twin_epochs", disabled=busy)
    lr = c2.select_slider("Learning rate", [0.01, 0.03, 0.1, 0.3], value=0.1, key="mn_twin_lr", disabled=busy)
    c3.button("Train the NumPy twin", key="mn_twin_train", disabled=busy, type="primary", icon=":material/play_arrow:",
              on_click=start, args=("mn_twin", lambda **who: twin_job(epochs=epochs, lr=lr, **who)))
    refused_notice()

    def draw(job):
        # one under the other, each at full width: side by side, each chart's two panels were too narrow
        st.markdown("**nnviz ShallowNN (NumPy)** — validation = the test set")
        if job is None:
            st.info("Press **Train the NumPy twin**.", icon=":material/school:")
        else:
            show_job(job, "test", present)
        keras_run = st.session_state.get("mn_job")
        if keras_run is not None and keras_run.progress.history["loss"]:
            st.markdown("**Keras (your training in this session)**")
            st.plotly_chart(curves_figure(keras_run.progress.history, "validation", present=present), config=charts.PLOTLY_CONFIG)
        elif ready_history():
            st.markdown("**Keras (the ready model: rmsprop, 60,000 images)**")
            st.plotly_chart(curves_figure(ready_history(), "validation", present=present), config=charts.PLOTLY_CONFIG)

    job_fragment("mn_twin", draw)
