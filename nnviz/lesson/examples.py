"""Experiments beyond the lesson's network, each one link: what TensorFlow Playground and ConvNetJS let a class try,
on the lesson's NumPy network. Each example is settings (a link reproduces it, the seed included) and one sentence
on what to watch; ``tests/browser/test_examples_browser.py`` trains each in a real browser to the result it
promises.
"""

from __future__ import annotations

from dataclasses import dataclass

from nnviz.core.settings import TrainerSettings


@dataclass(frozen=True)
class Example:
    key: str
    title: str
    settings: TrainerSettings
    watch: str  # what the class sees, in one sentence
    ends: str = "ok"  # the page's verdict at the end (nnviz.lesson.diagnosis): only a lesson in failure warns


_OVERFIT = TrainerSettings(dataset="moons", samples=100, noise=0.35, train_split=50, hidden=(64, 64), activation="relu",
                           optimizer="adam", lr=0.01, batch_size=10, epochs=500, init="glorot", seed=0)

EXAMPLES: tuple[Example, ...] = (
    Example("spiral", "Spiral, two hidden layers", TrainerSettings(
        dataset="spiral", noise=0.05, hidden=(8, 8), activation="tanh", optimizer="adam", lr=0.03, batch_size=10,
        epochs=500, init="glorot", seed=0),
        "Two layers of 8 bend the plane until the arms come apart: the second layer combines the first's lines."),
    Example("circle_features", "Circle from features, no hidden layer", TrainerSettings(
        dataset="circles", noise=0.1, hidden=(), features=("x1sq", "x2sq"), lr=1.0, batch_size=10, epochs=100,
        seed=0),
        "Given x1² and x2², a network with no hidden layer draws a circle: features can replace layers."),
    Example("blobs4", "Four classes", TrainerSettings(
        dataset="blobs", classes=4, hidden=(8,), lr=0.1, batch_size=10, epochs=50, init="glorot", seed=0),
        "A softmax output with one unit per class; the confusion matrix shows which classes it still mixes up."),
    Example("plane", "Regression: a plane", TrainerSettings(
        dataset="plane", noise=0.1, hidden=(4,), lr=0.03, batch_size=10, epochs=100, init="glorot", seed=0),
        "A linear output and the squared error: R² climbs towards 1 as the surface matches the targets."),
    Example("overfit", "Overfitting (no penalty)", _OVERFIT,
            "100 noisy points and 2×64 units: the training loss goes to 0 while the test loss climbs.", "overfitting"),
    Example("overfit_l2", "The same with L2", TrainerSettings(**{**_OVERFIT.__dict__, "reg": "l2", "reg_rate": 0.01}),
            "The same network with an L2 penalty: the weights stay small and the test loss stays near the training "
            "loss."),
)


def example_for(settings: TrainerSettings) -> Example | None:
    """The example a run is (its settings, display choices aside), or None."""
    key = settings.run_key()
    return next((e for e in EXAMPLES if e.settings.run_key() == key), None)
