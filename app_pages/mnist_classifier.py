"""MNIST classifier (lesson 1.4): the lesson's Keras network reads handwritten digits.

The server never imports TensorFlow: predictions, evaluation and the summary use the trained network's
exported weights (``nnviz.mnist.dense_net``, two matrix products in NumPy); every Keras training runs in the
training process of ``nnviz.serving.jobs.QUEUE``, one at a time per server, and comes back as plain data.
The sections live in ``ui/mnist/``.
"""

import streamlit as st

from nnviz.mnist.jobs import WARM_MODULE
from nnviz.serving.jobs import QUEUE
from ui.common import header, presentation_mode, problem
from ui.mnist.draw import draw_section
from ui.mnist.evaluate import evaluate_section
from ui.mnist.jobs import ready_net
from ui.mnist.network import network_section
from ui.mnist.training import history_section, train_section, twin_section
from ui.mnist_data import mnist

SECTIONS = ["Draw a digit", "The network", "Train your own", "History experiment", "Evaluate", "NumPy twin"]


def main():
    present = presentation_mode()
    header("mnist_classifier", "the lesson's Keras network reads handwritten digits — draw one, or train your own.")
    QUEUE.warm_up(WARM_MODULE)  # the training process imports TensorFlow now, so that a first Train starts at once
    data = mnist()
    if data is None:
        st.stop()
    own = st.session_state.get("mn_model")
    net = own if own is not None else ready_net()
    if "mn_section" not in st.session_state:  # a link may open a section: ?section=Evaluate
        linked = st.query_params.get("section")
        st.session_state.mn_section = linked if linked in SECTIONS else SECTIONS[0]
    section = st.segmented_control("Section", SECTIONS, key="mn_section", required=True,
                                   label_visibility="collapsed")
    if net is None and section in ("Draw a digit", "The network", "Evaluate"):
        problem("The ready model's weights (models/mnist_dense_weights.npz) are missing.",
                "Train your own under “Train your own”, or run `.venv/bin/python models/train_ready_model.py`.")
        return
    if section in ("Draw a digit", "The network", "Train your own", "Evaluate"):
        st.caption("Predictions and evaluation use "
                   + ("your model (trained in this session)." if own is not None else
                      "the ready model (the lesson's recipe)."))
    {"Draw a digit": lambda: draw_section(net, present),
     "The network": lambda: network_section(net, data, present),
     "Train your own": lambda: train_section(data, own, present),
     "History experiment": lambda: history_section(data, present),
     "Evaluate": lambda: evaluate_section(net, data, present),
     "NumPy twin": lambda: twin_section(present)}[section]()


main()
