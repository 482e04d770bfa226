"""What the class board shows, from the runs of a room: the table, test accuracy against a setting, and
the loss curves overlaid with the best run highlighted.

Figures are returned as Plotly figure specs (plain dicts that ``st.plotly_chart`` and ``go.Figure`` take),
so this module imports no Plotly. Every piece of text a student typed (a nickname) is HTML-escaped
before it reaches a figure: Plotly renders a subset of HTML in labels and hover text.
"""

from __future__ import annotations

import html
import math
import urllib.parse
from collections.abc import Sequence

import numpy as np

from nnviz.board.store import SharedRun
from nnviz.core.optimizers import OPTIMIZERS
from nnviz.core.settings import FULL_BATCH, to_query
from nnviz.viz.downsample import spread
from nnviz.viz.theme import CLASS_COLOURS

#: The settings a chart can put on its x axis: label -> (field, axis kind).
SETTINGS = {
    "learning rate": ("lr", "log"),
    "hidden layers": ("hidden", "category"),
    "batch size": ("batch_size", "category"),
    "optimizer": ("optimizer", "category"),
}
OVERLAY_POINTS = 80  # points per faint loss curve (the best run keeps all its points)
BEST_COLOUR, RUN_COLOUR = CLASS_COLOURS[1], CLASS_COLOURS[0]  # the best run stands out as class 1 does


def best_index(runs: Sequence[SharedRun]) -> int | None:
    """The run with the highest test accuracy (the first one on a tie), or None when none has one."""
    scored = [(r.test_acc, -i) for i, r in enumerate(runs) if r.test_acc is not None and math.isfinite(r.test_acc)]
    return -max(scored)[1] if scored else None


def batch_label(batch_size: int) -> str:
    return "full" if batch_size == FULL_BATCH else str(batch_size)


def layers_label(hidden: tuple[int, ...]) -> str:
    """A run's hidden layers as the board writes them: "10", "8-8", "none"."""
    return "-".join(map(str, hidden)) if hidden else "none"


def penalty_label(settings) -> str:
    return "–" if settings.reg == "none" else f"{settings.reg.upper()} λ {settings.reg_rate:g}"


#: How each category axis writes a setting's value, and the order of its categories (a sort key of the value)
_CATEGORY = {
    "batch_size": (batch_label, lambda b: (b == FULL_BATCH, b)),
    "hidden": (layers_label, lambda h: (sum(h), len(h), h)),
    "optimizer": (lambda o: OPTIMIZERS[o].label, lambda o: list(OPTIMIZERS).index(o)),
}


def run_link(run: SharedRun, base: str = "") -> str:
    """A link to the Shallow network page that reproduces the run from its settings."""
    return f"{base.rstrip('/')}/shallow_network?{urllib.parse.urlencode(to_query(run.settings))}"


def table_rows(runs: Sequence[SharedRun], base: str = "") -> list[dict]:
    """One row per run, best test accuracy first; nicknames as typed (a table cell is plain text)."""
    order = sorted(range(len(runs)), key=lambda i: (-(runs[i].test_acc if runs[i].test_acc is not None else -1), i))
    return [{
        "nickname": runs[i].nickname,
        "hidden layers": layers_label(runs[i].settings.hidden),
        "learning rate": runs[i].settings.lr,
        "optimizer": OPTIMIZERS[runs[i].settings.optimizer].label,
        "penalty": penalty_label(runs[i].settings),
        "batch size": batch_label(runs[i].settings.batch_size),
        "epochs": runs[i].epochs,
        "test accuracy %": None if runs[i].test_acc is None else round(100 * runs[i].test_acc, 1),
        "open": run_link(runs[i], base),
        "id": runs[i].id,
    } for i in order]


def _style(presentation: bool) -> dict:
    return {"font": 20, "marker": 16, "line": 4.5, "height": 420} if presentation else \
        {"font": 13, "marker": 10, "line": 2.5, "height": 380}


def _layout(title: str, s: dict, **extra) -> dict:
    layout = {"title": {"text": title, "font": {"size": s["font"] + 3}}, "height": s["height"],
              "font": {"size": s["font"]}, "template": "plotly_white", "showlegend": False,
              "margin": {"l": 10, "r": 10, "t": 50, "b": 10}, "hoverlabel": {"font": {"size": s["font"]}}}
    layout.update(extra)
    return layout


def significant(values, digits: int = 4) -> np.ndarray:
    """``values`` rounded to ``digits`` significant digits (NaN stays NaN): shorter JSON, same picture."""
    v = np.asarray(values, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        exponent = np.where(np.isfinite(v) & (v != 0), np.floor(np.log10(np.abs(v))), 0)
    scale = 10.0 ** (digits - 1 - exponent)
    return np.round(v * scale) / scale


def _name(run: SharedRun) -> str:
    return html.escape(run.nickname, quote=False)


def accuracy_figure(runs: Sequence[SharedRun], setting: str = "learning rate", *, presentation: bool = False) -> dict:
    """Test accuracy (%) of every run against one setting; the best run in orange, labelled."""
    field, kind = SETTINGS[setting]
    s = _style(presentation)
    best = best_index(runs)
    shown = [(i, r) for i, r in enumerate(runs) if r.test_acc is not None]

    def x_of(r):
        v = getattr(r.settings, field)
        return _CATEGORY[field][0](v) if kind == "category" else v

    xs_used = sorted({x_of(r) for _, r in shown}, key=lambda v: (isinstance(v, str), v))

    def trace(items, colour, size, label_text):
        # the best run's name on the side with room: left of it when it stands at the right end of the axis
        side = "middle left" if items and x_of(items[0][1]) == (xs_used[-1] if xs_used else None) else "middle right"
        return {"type": "scatter", "mode": "markers+text" if label_text else "markers", "cliponaxis": False,
                "x": [x_of(r) for _, r in items], "y": [round(100 * r.test_acc, 2) for _, r in items],
                "text": [_name(r) for _, r in items] if label_text else None, "textposition": side,
                "hovertext": [f"{_name(r)}<br>{html.escape(r.settings.label())}<br>test accuracy "
                              f"{100 * r.test_acc:.1f} %" for _, r in items],
                "hoverinfo": "text", "marker": {"size": size, "color": colour, "opacity": 0.8,
                                                "line": {"width": 1, "color": "white"}}}

    others = [(i, r) for i, r in shown if i != best]
    data = [trace(others, RUN_COLOUR, s["marker"], False)]
    if best is not None:
        data.append(trace([(best, runs[best])], BEST_COLOUR, s["marker"] * 1.6, True))
    xaxis = {"title": {"text": setting}, "type": kind, "automargin": True}
    if kind == "category":
        label, order = _CATEGORY[field]
        values = {getattr(r.settings, field) for _, r in shown}
        xaxis["categoryorder"] = "array"
        xaxis["categoryarray"] = [label(v) for v in sorted(values, key=order)]
    else:  # ticks at the values the runs used, written as the page's sliders write them
        values = sorted({x_of(r) for _, r in shown})
        xaxis["tickvals"] = values
        xaxis["ticktext"] = [f"{v:g}" for v in values]
    accs = [100 * r.test_acc for _, r in shown]
    yaxis = {"title": {"text": "test accuracy (%)"}, "automargin": True}
    if accs:  # room above the best run's marker, under the title
        lo, hi = min(accs), max(accs)
        pad = max(1.0, 0.12 * (hi - lo))
        yaxis["range"] = [max(0.0, lo - pad), min(100.0 + pad, hi + pad)]
    return {"data": data, "layout": _layout(f"Test accuracy against {setting} — every run a point", s, xaxis=xaxis,
                                            yaxis=yaxis)}


def loss_figure(runs: Sequence[SharedRun], *, presentation: bool = False) -> dict:
    """Every run's test loss per epoch (train loss where there is no test loss), faint; the best run bold.

    The other runs are one trace, separated by gaps (NaN): a hundred runs cost one trace to validate, encode
    and draw instead of a hundred (hovering still names the run). NumPy arrays, ``OVERLAY_POINTS`` per faint
    curve and losses to 4 significant digits keep Plotly's validation and the JSON sent to each browser small."""
    s = _style(presentation)
    best = best_index(runs)
    xs, ys, names = [], [], []
    best_trace = None
    for i, r in enumerate(runs):
        loss = np.array([np.nan if v is None else v for v in (
            t if t is not None else tr for t, tr in zip(r.curves["test_loss"], r.curves["train_loss"], strict=True))],
            dtype=float)
        loss = significant(loss)
        epochs = np.asarray(r.curves["epoch"], dtype=float)
        if i != best and loss.size > OVERLAY_POINTS:  # a faint line of a crowd needs fewer points
            keep = spread(loss.size, OVERLAY_POINTS)
            loss, epochs = loss[keep], epochs[keep]
        if i == best:
            best_trace = {"type": "scatter", "mode": "lines", "x": epochs, "y": loss, "name": _name(r),
                          "hovertext": _name(r), "hoverinfo": "text+x+y",
                          "line": {"width": s["line"] * 1.8, "color": BEST_COLOUR}}
            continue
        xs += [epochs, [np.nan]]
        ys += [loss, [np.nan]]
        names.append(np.full(loss.size + 1, _name(r), dtype=object))
    data = [{"type": "scatter", "mode": "lines", "x": np.concatenate(xs) if xs else np.empty(0),
             "y": np.concatenate(ys) if ys else np.empty(0),
             "hovertext": np.concatenate(names) if names else np.empty(0, dtype=object), "hoverinfo": "text+x+y",
             "name": "other runs", "line": {"width": s["line"] * 0.6, "color": RUN_COLOUR}, "opacity": 0.35}]
    if best_trace is not None:
        data.append(best_trace)  # drawn last, on top
    title = "Loss curves"
    if best is not None:
        title += f" — best: {_name(runs[best])} ({100 * runs[best].test_acc:.1f} %)"
    return {"data": data, "layout": _layout(title, s, xaxis={"title": {"text": "epoch"}, "automargin": True},
                                            yaxis={"title": {"text": "test loss"}, "automargin": True,
                                                   "type": "log"})}
