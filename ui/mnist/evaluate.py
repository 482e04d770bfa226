"""Evaluate: the model on the 10,000 test images, its mistakes, and what its hidden units look for."""

import numpy as np
import streamlit as st

from nnviz.core.deep_network import confusion_matrix
from nnviz.viz import charts


def evaluate_section(net, data, present):
    _, (x_test, y_test) = data
    cached = st.session_state.get("mn_eval")
    if cached is None or cached[0] is not net:
        with st.spinner("Predicting the 10,000 test images …"):
            cached = (net, net.predict(x_test))
        st.session_state.mn_eval = cached
    probs = cached[1]
    pred = np.argmax(probs, axis=1)
    acc = float(np.mean(pred == y_test))
    st.metric("Test accuracy", f"{acc:.2%}", help=f"{int(np.sum(pred == y_test)):,} of {len(y_test):,} test images")
    c1, c2 = st.columns([1, 1], gap="large")
    with c1:
        st.markdown("**Confusion matrix** — rows: the true digit; columns: the prediction")
        st.plotly_chart(charts.confusion_figure(confusion_matrix(y_test, pred), presentation=present), config=charts.PLOTLY_CONFIG)
    with c2:
        wrong = np.flatnonzero(pred != y_test)
        st.markdown(f"**Misclassified**: {len(wrong)} test images; the first 20")
        shown = wrong[:20]
        titles = [f"{y_test[i]}→{pred[i]} {probs[i, pred[i]]:.0%}" for i in shown]  # short: titles never touch
        if len(shown):
            st.plotly_chart(charts.digit_gallery_figure(x_test[shown], titles, columns=4, presentation=present),
                            config=charts.PLOTLY_CONFIG)
            st.caption("Each title: true digit → predicted digit, and the predicted digit's probability.")
    st.markdown("**What hidden units look for**: a unit's 784 input weights, drawn as a 28×28 image "
                "(orange: ink there raises its activation; blue: lowers it).")
    units = st.multiselect("Hidden units (0 … 511)", list(range(512)), default=list(range(10)), key="mn_units",
                           max_selections=20)
    if units:
        images = np.stack([net.W1[:, u].reshape(28, 28) for u in units])
        span = float(np.abs(images).max()) or 1.0
        st.plotly_chart(charts.digit_gallery_figure(images / span, [f"unit {u}" for u in units], columns=10,
                                                    presentation=present, zmax=None, zmid=0.0,
                                                    colorscale=charts.PROBABILITY_SCALE), config=charts.PLOTLY_CONFIG)
    st.caption("Layer weight shapes: " + ", ".join(str(s) for s in net.weight_shapes()))
