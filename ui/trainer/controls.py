"""The trainer's controls: the lesson's two recipes, the main settings, the folded-away ones, and the CSV upload —
each widget keyed by its setting (``session.widget``), so that the settings round-trip through the URL."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from nnviz.core.activations import ACTIVATIONS, HIDDEN_ACTIVATIONS
from nnviz.core.datasets import LESSON, MAX_CSV_CLASSES, MULTICLASS_2D, TITLES
from nnviz.core.deep_network import MAX_HIDDEN_LAYERS
from nnviz.core.drawn_data import DRAWN
from nnviz.core.features import FEATURES
from nnviz.core.optimizers import OPTIMIZERS
from nnviz.core.regularization import REGULARIZATIONS
from nnviz.core.settings import (
    BATCH_SIZES,
    CLASSES,
    DATASETS,
    EPOCHS,
    FULL_BATCH,
    HIDDEN_UNITS,
    INITS,
    LEARNING_RATES,
    MAX_SEED,
    OPTIMIZER_NAMES,
    PLANE_SETS,
    REG_RATES,
    REGS,
    SAMPLES,
    SPEEDS,
    TrainerSettings,
)
from nnviz.lesson import recipes
from nnviz.lesson.examples import EXAMPLES
from nnviz.serving.data_store import DataRef, UploadMissing, load_data, register_upload
from nnviz.serving.runner import read_csv_upload
from ui.common import outside_gate, plain, problem
from ui.trainer.session import current_settings, layer_key, state, use_recipe, widget

EXAMPLE_BY_KEY = {e.key: e for e in EXAMPLES}
SPEED_LABELS = {"max": "as fast as possible", "50": "50 epochs/s", "10": "10 epochs/s", "2": "2 epochs/s"}
INIT_LABELS = {"lesson": "0.01 × N(0, 1) (lesson)", "glorot": "Glorot uniform"}
DATASET_LABELS = {**TITLES, LESSON: "Lesson's data (20-D)"}
RECIPE_HELP = {
    "lesson": "Lesson data, 10 hidden units, batch 100, 500 epochs, learning rate 1, the lesson's init, no shuffling "
              "— and Train.",
    "text": "The same run with the learning rate 0.01 that the lesson's text passes to fit — and Train.",
}
RECIPE_ICONS = {"lesson": ":material/school:", "text": ":material/menu_book:"}
RECIPE_KEYS = {"lesson": "lesson_run", "text": "text_run"}


def lesson_controls():
    """One click to the lesson's own run, and one to what its text meant: at the top of the settings, one under
    the other, so that each label is whole and both are on a projector's screen."""
    for recipe in recipes.RECIPES:
        st.button(recipe.title, key=widget(RECIPE_KEYS[recipe.key]), on_click=use_recipe, args=(recipe.settings,),
                  icon=RECIPE_ICONS[recipe.key], width="stretch", help=RECIPE_HELP[recipe.key])


def _example_chosen():
    key = st.session_state.get(widget("example"))
    if key is not None:
        use_recipe(EXAMPLE_BY_KEY[key].settings, keep_seed=False)
        st.session_state[widget("example")] = None


def _two_per_row(n: int) -> list:
    return [cell for _ in range((n + 1) // 2) for cell in st.columns(2, gap="small")][:n]


def main_controls(n_train: int | None, present: bool):
    dataset = st.selectbox("Dataset", DATASETS, key=widget("dataset"), format_func=DATASET_LABELS.get)
    if dataset in MULTICLASS_2D:
        st.select_slider("Classes", CLASSES, key=widget("classes"),
                         help="Blobs: one centre per class; spiral: one arm per class.")
    # on a projector the layer count and each layer's units sit two to a row, so that Epochs stays on screen
    cells = iter(_two_per_row(1 + st.session_state.get(widget("layers"), 1)) if present else ())
    layers = next(cells, st).select_slider(
        "Layers" if present else "Hidden layers", tuple(range(MAX_HIDDEN_LAYERS + 1)), key=widget("layers"),
        help="Hidden layers. 0: the inputs feed the output directly (a linear model, or logistic regression).")
    for layer in range(1, layers + 1):
        label = f"Layer {layer} units" if present else f"Units in hidden layer {layer}"
        next(cells, st).select_slider("Hidden units" if layers == 1 else label, HIDDEN_UNITS, key=layer_key(layer))
    st.select_slider("Learning rate", LEARNING_RATES, key=widget("lr"), format_func=lambda v: f"{v:g}",
                     help="The step size α of W ← W − α·dW. Log-spaced, 0.0001 … 10. Changed while a run is under way, "
                          "it changes that run from its next step (the chart marks where); the link keeps the change.")
    schedule = st.session_state.get(widget("schedule")) or ()
    if schedule:
        st.caption("This link's run also changes: " + ", ".join(
            f"{what.replace('_', ' ')} → {new:g} at step {step:,}" if isinstance(new, float)
            else f"{what.replace('_', ' ')} → {new} at step {step:,}" for step, what, new in schedule) + ".")
    st.select_slider("Batch size", BATCH_SIZES, key=widget("batch_size"),
                     format_func=lambda v: "full" if v == FULL_BATCH else str(v),
                     help="Samples per gradient step: 1 is stochastic gradient descent, full is batch gradient descent.")
    if n_train is not None and not present:
        settings = current_settings()
        if settings.batch_for(n_train) == n_train:
            st.caption(f"= the full training set: {n_train} samples, one step per epoch")
        else:
            st.caption(f"{settings.steps_per_epoch(n_train)} steps per epoch over {n_train} training samples")
    st.select_slider("Epochs", EPOCHS, key=widget("epochs"), help="The run's budget: passes over the training data.")
    # below the settings a projector must show: the experiments beyond the lesson (nnviz.lesson.examples)
    st.selectbox("Examples", [e.key for e in EXAMPLES], index=None, key=widget("example"),
                 format_func=lambda key: EXAMPLE_BY_KEY[key].title, placeholder="Try an example…",
                 on_change=_example_chosen,
                 help="Experiments beyond the lesson's network, each with its settings and seed: a spiral, a "
                      "circle from features, four classes, a regression, overfitting with and without L2.")


def more_controls(dataset: str):
    if dataset in PLANE_SETS or dataset == DRAWN:
        st.multiselect("Input features", tuple(FEATURES), key=widget("features"),
                       format_func=lambda name: FEATURES[name].label, placeholder="x1, x2",
                       help="What the network sees of each point; x1² and x2² let a network without a hidden layer "
                            "draw a circle.")
    opt, reg = st.columns(2, gap="small")
    opt.selectbox("Optimizer", OPTIMIZER_NAMES, key=widget("optimizer"), format_func=lambda o: OPTIMIZERS[o].label,
                  help="How a step uses the gradient: the lesson's plain step, with momentum, or Adam. Changed "
                       "while a run is under way, it changes that run (a new optimizer starts from a fresh state).")
    reg.selectbox("Regularization", REGS, key=widget("reg"), format_func=lambda r: REGULARIZATIONS[r].label,
                  help="A penalty on the weights added to the loss: L1 (λ·Σ|w|) or L2 (λ·Σ½w²). The loss "
                       "shown then includes it.")
    if st.session_state.get(widget("reg"), "none") != "none":
        st.select_slider("Regularization rate λ", REG_RATES, key=widget("reg_rate"), format_func=lambda v: f"{v:g}")
    if dataset in PLANE_SETS:
        st.slider("Noise", 0.0, 0.5, step=0.05, key=widget("noise"), help="Standard deviation of the jitter on each point.")
    if dataset in PLANE_SETS or dataset == DRAWN:
        st.slider("Train split", 10, 90, step=5, key=widget("train_split"), format="%d%%",
                  help="Share of the points used for training; the rest tests.")
    if dataset in PLANE_SETS:
        st.select_slider("Samples", SAMPLES, key=widget("samples"))
    layers = st.session_state.get(widget("layers"), 1)
    if layers:
        st.selectbox("Activation", HIDDEN_ACTIVATIONS, key=widget("activation"),
                     format_func=lambda a: ACTIVATIONS[a].label, help="The hidden layers' activation g.",
                     disabled=layers > 1 and st.session_state.get(widget("act_per_layer"), False))
    if layers > 1:
        if st.toggle("One activation per layer", key=widget("act_per_layer")):
            for layer in range(1, layers + 1):
                st.selectbox(f"Activation of hidden layer {layer}", HIDDEN_ACTIVATIONS, key=layer_key(layer, "act"),
                             format_func=lambda a: ACTIVATIONS[a].label)
    st.selectbox("Init scale", INITS, key=widget("init"), format_func=INIT_LABELS.get,
                 help="Initial weights: the lesson's small Gaussian, or Glorot's uniform range ±√(6/(fan_in+fan_out)).")
    st.number_input("Seed", 0, MAX_SEED, step=1, key=widget("seed"),
                    help="Seeds the data (2-D sets), the initial weights and the shuffling: same seed, same curve.")
    st.toggle("Shuffle each epoch", key=widget("shuffle"), help="The lesson visits the samples in the same order every epoch.")
    st.toggle("Standardize inputs", key=widget("standardize"),
              help="Shift and scale each feature to mean 0, standard deviation 1 (training statistics).")
    st.radio("Speed", SPEEDS, key=widget("speed"), format_func=SPEED_LABELS.get, horizontal=True,
             help="How fast a run plays, in epochs per second, so that a class can watch the boundary move.")
    st.toggle("Log scale", key=widget("log_scale"), help="Show the loss on a logarithmic axis.")


def upload_control():
    s = state()
    file = st.file_uploader("CSV file: numeric feature columns and a label column", type=["csv", "txt"],
                            key=widget("csv"), max_upload_size=5,
                            help="The label is the column named label, y, target or class, else the last one: 0/1 "
                                 f"for two classes, whole numbers for up to {MAX_CSV_CLASSES} classes, any other "
                                 "numbers for a regression. At most 10,000 rows.")
    if file is not None and file.file_id != s.csv_id:
        s.csv_id = file.file_id
        try:  # a bad file or a full disk: ValueError, with a message for the user
            ds = read_csv_upload(file.getvalue(), file.name, int(st.session_state[widget("seed")]),
                                 waiting=outside_gate)
            s.upload = register_upload(ds)
        except ValueError as err:
            s.csv_error = f"{file.name}: {err}"
        else:
            s.csv_error = None
    if s.csv_error:
        kept = s.upload
        problem(f"Could not use the file — {plain(s.csv_error)}",
                f"The previous file ({plain(kept.title)}) is still loaded." if kept else "Fix the file and upload it again.")


def data_for(settings: TrainerSettings):
    """(Dataset, DataRef) for the settings, or None when there is nothing to train on yet."""
    s = state()
    if settings.dataset == "csv":
        if s.upload is None:
            return None
        ref = replace(s.upload, standardize=settings.standardize)
    else:
        ref = DataRef.for_settings(settings)
        if settings.dataset == DRAWN:
            s.draw_problem = None
            try:
                return load_data(ref), ref
            except ValueError as err:  # too few points, one class, one value
                s.draw_problem = str(err)[:1].upper() + str(err)[1:] + "."
                return None
    try:
        return load_data(ref), ref
    except UploadMissing as err:  # the stored copy is gone: say so, and take the file again if still chosen
        s.upload = s.csv_id = None
        s.csv_error = f"{ref.title}: {err}"
        return None
