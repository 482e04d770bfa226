"""The MNIST pages under AppTest: the digit as numbers; the classifier's sections, training, uploads."""

import io
import time

import numpy as np
import pytest

# The page tests train inline, in a thread of this process: TensorFlow imported there while AppTest compiles
# the page trips CPython 3.11's "AST constructor recursion depth mismatch" (compile() is not thread-safe there,
# fixed in 3.12). Imported here first, it is imported once, before any page runs.
import nnviz.mnist.keras_model  # noqa: F401
from nnviz.mnist.data import load_mnist


def wait_until(at, done, timeout=600):  # a deadline, not a timing claim: shared machines are slow
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        at.run()
        assert not at.exception, at.exception
        if done(at):
            return
        time.sleep(0.3)
    raise AssertionError("timed out")


def test_data_as_numbers_shows_the_lessons_digit(open_page):
    at = open_page("data_as_numbers")
    assert at.number_input(key="dn_index").value == 7178
    assert any(m.value == "### Label: 4" for m in at.markdown)
    assert at.get("download_button")
    for part, index in (("training", 0), ("training", 59_999), ("test", 9_999), ("test", 0)):
        at.radio(key="dn_part").set_value(part)
        at.number_input(key="dn_index").set_value(index)
        at.run()
        assert not at.exception
    at.selectbox(key="dn_label").set_value(9)
    at.button(key="dn_random").click()
    at.run()
    assert any(m.value == "### Label: 9" for m in at.markdown)


def png(image) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.asarray(image, np.uint8)).resize((140, 140)).save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture(scope="module")
def test_images():
    _, (x_test, y_test) = load_mnist()
    return x_test, y_test


def test_every_section_opens(open_page):
    at = open_page("mnist_classifier")
    for section in ("The network", "Evaluate", "Train your own", "History experiment", "NumPy twin", "Draw a digit"):
        at.segmented_control(key="mn_section").set_value(section)
        at.run()
        assert not at.exception, section


def test_the_optimizers_variables_add_up_and_train_your_own_is_the_lessons_recipe(open_page):
    """Keras's 407,052 optimizer variables are one running average per weight (407,050) plus its iteration counter
    and its learning rate; Train your own starts at the lesson's recipe and claims no speed it did not measure."""
    at = open_page("mnist_classifier", section="The network")
    note = next(c.value for c in at.caption if "optimizer's own" in c.value)
    assert "407,052 variables" in note and "each of the 407,050 weights" in note
    assert "iteration counter and its learning rate" in note and "step counter." not in note
    at.segmented_control(key="mn_section").set_value("Train your own")
    at.run()
    assert (at.slider(key="mn_epochs").value, at.select_slider(key="mn_batch").value,
            at.slider(key="mn_split").value) == (10, 128, 0.0)
    info = " ".join(i.value for i in at.info)
    assert "10 epochs of 60,000 images in 469 batches of 128 — the lesson's recipe" in info
    assert " s per epoch" not in info


def test_the_network_shows_the_lessons_summary_epochs_and_results(open_page):
    at = open_page("mnist_classifier", section="The network")
    summary = next(c.value for c in at.code if "Total params" in c.value)
    for text in ('Model: "sequential"', "dense (Dense)", "(None, 512)", "401,920", "dense_1 (Dense)", "(None, 10)",
                 "5,130", "Total params: 407,050 (1.55 MB)", "Trainable params: 407,050", "Non-trainable params: 0"):
        assert text in summary
    shapes = at.dataframe[0].value
    assert shapes["W shape"].tolist() == ["(784, 512)", "(512, 10)"] and shapes["b shape"].tolist() == ["(512,)", "(10,)"]
    results = at.table[0].value  # a static table, so its text is on the page (the crawler reads it)
    assert results["test"].tolist()[0] == "97.8 %" and results["training"].tolist()[0] == "98.9 %"
    assert float(results["test"].tolist()[1].rstrip("%")) > 97.5
    page = " ".join(m.value for m in at.markdown) + " ".join(str(x.value) for x in at.latex)
    assert "469" in page and "overfitting" in page


def test_evaluate_the_ready_model(open_page):
    at = open_page("mnist_classifier")
    at.segmented_control(key="mn_section").set_value("Evaluate")
    at.run()
    accuracy = float(at.metric[0].value.rstrip("%"))
    assert accuracy >= 97.8
    at.multiselect(key="mn_units").set_value([0, 511])
    at.run()
    assert not at.exception


def plotly_array(value) -> np.ndarray:
    """An array as Plotly's JSON carries it: a list, or a typed array {dtype, bdata (base64), shape}."""
    if isinstance(value, dict):
        import base64

        flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        return flat.reshape([int(n) for n in str(value["shape"]).split(",")]).astype(float)
    return np.asarray(value, dtype=float)


def test_an_uploaded_digit_is_predicted(open_page, test_images):
    x_test, y_test = test_images
    at = open_page("mnist_classifier")
    at.file_uploader(key="mn_upload").upload("digit.png", png(x_test[0]), "image/png")
    at.run()
    assert not at.exception
    assert any(m.value.startswith(f"### Prediction: {int(y_test[0])}\n") for m in at.markdown)
    import json

    bars = next(json.loads(c.proto.spec) for c in at.get("plotly_chart") if '"P(digit)"' in c.proto.spec)
    assert bars["layout"]["uniformtext"] == {"minsize": 13, "mode": "show"}  # the % labels are never shrunk
    # its 512 hidden activations, as the page draws them, are the NumPy forward pass of the digit it saw
    from nnviz.mnist.dense_net import load_ready
    from nnviz.mnist.digit_units import digit_units
    from nnviz.mnist.digits import read_uploaded_image, to_mnist_format

    digit = to_mnist_format(read_uploaded_image(png(x_test[0])))
    inside = digit_units(load_ready(), digit)
    units = next(json.loads(c.proto.spec) for c in at.get("plotly_chart") if '"unit %{customdata}' in c.proto.spec)
    np.testing.assert_allclose(plotly_array(units["data"][0]["z"]), inside.image, rtol=1e-6, atol=1e-7)
    assert inside.predicted == int(y_test[0]) and inside.top


@pytest.mark.parametrize("content, message", [
    (b"not an image at all", "not an image"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "broken or truncated|not an image"),
])
def test_bad_uploads_say_why(open_page, content, message):
    import re

    at = open_page("mnist_classifier")
    at.file_uploader(key="mn_upload").upload("digit.png", content, "image/png")
    at.run()
    assert not at.exception
    assert at.error and re.search(message, at.error[0].value)


def small_keras_trainings(monkeypatch, n_train=3000):
    """The page's Train button trains on the first ``n_train`` images (the machine may be shared and slow)."""
    import nnviz.mnist.jobs as mj

    full = mj.keras_job
    monkeypatch.setattr(mj, "keras_job", lambda **kw: full(**{**kw, "n_train": n_train}))


def test_train_your_own_then_go_back(open_page, monkeypatch):
    small_keras_trainings(monkeypatch)
    at = open_page("mnist_classifier")
    at.segmented_control(key="mn_section").set_value("Train your own")
    at.run()
    at.slider(key="mn_epochs").set_value(1)
    at.select_slider(key="mn_batch").set_value(1024)
    at.slider(key="mn_split").set_value(0.0)
    at.run()
    at.button(key="mn_train").click()
    wait_until(at, lambda a: any(s.value.startswith("Finished after 1 epoch") for s in a.success))
    assert "memory" not in at.success[0].value
    assert any("your model (trained in this session)" in c.value for c in at.caption)
    at.button(key="mn_forget").click()
    at.run()
    assert any("the ready model" in c.value for c in at.caption)


def test_a_second_training_of_the_same_session_is_refused(open_page, monkeypatch):
    small_keras_trainings(monkeypatch)
    at = open_page("mnist_classifier", section="Train your own")
    at.slider(key="mn_epochs").set_value(1)
    at.run()
    at.button(key="mn_train").click()
    at.run()
    first = at.session_state["mn_job"]
    assert first.busy and at.button(key="mn_train").disabled
    # a crafted press of the disabled button (AppTest, like a browser, will not click it): the queue itself
    # refuses a second job from the session the page named as the first one's owner
    from nnviz.mnist.jobs import twin_job
    from nnviz.serving.jobs import QUEUE, QueueRefused

    assert first.owner
    with pytest.raises(QueueRefused, match="already have a training"):
        QUEUE.submit(twin_job(epochs=1, owner=first.owner))
    at.session_state["mn_section"] = "NumPy twin"
    at.run()
    assert at.button(key="mn_twin_train").disabled
    first.stop()
    wait_until(at, lambda a: not a.session_state["mn_job"].busy)


def test_the_history_experiment_is_the_lessons(open_page, monkeypatch):
    import nnviz.mnist.jobs as mj

    # the lesson's recipe, on 2,100 of the 70,000 images so that the test stays short
    small = {**mj.HISTORY_EXPERIMENT, "epochs": 2}
    monkeypatch.setattr(mj, "history_job", lambda **who: _small_history_job(mj, small, **who))
    at = open_page("mnist_classifier", section="History experiment")
    page = " ".join(m.value for m in at.markdown)
    assert "70,000" in page and "23,100" in page and "1,466" in page
    at.button(key="mn_hist_train").click()
    wait_until(at, lambda a: a.session_state["mn_hist"].state == "done", timeout=300)
    at.run()  # the page's run after the training ended (its fragment reruns it): the run that just saw "done" may
    # have drawn the live curves while the job was still running
    spec = at.get("plotly_chart")[-1].proto.spec
    assert "model loss" in spec and "model accuracy" in spec and '"train"' in spec and '"test"' in spec


def _small_history_job(mj, params, **who):
    from nnviz.mnist.data import load_mnist

    (x_train, y_train), (x_test, y_test) = load_mnist()
    x = np.concatenate([x_train[-1100:], x_test[:1000]])
    y = np.concatenate([y_train[-1100:], y_test[:1000]])
    return mj.keras_job(**{k: v for k, v in params.items() if k != "data"}, x_train=x, y_train=y, **who)


def test_the_numpy_twin_trains_beside_keras(open_page):
    at = open_page("mnist_classifier")
    at.segmented_control(key="mn_section").set_value("NumPy twin")
    at.run()
    at.slider(key="mn_twin_epochs").set_value(1)
    at.run()
    at.button(key="mn_twin_train").click()
    wait_until(at, lambda a: a.session_state["mn_twin"].state == "done")
    assert len(at.session_state["mn_twin"].progress.history["val_accuracy"]) == 1
    assert at.session_state["mn_twin"].progress.history["val_accuracy"][0] > 0.8
