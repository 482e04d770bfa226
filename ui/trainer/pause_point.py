"""Pause where the class sees it: the step on screen when the Pause button is pressed, reported by the browser.

Under load a live chart is redrawn once a second and a click takes a second or two to be heard: by then the run
has trained on (docs/benchmarks.md, bench_pause). The server cannot know which of the frames it sent
the browser was showing, so a tiny component drawn with the live frames reads the step the readout shows the moment
Pause is clicked (in the capture phase, before Streamlit's own handler sends the click) and sends it back;
the run then goes back to the state it drew at that step (``Run.pause(at_step=…)``). The button's own click
follows and finds the run paused. Without JavaScript the button still pauses, where the run is.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

_JS = """
export default function(component) {
  const { data, setTriggerValue } = component;
  const state = window.__nnvizPausePoint || (window.__nnvizPausePoint = {});
  state.step = data.step;  // this frame's step (a component's update can trail the page's by a frame)
  state.send = setTriggerValue;
  state.button = data.button;
  state.readout = data.readout;
  if (!state.listening) {
    state.listening = true;
    document.addEventListener("click", (event) => {
      const target = event.target;
      if (!(state.send && target.closest && target.closest(state.button))) return;
      // the step as the readout on screen says it ("step 5,840 · training…"), else this frame's
      const shown = document.querySelector(state.readout);
      const match = shown && /step ([0-9,]+)/.exec(shown.textContent);
      state.send("pause", {step: match ? parseInt(match[1].replace(/,/g, ""), 10) : state.step});
    }, true);
  }
}
"""

_pause_point = st.components.v2.component("nnviz_pause_point", js=_JS, isolate_styles=False)


def pause_point(step: int, key: str, button: str, readout: str, on_pause: Callable[[], None]):
    """Draw the reporter with the frame showing ``step``; ``on_pause`` runs (in a rerun of the calling fragment)
    when the button matching the selector ``button`` is clicked, ``st.session_state[key].pause["step"]`` holding
    the step on screen: read from the element matching ``readout`` ("step 1,234"), or this frame's."""
    with st.container(key=key + "_box"):  # hidden by the page's style: it draws nothing, and takes no room
        _pause_point(key=key, data={"step": int(step), "button": button, "readout": readout}, on_pause_change=on_pause)


def paused_at(key: str) -> int | None:
    """The step the browser showed at the click, from ``pause_point``'s trigger (None without one)."""
    value = st.session_state.get(key)
    pause = getattr(value, "pause", None) if value is not None else None
    if isinstance(pause, dict) and isinstance(pause.get("step"), int):
        return pause["step"]
    return None
