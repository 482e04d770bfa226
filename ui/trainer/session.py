"""The trainer's session: everything the page keeps between its runs in one typed object (``TrainerState``), the
settings' round trip between widgets and URL (``nnviz.core.settings`` is the schema), and the run's life cycle — which
run is on screen, what becomes of the one before, and what Train, Pause, Step and Reset do.

Widgets keep their values under their own keys (``KEY`` + a setting's name, e.g. ``tr_lr``), as Streamlit needs;
nothing else of the page is a loose key in the session.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import NamedTuple

import numpy as np
import streamlit as st

from nnviz.core.deep_network import MAX_HIDDEN_LAYERS
from nnviz.core.features import DEFAULT_FEATURES
from nnviz.core.settings import CHANGE_DURING_RUN, TrainerSettings, from_query, to_query
from nnviz.lesson import recipes
from nnviz.serving.data_store import DataRef
from nnviz.serving.runner import SERVER_ID, Run, RunState
from nnviz.viz.downsample import Curve, SeriesCache
from ui.common import plain, problem
from ui.identity import owner
from ui.trainer.pause_point import paused_at

KEY = "tr_"  # the prefix of this page's widget keys (and of its elements' CSS classes, st-key-tr_…)
STATE = "trainer"  # where the page's state lives in the session
RUN_MARK = "run"  # URL key: the server that holds the run on screen (see ``restart_notice``)
SCHEDULE_KEY = "sched"  # URL key of the changes made during the run
POINTS_KEY = "pts"  # URL key of the points drawn (Draw your own)
MAX_PREVIOUS = 3  # earlier runs kept on the chart, faded
MID_RUN = (RunState.PLAYING, RunState.QUEUED, RunState.PAUSED)  # a run that can still take a change


class PageView(NamedTuple):
    """What the page outside the trainer panel shows of a run: the run itself, its step (the views inside the
    network, the log, the export) and whether they follow it live (their timers)."""

    run: Run
    steps: int
    live: bool


@dataclass
class TrainerState:
    """The page's state between its runs (widget values aside)."""

    settings: TrainerSettings | None = None  # what the widgets said at the last run of the page
    run: Run | None = None  # the run on screen
    previous: list = field(default_factory=list)  # earlier runs' curves (``downsample.Curve``), newest first
    notice: str | None = None  # "New settings, new run — …"
    lost: bool = False  # the URL named a run of a server that restarted
    restart: bool = False  # a recipe button asked for a fresh run that plays at once
    link_problems: list[str] = field(default_factory=list)  # bad values a link brought, to say once
    upload: DataRef | None = None  # the CSV on the server, once uploaded
    csv_id: str | None = None  # the uploader's file id last read
    csv_error: str | None = None
    gradcheck: tuple | None = None  # (result, batch size, epoch)
    drawn: PageView | None = None  # the run as the page last drew it
    chart: tuple | None = None  # (key, specs): the live charts, built once per slice of the run
    series: SeriesCache = field(default_factory=SeriesCache)  # the run's curves, grown with it
    verdict: tuple | None = None  # (run, epochs, state, verdict): the diagnosis, once per slice
    edit: tuple | None = None  # (run, weight's name, training loss before, after): the last weight set by hand
    hidden_axes: tuple | None = None  # ((run, sizes), axes): the hidden space's axes, once per run
    draw_turn: int = 0  # "Draw your own": raised after each click handled (nnviz.viz.draw_plane.clicks)
    draw_problem: str | None = None  # why the drawing cannot train yet
    url: dict | None = None  # the query the page last wrote: a URL that differs from it is a link followed


def state() -> TrainerState:
    """The session's trainer state (made on first use)."""
    if STATE not in st.session_state:
        st.session_state[STATE] = TrainerState()
    return st.session_state[STATE]


def widget(name: str) -> str:
    """The widget key of a setting or control: ``widget("lr")`` → ``"tr_lr"``."""
    return KEY + name


def layer_key(layer: int, what: str = "hidden") -> str:
    """The widget key of hidden layer ``layer``'s units (``tr_hidden``, ``tr_hidden2`` …) or activation (``tr_act1``
    …): the first layer's units keep the key of the one-layer page."""
    return widget("hidden" if what == "hidden" and layer == 1 else f"{what}{layer}")


#: settings that several widgets make together: the layers' sizes and activations; the input features (a list)
COMPOSED = ("hidden", "activation", "features")


def _to_widgets(settings: TrainerSettings, overwrite: bool):
    """Set the widgets from ``settings`` (``overwrite``: also those that hold a value already)."""
    def put(key, value):
        if overwrite or key not in st.session_state:
            st.session_state[key] = value

    for f in fields(TrainerSettings):
        if f.name not in COMPOSED:
            put(widget(f.name), getattr(settings, f.name))
    put(widget("layers"), len(settings.hidden))
    for layer in range(1, MAX_HIDDEN_LAYERS + 1):
        units = settings.hidden[layer - 1] if layer <= len(settings.hidden) else None
        if units is not None:
            put(layer_key(layer), units)
        elif layer_key(layer) not in st.session_state:
            st.session_state[layer_key(layer)] = settings.hidden[-1] if settings.hidden else 8
    names = settings.activation.split(",")
    put(widget("activation"), names[0])
    put(widget("act_per_layer"), len(names) > 1)
    for layer in range(1, MAX_HIDDEN_LAYERS + 1):
        put(layer_key(layer, "act"), names[layer - 1] if len(names) > 1 and layer <= len(names) else names[0])
    put(widget("features"), list(settings.features))


# ----------------------------------------------------------------------------- settings <-> widgets <-> URL

def load_settings():
    """The URL's settings on the first visit, or when a link brings new ones (e.g. the neuron page's XOR link);
    otherwise the session's last settings, so that leaving the page and coming back keeps them."""
    s = state()
    linked, problems = from_query(st.query_params)
    saved = s.settings
    written = s.url if s.url is not None else to_query(saved) if saved is not None else None
    from_link = written is None or any(
        st.query_params.get(k) is not None and st.query_params.get(k) != v for k, v in written.items()
    ) or (SCHEDULE_KEY in st.query_params and SCHEDULE_KEY not in written)
    if from_link:
        s.settings = saved = linked
        s.link_problems = problems
    restore = not from_link and not s.restart and _reset_by_browser(saved)
    _to_widgets(saved, overwrite=from_link or restore)


#: a click changes one setting per rerun (a layer count with per-layer activations: two); a browser that lost its
#: widgets' state (seen under load on a 2-core server) sends every widget's first option at once
MASS_RESET = 4


def _reset_by_browser(saved: TrainerSettings | None) -> bool:
    """Whether the widgets now hold ``MASS_RESET`` or more settings other than the session's last ones, with no
    link and no recipe to explain it: a reset the user did not make, which the page undoes."""
    if saved is None or any(widget(f.name) not in st.session_state for f in fields(TrainerSettings)
                            if f.name not in COMPOSED):
        return False
    try:
        now = current_settings()
    except (KeyError, TypeError, ValueError):  # widgets half there: the page's first run after another page
        return False
    differ = [f.name for f in fields(TrainerSettings) if getattr(now, f.name) != getattr(saved, f.name)]
    return len(differ) >= MASS_RESET


def current_settings() -> TrainerSettings:
    """The settings as the widgets say them now."""
    values = {f.name: st.session_state[widget(f.name)] for f in fields(TrainerSettings) if f.name not in COMPOSED}
    layers = st.session_state[widget("layers")]
    values["hidden"] = tuple(st.session_state[layer_key(layer)] for layer in range(1, layers + 1))
    if layers > 1 and st.session_state[widget("act_per_layer")]:
        values["activation"] = ",".join(st.session_state[layer_key(layer, "act")] for layer in range(1, layers + 1))
    else:
        values["activation"] = st.session_state[widget("activation")]
    values["features"] = tuple(st.session_state[widget("features")] or DEFAULT_FEATURES)  # none chosen: x1, x2
    return TrainerSettings(**values)


def run_recipe(run: Run) -> TrainerSettings:
    """What reproduces the run on screen: the settings it started with and the changes made while it played
    (a learning rate changed at step 1,200 is in its link as ``sched=1200:lr:0.1``)."""
    return run.settings.with_schedule(run.poll().schedule)


def sync_url(settings: TrainerSettings, run: Run | None):
    """The URL always holds what reproduces the run on screen (before its first step: the settings), and — from
    the moment Train is pressed — which server holds it, so that a reconnect to a restarted server can say that
    the run was lost. (Marked when the run starts, not at its first step: the live fragment draws the steps
    without a full rerun, and only a full rerun writes the URL.)"""
    s = state()
    s.settings = settings
    started = run is not None and (run.history.n_steps or run.active)
    wanted = to_query(run_recipe(run) if started else settings)
    if started:
        wanted[RUN_MARK] = SERVER_ID
    if any(st.query_params.get(k) != v for k, v in wanted.items()):
        st.query_params.update(wanted)
    for key in (RUN_MARK, SCHEDULE_KEY, POINTS_KEY):  # the keys a link holds only when they say something
        if key not in wanted and key in st.query_params:
            del st.query_params[key]
    s.url = {k: v for k, v in wanted.items() if k != RUN_MARK}


def link_behind(run: Run, snap) -> bool:
    """Whether the URL lacks a change the run made since the page last wrote it (the live fragment draws the run
    without a full rerun, so it writes the link itself when a change takes effect)."""
    written = state().url
    if not snap.schedule or written is None:
        return False
    return written.get(SCHEDULE_KEY) != to_query(run.settings.with_schedule(snap.schedule)).get(SCHEDULE_KEY)


def restart_notice():
    """A new session whose URL names another server's run: the server restarted, and the run is gone."""
    s = state()
    if s.settings is not None:
        return  # not a new session
    mark = st.query_params.get(RUN_MARK)
    if mark and mark != SERVER_ID:
        s.lost = True


def link_problems():
    """Say once what a link brought that could not be used (each named, with the value used instead)."""
    s = state()
    for message in s.link_problems:
        st.warning(plain(message))
    s.link_problems = []


# ----------------------------------------------------------------------------- the run's life cycle

def archive(run: Run):
    """Keep a run's curves as a faded trace for comparison."""
    snap = run.poll()
    if not snap.epochs:
        return
    loss = np.array([r.test_loss if r.test_loss is not None else r.train_loss for r in snap.epochs])
    acc = np.array([r.test_score if r.test_score is not None else r.train_score for r in snap.epochs], dtype=float)
    curve = Curve(run.settings.label(), np.array([r.epoch for r in snap.epochs]), loss, acc, run.settings)
    s = state()
    s.previous = ([curve] + s.previous)[:MAX_PREVIOUS]


def current_run(settings: TrainerSettings, ds, ref) -> Run | None:
    """The session's run for ``settings``: the one on screen if it is for these settings, else a fresh one.
    A run with progress that is replaced stays on the chart, faded; if it was playing, the new one plays."""
    s = state()
    run, restart = s.run, s.restart
    s.restart = False
    if run is not None and run.key == (settings.run_key(), ref) and not restart:
        return run
    if not restart and changes_during_run(run, settings, ref):
        return run
    play = restart or (run is not None and run.state == RunState.PLAYING)
    if run is not None:
        run.pause(wait=0.0)
        if run.history.n_steps:
            archive(run)
            if not play:
                s.notice = (f"New settings, new run — the previous one ({run.settings.label()}) stays on the chart, "
                            "faded.")
    s.run = None
    try:
        run = Run(settings.new_trainer(ds), ref, settings=settings, owner=owner())
    except ValueError as err:
        problem(f"These settings cannot train: {plain(err)}", "Change the setting named in this message.")
        return None
    s.run, s.gradcheck = run, None
    if play:
        run.play(settings.epochs_per_s)
    return run


def changes_during_run(run: Run | None, settings: TrainerSettings, ref) -> bool:
    """A new learning rate, penalty or optimizer for a run under way (started, not ended) changes that run from its
    next step, as TensorFlow Playground does, instead of starting another: True when ``run`` is that run (changed if
    need be)."""
    if run is None or run.ref != ref or not run.history.n_steps or run.state not in MID_RUN:
        return False
    if not run.settings.same_network(settings):
        return False
    for name, what in CHANGE_DURING_RUN.items():
        new = settings.trainer_value(name)
        if run.wanted(what, run.settings.trainer_value(name)) != new:
            run.change(what, new)
    return True


def use_recipe(recipe: TrainerSettings, keep_seed: bool = True):
    """Set the widgets to ``recipe`` (keeping the display choices, and the seed unless ``keep_seed`` is False), and
    play it."""
    keep = {name: st.session_state.get(widget(name)) for name in ("seed", "speed", "log_scale")
            if keep_seed or name != "seed"}
    _to_widgets(replace(recipe, **{k: v for k, v in keep.items() if v is not None}), overwrite=True)
    s = state()
    s.restart, s.lost = True, False


def recipe_note(settings: TrainerSettings) -> str:
    """What the lesson's recipe on screen is (empty for any other run), and what to compare it with."""
    recipe = recipes.recipe_for(settings)
    if recipe is None:
        return ""
    other = next(r for r in recipes.RECIPES if r is not recipe)
    shown = any(c.settings is not None and other.matches(c.settings) for c in state().previous)
    compare = (f" {other.title} is on the chart, faded, for comparison." if shown else
               f" Press **{other.title}** to compare the two.")
    return recipe.about + compare


def drawn_live(run: Run) -> bool:
    """Whether the run plays live: the views inside the network then follow it with timers of their own."""
    return run.active and run.state != RunState.QUEUED


def page_view(run: Run) -> PageView:
    return PageView(run, run.history.n_steps, drawn_live(run))


def page_is_stale() -> bool:
    """Whether the page outside the trainer panel no longer shows the run on screen: a new run, a run that
    started or stopped playing live, or (not live) one that took a step."""
    s = state()
    run, drawn = s.run, s.drawn
    if run is None or drawn is None or drawn.run is not run:
        return True
    live = drawn_live(run)
    return live != drawn.live or (not live and run.history.n_steps != drawn.steps)


def rerun_if_page_changed():
    """From a button's callback: a click whose outcome changes more than the trainer panel (a run that starts or
    stops playing live, a step, a new run) reruns the whole page; the others (Train or Pause of a queued run —
    a lecture hall's press wave) rerun the panel alone."""
    if page_is_stale():
        st.rerun()


def on_train():
    s = state()
    s.notice, s.lost = None, False
    if s.run is not None:
        s.run.play(current_settings().epochs_per_s)
    rerun_if_page_changed()


def on_pause():
    run = state().run
    if run is not None:
        # no wait for the slice under way: the run holds where its last merged slice left it (at most one
        # redraw ahead of the screen), and the page answers the click without waiting for a worker
        run.pause(wait=0.0)
    rerun_if_page_changed()


def on_pause_shown():
    """Pause clicked, with the step the browser was showing (``ui.trainer.pause_point``): the run goes back there."""
    run, (step, epoch) = state().run, paused_at(widget("shown"))
    if run is not None and step is not None:
        run.pause(wait=0.0, at_step=step, at_epoch=epoch)


def on_step():
    s = state()
    s.notice = None
    if s.run is not None:
        s.run.step_epoch()
    rerun_if_page_changed()


def on_reset():
    s = state()
    run, s.run, s.notice = s.run, None, None
    if run is not None:
        run.pause(wait=0.0)
        archive(run)
    rerun_if_page_changed()
