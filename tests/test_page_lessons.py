"""The lesson pages under AppTest: every control at its extremes, every button, no exception."""

import pytest

from nnviz.neuron import PRESETS


def test_overview_lists_every_step_and_draws_the_network(open_page):
    at = open_page("overview")
    links = [el.proto.label for el in at.get("page_link")]
    text = " ".join(m.value for m in at.markdown) + " ".join(links)
    for name in ("The neuron", "Activation functions", "Shallow network", "Backpropagation", "MNIST classifier"):
        assert name in text
    for epochs in (0, 500):
        at.select_slider(key="ov_epochs").set_value(epochs)
        at.run()
        assert not at.exception
    assert "after 500 epochs: **" in " ".join(c.value for c in at.caption)


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


def test_backpropagation_steps_and_update(open_page):
    at = open_page("backpropagation")
    shown = lambda: sum(1 for x in at.latex if r"\text{(" in x.value)  # noqa: E731
    assert shown() == 1
    at.button(key="bp_next").click()
    at.run()
    assert shown() == 2
    at.button(key="bp_all").click()
    at.run()
    assert shown() == 13
    assert any(s.value.startswith("Backpropagation agrees with central differences") for s in at.success)
    before = float(next(m for m in at.metric if m.label == "Loss on this batch").value)
    at.button(key="bp_apply").click()
    at.run()
    after = float(next(m for m in at.metric if m.label == "Loss on this batch").value)
    assert after < before
    at.button(key="bp_restart").click()
    at.run()
    assert shown() == 1


def test_backpropagation_controls_at_their_extremes(open_page):
    at = open_page("backpropagation")
    for m, seed, lr in ((4, 0, 0.01), (8, 10_000, 3.0)):
        at.slider(key="bp_m").set_value(m)
        at.number_input(key="bp_seed").set_value(seed)
        at.select_slider(key="bp_lr").set_value(lr)
        at.run()
        at.button(key="bp_all").click()
        at.run()
        at.button(key="bp_apply").click()
        at.run()
        assert not at.exception
        assert any(f"shape 4×{m}" in c.value for c in at.caption)


def test_the_xor_link_of_the_neuron_page_sets_the_trainer(open_page):
    at = open_page("shallow_network", ds="moons")
    at.switch_page("app_pages/shallow_network.py")
    at.query_params.update({"ds": "xor", "hidden": "4"})
    at.run()
    assert at.selectbox(key="tr_dataset").value == "xor" and at.select_slider(key="tr_hidden").value == 4
