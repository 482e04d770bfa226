"""Activation functions (lessons 1.3.1 and 1.5): the functions, their derivatives, softmax, saturation."""

import streamlit as st

from nnviz.core.activations import (
    ACTIVATIONS,
    DERIVATION_GRID,
    DERIVATIONS,
    HIDDEN_ACTIVATIONS,
    IDENTITY_GRID,
    SATURATION_LAYER,
    derivation_gap,
    identity_checks,
    saturation,
    softmax_with_temperature,
)
from nnviz.lesson.equations import EQUATIONS
from nnviz.viz import charts
from nnviz.viz.charts import PLOTLY_CONFIG
from ui.common import header, plain, presentation_mode, problem


def interval(grid) -> str:
    """A grid's ends as the page writes an interval, with true minus signs: [−10, 10]."""
    return f"[{grid[0]:g}, {grid[-1]:g}]".replace("-", "−")


def shapes_section(present: bool):
    """The functions and their slopes, the lesson's two derivative rules, every activation's formula."""
    show_derivative = st.toggle("Show the derivatives", value=True, key="ac_derivative",
                                help="Dashed: f′(z), computed from the output as backpropagation does.")
    st.markdown("**The lesson's figure: sigmoid and tanh over [−10, 10].** Both squash any number into a bounded "
                "range; tanh is the sigmoid stretched to (−1, 1) and centred on 0.")
    st.plotly_chart(charts.activation_figure(["sigmoid", "tanh"], derivative=show_derivative, presentation=present),
                    config=PLOTLY_CONFIG)
    st.markdown("**Piecewise-linear units, and the McCulloch–Pitts step.** ReLU's slope is 1 wherever it is "
                "active, so its gradient does not shrink; the step has no slope at all, so gradient descent "
                "cannot train it.")
    st.plotly_chart(charts.activation_figure(["relu", "leaky_relu", "linear", "step"], derivative=show_derivative,
                                             presentation=present, columns=2 if present else 4),
                    config=PLOTLY_CONFIG)
    st.markdown("**The lesson's two rules (1.3.1)** — the slopes backpropagation uses, each written with the "
                "function's own output, derived step by step in the appendix below:")
    for n in (2, 3):
        c1, c2 = st.columns([3, 2])
        c1.latex(EQUATIONS[n].tagged)
        c2.latex(EQUATIONS[n].code)
        c2.caption(EQUATIONS[n].relation)
    with st.expander("Every activation of the app, with its derivative", expanded=False):
        for name in ["sigmoid", "tanh", "relu", "leaky_relu", "linear", "step"]:
            a = ACTIVATIONS[name]
            st.latex(rf"{a.formula}, \qquad {a.dformula}")


def identities_section():
    """The derivative rules checked numerically, independently of the formulas."""
    st.subheader(f"The identities, checked on {IDENTITY_GRID.size:,} points in {interval(IDENTITY_GRID)}")
    st.caption("Each derivative here is a central difference (f(x + h) − f(x − h)) / 2h of the function itself, "
               "so the check does not assume the formula it tests.")
    for latex, error in identity_checks():
        c1, c2 = st.columns([3, 2])
        c1.latex(latex)
        c2.markdown(f"largest difference: **{error:.1e}** " + ("✓" if error < 1e-8 else "✗"))
    st.markdown("The last line is the lesson's remark that tanh and the sigmoid differ only in scale: "
                "tanh(x) = 2σ(2x) − 1.")


def softmax_section(present: bool):
    """Scores typed by the student, softmax with a temperature."""
    st.subheader("Softmax: scores into probabilities")
    st.latex(ACTIVATIONS["softmax"].formula)
    st.caption("With a temperature T, the probabilities are softmax(z / T): the slider below.")
    c1, c2 = st.columns([2, 3], gap="large")
    with c1:
        text = st.text_input("Scores z (numbers separated by commas)", "2.0, 1.0, 0.1, -1.0", key="ac_scores",
                             max_chars=200)
        temperature = st.slider("Temperature T", 0.1, 10.0, 1.0, step=0.1, key="ac_temperature",
                                help="High T: flatter, less sure. Low T: sharper, close to a one-hot arg max.")
    try:
        scores = [float(v) for v in text.replace(";", ",").split(",") if v.strip()]
        if not 1 <= len(scores) <= 12:
            raise ValueError(f"give between 1 and 12 scores, got {len(scores)}")
        probs = softmax_with_temperature(scores, temperature)
    except ValueError as err:
        with c1:
            problem(f"Could not read the scores: {plain(err)}.", "Type numbers separated by commas, e.g. 2, 1, 0.1.")
    else:
        with c2:
            st.plotly_chart(charts.softmax_figure([f"class {i + 1} (z = {z:g})" for i, z in enumerate(scores)], probs,
                                                  presentation=present, temperature=temperature),
                            config=PLOTLY_CONFIG)


def saturation_section(present: bool):
    """Where a hidden layer's pre-activations land for an input and an init scale."""
    st.subheader("Saturation: where gradients vanish")
    c1, c2 = st.columns([2, 3], gap="large")
    with c1:
        st.markdown("A unit's pre-activation is z = w·x + b. With large inputs or large initial weights, z lands far "
                    "out on the flat tails of sigmoid or tanh, where the slope is almost 0 — and backpropagation "
                    "multiplies by that slope. This is why the lesson starts from weights of about 0.01.")
        act_name = st.selectbox("Activation", HIDDEN_ACTIVATIONS, index=HIDDEN_ACTIVATIONS.index("tanh"),
                                format_func=lambda a: ACTIVATIONS[a].label, key="ac_sat_act")
        input_scale = st.select_slider("Input scale (standard deviation of x)", [0.1, 0.3, 1.0, 3.0, 10.0], value=1.0,
                                       key="ac_input_scale")
        init_scale = st.select_slider("Init scale (standard deviation of w)", [0.01, 0.03, 0.1, 0.3, 1.0, 3.0],
                                      value=0.01, key="ac_init_scale")
    z, share = saturation(act_name, input_scale, init_scale)
    with c2:
        st.plotly_chart(charts.saturation_figure(z, act_name, share, presentation=present), config=PLOTLY_CONFIG)
        layer = SATURATION_LAYER
        st.caption(f"{layer['n_hidden']} units × {layer['m']} samples with {layer['n_inputs']} inputs each; "
                   f"{share:.0%} of the pre-activations fall where "
                   f"{ACTIVATIONS[act_name].label}'s slope is below a tenth of its peak.")


def appendix_section(present: bool):
    """Lesson 1.5: the derivations line by line, with the lesson's slip corrected."""
    st.subheader("Appendix (1.5): the derivatives, step by step")
    st.caption(f"Each line equals the one before: every line evaluated on {DERIVATION_GRID.size} points in "
               f"{interval(DERIVATION_GRID)} differs from the next by "
               f"at most {max(derivation_gap(2), derivation_gap(3)):.0e} (rounding).")
    for n, section, title in ((2, "1.5.1", "Derivative of the hyperbolic tangent"),
                              (3, "1.5.2", "Derivative of the sigmoid")):
        what, lines = DERIVATIONS[n]
        with st.expander(f"{section} · {title} — equation ({n})", expanded=True):
            for k, line in enumerate(lines):
                body = rf"{what} = {line.latex}" if k == 0 else rf"= {line.latex}"  # short lines fit a phone
                st.latex(body + (rf" \tag{{{n}}}" if k == len(lines) - 1 else ""))
                if line.lesson_wrote:
                    st.warning(f"**Corrected.** The lesson writes the numerator as ${line.lesson_wrote}$; {line.why}.",
                               icon=":material/edit:")
    with st.expander("tanh(x) = 2σ(2x) − 1", expanded=not present):
        st.latex(r"2\sigma(2x) - 1 = \frac{2}{1 + e^{-2x}} - 1 = \frac{1 - e^{-2x}}{1 + e^{-2x}}"
                 r" = \frac{e^{x} - e^{-x}}{e^{x} + e^{-x}} = \tanh(x)")
    with st.expander("ReLU′ and the softmax Jacobian", expanded=not present):
        st.latex(r"\mathrm{ReLU}(x) = \max(0, x) \Rightarrow \mathrm{ReLU}'(x) = [x > 0] \quad (x \ne 0)")
        st.latex(r"s_i = \frac{e^{z_i}}{\sum_j e^{z_j}} \Rightarrow \frac{\partial s_i}{\partial z_j} = s_i(\delta_{ij} - s_j)")
        st.caption("With the cross-entropy of the softmax's output:")
        st.latex(r"L = -\sum_i y_i \log s_i \;\Rightarrow\; \frac{\partial L}{\partial z_j} = s_j - y_j")
        st.caption("That last line is why the output layer's error is simply A₂ − Y, for the sigmoid with binary "
                   "cross-entropy and for softmax with categorical cross-entropy alike.")


def main():
    present = presentation_mode()
    header("activations", "compare sigmoid, tanh, ReLU and the others, their derivatives, and where the gradient "
           "vanishes.")
    shapes_section(present)
    identities_section()
    for section in (softmax_section, saturation_section, appendix_section):
        st.divider()
        section(present)


main()
