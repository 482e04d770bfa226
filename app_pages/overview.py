"""Overview (lesson 1.1): the map of the lesson, where to start, and a small network that learns."""

import numpy as np
import streamlit as st

from nnviz import ShallowNN, Trainer, charts
from nnviz.datasets import make_2d
from ui.common import header, presentation_mode

present = presentation_mode()
header("nnviz — watch a neural network learn", "1.1",
       "the map of the lesson *Introduction to Deep Learning* and where to start.")

st.markdown(
    "A **neural network** is layers of weighted sums, each followed by an **activation function**. "
    "Trained on examples, it adjusts its weights by **gradient descent** until the layers have learned a "
    "representation in which the task becomes easy. This app follows the lesson step by step: every "
    "page is something to try, with the lesson's equations beside it."
)


@st.cache_data(show_spinner=False)
def xor_weights(epochs: int):
    """The lesson's 2-4-1 network (tanh, sigmoid output) after ``epochs`` epochs on XOR."""
    ds = make_2d("xor", n_samples=200, noise=0.1, seed=0)
    model = ShallowNN(2, 4, 1, init_scale=0.5, seed=1)
    if epochs:
        Trainer(model, ds.X_train, ds.y_train, ds.X_test, ds.y_test, lr=1.0, batch_size=20, epochs=epochs).run()
    acc = float(np.mean(model.predict_classes(ds.X_test.T) == ds.y_test))
    return model.params["W1"].copy(), model.params["W2"].copy(), acc


left, right = st.columns([3, 2] if not present else [1, 1], gap="large")
with right:
    st.subheader("A network learning XOR")
    epochs = st.select_slider("Epochs of training", [0, 1, 2, 5, 10, 20, 50, 100, 200, 500], value=100,
                              key="ov_epochs")
    W1, W2, acc = xor_weights(epochs)
    st.plotly_chart(charts.network_figure([W1, W2], presentation=present), config={"displaylogo": False})
    st.caption(f"The lesson's 2-4-1 network: 2 inputs, 4 tanh units, 1 sigmoid output. Line width: the "
               f"weight's size; orange positive, blue negative. Test accuracy on XOR after {epochs} epochs: "
               f"**{acc:.0%}**. Move the slider and watch the weights grow as it learns.")

with left:
    st.subheader("The lesson, page by page")
    steps = [
        ("app_pages/data_as_numbers.py", "Data as numbers", "1.1.1",
         "an image is a grid of numbers: look at an MNIST digit as 28×28 values."),
        ("app_pages/neuron.py", "The neuron", "1.2",
         "McCulloch and Pitts' threshold unit builds AND, OR and NOT — and cannot build XOR."),
        ("app_pages/activations.py", "Activation functions", "1.3.1, 1.5",
         "sigmoid, tanh, ReLU and softmax, their derivatives, and where gradients vanish."),
        ("app_pages/shallow_network.py", "Shallow network", "1.3",
         "**start here to train**: pick hidden units, learning rate and batch size, and watch the loss fall."),
        ("app_pages/backpropagation.py", "Backpropagation", "1.3.7–1.3.8",
         "step one batch through the forward pass, the loss and every gradient, with the real matrices."),
        ("app_pages/mnist_classifier.py", "MNIST classifier", "1.4",
         "the lesson's Keras network reads handwritten digits — draw one and see what it predicts."),
    ]
    for path, title, section, sentence in steps:
        try:
            st.page_link(path, label=f"**{title}** ({section})")
        except Exception:  # noqa: BLE001 - a page not in this build: show the step without a link
            st.markdown(f"**{title}** ({section})")
        st.caption(sentence)
    st.info("New here? Open **Shallow network**, press **Train**, then try a learning rate of 10, a batch "
            "size of 1, or one hidden unit on the spiral — and compare the curves.", icon=":material/school:")
