"""nnviz — entry point: page config, navigation in lesson order, and the shared sidebar."""

from pathlib import Path

import streamlit as st

from ui.common import apply_style, init_presentation_mode, presentation_toggle

HERE = Path(__file__).parent

init_presentation_mode()
st.set_page_config(page_title="nnviz — watch a neural network learn", page_icon="🧠", layout="wide",
                   initial_sidebar_state="collapsed" if st.session_state.get("present") else "auto")

# In lesson order. Each page is one file in app_pages/ (not "pages/": Streamlit treats a folder of
# that name as its legacy multipage layout until the first st.navigation call, so on a fresh server
# a first visitor arriving by a link to a page would switch the whole process to the legacy mode).
PAGES = [
    ("overview.py", "Overview", ":material/map:", "1.1"),
    ("data_as_numbers.py", "Data as numbers", ":material/grid_on:", "1.1.1"),
    ("neuron.py", "The neuron", ":material/radio_button_checked:", "1.2"),
    ("activations.py", "Activation functions", ":material/show_chart:", "1.3.1"),
    ("shallow_network.py", "Shallow network", ":material/hub:", "1.3"),
    ("class_board.py", "Class board", ":material/groups:", "1.3"),
    ("backpropagation.py", "Backpropagation", ":material/undo:", "1.3.7"),
    ("mnist_classifier.py", "MNIST classifier", ":material/draw:", "1.4"),
]

available = [(file, title, icon) for file, title, icon, _ in PAGES if (HERE / "app_pages" / file).exists()]
pages = [
    st.Page(str(HERE / "app_pages" / file), title=title, icon=icon, default=i == 0,
            url_path=None if i == 0 else file.removesuffix(".py"))
    for i, (file, title, icon) in enumerate(available)
]
navigation = st.navigation(pages)

with st.sidebar:
    presentation_toggle()
    st.caption("nnviz follows the lesson *Introduction to Deep Learning* (1-1).")
apply_style()
navigation.run()
