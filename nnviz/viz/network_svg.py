"""A layered network drawn as SVG: its nodes, its connections and, when given, its weights.

The front page's two diagrams (the lesson's layers, and the 2-4-1 network learning XOR) are drawn here rather
than with Plotly, whose bundle would be most of every visitor's first download (docs/decisions/first-visit-bytes.md).
SVG is drawn by the browser itself; a weight's value is its connection's tooltip, as Plotly's hover showed it.

No Streamlit here: a string out, which a page draws with ``st.markdown(svg, unsafe_allow_html=True)`` (``st.html``
keeps to HTML and removes SVG).
"""

from __future__ import annotations

import html

import numpy as np

from nnviz.viz.network_layout import node_labels, unit_count, weighted_connections
from nnviz.viz.theme import EDGE as OUTLINE
from nnviz.viz.theme import FADED, style

EDGE = FADED  # the lesson's layers, before any weight: every connection the same grey
NODE_EDGE = OUTLINE  # the units' outline
INPUT_FILL, HIDDEN_FILL, OUTPUT_FILL = "#e7f5ff", "#f8f9fa", "#fff4e6"
#: The drawing's width in its own units, about its column's width in pixels at 1280×720 (normal and
#: presentation mode), so that its type has the size of the page's; it is scaled to the column's width.
WIDTH, PRESENT_WIDTH = 300, 520


def layer_names(sizes) -> list[str]:
    """The lesson's names for a feed-forward network's layers."""
    n_hidden = len(sizes) - 2
    return (["input layer"] + [f"hidden layer {k}" if n_hidden > 1 else "hidden layer" for k in range(1, n_hidden + 1)]
            + ["output layer"])


def network_svg(sizes=None, weights=None, *, titles=None, labels: bool = False, presentation: bool = False,
                height: int = 300, caption: str = "") -> str:
    """An SVG drawing of a layered network.

    ``sizes`` are the layers' numbers of nodes; or ``weights``, the lesson's weight matrices ``W`` of shape
    (units out, units in) per layer, from which the sizes follow and which draw each connection with a width
    for its size and a colour for its sign (orange positive, blue negative, grey zero) and its value as a tooltip.
    ``titles`` name the layers above them (a line break as "\\n"; by default the lesson's names, and under a weighted
    network's short names their sizes, "hidden\\n4 units"); ``labels`` writes x1, a1, ŷ in the nodes.
    ``caption`` is the drawing's accessible name."""
    if weights is not None:
        weights = [np.asarray(W, dtype=float) for W in weights]
        sizes = [weights[0].shape[1]] + [W.shape[0] for W in weights]
        for k, W in enumerate(weights[1:], start=1):
            if W.shape[1] != weights[k - 1].shape[0]:
                raise ValueError(f"W{k + 1} takes {W.shape[1]} inputs but layer {k} has {weights[k - 1].shape[0]} units")
    sizes = [int(n) for n in sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"a network needs at least two layers of at least one node, got {sizes!r}")
    if titles is None:
        names = layer_names(sizes)
        titles = ([f"{name.replace(' layer', '')}\n{unit_count(n)}" for name, n in zip(names, sizes, strict=True)]
                  if weights is not None else [name.replace(" ", "\n", 1) for name in names])
    titles = list(titles)
    s = style(presentation)
    font = s.font
    width = PRESENT_WIDTH if presentation else WIDTH
    radius = 15 if presentation else 12
    title_lines = max(t.count("\n") + 1 for t in titles)
    top = 8 + title_lines * font * 1.25 + radius + 4  # below the layers' titles
    bottom = height - radius - 6
    margin = max(radius + 6, width * 0.1)
    xs = np.linspace(margin, width - margin, len(sizes))
    step = (bottom - top) / max(max(sizes) - 1, 1)
    if max(sizes) > 1 and step < radius:
        raise ValueError(f"{height} units are too few for a layer of {max(sizes)} nodes under its title")
    mid = (top + bottom) / 2
    pos = [[(float(xs[k]), mid + (i - (n - 1) / 2) * step) for i in range(n)] for k, n in enumerate(sizes)]

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
           f'style="max-width:{width * 1.6:.0f}px;display:block;margin:auto" role="img" '
           f'aria-label="{html.escape(caption or " · ".join(t.replace(chr(10), " ") for t in titles))}" '
           f'font-size="{font}">']  # the page's own typeface
    if weights is None:
        out.append(f'<g stroke="{EDGE}" stroke-width="1.2">')
        for k in range(len(sizes) - 1):
            for (x0, y0) in pos[k]:
                for (x1, y1) in pos[k + 1]:
                    out.append(f'<line x1="{x0:.1f}" y1="{y0:.1f}" x2="{x1:.1f}" y2="{y1:.1f}"/>')
        out.append("</g>")
    else:
        out.append('<g stroke-linecap="round" stroke-opacity="0.85">')
        for (x0, y0), (x1, y1), stroke_width, colour, label in weighted_connections(weights, pos):
            out.append(f'<line x1="{x0:.1f}" y1="{y0:.1f}" x2="{x1:.1f}" y2="{y1:.1f}" stroke="{colour}" '
                       f'stroke-width="{stroke_width:.2f}"><title>{label}</title></line>')
        out.append("</g>")
    names = node_labels(sizes)
    # the lesson's layers tinted by role; a weighted network's units plain, as on the lesson's other drawings
    fills = [HIDDEN_FILL] * len(sizes) if weights is not None else \
        [INPUT_FILL] + [HIDDEN_FILL] * (len(sizes) - 2) + [OUTPUT_FILL]
    for k, column in enumerate(pos):
        fill = fills[k]
        for i, (x, y) in enumerate(column):
            out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius}" fill="{fill}" stroke="{NODE_EDGE}" '
                       f'stroke-width="2"><title>{names[k][i]}</title></circle>')
            if labels:
                out.append(f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="middle" dominant-baseline="central" '
                           f'font-size="{font * 0.85:.0f}">{html.escape(names[k][i])}</text>')
    for title, x in zip(titles, xs, strict=True):
        spans = []
        for n, line in enumerate(title.split("\n")):
            # a layer's name in bold; under a weighted network's names, their sizes ("2 units") in plain type
            weight = ' font-weight="bold"' if n == 0 or weights is None else ""
            spans.append(f'<tspan x="{x:.1f}" dy="{0 if n == 0 else 1.2}em"{weight}>{html.escape(line)}</tspan>')
        out.append(f'<text x="{x:.1f}" y="{8 + font:.0f}" text-anchor="middle">{"".join(spans)}</text>')
    out.append("</svg>")
    return "".join(out)
