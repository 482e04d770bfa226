"""nnviz — entry point. The pages arrive with the trainer issue; for now the app starts and says what it is."""

import streamlit as st

st.set_page_config(page_title="nnviz", page_icon="🧠", layout="wide")
st.title("nnviz")
st.write("Train a neural network and watch it learn. The pages of the lesson are being built.")
