"""The lesson's Keras network, its streaming callback, and one training at a time."""

import threading
import time

import numpy as np
import pytest

import nnviz.keras_model as km
from nnviz.jobs import Job, Progress, TrainingQueue
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


def test_a_short_training_on_2000_images_learns_and_streams(mnist):
    (x_train, y_train), (x_test, y_test) = mnist
    job = km.keras_job(x_train[:2000], y_train[:2000], epochs=3, batch_size=64, validation_split=0.1)
    model = job.run(job)
    p = job.progress
    assert len(p.history["loss"]) == 3 and len(p.history["val_accuracy"]) == 3
    assert p.history["loss"][-1] < p.history["loss"][0]
    assert p.batches_per_epoch == 29 and p.batch_loss is not None
    probs = km.predict(model, x_test[:1000])
    np.testing.assert_allclose(probs.sum(axis=1), 1, atol=1e-5)
    assert np.mean(np.argmax(probs, axis=1) == y_test[:1000]) > 0.85


def test_stop_ends_a_training_early(mnist):
    (x_train, y_train), _ = mnist
    job = km.keras_job(x_train[:3000], y_train[:3000], epochs=50, batch_size=32, validation_split=0.0)
    job.stop_requested.set()  # as if Stop was pressed right away
    job.run(job)
    assert len(job.progress.history["loss"]) <= 1


def test_the_ready_model_reads_digits(mnist):
    model = km.load_ready_model()
    assert model is not None, "models/mnist_dense.keras is part of the repository"
    _, (x_test, y_test) = mnist
    pred = np.argmax(km.predict(model, x_test[:2000]), axis=1)
    assert np.mean(pred == y_test[:2000]) > 0.97
    one = km.predict(model, x_test[0])
    assert one.shape == (1, 10) and int(np.argmax(one)) == int(y_test[0])


def test_one_training_at_a_time_and_the_others_queue():
    queue = TrainingQueue()
    release = threading.Event()
    order = []

    def slow(job):
        order.append(job.label)
        release.wait(10)
        return job.label

    first = queue.submit(Job("first", slow, Progress(epochs=1)))
    second = queue.submit(Job("second", slow, Progress(epochs=1)))
    deadline = time.monotonic() + 10
    while first.state != "running" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert first.state == "running" and second.state == "queued"
    assert queue.position(second) == 1 and queue.position(first) == 0
    release.set()
    while second.state != "done" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert order == ["first", "second"] and second.result == "second"
    assert first.peak_memory_mb > 0


def test_a_failing_job_is_reported_not_raised():
    queue = TrainingQueue()

    def boom(job):
        raise MemoryError("out of memory")

    job = queue.submit(Job("boom", boom, Progress(epochs=1)))
    deadline = time.monotonic() + 10
    while job.state not in ("failed", "done") and time.monotonic() < deadline:
        time.sleep(0.01)
    assert job.state == "failed" and "MemoryError: out of memory" in job.error
