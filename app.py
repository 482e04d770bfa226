"""nnviz — entry point: page config, navigation in lesson order, and the shared sidebar."""

from pathlib import Path

import streamlit as st

from nnviz.lesson.sections import PAGES
from ui.common import apply_style, init_presentation_mode, page_turn, presentation_toggle
from ui.formula_fit import fit_formulas
from ui.identity import session_id
from ui.server import install, seen

HERE = Path(__file__).parent

# Each run of the page takes its turn in the server's gate (nnviz/serving/gate.py): with a lecture hall of pages
# rerunning, a few run at a time and a visitor's first page never waits.
install()  # Streamlit's server fitted for a public app, once per process (ui/server.py)
with page_turn():
    seen(session_id())
    init_presentation_mode()
    st.set_page_config(page_title="nnviz — watch a neural network learn", page_icon="🧠", layout="wide",
                       initial_sidebar_state="collapsed" if st.session_state.get("present") else "auto")

    # In lesson order, from the one table of pages and lesson sections (nnviz/lesson/sections.py). Each page is one
    # file in app_pages/ (not "pages/": Streamlit treats a folder of that name as its legacy multipage layout
    # until the first st.navigation call, so on a fresh server a first visitor arriving by a link to a page
    # would switch the whole process to the legacy mode).
    pages = [
        st.Page(str(HERE / "app_pages" / p.file), title=p.title, icon=p.icon, default=i == 0,
                url_path=None if i == 0 else p.slug)
        for i, p in enumerate(PAGES)
    ]
    navigation = st.navigation(pages)

    with st.sidebar:
        presentation_toggle()
        # no italics: on every page, they alone would make a first visit download the italic font (138 KB)
        st.caption("nnviz follows the lesson “Introduction to Deep Learning” (1-1).")
    apply_style()
    fit_formulas()
    navigation.run()
