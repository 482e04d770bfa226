"""The MNIST pages under AppTest: the digit as numbers; the classifier's sections, training, uploads."""

import io
import time

import numpy as np
import pytest

from nnviz.mnist import load_mnist


def wait_until(at, done, timeout=120):
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
    for section in ("The network", "Evaluate", "Train your own", "NumPy twin", "Draw a digit"):
        at.segmented_control(key="mn_section").set_value(section)
        at.run()
        assert not at.exception, section
    at.segmented_control(key="mn_section").set_value("The network")
    at.run()
    rows = at.dataframe[0].value
    assert rows["parameters"].tolist() == [401_920, 5_130, 407_050]


def test_evaluate_the_ready_model(open_page):
    at = open_page("mnist_classifier")
    at.segmented_control(key="mn_section").set_value("Evaluate")
    at.run()
    accuracy = float(at.metric[0].value.rstrip("%"))
    assert accuracy >= 97.8
    at.multiselect(key="mn_units").set_value([0, 511])
    at.run()
    assert not at.exception


def test_an_uploaded_digit_is_predicted(open_page, test_images):
    x_test, y_test = test_images
    at = open_page("mnist_classifier")
    at.file_uploader(key="mn_upload").upload("digit.png", png(x_test[0]), "image/png")
    at.run()
    assert not at.exception
    assert any(m.value == f"## Prediction: {int(y_test[0])}" for m in at.markdown)


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


def test_train_your_own_then_go_back(open_page):
    at = open_page("mnist_classifier")
    at.segmented_control(key="mn_section").set_value("Train your own")
    at.run()
    at.slider(key="mn_epochs").set_value(1)
    at.select_slider(key="mn_batch").set_value(1024)
    at.slider(key="mn_split").set_value(0.0)
    at.run()
    at.button(key="mn_train").click()
    wait_until(at, lambda a: any(s.value.startswith("Finished after 1 epoch") for s in a.success))
    assert "Peak memory of the training process" in at.success[0].value
    assert any("your model (trained in this session)" in c.value for c in at.caption)
    at.button(key="mn_forget").click()
    at.run()
    assert any("the ready model" in c.value for c in at.caption)


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
