"""Pause where the class sees it: the step on screen when the Pause button is pressed, reported by the browser.

Under load a live chart is redrawn once a second and a click takes a second or two to be heard: by then the run
has trained on (docs/benchmarks.md, bench_pause). The server cannot know which of the frames it sent
the browser was showing, so a tiny component drawn with the live frames reads the step the readout shows the moment
Pause is clicked (in the capture phase, before Streamlit's own handler sends the click) and sends it back;
the run then goes back to the state it drew at that step (``Run.pause(at_step=…, at_epoch=…)``). The button's own click
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
      // the step as the readout on screen says it ("step 5,840 · training…"), else this frame's; and the
      // headline's epoch ("Epoch 146 / 500"): its elements update one by one, so the two can be a frame apart
      const shown = document.querySelector(state.readout);
      const number = (pattern) => {
        const match = shown && pattern.exec(shown.textContent);
        return match ? parseInt(match[1].replace(/,/g, ""), 10) : null;
      };
      const step = number(/step ([0-9,]+)/);
      state.send("pause", {step: step === null ? state.step : step, epoch: number(/Epoch ([0-9,]+)/)});
    }, true);
  }
}
"""

_pause_point = st.components.v2.component("nnviz_pause_point", js=_JS, isolate_styles=False)


def pause_point(step: int, key: str, button: str, readout: str, on_pause: Callable[[], None]):
    """Draw the reporter with the frame showing ``step``; ``on_pause`` runs (in a rerun of the calling fragment)
    when the button matching the selector ``button`` is clicked, ``st.session_state[key].pause`` holding the step
    and the epoch on screen: read from the element matching ``readout`` ("Epoch 12 / 500", "step 1,234"; the step
    falls back to this frame's)."""
    with st.container(key=key + "_box"):  # hidden by the page's style: it draws nothing, and takes no room
        _pause_point(key=key, data={"step": int(step), "button": button, "readout": readout}, on_pause_change=on_pause)


def paused_at(key: str) -> tuple[int | None, int | None]:
    """The step and the epoch the browser showed at the click, from ``pause_point``'s trigger (None for each it
    did not send)."""
    value = st.session_state.get(key)
    pause = getattr(value, "pause", None) if value is not None else None
    if not isinstance(pause, dict):
        return None, None
    step, epoch = pause.get("step"), pause.get("epoch")
    return (step if type(step) is int else None), (epoch if type(epoch) is int else None)
