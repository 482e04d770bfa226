"""The lesson's Keras network (in the training process): its summary, its export as plain data that NumPy
predicts with exactly as Keras does, its streaming callback, and a training through the real queue."""

import time

import numpy as np
import pytest

import nnviz.mnist.keras_model as km
from nnviz.mnist.data import load_mnist
from nnviz.mnist.dense_net import DenseNet, load_ready
from nnviz.mnist.jobs import HISTORY_EXPERIMENT, keras_job
from nnviz.serving.jobs import JobProgress, TrainingQueue, read_progress


@pytest.fixture(scope="module")
def mnist():
    return load_mnist()


def test_the_lessons_network_and_its_summary():
    model = km.build_model()
    assert [layer.name for layer in model.layers] == ["dense", "dense_1"] and model.count_params() == 407_050
    assert isinstance(model.optimizer, km.keras.optimizers.RMSprop) and model.loss == "categorical_crossentropy"
    text = km.summary_text(model)
    assert 'Model: "sequential"' in text and "dense_1 (Dense)" in text and "Total params: 407,050 (1.55 MB)" in text
    net = km.export(model)
    assert net.summary["text"] == text and net.summary["total"] == 407_050
    assert net.weight_shapes() == [(784, 512), (512,), (512, 10), (10,)]


def test_preprocess_shapes():
    x = np.zeros((3, 28, 28), np.uint8)
    x[0, 0, 0] = 255
    X, Y = km.preprocess(x, np.array([5, 0, 9]))
    assert X.shape == (3, 784) and X.dtype == np.float32 and X[0, 0] == 1.0
    assert Y.shape == (3, 10) and Y[0, 5] == 1 and Y.sum() == 3


def test_numpy_predicts_real_digits_as_keras_does(mnist):
    _, (x_test, _) = mnist
    model = km.load_ready_model()
    net = load_ready()
    for a, b in zip(model.get_weights(), net.weights(), strict=True):
        np.testing.assert_array_equal(a, b)  # the committed export is the committed model
    keras_p = np.asarray(model(km.preprocess(x_test[:3000]), training=False))
    numpy_p = net.predict(x_test[:3000])
    np.testing.assert_allclose(numpy_p, keras_p, atol=1e-5)  # float32 rounding of two matrix products
    assert np.array_equal(np.argmax(numpy_p, axis=1), np.argmax(keras_p, axis=1))


def test_a_short_training_on_2000_images_learns_and_streams(mnist, tmp_path):
    (x_train, y_train), (x_test, y_test) = mnist
    params = {"epochs": 3, "batch_size": 64, "validation_split": 0.1, "seed": 0,
              "x_train": x_train[:2000], "y_train": y_train[:2000]}
    outcome = km.train_in_worker(params, str(tmp_path))
    p = JobProgress(epochs=3)
    read_progress(tmp_path, p)
    assert len(p.history["loss"]) == 3 and len(p.history["val_accuracy"]) == 3
    assert p.history["loss"][-1] < p.history["loss"][0]
    assert p.batches_per_epoch == 29 and p.batch_loss is not None and p.stage == "saving"
    assert len(p.batches) == 3 * (29 // 10) and 0 < p.batches[0][0] < 1  # every 10th batch, in epochs
    net = DenseNet.load(outcome["net_path"])
    probs = net.predict(x_test[:1000])
    np.testing.assert_allclose(probs.sum(axis=1), 1, atol=1e-5)
    assert np.mean(np.argmax(probs, axis=1) == y_test[:1000]) > 0.85
    assert net.summary["total"] == 407_050


def test_a_stop_file_ends_a_training_early(mnist, tmp_path):
    (x_train, y_train), _ = mnist
    (tmp_path / "stop").touch()  # as if Stop was pressed right away
    params = {"epochs": 50, "batch_size": 32, "validation_split": 0.0, "x_train": x_train[:3000],
              "y_train": y_train[:3000]}
    km.train_in_worker(params, str(tmp_path))
    p = JobProgress(epochs=50)
    read_progress(tmp_path, p)
    assert len(p.history["loss"]) <= 1


def test_the_history_experiment_uses_all_70000_images_and_continues_the_ready_model(mnist, tmp_path):
    x, y = km.training_data({"data": "all"})
    (x_train, _), (x_test, y_test) = mnist
    assert x.shape == (70_000, 28, 28) and np.array_equal(x[60_000:], x_test) and np.array_equal(y[60_000:], y_test)
    assert HISTORY_EXPERIMENT == {"data": "all", "start": "ready", "validation_split": 0.33, "epochs": 5,
                                  "batch_size": 32}
    # continuing from the ready model: already right on the held-out part in the first epoch
    params = {**HISTORY_EXPERIMENT, "epochs": 1, "x_train": x[-3000:], "y_train": y[-3000:]}
    km.train_in_worker(params, str(tmp_path))
    p = JobProgress(epochs=1)
    read_progress(tmp_path, p)
    assert p.batches_per_epoch == 63  # ⌈2,010 / 32⌉
    assert p.history["val_accuracy"][0] > 0.95


@pytest.mark.slow
def test_a_keras_job_runs_in_the_training_process(mnist):
    (x_train, y_train), (x_test, y_test) = mnist
    queue = TrainingQueue(nice=0)  # beside other busy programs a nice-19 worker would hardly start TensorFlow
    job = queue.submit(keras_job(epochs=1, batch_size=128, validation_split=0.0, x_train=x_train[:2000],
                                 y_train=y_train[:2000], owner="me"))
    deadline = time.monotonic() + 180
    while job.busy and time.monotonic() < deadline:
        time.sleep(0.1)
    assert job.state == "done", job.error
    assert job.peak_memory_mb > 100 and len(job.progress.history["loss"]) == 1
    assert isinstance(job.result, DenseNet)
    assert np.mean(np.argmax(job.result.predict(x_test[:500]), axis=1) == y_test[:500]) > 0.8
