"""What the lesson's MNIST runs (1.4) reported, as numbers the MNIST page shows beside ours.

The lesson trains its Keras network once with ``fit(epochs=10, batch_size=128)`` on the 60,000 training images,
then once more for its History plots (``nnviz.mnist.jobs.HISTORY_EXPERIMENT``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LessonFit:
    """The lesson's first training and what it reported."""

    epochs: int = 10
    batch_size: int = 128
    validation_split: float = 0.0  # the first fit holds nothing out
    train_accuracy_text: float = 0.989  # what its prose says …
    train_accuracy_log: float = 0.9979  # … and where its printed log ends
    test_accuracy: float = 0.978


LESSON_FIT = LessonFit()
#: The History run's last epoch in the lesson's log: accuracy on the images it trained on, and on the held-out third.
HISTORY_LOG_ACCURACY = (0.9988, 0.9867)


def held_out_training_images(n_train: int, n_test: int, validation_split: float) -> int:
    """How many of the training images the History run's held-out part contains: it holds out the last
    ``validation_split`` of the training and test images put together, so beyond the test images it takes
    training images the ready model has already learned from (13,100 for MNIST's 60,000 + 10,000 at 0.33)."""
    held = round((n_train + n_test) * validation_split)
    return max(0, held - n_test)
