"""How fast does nnviz train the lesson's network, and deeper ones, against its peers in the same run?

Workload 1, the lesson's: its data (4000 × 20 train, 1000 test), hidden 10 (tanh), one
sigmoid output, batch 100, plain SGD with step size 1 (the lesson's effective
step: its update ignores lr), no shuffling. Contenders, interleaved round by round:

- lesson     the lesson's loop, transcribed (bench/lesson_baseline.py)
- before     ShallowNN.fit as it was before the general network (bench/shallow_baseline.py)
- nnviz.fit  ShallowNN.fit: the same training (batch losses recorded, nothing else)
- DeepNN     DeepNN(hidden=(10,)).fit: the general network on the same run
- Trainer    nnviz's Trainer as the app runs it: also accuracy on both sets and
             the test loss after every epoch
- sklearn    MLPClassifier(solver="sgd", momentum=0, alpha=0, shuffle=False)
- keras      the same model in Keras (only with --keras; fewer epochs, it is slow)

Workload 2, two hidden layers of 8 tanh units on 2-D data, batch 10, shuffled each epoch, Glorot
initialisation, learning rate 0.01, SGD and Adam: moons (binary), the 3-arm spiral (multiclass) and the
plane (regression). Contenders, interleaved: nnviz's DeepNN.fit and Trainer, and scikit-learn's
MLPClassifier / MLPRegressor with the same layers, solver, batch and shuffling (alpha=0; SGD without momentum).

Prints the median steps/s, the final test accuracy (R² for the regression), and ratios; then how nnviz's
cost grows with hidden size and batch size. BLAS runs one thread, as in the app's training workers.

    python -m bench.bench_core [--rounds 5] [--epochs 500] [--deep-epochs 200] [--blas-threads 1] [--keras]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import warnings

import numpy as np

from bench.lesson_baseline import LessonShallowNN  # the lesson's loop, transcribed
from bench.shallow_baseline import ShallowNNBefore  # ShallowNN before the general network
from nnviz import DeepNN, ShallowNN, Trainer
from nnviz.core.datasets import lesson_data, make_2d

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


def run_before(ds, epochs, seed):
    model = ShallowNNBefore(20, HIDDEN, 1, seed=seed)
    t = time.perf_counter()
    model.fit(ds.X_train, ds.y_train, batch_size=BATCH, n_iterations=epochs, lr=1.0)
    dt = time.perf_counter() - t
    return epochs * 40 / dt, np.mean(model.predict_classes(ds.X_test.T) == ds.y_test)


def run_deep(ds, epochs, seed):
    model = DeepNN(20, (HIDDEN,), 1, seed=seed)
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


DEEP_HIDDEN, DEEP_BATCH, DEEP_LR = (8, 8), 10, 0.01


def deep_sets():
    return {
        "moons": make_2d("moons", 400, 0.2, 0.7, 0),
        "spiral, 3 arms": make_2d("spiral", 400, 0.1, 0.7, 0, classes=3),
        "plane (regression)": make_2d("plane", 400, 0.1, 0.7, 0),
    }


def steps_of(ds, epochs):
    return epochs * -(-ds.n_train // DEEP_BATCH)


def deep_fit(ds, solver, epochs, seed):
    model = DeepNN(2, DEEP_HIDDEN, ds.n_outputs, problem=ds.problem, init_scale="glorot", seed=seed,
                   optimizer=solver)
    t = time.perf_counter()
    model.fit(ds.X_train, ds.y_train, batch_size=DEEP_BATCH, n_iterations=epochs, lr=DEEP_LR, shuffle=True)
    dt = time.perf_counter() - t
    if ds.problem == "regression":
        Y = ds.y_test.reshape(1, -1)
        score = 1 - np.sum((model.predict(ds.X_test.T) - Y) ** 2) / np.sum((Y - Y.mean()) ** 2)
    else:
        score = np.mean(model.predict_classes(ds.X_test.T) == ds.y_test)
    return steps_of(ds, epochs) / dt, score


def deep_trainer(ds, solver, epochs, seed):
    model = DeepNN(2, DEEP_HIDDEN, ds.n_outputs, problem=ds.problem, init_scale="glorot", seed=seed,
                   optimizer=solver)
    trainer = Trainer(model, ds.X_train, ds.y_train, ds.X_test, ds.y_test, lr=DEEP_LR, batch_size=DEEP_BATCH,
                      epochs=epochs, shuffle=True, seed=seed)
    t = time.perf_counter()
    trainer.run()
    dt = time.perf_counter() - t
    last = trainer.history.epochs[-1]
    return trainer.step / dt, last.test_r2 if ds.problem == "regression" else last.test_acc


def deep_sklearn(ds, solver, epochs, seed):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    cls = MLPRegressor if ds.problem == "regression" else MLPClassifier
    extra = dict(momentum=0.0, nesterovs_momentum=False) if solver == "sgd" else {}
    model = cls(hidden_layer_sizes=DEEP_HIDDEN, activation="tanh", solver=solver, learning_rate_init=DEEP_LR,
                alpha=0.0, batch_size=DEEP_BATCH, shuffle=True, max_iter=epochs, tol=0.0,
                n_iter_no_change=epochs + 1, random_state=seed, **extra)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        t = time.perf_counter()
        model.fit(ds.X_train, ds.y_train)
        dt = time.perf_counter() - t
    return steps_of(ds, model.n_iter_) / dt, model.score(ds.X_test, ds.y_test)


def deep(rounds, epochs):
    print(f"\nTwo hidden layers {DEEP_HIDDEN}, tanh, batch {DEEP_BATCH}, shuffled, lr {DEEP_LR}, {epochs} epochs; "
          f"median of {rounds} interleaved rounds (seeds 0…{rounds - 1}; ratios: median of each round's); score: "
          f"test accuracy, or R²")
    print(f"{'data':20} {'solver':6} {'sklearn':>9} {'fit':>9} {'Trainer':>9} {'fit/sk':>7} {'Trainer/sk':>10}"
          f" {'score sk / nnviz':>17}")
    contenders = {"sklearn": deep_sklearn, "fit": deep_fit, "Trainer": deep_trainer}
    for name, ds in deep_sets().items():
        for solver in ("sgd", "adam"):
            results = {c: [] for c in contenders}
            for r in range(rounds):
                for c in interleaved(contenders, r):
                    results[c].append(contenders[c](ds, solver, epochs, seed=r))
            speed = {c: statistics.median(s for s, _ in v) for c, v in results.items()}
            score = {c: statistics.mean(a for _, a in v) for c, v in results.items()}
            print(f"{name:20} {solver:6} {speed['sklearn']:>9,.0f} {speed['fit']:>9,.0f} {speed['Trainer']:>9,.0f} "
                  f"{paired(results, 'fit', 'sklearn'):>7.2f} {paired(results, 'Trainer', 'sklearn'):>10.2f} "
                  f"{score['sklearn']:>8.3f} / {score['Trainer']:.3f}")


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


def interleaved(names, r):
    """The contenders' order in round ``r``: reversed every other round, so that a drift of the machine's load
    within a round does not favour whoever runs first."""
    names = list(names)
    return names if r % 2 == 0 else names[::-1]


def paired(results, name, reference):
    """The median over rounds of ``name``'s speed / ``reference``'s speed in the same round."""
    return statistics.median(a[0] / b[0] for a, b in zip(results[name], results[reference], strict=True))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=500)
    ap.add_argument("--keras", action="store_true", help="include Keras (imports TensorFlow, ~5 s)")
    ap.add_argument("--keras-epochs", type=int, default=20)
    ap.add_argument("--deep-epochs", type=int, default=200)
    ap.add_argument("--blas-threads", type=int, default=1,
                    help="BLAS threads (default 1, as the app's training workers run; 0: the library's default)")
    ap.add_argument("--no-scaling", action="store_true")
    ap.add_argument("--no-deep", action="store_true")
    args = ap.parse_args()
    if args.blas_threads:
        # On a shared 2-core machine a second BLAS thread waits for a busy core: the per-epoch evaluation of
        # 4000 samples then ran 5-10x slower and varied run to run. The app's workers use one thread too.
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.blas_threads)
    ds = lesson_data()
    contenders = {"lesson": (run_lesson, args.epochs), "before": (run_before, args.epochs),
                  "nnviz.fit": (run_fit, args.epochs), "DeepNN": (run_deep, args.epochs),
                  "Trainer": (run_trainer, args.epochs), "sklearn": (run_sklearn, args.epochs)}
    if args.keras:
        contenders["keras"] = (make_keras(ds, args.keras_epochs), args.keras_epochs)
    results = {name: [] for name in contenders}
    for r in range(args.rounds):
        for name in interleaved(contenders, r):
            fn, epochs = contenders[name]
            results[name].append(fn(ds, epochs, seed=r))
    print(f"Lesson workload: 4000×20, hidden {HIDDEN}, batch {BATCH}, step size 1; "
          f"median of {args.rounds} interleaved rounds (seeds 0…{args.rounds - 1}); ratios: median of each "
          f"round's ratio")
    speed = {n: statistics.median(s for s, _ in v) for n, v in results.items()}
    print(f"{'':10} {'epochs':>6} {'steps/s':>10} {'test acc (mean)':>16} {'× lesson':>9} {'× sklearn':>10} "
          f"{'× before':>9}")
    for name, v in results.items():
        acc = statistics.mean(a for _, a in v)
        print(f"{name:10} {contenders[name][1]:>6} {speed[name]:>10,.0f} {acc * 100:>15.2f}% "
              f"{paired(results, name, 'lesson'):>9.2f} {paired(results, name, 'sklearn'):>10.2f} "
              f"{paired(results, name, 'before'):>9.2f}")
    if not args.no_deep:
        deep(args.rounds, args.deep_epochs)
    if not args.no_scaling:
        scaling(ds)


if __name__ == "__main__":
    main()
