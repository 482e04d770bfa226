"""Draw a digit (or upload one) and see what the network makes of it."""

import time

import numpy as np
import streamlit as st

from nnviz.mnist.digit_units import digit_units
from nnviz.mnist.digits import canvas_image, canvas_to_gray, read_uploaded_image, to_mnist_format
from nnviz.serving.gate import LIVE
from nnviz.viz import charts
from nnviz.viz.theme import PROBABILITY_SCALE
from ui.common import gated, plain, problem

SIGNED = PROBABILITY_SCALE  # blue for negative, white for 0, orange for positive: a weight's sign


@st.fragment
@gated(LIVE)  # a drawn digit: the student waits for its prediction
def draw_section(net, present):
    """A fragment: a stroke reruns only this section, not the whole page, so the prediction comes back sooner."""
    from streamlit_drawable_canvas import st_canvas  # a bare import outside a page raises: import it here

    st.session_state.setdefault("mn_canvas", 0)
    c1, c2, c3 = st.columns([1.5, 1, 1.3], gap="medium")  # the 280-px canvas fits its column at 1280×720
    with c1:
        # the prediction above the canvas, in a box of fixed height: in view on a projector (below the canvas it
        # sat at the screen's bottom edge) and on a phone, and the canvas never moves under the pen
        verdict = st.container(key="mn_verdict").empty()
        st.space(40)  # the canvas's toolbar floats in this gap, above the canvas's right half
        result = st_canvas(stroke_width=22, stroke_color="#ffffff", background_color="#000000", height=280,
                           width=280, drawing_mode="freedraw", return_image_data=True,
                           key=f"mn_canvas_{st.session_state.mn_canvas}")
        if st.button("Clear", key="mn_clear", icon=":material/delete:"):
            st.session_state.mn_canvas += 1
            st.rerun(scope="fragment")
        upload = st.file_uploader("… or upload a PNG or JPEG of a digit", type=["png", "jpg", "jpeg", "mpo"],
                                  key="mn_upload", max_upload_size=5)
    gray, source = None, ""
    if upload is not None:
        try:
            gray, source = read_uploaded_image(upload.getvalue()), f"the uploaded {plain(upload.name)}"
        except ValueError as err:
            with c1:
                problem(f"{plain(upload.name)}: {plain(err)}", "Upload a PNG or JPEG photo or scan of one digit.")
    elif result is not None:
        try:  # the canvas's state comes from the browser: its size is checked before anything is decoded
            drawn = canvas_image(result)
        except ValueError as err:
            drawn = None
            with c1:
                problem(f"The drawing could not be read: {plain(err)}", "Press Clear and draw again.")
        if drawn is not None:
            gray, source = canvas_to_gray(drawn), "your drawing"
    if gray is None or gray.max() <= 0:
        verdict.markdown("**Draw a digit** (mouse or finger), as large as the box — its prediction appears here.")
        return
    t0 = time.perf_counter()
    digit = to_mnist_format(gray)
    probs = net.predict(digit)[0]
    elapsed_ms = (time.perf_counter() - t0) * 1000
    best = int(np.argmax(probs))
    verdict.markdown(f"### Prediction: {best}\n{probs[best]:.1%} sure, from {source}.")
    with c2:
        st.markdown("**What the network sees**: 28×28, cropped, scaled to 20×20, centred by its centre of mass")
        st.plotly_chart(charts.digit_figure(digit, presentation=present), config=charts.PLOTLY_CONFIG)
    with c3:
        st.markdown("**The network's probability for each digit**")
        st.plotly_chart(charts.probability_bars(probs, presentation=present), config=charts.PLOTLY_CONFIG)
        st.caption(f"Preprocessing and prediction took {elapsed_ms:.0f} ms on the server.")
    hidden_units_section(net, digit, present)


def hidden_units_section(net, digit, present: bool):
    """Inside the network for this digit: its 512 hidden activations, and the units that drove the winning class
    most, each with the pattern of ink it responds to (its input weights)."""
    inside = digit_units(net, digit)
    with st.expander(f"Inside the network: the {inside.activations.size} hidden units for this digit",
                     expanded=not present, icon=":material/hub:"):
        left, right = st.columns([2, 3], gap="medium")
        with left:
            st.markdown(f"**a[1]**, the hidden layer's {inside.activations.size} activations: "
                        f"{inside.n_active} fire for this digit")
            st.plotly_chart(charts.unit_activations_figure(inside.image, presentation=present),
                            config=charts.PLOTLY_CONFIG, key="mn_digit_units")
            st.caption("16 rows of 32 units (unit u at row u ÷ 32, column u mod 32); a ReLU unit is 0 unless its "
                       "pattern is in the digit.")
        with right:
            k = inside.predicted
            st.markdown(f"**The units that pushed most towards {k}**: activation × weight to {k}, and each "
                        "one's input weights (orange where ink raises it, blue where ink lowers it)")
            if inside.top:
                titles = [f"unit {u.index}<br>{u.activation:.2f} × {u.weight:.2f}" for u in inside.top]
                images = np.stack([u.input_weights for u in inside.top])
                span = float(np.max(np.abs(images))) or 1.0
                st.plotly_chart(charts.digit_gallery_figure(images / span, titles, columns=4, presentation=present,
                                                            zmax=None, zmid=0.0, colorscale=SIGNED),
                                config=charts.PLOTLY_CONFIG, key="mn_digit_top")
            else:
                st.caption("No unit pushed towards it: the bias alone decided.")
