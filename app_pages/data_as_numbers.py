"""Data as numbers (lesson 1.1.1): an MNIST digit is a 28×28 grid of numbers."""

import numpy as np
import streamlit as st

from nnviz import charts
from nnviz.mnist import digit_csv, table_columns
from ui.common import header, presentation_mode
from ui.mnist_data import mean_digits, mnist

present = presentation_mode()
header("Data as numbers", "1.1.1",
       "look at one handwritten digit as an image and as the 784 numbers a network actually receives.")

data = mnist()
if data is None:
    st.stop()
(x_train, y_train), (x_test, y_test) = data

st.session_state.setdefault("dn_index", 7178)
st.session_state.setdefault("dn_part", "training")


def random_digit():
    x, y = (x_train, y_train) if st.session_state.dn_part == "training" else (x_test, y_test)
    choices = np.flatnonzero(y == st.session_state.dn_label)
    st.session_state.dn_index = int(np.random.default_rng().choice(choices))


c1, c2, c3, c4 = st.columns([1, 1, 1, 1])
part = c1.radio("Set", ["training", "test"], key="dn_part", horizontal=True)
images, labels = (x_train, y_train) if part == "training" else (x_test, y_test)
st.session_state.dn_index = min(int(st.session_state.dn_index), len(images) - 1)
index = c2.number_input(f"Image index (0 … {len(images) - 1:,})", 0, len(images) - 1, step=1, key="dn_index",
                        help="7178 is the digit the lesson looks at.")
c3.selectbox("Random digit of label", list(range(10)), key="dn_label")
c4.button("Show a random one", key="dn_random", on_click=random_digit, icon=":material/casino:")

image, label = images[index], int(labels[index])
left, right = st.columns([1, 2], gap="large")
with left:
    st.markdown(f"### Label: {label}")
    st.plotly_chart(charts.digit_figure(image, presentation=present), config={"displaylogo": False})
    st.markdown(f"{part.capitalize()} image **{index:,}**: 28 × 28 = 784 pixels, each a brightness from 0 (black) "
                f"to 255 (white). Its mean is {image.mean():.1f}; {np.count_nonzero(image)} pixels carry ink.")
    st.download_button("Download this digit as CSV", digit_csv(image), file_name=f"mnist_{part}_{index}.csv",
                       mime="text/csv", key="dn_download", icon=":material/download:",
                       help="28 rows of 28 integers separated by semicolons, as the lesson's np.savetxt writes them.")
with right:
    st.plotly_chart(charts.digit_figure(image, numbers=True, presentation=present,
                                        title="The same digit as the numbers the network sees"),
                    config={"displaylogo": False})

st.subheader("The lesson's table: one image per row")
st.caption("Each image flattened to 784 columns, 1x1 … 28x28 (row × column), after its label — the first rows "
           f"of the {part} set.")
first = min(10, len(images))
table = np.column_stack([labels[:first], images[:first].reshape(first, -1)])
st.dataframe({name: table[:, i] for i, name in enumerate(table_columns())}, height=390 if not present else 420)

st.subheader("The average digit")
st.caption("The mean of every training image with the same label: what the class looks like on average.")
means = mean_digits(data.source)
st.plotly_chart(charts.digit_gallery_figure(means, [f"mean {d}" for d in range(10)], presentation=present),
                config={"displaylogo": False})
