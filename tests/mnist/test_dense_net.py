"""The trained network as plain data: NumPy predictions, the exported ready model, its summary, epochs."""

import numpy as np
import pytest

from nnviz.core.deep_network import confusion_matrix
from nnviz.mnist.dense_net import DenseNet, load_ready, load_ready_history


def random_net(seed=0, hidden=512) -> DenseNet:
    rng = np.random.default_rng(seed)
    return DenseNet(rng.normal(0, 0.05, (784, hidden)).astype(np.float32), np.zeros(hidden, np.float32),
                    rng.normal(0, 0.05, (hidden, 10)).astype(np.float32), np.zeros(10, np.float32),
                    summary={"text": "Model: x"})


def test_predict_gives_probabilities_for_one_image_or_many():
    net = random_net()
    images = np.random.default_rng(1).integers(0, 256, (5, 28, 28), dtype=np.uint8)
    p = net.predict(images)
    assert p.shape == (5, 10) and p.dtype == np.float32
    np.testing.assert_allclose(p.sum(axis=1), 1, rtol=1e-5)
    one = net.predict(images[2])
    assert one.shape == (1, 10)
    np.testing.assert_allclose(one[0], p[2], rtol=1e-5)


def test_the_forward_pass_is_relu_then_softmax():
    net = random_net()
    x = np.random.default_rng(2).integers(0, 256, (3, 28, 28), dtype=np.uint8)
    X = x.reshape(3, 784).astype(np.float64) / 255
    Z2 = np.maximum(X @ net.W1 + net.b1, 0) @ net.W2 + net.b2
    expected = np.exp(Z2) / np.exp(Z2).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(net.predict(x), expected, rtol=1e-4, atol=1e-6)


def test_save_and_load_round_trip(tmp_path):
    net = random_net(hidden=16)
    net.summary = {"text": "Total params: 12", "total": 12}
    net.save(tmp_path / "net.npz")
    again = DenseNet.load(tmp_path / "net.npz")
    for a, b in zip(net.weights(), again.weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert again.summary == net.summary and again.weight_shapes()[0] == (784, 16)


def test_wrong_shapes_are_refused():
    with pytest.raises(ValueError, match="expected weights of shapes"):
        DenseNet(np.zeros((10, 5)), np.zeros(5), np.zeros((5, 10)), np.zeros(10))


def test_the_exported_ready_model_is_the_lessons_network():
    net = load_ready()
    assert net is not None, "models/mnist_dense_weights.npz is part of the repository"
    assert net.weight_shapes() == [(784, 512), (512,), (512, 10), (10,)] and net.count_params() == 407_050
    s = net.summary
    assert [r["parameters"] for r in s["layers"]] == [401_920, 5_130]
    assert [r["layer"] for r in s["layers"]] == ["dense (Dense)", "dense_1 (Dense)"]
    assert [r["output shape"] for r in s["layers"]] == ["(None, 512)", "(None, 10)"]
    assert (s["total"], s["trainable"], s["non_trainable"]) == (407_050, 407_050, 0)
    for line in ("Total params: 407,050 (1.55 MB)", "Trainable params: 407,050 (1.55 MB)",
                 "Non-trainable params: 0 (0.00 B)", "(None, 512)", "401,920", "5,130"):
        assert line in s["text"]
    assert s["optimizer_params"] == 407_052  # rmsprop: one average per weight, and its step counter


def test_the_ready_model_reads_digits_with_numpy_alone():
    from nnviz.mnist.data import load_mnist

    _, (x_test, y_test) = load_mnist()
    pred = np.argmax(load_ready().predict(x_test), axis=1)
    history = load_ready_history()
    assert np.mean(pred == y_test) == pytest.approx(history["test_accuracy"], abs=0.002)
    assert np.mean(pred == y_test) > 0.975




def test_confusion_matrix_counts_pairs():
    m = confusion_matrix([1, 1, 2, 7], [1, 2, 2, 7])
    assert m[1, 1] == 1 and m[1, 2] == 1 and m[7, 7] == 1 and m.sum() == 4
