"""What streaming costs Keras, how fast a drawn digit is read, and what a training takes in memory.

1. The lesson's network on the 60,000 training images, batch 128: seconds per epoch with a plain
   ``model.fit`` against ``model.fit`` with the page's streaming callback (``LiveHistory``), the two
   alternating epoch by epoch on the same model; the median of each, and their ratio.
2. A digit drawn on the 280×280 canvas: preprocessing (crop, scale, centre) plus the prediction,
   server-side, median of 100.
3. Peak resident memory of this process after the trainings.

    python bench/bench_mnist.py [--epochs 6]

Targets (issue 5): streaming ≤ 10 % per epoch; a drawn digit ≤ 100 ms.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import nnviz.keras_model as km  # noqa: E402
from nnviz.jobs import Progress, peak_memory_mb  # noqa: E402
from nnviz.mnist import load_mnist, to_mnist_format  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=6, help="epochs of each kind (alternating)")
    args = ap.parse_args()
    (x_train, y_train), (x_test, y_test) = load_mnist()
    X, Y = km.preprocess(x_train, y_train)
    model = km.build_model(seed=0)
    model.fit(X[:1280], Y[:1280], epochs=1, batch_size=128, verbose=0)  # warm-up: tracing

    plain, streamed, every_batch = [], [], []
    for _ in range(args.epochs):
        for kind, store in (("plain", plain), ("streamed", streamed), ("every batch", every_batch)):
            callbacks = []
            if kind != "plain":
                callbacks = [km.LiveHistory(Progress(epochs=1), every=10 if kind == "streamed" else 1)]
            t = time.perf_counter()
            model.fit(X, Y, epochs=1, batch_size=128, verbose=0, callbacks=callbacks)
            store.append(time.perf_counter() - t)
    p, s, e = (statistics.median(v) for v in (plain, streamed, every_batch))
    print(f"Keras, 60,000 images, batch 128 (median of {args.epochs} epochs each, alternating):")
    print(f"  plain model.fit          {p:6.2f} s/epoch")
    print(f"  with the page's stream   {s:6.2f} s/epoch  = {s / p - 1:+.1%}  (batch values read every 10th batch)")
    print(f"  reading every batch      {e:6.2f} s/epoch  = {e / p - 1:+.1%}")

    model = km.load_ready_model()
    canvas = np.zeros((280, 280, 4))
    canvas[40:240, 130:150] = [255, 255, 255, 255]
    km.predict(model, to_mnist_format(canvas[..., 0]))  # warm-up
    times = []
    for _ in range(100):
        t = time.perf_counter()
        digit = to_mnist_format(canvas[..., 0])
        probs = km.predict(model, digit)
        times.append(time.perf_counter() - t)
    print(f"a drawn digit, preprocessed and predicted: {statistics.median(times) * 1000:.1f} ms median, "
          f"{np.percentile(times, 95) * 1000:.1f} ms 95th percentile (predicted {int(np.argmax(probs))})")
    print(f"peak memory of this process after {3 * args.epochs} epochs of training: {peak_memory_mb():,.0f} MiB")


if __name__ == "__main__":
    main()
