"""Overview (lesson 1.1): the map of the lesson, where to start, and a small network that learns."""

import streamlit as st

from nnviz.lesson.sections import SECTIONS, page
from nnviz.lesson.xor_demo import EPOCH_CHOICES, xor_run
from nnviz.viz.network_svg import network_svg
from ui.common import header, presentation_mode

xor_cached = st.cache_data(show_spinner=False)(xor_run)


def network_column(present: bool):
    """1.1's layered network and the XOR network that learns as the epochs slider moves."""
    st.subheader("1.1 · A network's layers")
    # SVG, not Plotly: the front page is every visitor's first, and Plotly's bundle would be 60 % of its download
    # (nnviz/viz/network_svg.py)
    st.markdown(network_svg((3, 5, 5, 2), presentation=present, height=320 if present else 280,
                            caption="An input layer of 3 nodes, two hidden layers of 5, an output layer of 2"),
                unsafe_allow_html=True)
    st.caption("An artificial neural network as the lesson draws it: an input layer, hidden layers, an output "
               "layer. Every connection has a weight; a node passes a signal on when its weighted sum is above "
               "its threshold.")
    st.subheader("A network learning XOR")
    epochs = st.select_slider("Epochs of training", EPOCH_CHOICES, value=100, key="ov_epochs")
    xor = xor_cached(epochs)
    st.markdown(network_svg(weights=[xor.W1, xor.W2], labels=True, presentation=present,
                            height=340 if present else 320, caption=f"The 2-4-1 network's weights after {epochs} epochs"),
                unsafe_allow_html=True)
    st.caption("The lesson's 2-4-1 network: 2 inputs, 4 tanh units, 1 sigmoid output. Line width: the weight's size; "
               f"orange positive, blue negative (point at a line for its value). {xor.story}")


def lesson_map(present: bool):
    """Each section of the lesson, the pages where it lives, and the references."""
    st.subheader("The lesson, section by section")
    st.caption("Lesson 1-1 \"Introduction to Deep Learning\", under its own numbers: each section, and the page "
               "where it lives.")
    for sec in SECTIONS:
        where = [page(slug) for slug in sec.pages]
        c1, c2 = st.columns([1, 2] if not present else [2, 3])
        c1.markdown(f"**{sec.number}** {sec.title}")
        with c2:
            for i, p in enumerate(where):
                try:
                    st.page_link(f"app_pages/{p.file}", label=f"**{p.title}**" if i == 0 else p.title, icon=p.icon)
                except Exception:  # noqa: BLE001 - a page not in this build: name it without a link
                    st.markdown(f"**{p.title}**")
            st.caption(sec.what)
    st.info("New here? Open **Shallow network**, press **Train**, then try a learning rate of 10, a batch "
            "size of 1, or one hidden unit on the spiral — and compare the curves.", icon=":material/school:")

    st.subheader("1.6 · References and credits")
    # Titles in quotes and no code font: italics or code text would each add a font file to every first visit
    # (docs/decisions/first-visit-bytes.md)
    st.markdown(
        "- François Chollet, “Deep Learning with Python”, Manning (2018) — the Keras MNIST example of 1.4 comes "
        "from its chapter 2.\n"
        "- Jeremy Z., \"Build a Shallow Neural Network\" — the post the lesson's NumPy network (1.3) follows.\n"
        "- The deep-learning course on Coursera — credited in the lesson's backward pass.\n"
        "- Keras documentation, [keras.io](https://keras.io) — the API of 1.4.\n"
        "- scikit-learn's make_classification — the lesson's dataset of 1.3.4."
    )


def main():
    present = presentation_mode()
    header("overview", "the map of the lesson “Introduction to Deep Learning” and where to start.",
           title="nnviz — watch a neural network learn")

    st.markdown(
        "A **neural network** is layers of weighted sums, each followed by an **activation function**. "
        "Trained on examples, it adjusts its weights by **gradient descent** until the layers have learned a "
        "representation in which the task becomes easy. This app follows the lesson step by step: every "
        "page is something to try, with the lesson's equations beside it."
    )
    left, right = st.columns([3, 2] if not present else [1, 1], gap="large")
    with right:
        network_column(present)
    with left:
        lesson_map(present)


main()
