"""The lesson pages under AppTest: every control at its extremes, every button, no exception."""

import re

import pytest

from nnviz.lesson.neuron import PRESETS


def test_overview_lists_every_step_and_draws_the_network(open_page):
    at = open_page("overview")
    links = [el.proto.label for el in at.get("page_link")]
    text = " ".join(m.value for m in at.markdown) + " ".join(links)
    for name in ("The neuron", "Activation functions", "Shallow network", "Backpropagation", "MNIST classifier"):
        assert name in text
    drawn = {}
    for epochs in (0, 500):
        at.select_slider(key="ov_epochs").set_value(epochs)
        at.run()
        assert not at.exception
        svgs = [m.value for m in at.markdown if m.value.startswith("<svg")]
        assert len(svgs) == 2  # the lesson's layers, and the 2-4-1 network with its weights
        drawn[epochs] = svgs[1]
    assert "after 500 epochs: **" in " ".join(c.value for c in at.caption)
    # the slider retrains: the drawing shows other weights, and each weight's value is on its connection
    weights = {epochs: re.findall(r"<title>(W\d\[\d,\d\] = [^<]+)</title>", svg) for epochs, svg in drawn.items()}
    assert len(weights[0]) == len(weights[500]) == 8 + 4 and weights[0] != weights[500]


@pytest.mark.parametrize("gate", list(PRESETS))
def test_neuron_presets_build_the_gate(open_page, gate):
    at = open_page("neuron")
    at.button(key=f"nr_preset_{gate}").click()
    at.run()
    assert not at.exception
    assert any(f"This neuron computes **{gate}**" in s.value for s in at.success)


def test_neuron_controls_at_their_extremes(open_page):
    at = open_page("neuron")
    for w1, w2, theta in ((-2.0, -2.0, -2.5), (2.0, 2.0, 2.5), (0.0, 0.0, 0.0)):
        at.slider(key="nr_w1").set_value(w1)
        at.slider(key="nr_w2").set_value(w2)
        at.slider(key="nr_theta").set_value(theta)
        at.slider(key="nr_k").set_value(20.0)
        at.radio(key="nr_smooth_act").set_value("tanh")
        at.selectbox(key="nr_goal").set_value("XOR")
        at.run()
        assert not at.exception
    assert "best gets **3 of 4**" in " ".join(m.value for m in at.markdown)


def test_activations_page(open_page):
    at = open_page("activations")
    assert all("✓" in m.value for m in at.markdown if m.value.startswith("largest difference"))
    at.toggle(key="ac_derivative").set_value(False)
    at.slider(key="ac_temperature").set_value(0.1)
    at.select_slider(key="ac_input_scale").set_value(10.0)
    at.select_slider(key="ac_init_scale").set_value(3.0)
    for act in ("sigmoid", "relu", "linear"):
        at.selectbox(key="ac_sat_act").set_value(act)
        at.run()
        assert not at.exception
    at.slider(key="ac_temperature").set_value(10.0)
    at.select_slider(key="ac_input_scale").set_value(0.1)
    at.select_slider(key="ac_init_scale").set_value(0.01)
    at.run()
    assert not at.exception


@pytest.mark.parametrize("text", ["", "a, b", "1e999", ",".join(["1"] * 13), "<b>bold</b>"])
def test_bad_softmax_scores_get_a_message(open_page, text):
    at = open_page("activations")
    at.text_input(key="ac_scores").set_value(text)
    at.run()
    assert not at.exception
    assert any("Could not read the scores" in e.value for e in at.error)


def tags(at) -> set[int]:
    """The lesson equation numbers the page shows (KaTeX \\tag{n})."""
    return {int(n) for x in at.latex for n in re.findall(r"\\tag\{(\d+)\}", x.value)}


def test_backpropagation_steps_through_the_lessons_derivation_and_updates(open_page):
    at = open_page("backpropagation")
    assert at.title[0].value == "Backpropagation"
    assert at.caption[0].value.startswith("Lesson 1.3.1, 1.3.2, 1.3.3, 1.3.6, 1.3.7, 1.3.8 ·")
    step = lambda: next(m.value for m in at.markdown if m.value.startswith("**Step "))  # noqa: E731
    assert step().startswith("**Step 1 of 25**") and not tags(at)
    at.button(key="bp_next").click()
    at.run()
    assert step() == "**Step 2 of 25** · equation (5)" and 5 in tags(at)
    at.button(key="bp_all").click()
    at.run()
    assert tags(at) == set(range(4, 28))
    # the corrections are marked on the page
    warnings = " ".join(c.value for c in at.caption if "Where the lesson differs" in c.value)
    assert "The lesson writes $\\Delta^{[2]}$·$W^{[2]}$ without a transpose" in warnings
    assert "drops the minus sign" in warnings and "leaves out the 1/m and the transpose" in warnings
    assert any(s.value.startswith("Backpropagation agrees with central differences") for s in at.success)
    before = float(next(m for m in at.metric if m.label == "Loss on this batch").value)
    for _ in range(5):
        at.button(key="bp_apply").click()
        at.run()
    after = float(next(m for m in at.metric if m.label == "Loss on this batch").value)
    assert after < before
    at.button(key="bp_restart").click()
    at.run()
    assert step().startswith("**Step 1 of 25**")


def test_backpropagation_parts_node_by_node_and_the_loss(open_page):
    at = open_page("backpropagation")
    at.segmented_control(key="bp_part").set_value("1.3.1 · Node by node (1)")
    at.run()
    assert tags(at) == {1}
    for node in (1, 4):
        at.radio(key="bp_node").set_value(node)
        at.radio(key="bp_sample").set_value(2)
        at.run()
        assert not at.exception
        assert any(f"z_{node} &= w_{{{node}1}}x_1" in x.value for x in at.latex)
    at.segmented_control(key="bp_part").set_value("1.3.2 · The loss (4)")
    at.run()
    assert tags(at) == {4} and not at.exception


def test_backpropagation_controls_at_their_extremes(open_page):
    at = open_page("backpropagation")
    for m, seed, lr, act in ((4, 0, 0.01, "relu"), (8, 10_000, 3.0, "sigmoid"), (8, 1, 1.0, "linear")):
        at.slider(key="bp_m").set_value(m)
        at.number_input(key="bp_seed").set_value(seed)
        at.select_slider(key="bp_lr").set_value(lr)
        at.selectbox(key="bp_act").set_value(act)
        at.run()
        at.button(key="bp_all").click()
        at.run()
        at.button(key="bp_apply").click()
        at.run()
        assert not at.exception
        assert any(f"4×{m}" in c.value for c in at.caption)
        at.segmented_control(key="bp_part").set_value("1.3.1 · Node by node (1)")
        at.run()
        at.radio(key="bp_sample").set_value(m)
        at.run()
        assert not at.exception
        at.segmented_control(key="bp_part").set_value("1.3.3–1.3.8 · The derivation (5)–(27)")
        at.run()


def test_activations_page_shows_2_and_3_and_their_derivations(open_page):
    at = open_page("activations")
    assert {2, 3} <= tags(at)
    assert any(r"\frac{4}{\left(e^{x} + e^{-x}\right)^{2}}" in x.value for x in at.latex)
    assert any(w.value.startswith("**Corrected.** The lesson writes") for w in at.warning)


def test_data_as_numbers_head_download_and_random_label(open_page):
    at = open_page("data_as_numbers")
    assert "[5 rows x 785 columns]" in [c.value for c in at.caption]
    df = at.dataframe[0].value
    assert list(df.columns[:3]) == ["label", "1x1", "1x2"] and df.columns[-1] == "28x28" and len(df) == 5
    assert df["label"].tolist()[:5] == [5, 0, 4, 1, 9]
    first = next(c.value for c in at.caption if c.value.startswith("First line of the file"))
    assert "0.000000000000000000e+00;" in first  # np.savetxt's default format, as the lesson writes it
    at.radio(key="dn_format").set_value("integers")
    at.run()
    assert next(c.value for c in at.caption if c.value.startswith("First line")).startswith("First line of the file: `0;0;")
    # choosing a label shows a digit of that label at once
    for digit in (7, 3):
        at.selectbox(key="dn_label").set_value(digit)
        at.run()
        assert f"### Label: {digit}" in [m.value for m in at.markdown]


def test_the_xor_link_of_the_neuron_page_sets_the_trainer(open_page):
    at = open_page("shallow_network", ds="moons")
    at.switch_page("app_pages/shallow_network.py")
    at.query_params.update({"ds": "xor", "hidden": "4"})
    at.run()
    assert at.selectbox(key="tr_dataset").value == "xor" and at.select_slider(key="tr_hidden").value == 4
