"""MNIST classifier (lesson 1.4): the lesson's Keras network reads handwritten digits.

The only page that imports TensorFlow (through ``nnviz.keras_model``), behind a spinner.
Trainings go through ``nnviz.jobs.QUEUE``: one at a time per server, others wait their turn.
"""

import json
import time

import numpy as np
import streamlit as st

from nnviz import charts
from nnviz.jobs import QUEUE
from nnviz.mnist import canvas_to_gray, confusion_matrix, read_uploaded_image, to_mnist_format, twin_job
from ui.common import header, plain, presentation_mode, problem
from ui.mnist_data import mnist

present = presentation_mode()
header("MNIST classifier", "1.4", "the lesson's Keras network reads handwritten digits — draw one, or train your own.")


@st.cache_resource(show_spinner=False)
def keras_tools():
    """nnviz.keras_model, imported once per server (TensorFlow takes about 5 s to import)."""
    import nnviz.keras_model as km

    return km


@st.cache_resource(show_spinner=False)
def ready_model():
    """The model trained by models/train_ready_model.py with the lesson's recipe (shared, never trained further)."""
    return keras_tools().load_ready_model()


@st.cache_data(show_spinner=False)
def ready_history():
    path = keras_tools().READY_HISTORY
    return json.loads(path.read_text()) if path.exists() else None


with st.spinner("Loading TensorFlow and the ready model (about 5 s, once per server) …"):
    QUEUE.warm_up()  # the training process imports TensorFlow meanwhile
    km = keras_tools()
    ready = ready_model()
data = mnist()
if data is None:
    st.stop()
(x_train, y_train), (x_test, y_test) = data

own = st.session_state.get("mn_model")
model = own if own is not None else ready
if model is None:
    problem("The ready model (models/mnist_dense.keras) is missing.",
            "Train your own below, or run `.venv/bin/python models/train_ready_model.py`.")
model_name = "your model (trained in this session)" if own is not None else "the ready model (lesson's recipe)"

sections = ["Draw a digit", "The network", "Train your own", "Evaluate", "NumPy twin"]
if "mn_section" not in st.session_state:  # a link may open a section: ?section=Evaluate
    linked = st.query_params.get("section")
    st.session_state.mn_section = linked if linked in sections else sections[0]
section = st.segmented_control("Section", sections, key="mn_section", required=True, label_visibility="collapsed")
st.caption(f"Predictions and evaluation use {model_name}.")


def curves_figure(history: dict, label_val: str):
    n = len(history.get("loss", []))
    epochs = np.arange(1, n + 1)
    val_loss = history.get("val_loss") or [np.nan] * n
    val_acc = history.get("val_accuracy") or [np.nan] * n
    fig = charts.training_figure(epochs, history.get("loss", []), val_loss[:n], history.get("accuracy", []),
                                 val_acc[:n], presentation=present, loss_label="categorical cross-entropy")
    for trace in fig.data:
        trace.name = trace.name.replace("test", label_val)
    return fig


def show_job(job, label_val: str):
    """A queued, running or finished training: its place in the queue, its progress, its curves."""
    p = job.progress
    if job.state == "queued":
        ahead = QUEUE.position(job)
        st.warning(f"Queued: {ahead} training{'s' if ahead != 1 else ''} ahead of yours. One training runs at "
                   "a time on this server, so that a class cannot exhaust its memory.", icon=":material/hourglass:")
    elif job.state == "running":
        done = p.epoch + (p.batch / p.batches_per_epoch if p.batches_per_epoch else 0)
        st.progress(min(1.0, done / p.epochs),
                    text=f"Epoch {min(p.epoch + 1, p.epochs)} of {p.epochs} · batch {p.batch}/{p.batches_per_epoch}"
                         + (f" · batch loss {p.batch_loss:.4f}" if p.batch_loss is not None else ""))
    elif job.state == "failed":
        problem(f"The training failed: {plain(job.error)}", "Press Train to try again.")
    else:
        took = (job.finished_at or 0) - (job.started_at or 0)
        verb = "Stopped" if job.state == "stopped" else "Finished"
        memory = f" Peak memory of the training process: {job.peak_memory_mb:,.0f} MB." if job.peak_memory_mb else ""
        st.success(f"{verb} after {len(p.history['loss'])} epoch(s) in {took:.1f} s "
                   f"(queued {max(0.0, (job.started_at or job.queued_at) - job.queued_at):.1f} s).{memory}",
                   icon=":material/check_circle:")
    if p.history["loss"]:
        st.plotly_chart(curves_figure(p.history, label_val), config={"displaylogo": False})


# ----------------------------------------------------------------------------- draw a digit
if section == "Draw a digit":
    from streamlit_drawable_canvas import st_canvas  # a bare import outside a page raises: import it here

    if model is None:
        st.stop()
    st.session_state.setdefault("mn_canvas", 0)
    c1, c2, c3 = st.columns([1, 1, 1.3], gap="large")
    with c1:
        st.markdown("**Draw a digit** (mouse or finger), as large as the box:")
        result = st_canvas(stroke_width=22, stroke_color="#ffffff", background_color="#000000", height=280,
                           width=280, drawing_mode="freedraw", return_image_data=True,
                           key=f"mn_canvas_{st.session_state.mn_canvas}")
        if st.button("Clear", key="mn_clear", icon=":material/delete:"):
            st.session_state.mn_canvas += 1
            st.rerun()
        upload = st.file_uploader("… or upload a PNG or JPEG of a digit", type=["png", "jpg", "jpeg"],
                                  key="mn_upload", max_upload_size=5)
    gray, source = None, ""
    if upload is not None:
        try:
            gray, source = read_uploaded_image(upload.getvalue()), f"the uploaded {plain(upload.name)}"
        except ValueError as err:
            with c1:
                problem(f"{plain(upload.name)}: {plain(err)}", "Upload a PNG or JPEG photo or scan of one digit.")
    elif result is not None and result.image_data is not None:
        gray, source = canvas_to_gray(result.image_data), "your drawing"
    if gray is not None and gray.max() > 0:
        t0 = time.perf_counter()
        digit = to_mnist_format(gray)
        probs = km.predict(model, digit)[0]
        elapsed_ms = (time.perf_counter() - t0) * 1000
        best = int(np.argmax(probs))
        with c2:
            st.markdown("**What the network sees**: 28×28, cropped, scaled to 20×20, centred by its centre of mass")
            st.plotly_chart(charts.digit_figure(digit, presentation=present), config={"displaylogo": False})
        with c3:
            st.markdown(f"## Prediction: {best}")
            st.plotly_chart(charts.probability_bars(probs, presentation=present), config={"displaylogo": False})
            st.caption(f"{probs[best]:.1%} sure, from {source}; preprocessing and prediction took "
                       f"{elapsed_ms:.0f} ms on the server.")
    else:
        with c2:
            st.info("Draw a digit on the black square — the prediction appears here.", icon=":material/draw:")

# ----------------------------------------------------------------------------- the network
elif section == "The network":
    c1, c2 = st.columns([1, 1], gap="large")
    with c1:
        st.markdown("**The lesson's network**")
        st.code("model = Sequential([\n    Dense(512, activation='relu', input_shape=(784,)),\n"
                "    Dense(10, activation='softmax'),\n])\nmodel.compile(optimizer='rmsprop',\n"
                "              loss='categorical_crossentropy', metrics=['accuracy'])", language="python")
        if model is not None:
            st.dataframe(km.summary_rows(model), hide_index=True)
            st.caption("784 × 512 weights + 512 biases = 401,920; 512 × 10 + 10 = 5,130; together 407,050. "
                       f"Weight arrays: {', '.join(str(s) for s in km.weight_shapes(model))}.")
    with c2:
        st.markdown("**Preprocessing**")
        st.latex(r"\underbrace{x}_{60000\times28\times28,\ \text{uint8}} \xrightarrow{\text{reshape}}"
                 r"\underbrace{x}_{60000\times784} \xrightarrow{\ /255\ } \underbrace{X}_{60000\times784,\ [0,1]}")
        st.latex(r"\underbrace{y}_{60000} \xrightarrow{\text{one-hot}} \underbrace{Y}_{60000\times10}"
                 r"\qquad 5 \mapsto (0,0,0,0,0,1,0,0,0,0)")
        X, Y = km.preprocess(x_train[:3], y_train[:3])
        st.caption(f"The first three images become X of shape {X.shape} ({X.dtype}, max {X.max():.2f}) and "
                   f"Y of shape {Y.shape}; labels {y_train[:3].tolist()} → rows {Y.astype(int).tolist()}.")
        history = ready_history()
        if history:
            st.markdown(f"**The ready model** was trained by `models/train_ready_model.py` with the lesson's "
                        f"recipe (10 epochs, batch 128): test accuracy **{history['test_accuracy']:.2%}** "
                        f"(the lesson: 97.8 %).")
            st.plotly_chart(curves_figure(history, "validation"), config={"displaylogo": False})

# ----------------------------------------------------------------------------- train your own
elif section == "Train your own":
    job = st.session_state.get("mn_job")
    busy = job is not None and job.state in ("queued", "running")
    c1, c2, c3 = st.columns(3)
    epochs = c1.slider("Epochs", 1, 20, 5, key="mn_epochs", disabled=busy)
    batch = c2.select_slider("Batch size", [16, 32, 64, 128, 256, 512, 1024], value=128, key="mn_batch",
                             disabled=busy)
    split = c3.slider("Validation split", 0.0, 0.3, 0.1, step=0.05, key="mn_split", disabled=busy,
                      help="The share of the training images held out to validate each epoch.")

    def start():
        st.session_state.mn_job = QUEUE.submit(km.keras_job(epochs=epochs, batch_size=batch, validation_split=split))

    b1, b2 = st.columns(2)
    b1.button("Train", key="mn_train", on_click=start, disabled=busy, type="primary", icon=":material/play_arrow:")
    b2.button("Stop", key="mn_stop", on_click=lambda: job.stop(), disabled=not busy, icon=":material/stop:")

    @st.fragment(run_every=0.5 if busy else None)
    def keras_progress():
        job = st.session_state.get("mn_job")
        if job is None:
            st.info(f"Train the lesson's network yourself: {len(x_train):,} images, about 1–3 s per epoch on "
                    "this server. Your model then replaces the ready one for this session.", icon=":material/school:")
            return
        show_job(job, "validation")
        if job.state == "done" and st.session_state.get("mn_model_from") is not job:
            st.session_state.mn_model = job.result
            st.session_state.mn_model_from = job
            st.session_state.pop("mn_eval", None)
            st.rerun()
        if job.state not in ("queued", "running") and busy:
            st.rerun()

    keras_progress()
    if own is not None:
        st.button("Go back to the ready model", key="mn_forget",
                  on_click=lambda: [st.session_state.pop(k, None) for k in ("mn_model", "mn_eval")])

# ----------------------------------------------------------------------------- evaluate
elif section == "Evaluate" and model is not None:
    key = id(model)
    cached = st.session_state.get("mn_eval")
    if cached is None or cached[0] != key:
        with st.spinner("Predicting the 10,000 test images …"):
            probs = km.predict(model, x_test)
        st.session_state.mn_eval = cached = (key, probs)
    probs = cached[1]
    pred = np.argmax(probs, axis=1)
    acc = float(np.mean(pred == y_test))
    st.metric("Test accuracy", f"{acc:.2%}", help=f"{int(np.sum(pred == y_test)):,} of {len(y_test):,} test images")
    c1, c2 = st.columns([1, 1], gap="large")
    with c1:
        st.markdown("**Confusion matrix** — rows: the true digit; columns: the prediction")
        st.plotly_chart(charts.confusion_figure(confusion_matrix(y_test, pred), presentation=present),
                        config={"displaylogo": False})
    with c2:
        wrong = np.flatnonzero(pred != y_test)
        st.markdown(f"**Misclassified**: {len(wrong)} test images; the first 20")
        shown = wrong[:20]
        titles = [f"{y_test[i]}→{pred[i]} ({probs[i, pred[i]]:.0%})" for i in shown]
        if len(shown):
            st.plotly_chart(charts.digit_gallery_figure(x_test[shown], titles, columns=5, presentation=present),
                            config={"displaylogo": False})
            st.caption("Each title: true digit → predicted digit (the predicted digit's probability).")
    st.markdown("**What hidden units look for**: a unit's 784 input weights, drawn as a 28×28 image "
                "(orange: ink there raises its activation; blue: lowers it).")
    units = st.multiselect("Hidden units (0 … 511)", list(range(512)), default=list(range(10)), key="mn_units",
                           max_selections=20)
    if units:
        W1 = model.get_weights()[0]
        images = np.stack([W1[:, u].reshape(28, 28) for u in units])
        span = float(np.abs(images).max()) or 1.0
        scale = [[0.0, "#1c7ed6"], [0.5, "#f8f9fa"], [1.0, "#f76707"]]
        st.plotly_chart(charts.digit_gallery_figure(images / span, [f"unit {u}" for u in units], columns=10,
                                                    presentation=present, zmax=None, zmid=0.0, colorscale=scale),
                        config={"displaylogo": False})
    st.caption("Layer weight shapes: " + ", ".join(str(s) for s in km.weight_shapes(model)))

# ----------------------------------------------------------------------------- numpy twin
elif section == "NumPy twin":
    st.markdown("The same 784-512-10 architecture, written from scratch: nnviz's `ShallowNN` with a ReLU hidden "
                "layer and a softmax output, trained by plain mini-batch gradient descent on the first 10,000 "
                "training images (Keras uses rmsprop and all 60,000). The lesson's maths beside Keras.")
    job = st.session_state.get("mn_twin")
    busy = job is not None and job.state in ("queued", "running")
    c1, c2, c3 = st.columns(3)
    epochs = c1.slider("Epochs", 1, 20, 5, key="mn_twin_epochs", disabled=busy)
    lr = c2.select_slider("Learning rate", [0.01, 0.03, 0.1, 0.3], value=0.1, key="mn_twin_lr", disabled=busy)

    def start_twin():
        st.session_state.mn_twin = QUEUE.submit(twin_job(epochs=epochs, lr=lr))

    c3.button("Train the NumPy twin", key="mn_twin_train", on_click=start_twin, disabled=busy, type="primary",
              icon=":material/play_arrow:")

    @st.fragment(run_every=0.5 if busy else None)
    def twin_progress():
        job = st.session_state.get("mn_twin")
        left, right = st.columns(2, gap="large")
        with left:
            st.markdown("**nnviz ShallowNN (NumPy)** — validation = the test set")
            if job is None:
                st.info("Press **Train the NumPy twin**.", icon=":material/school:")
            else:
                show_job(job, "test")
        with right:
            keras_job = st.session_state.get("mn_job")
            if keras_job is not None and keras_job.progress.history["loss"]:
                st.markdown("**Keras (your training in this session)**")
                st.plotly_chart(curves_figure(keras_job.progress.history, "validation"), config={"displaylogo": False})
            elif ready_history():
                st.markdown("**Keras (the ready model: rmsprop, 60,000 images)**")
                st.plotly_chart(curves_figure(ready_history(), "validation"), config={"displaylogo": False})
        if job is not None and job.state not in ("queued", "running") and busy:
            st.rerun()

    twin_progress()
