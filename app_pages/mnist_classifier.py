"""MNIST classifier (lesson 1.4): the lesson's Keras network reads handwritten digits.

The server never imports TensorFlow: predictions, evaluation and the summary use the trained network's
exported weights (``nnviz.mnist.dense_net``, two matrix products in NumPy); every Keras training runs in the
training process of ``nnviz.serving.jobs.QUEUE``, one at a time per server, and comes back as plain data.
"""

import time

import numpy as np
import streamlit as st

from nnviz.core.training import steps_per_epoch
from nnviz.mnist.dense_net import confusion_matrix, load_ready_history
from nnviz.mnist.digits import canvas_image, canvas_to_gray, read_uploaded_image, to_mnist_format
from nnviz.mnist.jobs import HISTORY_EXPERIMENT, WARM_MODULE, history_job, keras_job, twin_job
from nnviz.serving.gate import LIVE
from nnviz.serving.jobs import QUEUE, Job, QueueRefused
from nnviz.viz import charts
from nnviz.viz.theme import style
from ui.common import gated, header, plain, presentation_mode, problem, rerun_page
from ui.identity import owner
from ui.mnist_data import mnist, ready_model

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
    if job.state == "queued":
        ahead = QUEUE.position(job)
        st.warning(f"Queued: {ahead} training{'s' if ahead != 1 else ''} ahead of yours. One training runs at "
                   "a time on this server, so that a class cannot exhaust its memory.", icon=":material/hourglass:")
    elif job.state == "running" and not p.batches_per_epoch:
        st.info(f"Starting: {p.stage or 'the training process is starting'} …", icon=":material/hourglass_top:")
    elif job.state == "running":
        done = p.epoch + p.batch / p.batches_per_epoch
        ends = np.diff([0.0, *p.epoch_seconds])  # the time each finished epoch took, as this training measured it
        st.progress(min(1.0, done / p.epochs),
                    text=f"Epoch {min(p.epoch + 1, p.epochs)} of {p.epochs} · batch {p.batch:,} of "
                         f"{p.batches_per_epoch:,}" + (f" · loss so far {p.batch_loss:.4f}" if p.batch_loss else "")
                         + (f" · {np.median(ends):.1f} s per epoch here" if len(ends) else ""))
    elif job.state == "failed":
        problem(f"The training failed: {plain(job.error)}", "Press Train to try again.")
    elif job.state == "dropped":
        st.info(f"This training was dropped from the queue: {plain(job.error or 'its page had been closed')}.")
    else:
        show_job_outcome(job)
    if p.history["loss"] or (job.state == "running" and p.batches):
        st.plotly_chart(curves_figure(p.history, label_val, p.batches if job.state == "running" else (), present),
                        config=charts.PLOTLY_CONFIG)


def show_job_outcome(job: Job):
    took = (job.finished_at or 0) - (job.started_at or 0)
    waited = max(0.0, (job.started_at or job.queued_at) - job.queued_at)
    verb = "Stopped" if job.state == "stopped" else "Finished"
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


# ----------------------------------------------------------------------------- the sections


@st.fragment
@gated(LIVE)  # a drawn digit: the student waits for its prediction
def draw_section(net, present):
    """A fragment: a stroke reruns only this section, not the whole page, so the prediction comes back sooner."""
    from streamlit_drawable_canvas import st_canvas  # a bare import outside a page raises: import it here

    st.session_state.setdefault("mn_canvas", 0)
    c1, c2, c3 = st.columns([1.5, 1, 1.3], gap="medium")  # the 280-px canvas fits its column at 1280×720
    with c1:
        # the prediction above the canvas, in a box of fixed height: in view on a projector (below the canvas it
        # sat at the screen's bottom edge) and on a phone, and the canvas never moves under the pen
        verdict = st.container(key="mn_verdict").empty()
        st.space(40)  # the canvas's toolbar floats in this gap, above the canvas's right half
        result = st_canvas(stroke_width=22, stroke_color="#ffffff", background_color="#000000", height=280,
                           width=280, drawing_mode="freedraw", return_image_data=True,
                           key=f"mn_canvas_{st.session_state.mn_canvas}")
        if st.button("Clear", key="mn_clear", icon=":material/delete:"):
            st.session_state.mn_canvas += 1
            st.rerun(scope="fragment")
        upload = st.file_uploader("… or upload a PNG or JPEG of a digit", type=["png", "jpg", "jpeg", "mpo"],
                                  key="mn_upload", max_upload_size=5)
    gray, source = None, ""
    if upload is not None:
        try:
            gray, source = read_uploaded_image(upload.getvalue()), f"the uploaded {plain(upload.name)}"
        except ValueError as err:
            with c1:
                problem(f"{plain(upload.name)}: {plain(err)}", "Upload a PNG or JPEG photo or scan of one digit.")
    elif result is not None:
        try:  # the canvas's state comes from the browser: its size is checked before anything is decoded
            drawn = canvas_image(result)
        except ValueError as err:
            drawn = None
            with c1:
                problem(f"The drawing could not be read: {plain(err)}", "Press Clear and draw again.")
        if drawn is not None:
            gray, source = canvas_to_gray(drawn), "your drawing"
    if gray is None or gray.max() <= 0:
        verdict.markdown("**Draw a digit** (mouse or finger), as large as the box — its prediction appears here.")
        return
    t0 = time.perf_counter()
    digit = to_mnist_format(gray)
    probs = net.predict(digit)[0]
    elapsed_ms = (time.perf_counter() - t0) * 1000
    best = int(np.argmax(probs))
    verdict.markdown(f"### Prediction: {best}\n{probs[best]:.1%} sure, from {source}.")
    with c2:
        st.markdown("**What the network sees**: 28×28, cropped, scaled to 20×20, centred by its centre of mass")
        st.plotly_chart(charts.digit_figure(digit, presentation=present), config=charts.PLOTLY_CONFIG)
    with c3:
        st.markdown("**The network's probability for each digit**")
        fig = charts.probability_bars(probs, presentation=present)
        fig.update_layout(uniformtext={"minsize": style(present).font, "mode": "show"})  # never shrink labels
        st.plotly_chart(fig, config=charts.PLOTLY_CONFIG)
        st.caption(f"Preprocessing and prediction took {elapsed_ms:.0f} ms on the server.")


def optimizer_note(optimizer_params: int, weights: int) -> str:
    """What Keras's summary counts as the optimizer's variables, added up."""
    extra = optimizer_params - weights
    if extra == 2:  # Keras 3's RMSprop: a velocity per weight, its iteration counter and its learning rate
        return (f"Once the network has trained, Keras's summary also counts the optimizer's own {optimizer_params:,} "
                f"variables: rmsprop's running average of the squared gradient for each of the {weights:,} weights, "
                "plus two numbers — its iteration counter and its learning rate, which Keras keeps as variables too. "
                "They are not part of the network.")
    return (f"Once the network has trained, Keras's summary also counts the optimizer's own {optimizer_params:,} "
            f"variables: its state for the {weights:,} weights and {extra:,} more. They are not part of the network.")


def network_section(net, data, present):
    (x_train, y_train), _ = data
    s = net.summary
    rows = s.get("layers", [])
    c1, c2 = st.columns([1, 1], gap="large")
    with c1:
        st.markdown("**The lesson's network**")
        st.code("model = Sequential()\nmodel.add(Dense(512, activation='relu',\n"
                "    input_shape=(28 * 28,)))\nmodel.add(Dense(10, activation='softmax'))\n"
                "model.compile(\n    optimizer='rmsprop',\n    loss='categorical_crossentropy',\n"
                "    metrics=['accuracy'])", language="python")
    with c2:
        st.markdown("**Each layer's weights**, as the lesson lists them with `layer.get_weights()`")
        shapes = net.weight_shapes()
        st.dataframe([{"layer": r["layer"].split()[0], "arrays": 2, "W shape": str(shapes[2 * i]),
                       "b shape": str(shapes[2 * i + 1])} for i, r in enumerate(rows)], hide_index=True)
        if rows:
            st.caption(f"784 × 512 weights + 512 biases = {rows[0]['parameters']:,}; 512 × 10 + 10 = "
                       f"{rows[1]['parameters']:,}; together {s['total']:,} numbers, all trainable: "
                       f"{s['bytes'] / 2**20:.2f} MB as float32.")
    st.markdown("**`model.summary()`**, as Keras prints it (captured when the model was saved, in the training "
                "process)")
    st.code(s.get("text", ""), language=None)
    st.caption(optimizer_note(s.get("optimizer_params", 0), s["total"]))
    c1, c2 = st.columns([1, 1], gap="large")
    with c1:
        st.markdown("**Preprocessing**")
        st.latex(r"\underbrace{x}_{60000\times28\times28,\ \text{uint8}} \xrightarrow{\text{reshape}}"
                 r"\underbrace{x_{\text{flat}}}_{60000\times784}")
        st.latex(r"\xrightarrow{\ /255\ } \underbrace{X}_{60000\times784,\ \text{float32 in } [0,1]}")
        st.latex(r"\underbrace{y}_{60000} \xrightarrow{\text{one-hot}} \underbrace{Y}_{60000\times10}")
        st.latex(r"5 \mapsto (0,0,0,0,0,1,0,0,0,0)")
        labels = y_train[:3].astype(int)
        st.caption(f"The first three labels {labels.tolist()} become the rows "
                   f"{', '.join(str(r) for r in np.eye(10, dtype=int)[labels].tolist())}.")
    with c2:
        steps = steps_per_epoch(len(x_train), 128)
        full, rest = divmod(len(x_train), 128)
        st.markdown("**What is an epoch?** One pass over every training image. The images go through the network "
                    "in batches; one batch, one weight update, is an *iteration*. With d images, e epochs, "
                    "i iterations and batch size b:")
        st.latex(r"i = e \cdot \left\lceil \frac{d}{b} \right\rceil")
        st.caption("The lesson writes d · e = i · b: exact when b divides d. Otherwise each epoch ends with a "
                   "shorter batch, and the count of iterations rounds up.")
        st.latex(r"\text{iterations per epoch} = "
                 rf"\left\lceil \frac{{{len(x_train):,}}}{{128}} \right\rceil = {steps}".replace(",", "{,}"))
        st.caption(f"{len(x_train):,} / 128 = {len(x_train) / 128:.2f}: {full} full batches and a last one of "
                   f"{rest} images — the {steps}/{steps} of Keras's log.")
    history = ready_history()
    if history:
        train_acc, test_acc = history["accuracy"][-1], history["test_accuracy"]
        c1, c2 = st.columns([1, 1.2], gap="large")
        with c1:
            st.markdown("**10 epochs, batch 128**: accuracy on the images it trained on, and on the 10,000 test "
                        "images it never saw")
            st.table([{"run": "the lesson", "training": "98.9 %", "test": "97.8 %"},  # a table: text, readable
                      {"run": "ours (the ready model)", "training": f"{train_acc:.2%}", "test": f"{test_acc:.2%}"}],
                     hide_index=True)
            st.caption("Training accuracy as Keras reports it for the last epoch. The lesson's text says 98.9 %; "
                       "its printed log ends at 99.79 %.")
            st.markdown("The network does better on the images it learned from than on new ones. That gap is "
                        "**overfitting**: with 407,050 weights it can partly memorise its 60,000 training images, "
                        "and what it memorised does not carry over to other people's handwriting.")
        with c2:
            st.plotly_chart(curves_figure(history, "validation", present=present), config=charts.PLOTLY_CONFIG)


def train_section(data, own, present):
    (x_train, _), _ = data
    busy = busy_job() is not None
    c1, c2, c3 = st.columns(3)
    # the lesson's recipe by default: 10 epochs, batch 128, all 60,000 images (its first fit holds none out)
    epochs = c1.slider("Epochs", 1, 20, 10, key="mn_epochs", disabled=busy)
    batch = c2.select_slider("Batch size", [16, 32, 64, 128, 256, 512, 1024], value=128, key="mn_batch",
                             disabled=busy)
    split = c3.slider("Validation split", 0.0, 0.3, 0.0, step=0.05, key="mn_split", disabled=busy,
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
            recipe = (" — the lesson's recipe" if (epochs, batch, split) == (10, 128, 0.0) else "")
            st.info(f"Train the lesson's network yourself: {epochs} epochs of {images:,} images in "
                    f"{steps_per_epoch(images, batch):,} batches of {batch}{recipe}. Your model then replaces the "
                    "ready one for this session.", icon=":material/school:")
            return
        show_job(job, "validation", present)
        if job.state == "done" and st.session_state.get("mn_model_from") is not job:
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
    steps = steps_per_epoch(n - held, HISTORY_EXPERIMENT["batch_size"])
    st.markdown(
        f"At the end of 1.4 the lesson trains its network once more to look at what `fit` returns: a **History**, "
        f"the loss and accuracy of every epoch. It puts the {len(x_train):,} training and {len(x_test):,} test images "
        f"together ({n:,}), keeps the last third aside to validate (`validation_split=0.33`: {held:,} images), and "
        f"trains {HISTORY_EXPERIMENT['epochs']} epochs on the other {n - held:,}. Its `fit` call gives no batch size, "
        f"so Keras uses 32: {steps:,} iterations per epoch, the number in its log.")
    st.caption("Like the lesson, this continues from the already trained network (the ready model). So the "
               "held-out third is not new to it: it contains 13,100 of the training images it learned from, "
               "besides the 10,000 test images — its \"test\" curve is flattering.")
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
        st.caption(f"After {len(h['loss'])} epochs: accuracy {h['accuracy'][-1]:.2%} on the images it trained on, "
                   f"{h['val_accuracy'][-1]:.2%} on the held-out third (the lesson's log: 99.88 % and 98.67 %).")

    job_fragment("mn_hist", draw)
    if job is not None and job.busy:
        st.button("Stop", key="mn_hist_stop", on_click=job.stop, icon=":material/stop:")


def evaluate_section(net, data, present):
    _, (x_test, y_test) = data
    cached = st.session_state.get("mn_eval")
    if cached is None or cached[0] is not net:
        with st.spinner("Predicting the 10,000 test images …"):
            cached = (net, net.predict(x_test))
        st.session_state.mn_eval = cached
    probs = cached[1]
    pred = np.argmax(probs, axis=1)
    acc = float(np.mean(pred == y_test))
    st.metric("Test accuracy", f"{acc:.2%}", help=f"{int(np.sum(pred == y_test)):,} of {len(y_test):,} test images")
    c1, c2 = st.columns([1, 1], gap="large")
    with c1:
        st.markdown("**Confusion matrix** — rows: the true digit; columns: the prediction")
        st.plotly_chart(charts.confusion_figure(confusion_matrix(y_test, pred), presentation=present), config=charts.PLOTLY_CONFIG)
    with c2:
        wrong = np.flatnonzero(pred != y_test)
        st.markdown(f"**Misclassified**: {len(wrong)} test images; the first 20")
        shown = wrong[:20]
        titles = [f"{y_test[i]}→{pred[i]} {probs[i, pred[i]]:.0%}" for i in shown]  # short: titles never touch
        if len(shown):
            st.plotly_chart(charts.digit_gallery_figure(x_test[shown], titles, columns=4, presentation=present),
                            config=charts.PLOTLY_CONFIG)
            st.caption("Each title: true digit → predicted digit, and the predicted digit's probability.")
    st.markdown("**What hidden units look for**: a unit's 784 input weights, drawn as a 28×28 image "
                "(orange: ink there raises its activation; blue: lowers it).")
    units = st.multiselect("Hidden units (0 … 511)", list(range(512)), default=list(range(10)), key="mn_units",
                           max_selections=20)
    if units:
        images = np.stack([net.W1[:, u].reshape(28, 28) for u in units])
        span = float(np.abs(images).max()) or 1.0
        st.plotly_chart(charts.digit_gallery_figure(images / span, [f"unit {u}" for u in units], columns=10,
                                                    presentation=present, zmax=None, zmid=0.0,
                                                    colorscale=charts.PROBABILITY_SCALE), config=charts.PLOTLY_CONFIG)
    st.caption("Layer weight shapes: " + ", ".join(str(s) for s in net.weight_shapes()))


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


SECTIONS = ["Draw a digit", "The network", "Train your own", "History experiment", "Evaluate", "NumPy twin"]


def main():
    present = presentation_mode()
    header("mnist_classifier", "the lesson's Keras network reads handwritten digits — draw one, or train your own.")
    QUEUE.warm_up(WARM_MODULE)  # the training process imports TensorFlow now, so that a first Train starts at once
    data = mnist()
    if data is None:
        st.stop()
    own = st.session_state.get("mn_model")
    net = own if own is not None else ready_net()
    if "mn_section" not in st.session_state:  # a link may open a section: ?section=Evaluate
        linked = st.query_params.get("section")
        st.session_state.mn_section = linked if linked in SECTIONS else SECTIONS[0]
    section = st.segmented_control("Section", SECTIONS, key="mn_section", required=True,
                                   label_visibility="collapsed")
    if net is None and section in ("Draw a digit", "The network", "Evaluate"):
        problem("The ready model's weights (models/mnist_dense_weights.npz) are missing.",
                "Train your own under “Train your own”, or run `.venv/bin/python models/train_ready_model.py`.")
        return
    if section in ("Draw a digit", "The network", "Train your own", "Evaluate"):
        st.caption("Predictions and evaluation use "
                   + ("your model (trained in this session)." if own is not None else
                      "the ready model (the lesson's recipe)."))
    {"Draw a digit": lambda: draw_section(net, present),
     "The network": lambda: network_section(net, data, present),
     "Train your own": lambda: train_section(data, own, present),
     "History experiment": lambda: history_section(data, present),
     "Evaluate": lambda: evaluate_section(net, data, present),
     "NumPy twin": lambda: twin_section(present)}[section]()


main()
