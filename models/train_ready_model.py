"""The ready model of the MNIST page: trained with the lesson's recipe, saved next to this file, and
exported as plain data for the server (which never imports TensorFlow).

Dense(512, relu) → Dense(10, softmax), rmsprop, categorical cross-entropy, 10 epochs, batch 128,
on the 60,000 training images; prints the test accuracy (the lesson reports 97.8 %).

    .venv/bin/python models/train_ready_model.py           # export mnist_dense.keras's weights and summary
    .venv/bin/python models/train_ready_model.py --train   # train it again first (~30–60 s), then export

Writes ``mnist_dense.keras`` (with --train), ``mnist_dense_history.json`` (with --train) and
``mnist_dense_weights.npz`` (the four weight arrays + Keras's summary, read by ``nnviz.mnist.dense_net``);
checks that NumPy's predictions equal Keras's on the 10,000 test images.
"""

import argparse
import json
import time

import numpy as np

from nnviz.mnist.data import load_mnist
from nnviz.mnist.dense_net import READY_HISTORY, READY_WEIGHTS, DenseNet
from nnviz.mnist.keras_model import READY_MODEL, build_model, export, keras, preprocess


def train(x_train, y_train, Xt, Yt):
    X, Y = preprocess(x_train, y_train)
    model = build_model(seed=0)
    t = time.perf_counter()
    history = model.fit(X, Y, epochs=10, batch_size=128, verbose=2).history
    print(f"trained in {time.perf_counter() - t:.1f} s")
    loss, acc = model.evaluate(Xt, Yt, verbose=0)
    print(f"test accuracy {acc * 100:.2f} %, test loss {loss:.4f}")
    model.save(READY_MODEL)
    record = {"epochs": 10, "batch_size": 128, "loss": history["loss"], "accuracy": history["accuracy"],
              "test_loss": loss, "test_accuracy": acc}
    READY_HISTORY.write_text(json.dumps(record, indent=1))
    return model


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", action="store_true", help="train the model again before exporting it")
    args = ap.parse_args()
    (x_train, y_train), (x_test, y_test) = load_mnist(report=print)
    Xt, Yt = preprocess(x_test, y_test)
    model = train(x_train, y_train, Xt, Yt) if args.train else keras.models.load_model(READY_MODEL)
    net = export(model)
    net.save(READY_WEIGHTS)
    again = DenseNet.load(READY_WEIGHTS)
    gap = float(np.abs(again.predict(x_test) - np.asarray(model(Xt, training=False))).max())
    acc = float(np.mean(np.argmax(again.predict(x_test), axis=1) == y_test))
    print(net.summary["text"])
    print(f"saved {READY_WEIGHTS} ({READY_WEIGHTS.stat().st_size / 1e6:.1f} MB): NumPy's test accuracy "
          f"{acc:.2%}, largest difference from Keras's probabilities {gap:.1e}")


if __name__ == "__main__":
    main()
