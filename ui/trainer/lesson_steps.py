"""The Shallow network page's view "Lesson 1.3.4–1.3.9": the lesson's own steps around its training loop — its
data and what it printed of them (1.3.4), its initial weights with zero biases (1.3.5), the loss it printed for an
untrained guess (1.3.7), its batch loader and where it breaks (1.3.9), and its training log (1.3.9)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from nnviz.core.datasets import lesson_data
from nnviz.core.settings import TrainerSettings
from nnviz.lesson import recipes
from nnviz.viz import charts
from nnviz.viz.charts import PLOTLY_CONFIG

PARTS = ("1.3.4 · Data", "1.3.5 · Initial weights", "1.3.7 · An untrained loss", "1.3.9 · Batches",
         "1.3.9 · Training log")


def lesson_steps_view(snap, settings: TrainerSettings, key: str, present: bool):
    """The view: one of its parts at a time. ``snap`` is the run on screen, ``settings`` its settings."""
    part = st.radio("Part of the lesson", PARTS, horizontal=True, key=key + "lesson_part", label_visibility="collapsed")
    if part == PARTS[0]:
        data_part()
    elif part == PARTS[1]:
        weights_part(settings)
    elif part == PARTS[2]:
        untrained_loss_part(present)
    elif part == PARTS[3]:
        batches_part(key)
    else:
        log_part(snap, settings, key)


def data_part():
    check = recipes.dataset_check()
    st.markdown("The lesson makes its binary task with scikit-learn, 5,000 samples of 20 features, and splits it "
                "at 4,000 — exactly as this page does:")
    st.code(recipes.DATASET_CALL, language="python")
    ok = ":green[:material/check_circle: as the lesson printed]"
    st.markdown(f"Train shape **{check.train_shape}**, test shape **{check.test_shape}**.")
    st.markdown("`X[0]` = " + ", ".join(f"{v:.8f}".rstrip("0") for v in check.x0) + "  \n" +
                (ok if check.x0_matches else ":red[differs from the lesson's printout]"))
    st.markdown("`y[0:20]` = " + " ".join(str(v) for v in check.y20) + "  \n" +
                (ok if check.y20_matches else ":red[differs from the lesson's printout]"))
    st.caption("Our copy of the lesson's text shows 19 of X[0]'s 20 numbers (one line of its printout is lost); each "
               "of the 19 is here, in order.")


def weights_part(settings: TrainerSettings):
    model = settings.new_trainer(lesson_data()).model  # this run's network before its first step
    rows = []
    for name in ("W1", "b1", "W2", "b2"):
        v = model.params[name]
        rows.append({"array": name, "shape": str(v.shape), "mean": f"{v.mean():+.4f}", "sd": f"{v.std():.4f}",
                     "all zero": "yes" if not np.any(v) else "no"})
    st.markdown("The lesson's `init_weights`: weights **0.01 · N(0, 1)** — small, so that tanh starts in its steep "
                "middle — and **biases at zero**. The weights must differ (a random start breaks the symmetry), "
                "the biases need not. This run's network before its first step:")
    st.dataframe(rows, hide_index=True)
    st.caption(f"Init: {'the lesson’s 0.01 · N(0, 1)' if settings.init == 'lesson' else 'Glorot uniform'} "
               f"(More settings), seed {settings.seed}. The lesson printed the same four shapes: (10, 20), (10, 1), "
               "(1, 10), (1, 1).")


def untrained_loss_part(present: bool):
    losses = recipes.untrained_losses()
    printed = recipes.LESSON_UNTRAINED_LOSS
    below = float(np.mean(losses < printed))
    lo, hi = np.quantile(losses, [0.05, 0.95])
    st.markdown(f"To try its loss, the lesson drew 10 random labels and 10 uniform predictions and printed "
                f"**loss {printed}**. It drew them from NumPy's unseeded generator, so no seed gives that draw back — "
                f"but the recipe can be drawn again. {len(losses):,} draws of it: mean **{losses.mean():.3f}** (a "
                f"uniform guess's cross-entropy averages 1), 90 % of them between {lo:.2f} and {hi:.2f}; the lesson's "
                f"{printed:.4f} is above {below:.0%} of them — an ordinary draw.")
    st.plotly_chart(charts.draws_figure(losses, printed, f"the lesson's {printed:.4f}", "loss of one draw",
                                        presentation=present), config=PLOTLY_CONFIG)


def batches_part(key: str):
    size = st.select_slider("Batch size", (100, 128, 300, 500, 1000, 3000), value=300, key=key + "lesson_batch")
    loader = recipes.batch_loader(4000, size)
    st.markdown(f"The lesson cuts its 4,000 training samples into `range(i, i + {size})` for i = 0, {size}, "
                f"{2 * size}, … Its last batch is **{loader.lesson_last}**.")
    if loader.lesson_error:
        st.error(f"The lesson's `fit` on it: **{loader.lesson_error}** — {size} does not divide 4,000, and its last "
                 "batch runs past the data.", icon=":material/error:")
    else:
        st.success(f"{size} divides 4,000: every batch of the lesson is whole.", icon=":material/check_circle:")
    whole = sum(1 for n in loader.sizes if n == size)
    rest = [n for n in loader.sizes if n != size]
    st.markdown(f"This app's `get_batch_indices` stops each batch at the end of the data: **{len(loader.sizes)} "
                f"batches** — {whole} of {size}" + (f" and a last one of {rest[0]}" if rest else "") +
                ". The loss of a short batch is still its mean, and the epoch's loss weighs each batch by its size.")


def log_part(snap, settings: TrainerSettings, key: str):
    which = st.radio("Loss printed", ("last batch", "epoch mean"), horizontal=True, key=key + "log_which",
                     help="The lesson printed the loss of each epoch's last batch only; the chart shows the mean "
                          "over the epoch's batches.")
    lines = recipes.loss_log(snap.epochs, which)
    st.caption("Every 10 epochs, `iteration i: loss …` as the lesson's `fit` printed it (i counts from 0). "
               + ("The lesson printed the loss of the epoch's **last batch** only — one batch of 100 samples, "
                  "so it jumps more than the epoch's mean." if which == "last batch" else
                  "Here: the mean loss over the epoch's batches."))
    if not lines:
        st.info("Train the run to see its log.", icon=":material/receipt_long:")
        return
    st.code("\n".join(lines), language=None, height=300)
    recipe = recipes.recipe_for(settings)
    measured = (f"we measured for this recipe {recipe.measured.describe()}." if recipe is not None else
                f"we measured for its recipe (learning rate 1) {recipes.MEASURED_LESSON_RUN.describe()}.")
    st.caption(f"Accuracy over the test set at the end — the lesson: {recipes.LESSON_ACCURACY * 100:.1f} %; {measured}")
