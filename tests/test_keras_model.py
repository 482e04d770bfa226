"""The lesson's Keras network, its streaming callback, and one training at a time."""

import threading
import time

import numpy as np
import pytest

import nnviz.keras_model as km
from nnviz.jobs import Job, Progress, TrainingQueue, read_progress
from nnviz.mnist import load_mnist


@pytest.fixture(scope="module")
def mnist():
    return load_mnist()


def test_summary_counts_the_lessons_407050_parameters():
    model = km.build_model()
    rows = km.summary_rows(model)
    assert [r["parameters"] for r in rows] == [401_920, 5_130, 407_050]
    assert km.weight_shapes(model) == [(784, 512), (512,), (512, 10), (10,)]
    assert isinstance(model.optimizer, km.keras.optimizers.RMSprop) and model.loss == "categorical_crossentropy"


def test_preprocess_shapes():
    x = np.zeros((3, 28, 28), np.uint8)
    x[0, 0, 0] = 255
    X, Y = km.preprocess(x, np.array([5, 0, 9]))
    assert X.shape == (3, 784) and X.dtype == np.float32 and X[0, 0] == 1.0
    assert Y.shape == (3, 10) and Y[0, 5] == 1 and Y.sum() == 3


def test_a_short_training_on_2000_images_learns_and_streams(mnist, tmp_path):
    (x_train, y_train), (x_test, y_test) = mnist
    params = {"epochs": 3, "batch_size": 64, "validation_split": 0.1, "seed": 0,
              "x_train": x_train[:2000], "y_train": y_train[:2000]}
    outcome = km.train_in_worker(params, str(tmp_path))
    p = Progress(epochs=3)
    read_progress(tmp_path, p)
    assert len(p.history["loss"]) == 3 and len(p.history["val_accuracy"]) == 3
    assert p.history["loss"][-1] < p.history["loss"][0]
    assert p.batches_per_epoch == 29 and p.batch_loss is not None
    model = km.keras.models.load_model(outcome["model_path"])
    probs = km.predict(model, x_test[:1000])
    np.testing.assert_allclose(probs.sum(axis=1), 1, atol=1e-5)
    assert np.mean(np.argmax(probs, axis=1) == y_test[:1000]) > 0.85


def test_a_stop_file_ends_a_training_early(mnist, tmp_path):
    (x_train, y_train), _ = mnist
    (tmp_path / "stop").touch()  # as if Stop was pressed right away
    params = {"epochs": 50, "batch_size": 32, "validation_split": 0.0, "x_train": x_train[:3000],
              "y_train": y_train[:3000]}
    km.train_in_worker(params, str(tmp_path))
    p = Progress(epochs=50)
    read_progress(tmp_path, p)
    assert len(p.history["loss"]) <= 1


def test_a_keras_job_runs_in_the_training_process(mnist):
    (x_train, y_train), (x_test, y_test) = mnist
    queue = TrainingQueue()
    job = queue.submit(km.keras_job(epochs=1, batch_size=128, validation_split=0.0, x_train=x_train[:2000],
                                    y_train=y_train[:2000]))
    deadline = time.monotonic() + 180
    while job.state in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert job.state == "done", job.error
    assert job.peak_memory_mb > 100 and len(job.progress.history["loss"]) == 1
    assert np.mean(np.argmax(km.predict(job.result, x_test[:500]), axis=1) == y_test[:500]) > 0.8


def test_the_ready_model_reads_digits(mnist):
    model = km.load_ready_model()
    assert model is not None, "models/mnist_dense.keras is part of the repository"
    _, (x_test, y_test) = mnist
    pred = np.argmax(km.predict(model, x_test[:2000]), axis=1)
    assert np.mean(pred == y_test[:2000]) > 0.97
    one = km.predict(model, x_test[0])
    assert one.shape == (1, 10) and int(np.argmax(one)) == int(y_test[0])


RELEASE = threading.Event()


def wait_for_release(params, workdir):
    RELEASE.wait(10)
    return params["name"]


def boom(params, workdir):
    raise MemoryError("out of memory")


def test_one_training_at_a_time_and_the_others_queue():
    queue = TrainingQueue(inline=True)
    RELEASE.clear()
    first = queue.submit(Job("first", wait_for_release, {"name": "first"}, Progress(epochs=1)))
    second = queue.submit(Job("second", wait_for_release, {"name": "second"}, Progress(epochs=1)))
    deadline = time.monotonic() + 10
    while first.state != "running" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert first.state == "running" and second.state == "queued"
    assert queue.position(second) == 1 and queue.position(first) == 0
    RELEASE.set()
    while second.state != "done" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert first.result == "first" and second.result == "second"
    assert second.started_at >= first.finished_at


def test_a_stopped_job_that_was_still_queued_never_runs():
    queue = TrainingQueue(inline=True)
    RELEASE.clear()
    first = queue.submit(Job("first", wait_for_release, {"name": "first"}, Progress(epochs=1)))
    second = queue.submit(Job("second", wait_for_release, {"name": "second"}, Progress(epochs=1)))
    second.stop()
    RELEASE.set()
    deadline = time.monotonic() + 10
    while first.state != "done" and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)
    assert second.state == "stopped" and second.started_at is None


def test_a_failing_job_is_reported_not_raised():
    queue = TrainingQueue(inline=True)
    job = queue.submit(Job("boom", boom, {}, Progress(epochs=1)))
    deadline = time.monotonic() + 10
    while job.state not in ("failed", "done") and time.monotonic() < deadline:
        time.sleep(0.01)
    assert job.state == "failed" and "MemoryError: out of memory" in job.error
