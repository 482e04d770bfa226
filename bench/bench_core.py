"""How fast does nnviz train the lesson's network, against its peers in the same run?

Workload: the lesson's data (4000 × 20 train, 1000 test), hidden 10 (tanh), one
sigmoid output, batch 100, plain SGD with step size 1 (the lesson's effective
step: its update ignores lr), no shuffling. Contenders, interleaved round by round:

- lesson     the lesson's loop, transcribed (bench/lesson_baseline.py)
- nnviz.fit  ShallowNN.fit: the same training (batch losses recorded, nothing else)
- Trainer    nnviz's Trainer as the app runs it: also accuracy on both sets and
             the test loss after every epoch
- sklearn    MLPClassifier(solver="sgd", momentum=0, alpha=0, shuffle=False)
- keras      the same model in Keras (only with --keras; fewer epochs, it is slow)

Prints the median steps/s, the final test accuracy, and ratios to the lesson
loop and to scikit-learn; then how nnviz's cost grows with hidden size and batch size.

    python -m bench.bench_core [--rounds 5] [--epochs 500] [--keras] [--keras-epochs 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import warnings

import numpy as np

from bench.lesson_baseline import LessonShallowNN  # the lesson's loop, transcribed
from nnviz import ShallowNN, Trainer
from nnviz.datasets import lesson_data

BATCH, HIDDEN = 100, 10


def run_lesson(ds, epochs, seed):
    np.random.seed(seed)
    model = LessonShallowNN(20, HIDDEN, 1)
    t = time.perf_counter()
    model.fit(ds.X_train, ds.y_train, batch_size=BATCH, n_iterations=epochs, lr=1.0, log=lambda s: None)
    dt = time.perf_counter() - t
    acc = np.mean((model.predict(ds.X_test.T)[0] > 0.5) == ds.y_test)
    return epochs * 40 / dt, acc


def run_fit(ds, epochs, seed):
    model = ShallowNN(20, HIDDEN, 1, seed=seed)
    t = time.perf_counter()
    model.fit(ds.X_train, ds.y_train, batch_size=BATCH, n_iterations=epochs, lr=1.0)
    dt = time.perf_counter() - t
    return epochs * 40 / dt, np.mean(model.predict_classes(ds.X_test.T) == ds.y_test)


def run_trainer(ds, epochs, seed):
    trainer = Trainer(ShallowNN(20, HIDDEN, 1, seed=seed), ds.X_train, ds.y_train, ds.X_test, ds.y_test,
                      lr=1.0, batch_size=BATCH, epochs=epochs)
    t = time.perf_counter()
    trainer.run()
    dt = time.perf_counter() - t
    return trainer.step / dt, trainer.history.epochs[-1].test_acc


def run_sklearn(ds, epochs, seed):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(
        hidden_layer_sizes=(HIDDEN,), activation="tanh", solver="sgd", learning_rate="constant",
        learning_rate_init=1.0, momentum=0.0, nesterovs_momentum=False, alpha=0.0, batch_size=BATCH,
        shuffle=False, max_iter=epochs, tol=0.0, n_iter_no_change=epochs + 1, random_state=seed,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        t = time.perf_counter()
        clf.fit(ds.X_train, ds.y_train)
        dt = time.perf_counter() - t
    return epochs * 40 / dt, clf.score(ds.X_test, ds.y_test)


def make_keras(ds, epochs):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    def run_keras(_ds, _epochs, seed):
        keras.utils.set_random_seed(seed)
        model = keras.Sequential([
            keras.Input((20,)), keras.layers.Dense(HIDDEN, activation="tanh"), keras.layers.Dense(1, activation="sigmoid"),
        ])
        model.compile(optimizer=keras.optimizers.SGD(learning_rate=1.0), loss="binary_crossentropy")
        model.fit(ds.X_train, ds.y_train, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)  # warm-up: tracing
        t = time.perf_counter()
        model.fit(ds.X_train, ds.y_train, batch_size=BATCH, epochs=epochs, shuffle=False, verbose=0)
        dt = time.perf_counter() - t
        acc = np.mean((model.predict(ds.X_test, verbose=0)[:, 0] > 0.5) == ds.y_test)
        return epochs * 40 / dt, acc

    return run_keras


def scaling(ds, steps=4000):
    print("\nHow nnviz's Trainer cost grows (same data, steps/s and samples/s; per-epoch evaluation included)")
    print(f"{'hidden':>7} {'batch':>6} {'steps/s':>10} {'samples/s':>11} {'µs/step':>8}")
    for hidden, batch in [(10, 100), (32, 100), (128, 100), (512, 100), (10, 1), (10, 10), (10, 1000), (10, 4000)]:
        rates = []
        for seed in range(3):
            trainer = Trainer(ShallowNN(20, hidden, 1, seed=seed), ds.X_train, ds.y_train, ds.X_test, ds.y_test,
                              lr=0.1, batch_size=batch, epochs=1_000_000)
            n = max(200, min(steps, int(steps * 100 / max(batch, 100) / max(hidden / 10, 1))))
            p = trainer.run(steps=n)
            rates.append(p.n_steps / p.seconds)
        r = statistics.median(rates)
        print(f"{hidden:>7} {batch:>6} {r:>10,.0f} {r * batch:>11,.0f} {1e6 / r:>8.1f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=500)
    ap.add_argument("--keras", action="store_true", help="include Keras (imports TensorFlow, ~5 s)")
    ap.add_argument("--keras-epochs", type=int, default=20)
    ap.add_argument("--no-scaling", action="store_true")
    args = ap.parse_args()
    ds = lesson_data()
    contenders = {"lesson": (run_lesson, args.epochs), "nnviz.fit": (run_fit, args.epochs),
                  "Trainer": (run_trainer, args.epochs), "sklearn": (run_sklearn, args.epochs)}
    if args.keras:
        contenders["keras"] = (make_keras(ds, args.keras_epochs), args.keras_epochs)
    results = {name: [] for name in contenders}
    for r in range(args.rounds):
        for name, (fn, epochs) in contenders.items():
            results[name].append(fn(ds, epochs, seed=r))
    print(f"Lesson workload: 4000×20, hidden {HIDDEN}, batch {BATCH}, step size 1; "
          f"median of {args.rounds} interleaved rounds (seeds 0…{args.rounds - 1})")
    speed = {n: statistics.median(s for s, _ in v) for n, v in results.items()}
    print(f"{'':10} {'epochs':>6} {'steps/s':>10} {'test acc (mean)':>16} {'× lesson':>9} {'× sklearn':>10}")
    for name, v in results.items():
        acc = statistics.mean(a for _, a in v)
        print(f"{name:10} {contenders[name][1]:>6} {speed[name]:>10,.0f} {acc * 100:>15.2f}% "
              f"{speed[name] / speed['lesson']:>9.2f} {speed[name] / speed['sklearn']:>10.2f}")
    if not args.no_scaling:
        scaling(ds)


if __name__ == "__main__":
    main()
