"""Train the ready model of the MNIST page with the lesson's recipe and save it next to this file.

Dense(512, relu) → Dense(10, softmax), rmsprop, categorical cross-entropy, 10 epochs, batch 128,
on the 60,000 training images; prints the test accuracy (the lesson reports 97.8 %).

    .venv/bin/python models/train_ready_model.py
"""

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nnviz.keras_model import READY_HISTORY, READY_MODEL, build_model, preprocess  # noqa: E402
from nnviz.mnist import load_mnist  # noqa: E402


def main():
    (x_train, y_train), (x_test, y_test) = load_mnist(report=print)
    X, Y = preprocess(x_train, y_train)
    Xt, Yt = preprocess(x_test, y_test)
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
    print(f"saved {READY_MODEL} ({READY_MODEL.stat().st_size / 1e6:.1f} MB) and its history")


if __name__ == "__main__":
    main()
