"""Streamlit helpers every page shares: presentation mode, headers, and messages.

Streamlit is imported only here in ``ui/``, by the pages in ``app_pages/`` and by ``app.py``;
the library in ``nnviz/`` stays testable without a browser (``nnviz.viz.charts`` alone imports Plotly).
"""

from __future__ import annotations

import functools
from contextlib import AbstractContextManager

import streamlit as st

from nnviz.lesson.sections import page, section_label
from nnviz.serving.gate import ACTION, FIRST, get_gate

PRESENT_KEY = "present"

# Presentation mode scales the whole page through the root font size (Streamlit sizes in rem),
# and trims the vertical padding so that a 1280×720 projector shows controls and chart at once.
_PRESENTATION_CSS = """
<style>
  html { font-size: 19px; }
  .block-container { padding-top: 3.7rem !important; padding-bottom: 0.5rem !important;
                     padding-left: 1.5rem !important; padding-right: 1.5rem !important; max-width: 100% !important; }
  h1 { font-size: 1.6rem !important; padding: 0 0 0.2rem 0 !important; }
  h3 { font-size: 1.3rem !important; padding: 0.2rem 0 !important; }
  [data-testid="stMetricValue"] { font-size: 1.7rem !important; }
  [data-testid="stVerticalBlock"] { gap: 0.6rem !important; }
</style>
"""

# The Shallow network page (its keyed containers, ``st-key-tr_*``). Its live chart redraws several times a
# second: Streamlit's fade of "stale" elements (``data-stale="true"`` on stElementContainer, checked in
# Chromium with Streamlit 1.67) would flash it on a projector — and a full rerun (a run starting or stopping)
# marks the buttons and controls stale too, so the fade is off for the whole app. Readouts are compact and never truncate; the
# status line keeps its height so that messages do not push the chart away; the Look-inside control wraps
# instead of scrolling sideways; on a phone the training column (Train, numbers, chart) comes first.
_TRAINER_CSS = """
  [data-stale="true"] { opacity: 1 !important; transition: none !important; }
  .st-key-tr_readouts h3 { padding: 0 0 0.15rem 0 !important; white-space: nowrap; font-size: 1.3rem !important; }
  .st-key-tr_readouts [data-testid="stMetricValue"] { font-size: 1.15rem !important; }
  .st-key-tr_readouts [data-testid="stMetricValue"] div { overflow: visible !important; }
  .st-key-tr_readouts [data-testid="stMetricLabel"] p { font-size: 0.75rem !important; }
  /* each readout as wide as its widest value ("Epoch 2000 / 2000", "100.0 %", "1.2e+04", "100,000", "step
     123,456 · training…"): the row wraps at the same places whatever the numbers, so it never changes height
     under the chart (a phone keeps the tightest packing: it is read up close, not projected) */
  @media (min-width: 641px) {
    .st-key-tr_readouts > [data-testid="stElementContainer"]:has(h3) { min-width: 11.4rem; }
    .st-key-tr_readouts > [data-testid="stElementContainer"]:has([data-testid="stMetric"]) { min-width: 4.8rem; }
    .st-key-tr_readouts > [data-testid="stElementContainer"]:has([data-testid="stCaptionContainer"]) { min-width: 9.2rem; }
  }
  .st-key-tr_status { min-height: 3.1rem; }
  .st-key-tr_shown_box { display: none; }
  .st-key-mn_verdict { min-height: 4.6rem; }
  .st-key-tr_status [data-testid="stAlert"] > div { padding: 0.35rem 0.75rem; }
  .st-key-tr_status [data-testid="stAlert"] p { font-size: 0.88rem; line-height: 1.35; }
  .st-key-tr_view_box [data-testid="stButtonGroup"] > div { flex-wrap: wrap; }
  @media (max-width: 640px) {
    h1 { font-size: 2rem !important; }
    /* the trainer on a phone: Train, the numbers and the chart on one screen; its one-line intro gives way */
    [data-testid="stMain"]:has(.st-key-tr_layout) .st-key-page_caption { display: none; }
    .st-key-tr_buttons [data-testid="stIconMaterial"] { display: none; }
    .st-key-tr_layout [data-testid="stHorizontalBlock"]:has(.st-key-tr_buttons) { flex-direction: column-reverse; }
    .st-key-tr_buttons [data-testid="stHorizontalBlock"] { flex-wrap: nowrap; }
    .st-key-tr_buttons [data-testid="stColumn"] { min-width: 0 !important; }
    .st-key-tr_buttons button { padding: 0.25rem 0.2rem !important; min-width: 0 !important; }
  }
"""
#: The trainer's loss chart height in px (presentation, normal): the page draws it, the CSS holds its box.
TRAINER_CHART_HEIGHT = {True: 300, False: 360}
#: How wide a formula may be, in em of KaTeX's text, in the right half of a 1280 px screen (presentation, normal):
#: Backpropagation's live values are set smaller beyond it rather than scroll (measured in Chromium: 563 px at
#: 23.0 px/em, 374 px at 19.4 px/em, less the formula's padding).
HALF_WIDTH_EM = {True: 24.0, False: 18.5}
#: The height in px of the live view beside the loss chart (presentation mode only), held the same way.
TRAINER_BESIDE_HEIGHT = 380
_PRESENTATION_CSS = _PRESENTATION_CSS.replace(
    "</style>", _TRAINER_CSS + f"  .st-key-tr_chart {{ min-height: {TRAINER_CHART_HEIGHT[True]}px; }}\n"
    f"  .st-key-tr_beside {{ min-height: {TRAINER_BESIDE_HEIGHT}px; }}\n</style>")

_NORMAL_CSS = """
<style>
  .block-container { padding-top: 2.6rem !important; }
""" + f"  .st-key-tr_chart {{ min-height: {TRAINER_CHART_HEIGHT[False]}px; }}\n" + _TRAINER_CSS + """</style>
"""

# Both modes: the lesson's equation numbers (KaTeX \tag) follow their equation — Streamlit sizes a formula's
# box to its content, where KaTeX's right-aligned number would sit on top of the formula's end. Streamlit's box
# for a formula is a shade narrower than KaTeX's matrices (2 px in Chromium), and its overflow: auto then drew a
# scroll bar under a formula that fits its column: shown whole instead (every page is checked in Chromium to keep
# its formulas inside their columns, tests/browser/test_formulas_browser.py). On a phone, formulas shrink a little
# and scroll sideways rather than being cut.
_KATEX_CSS = """
<style>
  .katex-display>.katex>.katex-html>.tag { position: relative; margin-left: 1.2em; }
  [data-testid="stMarkdownContainer"] .katex-display { overflow: visible; }
  .st-key-formula_fit { display: none; }
  @media (max-width: 640px) { [data-testid="stMarkdownContainer"] .katex-display { overflow-x: auto; overflow-y: hidden; }
                              .katex-display>.katex { font-size: 0.95em; } }
</style>
"""
_PRESENTATION_CSS += _KATEX_CSS
_NORMAL_CSS += _KATEX_CSS


_SEEN_KEY = "_nnviz_seen"
_RERUN_KIND_KEY = "_nnviz_rerun_kind"


def messages_to_send() -> int | None:
    """Messages the server has queued for its pages and not sent yet (every session's outgoing queue), or None
    if this Streamlit does not say. Read from Streamlit's internals — ``tests/serving/test_gate.py`` checks that they
    are still where this looks."""
    try:
        from streamlit.runtime import Runtime

        sessions = Runtime.instance()._session_mgr.list_active_sessions()
        return sum(len(info.session._browser_queue._queue) for info in sessions)
    except (AttributeError, RuntimeError):
        return None


def page_turn() -> AbstractContextManager:
    """The whole page's turn in the server's gate (``nnviz.serving.gate``): a session's first page never waits; a page
    rerun by a live fragment (``rerun_page``) keeps the fragment's place; every other run of the page (a click,
    a changed setting) waits with the other pages."""
    first = _SEEN_KEY not in st.session_state
    st.session_state[_SEEN_KEY] = True
    kind = st.session_state.pop(_RERUN_KIND_KEY, ACTION)
    return get_gate(messages_to_send).turn(FIRST if first else kind)


def rerun_page(kind: int):
    """``st.rerun()`` of the whole page from a fragment of class ``kind``: the page's run waits as that class
    (a live chart whose run just finished must not wait behind a lecture hall's clicks: 27 s without a chart)."""
    st.session_state[_RERUN_KIND_KEY] = kind
    st.rerun()


def outside_gate() -> AbstractContextManager:
    """Step out of the server's gate while waiting for something slow that needs no interpreter time (the class
    board's database): live charts take the slot meanwhile (``nnviz.serving.gate.Gate.outside``)."""
    return get_gate(messages_to_send).outside()


def gated(kind: int):
    """A fragment's turn in the server's gate, of class ``kind`` (``nnviz.serving.gate``); put it under ``@st.fragment``.
    Drawn inside its page's run, the fragment goes with the page's turn."""
    def wrap(fn):
        @functools.wraps(fn)  # the same name and module: Streamlit's fragment id stays the same
        def run(*args, **kwargs):
            with get_gate(messages_to_send).turn(kind):
                return fn(*args, **kwargs)
        return run
    return wrap


def presentation_mode() -> bool:
    """Whether the app is in presentation mode (the sidebar toggle, or ``?present=1`` in the URL)."""
    return bool(st.session_state.get(PRESENT_KEY, False))


def init_presentation_mode():
    """Read ``?present=1`` once per session, before the toggle is drawn."""
    if PRESENT_KEY not in st.session_state:
        st.session_state[PRESENT_KEY] = st.query_params.get(PRESENT_KEY, "0") in ("1", "true", "yes", "on")


def presentation_toggle():
    """The sidebar switch; keeps ``present=1`` in the URL so that a link opens the same way."""
    st.toggle("Presentation mode", key=PRESENT_KEY,
              help="Large type, thick lines and big markers for a projector; secondary controls fold away.")
    if presentation_mode():
        if st.query_params.get(PRESENT_KEY) != "1":
            st.query_params[PRESENT_KEY] = "1"
    elif PRESENT_KEY in st.query_params:
        del st.query_params[PRESENT_KEY]


def apply_style():
    st.html(_PRESENTATION_CSS if presentation_mode() else _NORMAL_CSS)


def header(page_slug: str, intro: str, title: str | None = None):
    """A page's title with the lesson sections it teaches (both from the one table, ``nnviz.lesson.sections``) and one
    line on what to do here; ``title`` replaces the page's title from the table (the front page's)."""
    title = title or page(page_slug).title
    sections = section_label(page_slug)
    if presentation_mode():
        short = section_label(page_slug, compact=True)
        st.title(f"{title} · lesson {short}" if short else title)
    else:
        st.title(title)
        with st.container(key="page_caption"):
            st.caption(f"Lesson {sections} · {intro}" if sections else intro)


_MARKDOWN_SPECIAL = "\\`*_{}[]()<>#+-.!|~$"


def plain(text: str) -> str:
    """User-supplied text (a file name, a cell of a CSV) made inert for Markdown: every character that
    Markdown would interpret is escaped, so it shows exactly as typed and can never become a link or HTML."""
    return "".join("\\" + ch if ch in _MARKDOWN_SPECIAL else ch for ch in str(text))


def problem(message: str, next_step: str = ""):
    """A clear error with what to do next — never a traceback."""
    st.error(f"{message}" + (f"\n\n{next_step}" if next_step else ""), icon=":material/error:")
