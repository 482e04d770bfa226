"""The network: the lesson's Keras code, its weights' shapes and summary, the preprocessing, what an epoch is, and
how the lesson's run and the ready model did."""

import numpy as np
import streamlit as st

from nnviz.core.training import steps_per_epoch
from nnviz.mnist.lesson_runs import LESSON_FIT
from nnviz.viz import charts
from ui.mnist.jobs import curves_figure, ready_history


def optimizer_note(optimizer_params: int, weights: int) -> str:
    """What Keras's summary counts as the optimizer's variables, added up."""
    extra = optimizer_params - weights
    if extra == 2:  # Keras 3's RMSprop: a velocity per weight, its iteration counter and its learning rate
        return (f"Once the network has trained, Keras's summary also counts the optimizer's own {optimizer_params:,} "
                f"variables: rmsprop's running average of the squared gradient for each of the {weights:,} weights, "
                "plus two numbers — its iteration counter and its learning rate, which Keras keeps as variables too. "
                "They are not part of the network.")
    return (f"Once the network has trained, Keras's summary also counts the optimizer's own {optimizer_params:,} "
            f"variables: its state for the {weights:,} weights and {extra:,} more. They are not part of the network.")


def network_section(net, data, present):
    (x_train, y_train), (x_test, _) = data
    lesson = LESSON_FIT
    s = net.summary
    rows = s.get("layers", [])
    c1, c2 = st.columns([1, 1], gap="large")
    with c1:
        st.markdown("**The lesson's network**")
        st.code("model = Sequential()\nmodel.add(Dense(512, activation='relu',\n"
                "    input_shape=(28 * 28,)))\nmodel.add(Dense(10, activation='softmax'))\n"
                "model.compile(\n    optimizer='rmsprop',\n    loss='categorical_crossentropy',\n"
                "    metrics=['accuracy'])", language="python")
    with c2:
        st.markdown("**Each layer's weights**, as the lesson lists them with `layer.get_weights()`")
        shapes = net.weight_shapes()
        st.dataframe([{"layer": r["layer"].split()[0], "arrays": 2, "W shape": str(shapes[2 * i]),
                       "b shape": str(shapes[2 * i + 1])} for i, r in enumerate(rows)], hide_index=True)
        if rows:
            st.caption(f"784 × 512 weights + 512 biases = {rows[0]['parameters']:,}; 512 × 10 + 10 = "
                       f"{rows[1]['parameters']:,}; together {s['total']:,} numbers, all trainable: "
                       f"{s['bytes'] / 2**20:.2f} MB as float32.")
    st.markdown("**`model.summary()`**, as Keras prints it (captured when the model was saved, in the training "
                "process)")
    st.code(s.get("text", ""), language=None)
    st.caption(optimizer_note(s.get("optimizer_params", 0), s["total"]))
    c1, c2 = st.columns([1, 1], gap="large")
    with c1:
        st.markdown("**Preprocessing**")
        st.latex(r"\underbrace{x}_{60000\times28\times28,\ \text{uint8}} \xrightarrow{\text{reshape}}"
                 r"\underbrace{x_{\text{flat}}}_{60000\times784}")
        st.latex(r"\xrightarrow{\ /255\ } \underbrace{X}_{60000\times784,\ \text{float32 in } [0,1]}")
        st.latex(r"\underbrace{y}_{60000} \xrightarrow{\text{one-hot}} \underbrace{Y}_{60000\times10}")
        st.latex(r"5 \mapsto (0,0,0,0,0,1,0,0,0,0)")
        labels = y_train[:3].astype(int)
        st.caption(f"The first three labels {labels.tolist()} become the rows "
                   f"{', '.join(str(r) for r in np.eye(10, dtype=int)[labels].tolist())}.")
    with c2:
        b = LESSON_FIT.batch_size
        steps = steps_per_epoch(len(x_train), b)
        full, rest = divmod(len(x_train), b)
        st.markdown("**What is an epoch?** One pass over every training image. The images go through the network "
                    "in batches; one batch, one weight update, is an *iteration*. With d images, e epochs, "
                    "i iterations and batch size b:")
        st.latex(r"i = e \cdot \left\lceil \frac{d}{b} \right\rceil")
        st.caption("The lesson writes d · e = i · b: exact when b divides d. Otherwise each epoch ends with a "
                   "shorter batch, and the count of iterations rounds up.")
        st.latex(r"\text{iterations per epoch} = "
                 rf"\left\lceil \frac{{{len(x_train):,}}}{{{b}}} \right\rceil = {steps}".replace(",", "{,}"))
        st.caption(f"{len(x_train):,} / {b} = {len(x_train) / b:.2f}: {full} full batches and a last one of "
                   f"{rest} images — the {steps}/{steps} of Keras's log.")
    history = ready_history()
    if history:
        train_acc, test_acc = history["accuracy"][-1], history["test_accuracy"]
        c1, c2 = st.columns([1, 1.2], gap="large")
        with c1:
            st.markdown(f"**{lesson.epochs} epochs, batch {lesson.batch_size}**: accuracy on the images it trained "
                        f"on, and on the {len(x_test):,} test images it never saw")
            st.table([{"run": "the lesson", "training": f"{lesson.train_accuracy_text * 100:.1f} %",  # a table: readable
                       "test": f"{lesson.test_accuracy * 100:.1f} %"},
                      {"run": "ours (the ready model)", "training": f"{train_acc:.2%}", "test": f"{test_acc:.2%}"}],
                     hide_index=True)
            st.caption("Training accuracy as Keras reports it for the last epoch. The lesson's text says "
                       f"{lesson.train_accuracy_text * 100:.1f} %; its printed log ends at {lesson.train_accuracy_log * 100:.2f} %.")
            st.markdown("The network does better on the images it learned from than on new ones. That gap is "
                        f"**overfitting**: with {net.summary['total']:,} weights it can partly memorise its "
                        f"{len(x_train):,} training images, "
                        "and what it memorised does not carry over to other people's handwriting.")
        with c2:
            st.plotly_chart(curves_figure(history, "validation", present=present), config=charts.PLOTLY_CONFIG)
