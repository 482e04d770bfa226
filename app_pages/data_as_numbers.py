"""Data as numbers (lesson 1.1.1): an MNIST digit is a 28×28 grid of numbers."""

import numpy as np
import streamlit as st

from nnviz.mnist.table import LESSON_DIGIT, SAVETXT_DEFAULT_FORMAT, head, savetxt_csv
from nnviz.viz import charts
from nnviz.viz.charts import PLOTLY_CONFIG
from ui.common import header, presentation_mode
from ui.mnist_data import mean_digits, mnist


def random_digit(data):
    """The callback of the label box and the dice: a random image of the chosen label in the chosen set."""
    (x_train, y_train), (x_test, y_test) = data
    y = y_train if st.session_state.dn_part == "training" else y_test
    st.session_state.dn_index = int(np.random.default_rng().choice(np.flatnonzero(y == st.session_state.dn_label)))


def digit_picker(data):
    """Set, index, label: the image the page shows, and its set's images and labels."""
    (x_train, y_train), (x_test, y_test) = data
    st.session_state.setdefault("dn_index", LESSON_DIGIT)
    st.session_state.setdefault("dn_part", "training")
    c1, c2, c3, c4 = st.columns([1, 1, 1, 1])
    part = c1.radio("Set", ["training", "test"], key="dn_part", horizontal=True)
    images, labels = (x_train, y_train) if part == "training" else (x_test, y_test)
    st.session_state.dn_index = min(int(st.session_state.dn_index), len(images) - 1)
    index = c2.number_input(f"Image index (0 … {len(images) - 1:,})", 0, len(images) - 1, step=1, key="dn_index",
                            help=f"{LESSON_DIGIT} is the digit the lesson looks at.")
    c3.selectbox("Random digit of label", list(range(10)), key="dn_label", on_change=random_digit, args=(data,),
                 help="Choosing a label shows a random image of that digit; the button draws another one.")
    c4.button("Show a random one", key="dn_random", on_click=random_digit, args=(data,), icon=":material/casino:")
    return part, index, images, labels


def digit_section(part, index, image, label, present):
    """The digit as an image, its numbers as a CSV to download."""
    left, right = st.columns([1, 2] if not present else [1, 1], gap="large")
    with left:
        st.markdown(f"### Label: {label}")
        st.plotly_chart(charts.digit_figure(image, presentation=present), config=PLOTLY_CONFIG)
    with right:
        st.markdown(f"{part.capitalize()} image **{index:,}**: 28 × 28 = 784 pixels, each a brightness from 0 "
                    f"(black) to 255 (white). Its mean is {image.mean():.1f}; {np.count_nonzero(image)} pixels carry "
                    f"ink. The lesson looks at training image {LESSON_DIGIT} and saves it with "
                    "`np.savetxt(…, delimiter=';')`.")
        fmt = st.radio("Numbers in the CSV", ["lesson", "integers"], horizontal=True, key="dn_format",
                       format_func={"lesson": f"as the lesson's np.savetxt writes them ({SAVETXT_DEFAULT_FORMAT})",
                                    "integers": "whole numbers (%d)"}.get)
        csv = savetxt_csv(image, integers=fmt == "integers")
        st.download_button(
            "Download this digit as CSV", csv,
            file_name=f"mnist_{part}_{index}{'' if fmt == 'integers' else '_savetxt'}.csv", mime="text/csv",
            key="dn_download", icon=":material/download:",
            help="28 lines of 28 values separated by semicolons. The lesson's np.savetxt keeps NumPy's default "
                 f"format {SAVETXT_DEFAULT_FORMAT}, so 255 is written 2.550000000000000000e+02; the other choice "
                 "writes the same values as whole numbers (255).")
        st.caption("First line of the file: `" + csv.split("\n", 1)[0][:90] + " …`")


def tables_section(part, image, images, labels, data, present):
    """The digit's 784 numbers, the lesson's ``data.head()``, and each class's mean image."""
    st.markdown("#### The same digit as the numbers the network sees")
    st.caption("Row and column numbers 1 … 28 are the lesson's pixel names: the pixel in row r, column c is "
               "the column `rxc` of its table.")
    st.plotly_chart(charts.digit_numbers_figure(image, presentation=present), config=PLOTLY_CONFIG)
    st.subheader("The lesson's table: data.head()")
    columns, rows = head(images, labels, 5)
    st.caption(f"The first five images of the {part} set, one per row: the label, then the 784 pixels flattened "
               "row by row into the columns 1x1 … 28x28 — what the lesson's `pd.read_csv('mnist_train.csv').head()` "
               "shows. Scroll sideways to reach 28x28.")
    st.dataframe({name: rows[:, i] for i, name in enumerate(columns)})
    st.caption(f"[{rows.shape[0]} rows x {rows.shape[1]} columns]")
    st.subheader("The average digit")
    st.caption("The mean of every training image with the same label: what the class looks like on average.")
    st.plotly_chart(charts.digit_gallery_figure(mean_digits(data.source), [f"mean {d}" for d in range(10)],
                                                presentation=present), config=PLOTLY_CONFIG)


def main():
    present = presentation_mode()
    header("data_as_numbers", "look at one handwritten digit as an image and as the 784 numbers a network actually "
           "receives.")
    data = mnist()
    if data is None:
        st.stop()
    part, index, images, labels = digit_picker(data)
    image = images[index]
    digit_section(part, index, image, int(labels[index]), present)
    tables_section(part, image, images, labels, data, present)


main()
