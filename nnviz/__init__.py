"""nnviz: the lesson's neural network from scratch, as a library the app's pages draw.

Sub-packages by job, in layers (``.importlinter`` checks them): ``core`` (the NumPy network, its training, data and
checks) below everything; ``lesson`` (the lesson's text, equations and recipes), ``viz`` (figures and drawings) and
``serving`` (running many students' training on one server) above it; ``mnist`` and ``board`` on top. Nothing here
imports Streamlit, and only ``mnist.keras_model`` imports TensorFlow.
"""

import os
from pathlib import Path

from nnviz.core.deep_network import DeepNN
from nnviz.core.network import ShallowNN, accuracy
from nnviz.core.training import Change, EpochRecord, History, Progress, Stop, Trainer

ROOT = Path(__file__).resolve().parents[1]  # the project: models/, data/ and the default cache live here


def cache_folder() -> Path:
    """Where downloads and the class board's database go: ``$NNVIZ_CACHE``, else ``.cache/`` in the project."""
    return Path(os.environ.get("NNVIZ_CACHE", ROOT / ".cache"))


__all__ = ["ShallowNN", "DeepNN", "Trainer", "History", "Progress", "EpochRecord", "Stop", "Change", "accuracy",
           "ROOT", "cache_folder"]
