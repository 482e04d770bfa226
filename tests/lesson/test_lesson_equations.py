"""The lesson's equations (1)–(27), its sections and its appendix: each pinned by content, not only by number.

Every live value of the Backpropagation page's derivation is checked against what ``ShallowNN`` computes on
the same batch (e.g. (22) Δ^{[2]} = A^{[2]} − y equals the code's dZ2), and every line of the appendix's
derivations of (2) and (3) is evaluated and compared with the line before.
"""

import re

import numpy as np
import pytest

from nnviz.core.activations import ACTIVATIONS, DERIVATIONS, HIDDEN_ACTIVATIONS
from nnviz.core.gradcheck import gradient_check
from nnviz.lesson.equations import EQUATIONS, backward_equations, forward_equations
from nnviz.lesson.sections import PAGES, SECTIONS, section, section_label, sections_of
from nnviz.lesson.walkthrough import derivation, gradient_shapes, lesson_batch, lesson_network, node_by_node

# The lesson's headings as its text numbers them (lesson 1-1, "Introduction to Deep Learning"; 1.5.1 and 1.5.2
# are the two halves of the appendix, taught with it).
LESSON_HEADINGS = {
    "1.1": "What is a Neural Network", "1.1.1": "Transformations", "1.2": "Mc Culloch and Pitts Artificial Neuron",
    "1.3": "Feedforward Neural Networks", "1.3.1": "One Hidden Layer NN", "1.3.2": "The Loss Function",
    "1.3.3": "Formula of Batch Training", "1.3.4": "Generate Sample Dataset", "1.3.5": "Weights Initialization",
    "1.3.6": "Forward Propagation", "1.3.7": "Loss Function", "1.3.8": "Delta Rule", "1.3.9": "Batch Loader",
    "1.4": "Keras: the Python Deep Learning API", "1.5": "Appendix - Calculation of Activation Functions Derivatives",
    "1.6": "References and Credits",
}


def test_the_table_holds_each_equation_once_in_the_lessons_notation():
    assert sorted(EQUATIONS) == list(range(1, 28))
    for n, e in EQUATIONS.items():
        assert e.tagged.endswith(rf"\tag{{{n}}}")
        assert not re.search(r"[WbBZA]_\{?[12]", e.lesson), n  # superscript layers W^{[1]}, never the code's W_1
    assert r"Z^{[1]} &= W^{[1]} \cdot X + B^{[1]}" in EQUATIONS[1].lesson
    assert r"1 - \left(\tanh x\right)^{2}" in EQUATIONS[2].lesson
    assert r"\sigma(x)\cdot\left(1 - \sigma(x)\right)" in EQUATIONS[3].lesson
    assert r"-\left[y\log\hat{y} + (1 - y)\log(1 - \hat{y})\right]" in EQUATIONS[4].lesson
    assert r"\Delta W = -\frac{\partial L}{\partial W}" in EQUATIONS[7].lesson
    assert EQUATIONS[22].lesson == r"\Delta^{[2]} = A^{[2]} - y"
    assert r"\Delta^{[2]}\cdot W^{[2]}" in EQUATIONS[23].lesson
    assert EQUATIONS[24].lesson.endswith(r"-\Delta^{[2]}\cdot A^{[1]}")


def test_where_the_lesson_differs_is_said_with_the_correct_form():
    # the README's list: (23)–(25) lack 1/m and the transposes; (26), (27) lack the minus; wrong cross-references;
    # the update ignores lr
    for n in (23, 24, 25, 26, 27, 20, 7, 4, 5):
        assert EQUATIONS[n].differs.startswith("The lesson") or EQUATIONS[n].differs.startswith("As "), n
    assert "transpose" in EQUATIONS[23].differs and "W^{[2]T}" in EQUATIONS[23].code
    assert "1/m" in EQUATIONS[24].differs and r"\tfrac{\alpha}{m}" in EQUATIONS[24].code and "A^{[1]T}" in EQUATIONS[24].code
    assert "X^{T}" in EQUATIONS[25].code
    assert "minus" in EQUATIONS[26].differs and EQUATIONS[26].code.startswith(r"\Delta b^{[2]} = -\alpha")
    assert "equation (9)" in EQUATIONS[4].differs and "(5) ~ (8)" in EQUATIONS[5].differs
    assert "lr" in EQUATIONS[7].differs
    # each code form comes with one line relating it to the lesson's
    assert all(e.relation for e in EQUATIONS.values() if e.code)


@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
def test_every_live_value_of_the_derivation_is_what_the_code_computes(activation):
    model = lesson_network(seed=5, activation=activation)
    X, Y = lesson_batch(7)
    lr = 0.3
    walk = derivation(model, X, Y, lr=lr)
    assert [s.number for s in walk] == [None, 5, 6, 4] + list(range(7, 28))
    by = {s.number: dict(s.values) for s in walk}
    c, g, p = model.cache, model.grads, model.params
    m = X.shape[1]
    dZ2 = c["A2"] - Y
    slope = ACTIVATIONS[activation].df(c["A1"])
    dZ1 = (p["W2"].T @ dZ2) * slope
    np.testing.assert_allclose(by[5]["Z^{[1]}"], p["W1"] @ X + p["b1"])
    np.testing.assert_allclose(by[6][r"A^{[2]} = \hat{y}"], 1 / (1 + np.exp(-(p["W2"] @ c["A1"] + p["b2"]))))
    assert by[4]["J"][0, 0] == pytest.approx(model.loss(X, Y))
    assert by[4][r"L(y, \hat{y})"].mean() == pytest.approx(model.loss(X, Y))
    # (12)·(13) is (16): the sigmoid's slope cancels the loss's denominator
    chained = by[12][r"\frac{\partial L}{\partial \hat{y}}"] * by[13][r"\frac{\partial \hat{y}}{\partial Z^{[2]}}"]
    np.testing.assert_allclose(chained, by[16]["A^{[2]} - y"], atol=1e-12)
    np.testing.assert_allclose(by[17][r"\frac{\partial Z^{[2]}}{\partial W^{[2]}} = A^{[1]}"], c["A1"])
    np.testing.assert_allclose(next(iter(by[19].values())), slope)
    np.testing.assert_allclose(by[20][r"dW^{[1]} = \frac{\partial J}{\partial W^{[1]}}"], dZ1 @ X.T / m, atol=1e-15)
    np.testing.assert_allclose(by[21][r"dW^{[2]} = \frac{\partial J}{\partial W^{[2]}}"], dZ2 @ c["A1"].T / m, atol=1e-15)
    # (22) Δ^{[2]} = A^{[2]} − y is the code's dZ2; (23) Δ^{[1]} its dZ1
    np.testing.assert_array_equal(by[22][r"\Delta^{[2]} = dZ^{[2]}"], dZ2)
    np.testing.assert_allclose(by[23][r"\Delta^{[1]} = dZ^{[1]}"], dZ1)
    # (24), (25): the lesson's product summed over the batch is m times the code's gradient; the change is −α·dW
    np.testing.assert_allclose(by[24][r"-\Delta^{[2]}A^{[1]T}\ \text{(summed)}"], -m * g["dW2"], atol=1e-14)
    np.testing.assert_allclose(by[25][r"-\Delta^{[1]}X^{T}\ \text{(summed)}"], -m * g["dW1"], atol=1e-14)
    np.testing.assert_allclose(by[24][r"-\alpha\,dW^{[2]}"], -lr * g["dW2"])
    # (26), (27): the lesson's (1/m)·Σ dZ is the gradient db; the change carries the minus the lesson drops
    np.testing.assert_allclose(by[26][r"\frac{1}{m}\sum_{i} dZ^{[2](i)}"], dZ2.mean(axis=1, keepdims=True))
    np.testing.assert_allclose(by[26][r"\Delta b^{[2]} = -\alpha\,db^{[2]}"], -lr * g["db2"])
    np.testing.assert_allclose(by[27][r"\frac{1}{m}\sum_{i} dZ^{[1](i)}"], dZ1.mean(axis=1, keepdims=True), atol=1e-15)
    # (7): applying the change shown gives the W_new shown
    w_new = by[7][r"W^{[2]}_{new}"].copy()
    model.update_weights(lr)
    np.testing.assert_allclose(model.params["W2"], w_new)


def test_the_gradients_of_the_derivation_are_the_true_ones():
    model = lesson_network(seed=2)
    X, Y = lesson_batch(8)
    derivation(model, X, Y)
    assert gradient_check(model, X, Y).passed


def test_tanh_steps_show_the_lessons_form_and_other_activations_say_so():
    X, Y = lesson_batch(4)
    tanh_walk = {s.number: s for s in derivation(lesson_network(), X, Y)}
    assert r"\left(1 - (A^{[1]})^{2}\right)" in tanh_walk[19].latex and not tanh_walk[19].notes
    relu_walk = {s.number: s for s in derivation(lesson_network(activation="relu"), X, Y)}
    assert "[A^{[1]} > 0]" in relu_walk[19].latex and r"\tanh" not in relu_walk[18].latex
    assert "ReLU" in relu_walk[19].notes[0]


def test_the_shapes_list_of_1_3_8_matches_the_arrays():
    model = lesson_network()
    X, Y = lesson_batch(6)
    derivation(model, X, Y)
    shapes = {line.names: line.shape for line in gradient_shapes(model, 6)}
    assert shapes == {"(n_y, m)": (1, 6), "(n_y, n_h)": (1, 4), "(n_y, 1)": (1, 1), "(n_h, m)": (4, 6),
                      "(n_h, n_x)": (4, 2), "(n_h, 1)": (4, 1)}
    with pytest.raises(ValueError, match="run backward"):
        gradient_shapes(lesson_network(), 6)


def test_equation_1_node_by_node():
    model = lesson_network(seed=4)
    x = np.array([0.0, 1.0])
    for i in range(1, 5):
        v = node_by_node(model, x, i)
        w, b = model.params["W1"][i - 1], model.params["b1"][i - 1, 0]
        assert v.z == pytest.approx(w[0] * 0.0 + w[1] * 1.0 + b) and v.a == pytest.approx(np.tanh(v.z))
        assert f"z_{i} &= w_{{{i}1}}x_1 + w_{{{i}2}}x_2 + b_{i}" in v.node_latex and f"{v.z:.3f}" in v.node_latex
        assert v.Z1.shape == (4, 1) and v.A1.shape == (4, 1) and v.stacked_latex.endswith(r"\tag{1}")
    A2 = model.predict(x.reshape(2, 1))[0, 0]
    assert v.A2 == pytest.approx(A2)
    with pytest.raises(ValueError, match="node must be between 1 and 4"):
        node_by_node(model, x, 5)


def test_shallow_page_equations_are_tagged_with_the_lessons_numbers():
    fwd = forward_equations(20, 10, 1, 100)
    bwd = backward_equations(20, 10, 1, 100)
    assert [e.number for e in fwd] == [5, 6, 4] and [e.number for e in bwd] == [22, 24, 26, 23, 25, 27, 7]
    assert all(e.latex.endswith(rf"\tag{{{e.number}}}") for e in fwd + bwd)
    text = " ".join(e.latex for e in fwd + bwd)
    assert not re.search(r"\(\d+\)", text)  # no numbering of the app's own
    assert r"\underbrace{W^{[1]}}_{10\times20}" in text and r"\underbrace{X}_{20\times100}" in text
    assert r"\underbrace{b^{[1]}}_{10\times1}" in text and r"\underbrace{Z^{[2]}}_{1\times100}" in text
    assert r"\underbrace{dW^{[1]}}_{10\times20}" in text and r"\underbrace{X^{T}}_{100\times20}" in text
    assert r"1 - (A^{[1]})^{2}" in text and r"A^{[1]} &= \tanh(Z^{[1]})" in text
    relu = " ".join(e.latex for e in backward_equations(2, 3, 1, 7, "relu") + forward_equations(2, 3, 1, 7, "relu"))
    assert "[A^{[1]} > 0]" in relu and r"\mathrm{ReLU}(Z^{[1]})" in relu


@pytest.mark.parametrize("n", [2, 3])
def test_every_line_of_the_appendix_derivation_equals_the_next(n):
    _, lines = DERIVATIONS[n]
    x = np.linspace(-5, 5, 201)
    for a, b in zip(lines, lines[1:], strict=False):
        np.testing.assert_allclose(a.value(x), b.value(x), atol=1e-8, err_msg=a.latex)
    truth = 1 - np.tanh(x) ** 2 if n == 2 else np.exp(-x) / (1 + np.exp(-x)) ** 2
    np.testing.assert_allclose(lines[-1].value(x), truth, atol=1e-15)


def test_the_tanh_derivation_goes_through_the_exponential_quotient_and_marks_the_lessons_typo():
    _, lines = DERIVATIONS[2]
    assert any(r"\frac{4}{\left(e^{x} + e^{-x}\right)^{2}}" == line.latex for line in lines)
    typo = lines[2]
    # the lesson's second line: (e^x + e^-x)(e^x + e^-x) where (e^x − e^-x)(e^x − e^-x) is meant
    assert typo.lesson_wrote.count(r"\left(e^{x} + e^{-x}\right)") == 4
    assert typo.latex.count(r"\left(e^{x} - e^{-x}\right)") == 2 and "0" in typo.why


def test_one_table_of_sections_matching_the_lessons_headings():
    assert {s.number: s.title for s in SECTIONS} == LESSON_HEADINGS
    numbers = [tuple(int(k) for k in s.number.split(".")) for s in SECTIONS]
    assert numbers == sorted(numbers)  # in the lesson's order
    slugs = {p.slug for p in PAGES}
    assert all(s.pages and set(s.pages) <= slugs for s in SECTIONS)
    assert section("1.3.8").title == "Delta Rule" and "backpropagation" in section("1.3.8").pages
    assert section_label("Backpropagation") == "1.3.1, 1.3.2, 1.3.3, 1.3.6, 1.3.7, 1.3.8"
    assert section_label("backpropagation") == section_label("Backpropagation")
    assert [s.number for s in sections_of("mnist_classifier")] == ["1.4"]
    assert {slug for s in SECTIONS for slug in s.pages} <= {p.slug for p in PAGES}  # every section has its page
    with pytest.raises(ValueError, match="no page 'nowhere'"):
        sections_of("nowhere")


def test_words_beside_the_equations_keep_their_math_between_dollars():
    """Meanings, relations and corrections are Markdown: any LaTeX in them sits between $…$, or a reader would
    see ``W^{[2]}`` raw."""
    texts = [getattr(e, f) for e in EQUATIONS.values() for f in ("meaning", "relation", "differs")]
    texts += [e.meaning for e in forward_equations(2, 4, 1, 4) + backward_equations(2, 4, 1, 4)]
    for text in texts:
        outside = re.sub(r"\$[^$]*\$", "", text)
        assert "^{" not in outside and "\\" not in outside and text.count("$") % 2 == 0, text


def test_a_title_line_joins_runs_of_sections_into_ranges():
    assert section_label("backpropagation", compact=True) == "1.3.1–1.3.3, 1.3.6–1.3.8"
    assert section_label("shallow_network", compact=True) == "1.3, 1.3.3–1.3.7, 1.3.9"
    assert section_label("activations", compact=True) == section_label("activations") == "1.3.1, 1.5"


def test_the_derivation_gap_the_page_reports_is_rounding_and_would_catch_a_wrong_line():
    from nnviz.core.activations import DerivationStep, derivation_gap

    assert derivation_gap(2) < 1e-9 and derivation_gap(3) < 1e-9
    # the lesson's line 2 as it is written, (c·c − c·c)/c², is 0 and would stand out
    c = lambda x: np.exp(x) + np.exp(-x)  # noqa: E731
    as_written = DerivationStep("", lambda x: (c(x) * c(x) - c(x) * c(x)) / c(x) ** 2)
    x = np.linspace(-5, 5, 201)
    assert np.max(np.abs(as_written.value(x) - DERIVATIONS[2][1][2].value(x))) == pytest.approx(1.0)
