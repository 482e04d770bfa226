"""The front page's network diagrams, drawn as SVG (nnviz/viz/network_svg.py)."""

import xml.etree.ElementTree as ET

import numpy as np
import pytest

from nnviz.viz.network_svg import network_svg
from nnviz.viz.theme import CLASS_COLOURS

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # well-formed XML, or this raises


def texts(root) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(SVG + "text")]


@pytest.mark.parametrize("presentation, height", [(False, 280), (True, 320), (False, 200)])  # the page's, and less
def test_the_lessons_layers_every_node_joined_to_the_next_layer(presentation, height):
    root = parse(network_svg((3, 5, 5, 2), presentation=presentation, height=height))
    assert len(list(root.iter(SVG + "circle"))) == 3 + 5 + 5 + 2
    assert len(list(root.iter(SVG + "line"))) == 3 * 5 + 5 * 5 + 5 * 2
    assert texts(root) == ["inputlayer", "hiddenlayer 1", "hiddenlayer 2", "outputlayer"]
    # the layers stand left to right, their nodes centred on one line
    circles = list(root.iter(SVG + "circle"))
    layer_x = [float(c.get("cx")) for c in circles]  # drawn layer by layer, input first
    assert [layer_x[0], layer_x[3], layer_x[8], layer_x[13]] == sorted(set(layer_x)) and len(set(layer_x)) == 4
    ys = [float(c.get("cy")) for c in circles[:3]]
    assert ys[0] < ys[1] < ys[2] and ys[1] == pytest.approx(sum(ys) / 3, abs=0.1)  # written to 0.1
    # every node whole inside the drawing, below the layers' titles
    width, height = (float(v) for v in root.get("viewBox").split()[2:])
    font = float(root.get("font-size"))
    title_bottom = max(float(t.get("y")) + 1.2 * font * (len(t.findall(SVG + "tspan")) - 1) + 0.25 * font  # descenders
                       for t in root.iter(SVG + "text"))
    for c in circles:
        x, y, r = (float(c.get(a)) for a in ("cx", "cy", "r"))
        assert r <= x <= width - r and title_bottom <= y - r and y + r <= height


def test_one_hidden_layer_is_named_without_a_number():
    assert texts(parse(network_svg((2, 4, 1)))) == ["inputlayer", "hiddenlayer", "outputlayer"]


def test_weights_drawn_by_size_and_sign_with_their_values():
    W1 = np.array([[1.0, -2.0], [0.5, 0.0], [-0.25, 3.0], [4.0, -4.0]])  # 4 units × 2 inputs
    W2 = np.array([[2.0, -1.0, 0.0, 1.5]])
    root = parse(network_svg(weights=[W1, W2], labels=True))
    lines = list(root.iter(SVG + "line"))
    assert len(lines) == 4 * 2 + 1 * 4
    tips = {"".join(line.itertext()): line for line in lines}
    # W[j, i] joins input i to unit j, numbered from 1 as the lesson writes them
    assert tips["W1[3,2] = +3.000"].get("stroke") == CLASS_COLOURS[1]
    assert tips["W1[1,2] = -2.000"].get("stroke") == CLASS_COLOURS[0]
    widths = {tip: float(line.get("stroke-width")) for tip, line in tips.items()}
    assert widths["W1[4,1] = +4.000"] == widths["W1[4,2] = -4.000"] == pytest.approx(7.5)  # the biggest
    assert widths["W1[2,2] = +0.000"] == pytest.approx(0.5)
    assert widths["W2[1,1] = +2.000"] == pytest.approx(0.5 + 7 * 2 / 4)
    # the units named as on the lesson's network: x1 x2, a1 … a4, ŷ
    labels = [t for t in texts(root) if not t.startswith(("input", "hidden", "output"))]
    assert labels == ["x1", "x2", "a1", "a2", "a3", "a4", "ŷ"]


def test_all_zero_weights_still_draw_in_neither_sign():
    root = parse(network_svg(weights=[np.zeros((4, 2)), np.zeros((1, 4))]))
    for line in root.iter(SVG + "line"):
        assert float(line.get("stroke-width")) == pytest.approx(0.5)
        assert line.get("stroke") not in CLASS_COLOURS


def test_too_little_height_for_the_nodes_is_refused():
    with pytest.raises(ValueError, match="too few"):
        network_svg((2, 5, 1), height=60)
    parse(network_svg((1, 1), height=60))  # one node a layer needs no room between nodes


def test_text_is_escaped():
    root = parse(network_svg((2, 1), titles=["a < b", "c & d"], caption='say "hi" <b>'))
    assert texts(root) == ["a < b", "c & d"]
    assert root.get("aria-label") == 'say "hi" <b>'


@pytest.mark.parametrize("sizes", [(3,), (3, 0), ()])
def test_a_network_needs_two_layers(sizes):
    with pytest.raises(ValueError, match="at least two layers"):
        network_svg(sizes)


def test_weights_that_do_not_chain_are_refused():
    with pytest.raises(ValueError, match="W2 takes 3 inputs but layer 1 has 4 units"):
        network_svg(weights=[np.zeros((4, 2)), np.zeros((1, 3))])


def test_presentation_mode_is_bigger():
    small, big = parse(network_svg((2, 4, 1))), parse(network_svg((2, 4, 1), presentation=True))
    assert float(big.get("font-size")) > float(small.get("font-size"))
    assert float(next(big.iter(SVG + "circle")).get("r")) > float(next(small.iter(SVG + "circle")).get("r"))


def test_the_backpropagation_pages_figure_draws_each_weight_as_the_front_page_does():
    """The Plotly network figure (Backpropagation page) and this drawing share one encoding of a weight."""
    from nnviz.viz.charts import network_figure

    W1 = np.array([[1.0, -2.0], [0.5, 0.0], [-0.25, 3.0], [4.0, -4.0]])
    W2 = np.array([[2.0, -1.0, 0.0, 1.5]])
    figure = {t.text: (t.line.width, t.line.color) for t in network_figure([W1, W2]).data if t.mode == "lines"}
    drawing = {"".join(line.itertext()): (float(line.get("stroke-width")), line.get("stroke"))
               for line in parse(network_svg(weights=[W1, W2])).iter(SVG + "line")}
    assert figure.keys() == drawing.keys() and len(figure) == 12
    for tip, (width, colour) in figure.items():
        assert drawing[tip] == (pytest.approx(width, abs=0.01), colour), tip
    assert figure["W1[2,2] = +0.000"][1] not in CLASS_COLOURS  # zero: neither sign
    units = network_figure([W1, W2]).data[-1].text
    assert list(units) == ["x1", "x2", "a1", "a2", "a3", "a4", "ŷ"]
    # each layer named over its size, as on the Backpropagation page (the front page passes no titles)
    annotations = [a.text.replace("<b>", "").replace("</b>", "").replace("<br>", "")
                   for a in network_figure([W1, W2]).layout.annotations]
    assert texts(parse(network_svg(weights=[W1, W2]))) == annotations == ["input2 units", "hidden4 units",
                                                                          "output1 unit"]
