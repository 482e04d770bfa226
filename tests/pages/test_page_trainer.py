"""The Shallow network page under AppTest: every control, every button, the link, bad input."""

import copy
import json
import re
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pytest
from latex_eval import check
from page_helpers import ROOT, epoch, errors, press

from nnviz.core.activations import HIDDEN_ACTIVATIONS
from nnviz.core.settings import (
    BATCH_SIZES,
    DATASETS,
    EPOCHS,
    HIDDEN_UNITS,
    INITS,
    LEARNING_RATES,
    SAMPLES,
    TrainerSettings,
    from_query,
    to_query,
)
from nnviz.serving.data_store import load_data


def texts(at):
    return " ".join(m.value for m in at.markdown) + " " + " ".join(c.value for c in at.caption)


def test_opens_with_the_lessons_defaults(open_page):
    at = open_page("shallow_network")
    assert at.selectbox(key="tr_dataset").value == "lesson"
    assert at.select_slider(key="tr_hidden").value == 10
    assert at.select_slider(key="tr_lr").value == 1.0
    assert at.select_slider(key="tr_batch_size").value == 100
    assert at.select_slider(key="tr_epochs").value == 500
    assert epoch(at) == 0
    assert "40 steps per epoch over 4000 training samples" in texts(at)
    labels = {w.label for w in at.select_slider} | {w.label for w in at.selectbox}
    assert {"Dataset", "Hidden units", "Learning rate", "Batch size", "Epochs", "Activation", "Init scale"} <= labels
    trainer_buttons = [b.label for b in at.button if b.key in ("tr_train", "tr_pause", "tr_step", "tr_reset")]
    assert trainer_buttons == ["Train", "Pause", "Step", "Reset"]


def test_train_step_pause_reset(open_page):
    # a run that cannot end within the three page runs below on any machine: 5,000 epochs of 500 steps (batch 8)
    # are ~60 s at 40,000 steps/s, the fastest seen here (2,000 epochs of 40 steps once ended in them, on CI)
    at = open_page("shallow_network", speed="max", epochs=5000, batch=8)
    press(at, "step")
    assert epoch(at) == 1
    press(at, "train", runs=3)
    grown = epoch(at)
    assert grown > 1 and "training…" in texts(at)
    press(at, "pause")
    held = epoch(at)
    at.run()
    at.run()
    assert epoch(at) == held and "paused" in texts(at)
    press(at, "reset")
    assert epoch(at) == 0
    assert "lr 1 · batch 8 · 10 hidden · tanh · seed 0" in str(at.session_state["trainer"].previous[0].label)


def chart_title(chart) -> str | None:
    """A Vega-Lite chart's title text (a title with a subtitle is a dict)."""
    title = json.loads(chart.proto.spec).get("title")
    return title.get("text") if isinstance(title, dict) else title


def live_charts(at):
    """The loss and accuracy charts (the views inside the network are Vega-Lite charts too)."""
    return [c for c in at.get("vega_lite_chart") if chart_title(c) in ("Loss", "Accuracy")]


def test_a_run_plays_to_the_end(open_page):
    at = open_page("shallow_network", ds="moons", epochs=20, speed="max", batch=8, init="glorot")
    press(at, "train", runs=6)
    assert epoch(at) == 20
    assert any("Finished 20 epochs" in s.value for s in at.success)
    assert at.button(key="tr_train").disabled
    # the live charts (Vega-Lite) show the whole run: loss and accuracy, train and test, to epoch 20
    charts = {json.loads(c.proto.spec).get("title"): c.proto for c in at.get("vega_lite_chart")}
    assert set(charts) == {"Loss", "Accuracy", None}  # and the decision boundary (no title), below
    boundary = charts.pop(None)
    cells = next(d for d in boundary.datasets if d.name == "map")
    p = pa.ipc.open_stream(cells.data.data).read_all().to_pandas()["p"]
    assert len(p) == 60 * 60 and p.between(0, 1).all() and p.std() > 0.1  # the trained network's map
    for title, proto in charts.items():
        curves = next(d for d in proto.datasets if d.name == "curves")
        table = pa.ipc.open_stream(curves.data.data).read_all().to_pandas()
        words = title.lower()
        assert set(table["series"]) == {f"train {words}", f"test {words}"}
        assert table.groupby("series")["epoch"].max().tolist() == [20, 20]


def test_a_diverging_run_never_ends_looking_like_a_success(open_page):
    # XOR, batch 1, learning rate 10: the loss stays far above a 50/50 guess's while accuracy looks fair.
    at = open_page("shallow_network", ds="xor", lr=10, batch=1, epochs=20, speed="max")
    press(at, "train", runs=8)
    assert epoch(at) == 20
    assert not at.success
    shown = " ".join(w.value for w in at.warning)
    assert re.search(r"^Finished 20 epochs \([\d,]+ steps\) in [\d.]+ s of training — [\d,]+ steps/s overall, but — "
                     r"Overshooting", shown) and "Overshooting" in shown and "Try a learning rate of 1" in shown


@pytest.mark.parametrize("name, options", [
    ("hidden", HIDDEN_UNITS), ("lr", LEARNING_RATES), ("batch_size", BATCH_SIZES), ("epochs", EPOCHS),
])
def test_every_slider_at_its_extremes_trains_without_error(open_page, name, options):
    for value in (options[0], options[-1]):
        at = open_page("shallow_network", ds="moons")
        at.select_slider(key=f"tr_{name}").set_value(value)
        at.run()
        press(at, "step")
        assert epoch(at) >= 1 or at.error  # a wild learning rate may diverge in the first epoch
        for e in at.error:
            assert "learning rate" in e.value


@pytest.mark.parametrize("dataset", [d for d in DATASETS if d not in ("csv", "draw")])  # these two need a file, points
@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
def test_every_dataset_and_activation(open_page, dataset, activation):
    at = open_page("shallow_network", ds=dataset, act=activation, speed="max", epochs=5)
    press(at, "step")
    assert epoch(at) == 1 or any("too high" in e.value for e in at.error)


def test_two_d_controls_and_secondary_controls_at_their_extremes(open_page):
    at = open_page("shallow_network", ds="spiral")
    at.slider(key="tr_noise").set_value(0.5)
    at.slider(key="tr_train_split").set_value(10)
    at.select_slider(key="tr_samples").set_value(SAMPLES[-1])
    at.selectbox(key="tr_init").set_value(INITS[-1])
    at.number_input(key="tr_seed").set_value(2**31 - 1)
    at.toggle(key="tr_shuffle").set_value(True)
    at.toggle(key="tr_standardize").set_value(True)
    at.toggle(key="tr_log_scale").set_value(True)
    at.run()
    press(at, "step")
    assert epoch(at) == 1
    at.slider(key="tr_noise").set_value(0.0)
    at.slider(key="tr_train_split").set_value(90)
    at.select_slider(key="tr_samples").set_value(SAMPLES[0])
    at.run()
    assert not at.exception


def test_learning_rate_ten_diverges_with_a_clear_message(open_page):
    at = open_page("shallow_network", lr=10, act="relu", speed="max")
    press(at, "train", runs=3)
    shown = errors(at)
    assert "learning rate 10 is too high" in shown and "Try a learning rate of 1 or lower" in shown
    assert at.button(key="tr_train").disabled
    press(at, "reset")
    assert epoch(at) == 0 and not at.error


def test_changing_a_setting_starts_a_fresh_run_and_keeps_the_old_one_faded(open_page):
    at = open_page("shallow_network", ds="moons")
    press(at, "step")
    at.select_slider(key="tr_hidden").set_value(32)
    at.run()
    assert epoch(at) == 0  # a new run, ready to train: never the old curve mixed with new settings
    assert any("New settings, new run" in i.value for i in at.info)
    assert not at.button(key="tr_train").disabled and not at.button(key="tr_step").disabled
    assert at.session_state["trainer"].run.settings.hidden == (32,)
    assert "10 hidden" in at.session_state["trainer"].previous[0].label
    press(at, "step")
    assert epoch(at) == 1 and not any("New settings" in i.value for i in at.info)
    # on the charts, the faded run is named by what differs from the run on screen (it fits the legend)
    for proto in live_charts(at):
        earlier = next(d for d in proto.proto.datasets if d.name == "previous")
        table = pa.ipc.open_stream(earlier.data.data).read_all().to_pandas()
        assert set(table["series"]) == {"earlier: 10 hidden"}
    press(at, "reset")  # the same settings again: two earlier runs, each its own line
    press(at, "step")
    for proto in live_charts(at):
        assert '"earlier: same settings"' in proto.proto.spec and '"earlier: 10 hidden"' in proto.proto.spec


def test_changing_a_setting_while_playing_plays_the_new_run(open_page):
    # 50 epochs/s: still playing when the setting changes (at full speed a fast machine finished the 5,000 first)
    at = open_page("shallow_network", ds="moons", speed="50", epochs=5000)
    press(at, "train", runs=2)
    at.select_slider(key="tr_hidden").set_value(4)
    at.run()
    run = at.session_state["trainer"].run
    assert run.settings.hidden == (4,) and run.state == "playing"
    assert "10 hidden" in at.session_state["trainer"].previous[0].label


def test_a_learning_rate_changed_while_playing_changes_that_run_and_its_link(open_page):
    """Playground's behaviour: the run goes on with the new rate, the chart marks the change, the link replays it."""
    at = open_page("shallow_network", ds="moons", speed="50", epochs=5000)
    press(at, "train", runs=2)
    run = at.session_state["trainer"].run
    at.select_slider(key="tr_lr").set_value(0.1)
    at.run()
    s = at.session_state["trainer"]
    assert s.run is run and run.state == "playing" and not s.previous  # the same run, nothing faded
    run.pause()
    at.run()
    (change,) = run.poll().schedule
    assert (change.what, change.old, change.new) == ("lr", 1.0, 0.1) and change.step > 0
    assert at.query_params["sched"] == f"{change.step}:lr:0.1" and at.query_params["lr"] == "1"
    for proto in live_charts(at):  # both charts: a rule and its label at the change
        marks = next(d for d in proto.proto.datasets if d.name == "changes")
        table = pa.ipc.open_stream(marks.data.data).read_all().to_pandas()
        assert list(table["label"]) == ["lr 1 → 0.1"]
        assert table["epoch"][0] == pytest.approx(change.step / run.poll().steps_per_epoch)
    linked, problems = from_query(dict(at.query_params))
    assert linked.schedule == ((change.step, "lr", 0.1),) and not problems
    at.select_slider(key="tr_hidden").set_value(4)  # a different network: a new run, as before
    at.run()
    assert at.session_state["trainer"].run is not run


def test_display_settings_keep_the_run(open_page):
    at = open_page("shallow_network", ds="moons")
    press(at, "step")
    at.toggle(key="tr_log_scale").set_value(True)
    at.radio(key="tr_speed").set_value("2")
    at.run()
    assert epoch(at) == 1


def test_settings_before_the_first_step_apply_at_once(open_page):
    at = open_page("shallow_network")
    at.select_slider(key="tr_hidden").set_value(4)
    at.run()
    assert not at.warning
    assert at.session_state["trainer"].run._trainer.model.n_hidden == 4


def test_the_link_round_trips_every_setting(open_page):
    wanted = TrainerSettings(dataset="circles", noise=0.35, train_split=60, samples=800, hidden=24,
                             activation="relu", lr=0.03, batch_size=0, epochs=50, init="glorot", seed=1234,
                             shuffle=True, standardize=True, speed="10", log_scale=True)
    at = open_page("shallow_network", **to_query(wanted))
    assert at.select_slider(key="tr_hidden").value == 24
    assert at.selectbox(key="tr_activation").value == "relu"
    settings, problems = from_query(dict(at.query_params))
    assert settings == wanted and not problems
    at.select_slider(key="tr_lr").set_value(0.3)
    at.run()
    assert at.query_params["lr"] == "0.3"


def test_a_bad_link_falls_back_and_says_so(open_page):
    at = open_page("shallow_network", lr="banana", hidden="7", ds="moons")
    warnings = " ".join(w.value for w in at.warning).replace("\\", "")  # the link's text is shown escaped
    assert "lr='banana'" in warnings and "hidden='7'" in warnings
    assert at.select_slider(key="tr_lr").value == 1.0 and at.selectbox(key="tr_dataset").value == "moons"


def test_same_seed_same_curve(open_page):
    curves = []
    for _ in range(2):
        at = open_page("shallow_network", ds="moons", seed=7, speed="max", epochs=20)
        press(at, "train", runs=5)
        curves.append(at.session_state["trainer"].run.poll().batch_losses)
    assert curves[0].size > 0 and (curves[0] == curves[1]).all()


GOOD_CSV = "a,b,label\n" + "\n".join(f"{(i * 7) % 11 - 5},{(i * 3) % 13 - 6},{int(i % 11 > 5)}" for i in range(200))


def test_csv_upload_trains_and_a_bad_file_keeps_the_previous_one(open_page):
    at = open_page("shallow_network", ds="csv", speed="max")
    assert any("Upload a CSV" in i.value for i in at.info)
    at.file_uploader(key="tr_csv").upload("points.csv", GOOD_CSV.encode(), "text/csv")
    at.run()
    assert not at.exception and not at.error
    press(at, "step")
    assert epoch(at) == 1
    at.file_uploader(key="tr_csv").upload("broken.csv", b"a,b,label\n1,2,0\n3,x,1\n" * 5, "text/csv")
    at.run()
    shown = errors(at)
    assert "broken.csv" in shown and "'x' is not a number" in shown and "points.csv" in shown
    assert epoch(at) == 1  # the run on the previous file is still there


THREE_CLASS_CSV = "a,b,c,label\n" + "\n".join(
    f"{i % 3 * 2 + (i * 7) % 5 / 10},{(i * 3) % 7 / 10},{(i % 3) - 1},{i % 3 + 1}" for i in range(150))
TARGET_CSV = "u,v,target\n" + "\n".join(f"{(i % 20) / 10},{(i // 20) / 10},{(i % 20) / 10 - 0.5 * (i // 20) / 10:.3f}"
                                           for i in range(200))


def test_a_csv_with_three_labels_is_three_classes(open_page):
    at = open_page("shallow_network", ds="csv", speed="max", hidden="8", lr="0.3", batch="16")
    at.file_uploader(key="tr_csv").upload("three.csv", THREE_CLASS_CSV.encode(), "text/csv")
    at.run()
    press(at, "train", runs=3)
    snap = at.session_state["trainer"].run.poll()
    assert snap.model.n_output == 3 and snap.model.problem == "multiclass" and not at.error
    assert "Confusion matrix" in at.segmented_control(key="tr_view").options
    at.segmented_control(key="tr_view").set_value("Confusion matrix")
    at.run()
    assert list(at.dataframe[0].value["class"]) == ["1", "2", "3"]  # the file's own labels


def test_a_csv_with_a_continuous_target_is_a_regression(open_page):
    at = open_page("shallow_network", ds="csv", speed="max", hidden="4", lr="0.1", batch="16", epochs="50")
    at.file_uploader(key="tr_csv").upload("target.csv", TARGET_CSV.encode(), "text/csv")
    at.run()
    press(at, "train", runs=3)
    snap = at.session_state["trainer"].run.poll()
    assert snap.model.problem == "regression" and snap.epochs[-1].test_r2 > 0.9
    assert [m.label for m in at.metric][0] == "Test R²"
    assert at.segmented_control(key="tr_view").options[0] == "Predicted surface"  # two columns: a plane


@pytest.mark.parametrize("content", [b"", b"\x89PNG\r\n\x1a\n\x00\x00", b"a,b,label\n" + b"1,2,0\n" * 30])
def test_bad_uploads_get_a_message(open_page, content):
    at = open_page("shallow_network", ds="csv")
    at.file_uploader(key="tr_csv").upload("bad.csv", content, "text/csv")
    at.run()
    assert not at.exception
    assert at.error and "bad.csv" in at.error[0].value.replace("\\", "")


def test_inside_views(open_page):
    at = open_page("shallow_network", ds="moons", speed="max")
    press(at, "step")
    for view in ("Decision boundary", "Hidden units", "Equations", "Gradient check", "Export & share"):
        at.segmented_control(key="tr_view").set_value(view)
        at.run()
        assert not at.exception, view
    at.segmented_control(key="tr_view").set_value("Equations")
    at.run()
    latex = " ".join(x.value for x in at.latex)
    assert r"\underbrace{W^{[1]}}_{10\times2}" in latex and r"\underbrace{X}_{2\times100}" in latex
    at.select_slider(key="tr_batch_size").set_value(8)
    at.run()
    assert r"\underbrace{X}_{2\times8}" in " ".join(x.value for x in at.latex)


def test_gradient_check_button_passes(open_page):
    at = open_page("shallow_network", ds="xor", speed="max")
    press(at, "step")
    at.segmented_control(key="tr_view").set_value("Gradient check")
    at.run()
    at.button(key="tr_gradcheck_button").click()
    at.run()
    assert not at.exception
    assert any(s.value.startswith("Pass: the largest relative error is") for s in at.success)


def test_lesson_set_shows_a_projection(open_page):
    at = open_page("shallow_network")
    assert at.segmented_control(key="tr_view").value == "Test set in 2-D"


@pytest.mark.parametrize("page", ["overview", "data_as_numbers", "neuron", "activations", "shallow_network",
                                  "backpropagation"])
def test_pages_without_keras_never_import_tensorflow(page):
    code = (
        "import os, sys\n"
        "os.environ['NNVIZ_WORKERS'] = '0'\n"
        "from streamlit.testing.v1 import AppTest\n"
        f"at = AppTest.from_file({str(ROOT / 'app.py')!r}, default_timeout=60)\n"
        f"at.switch_page('app_pages/{page}.py'); at.run()\n"
        "assert not at.exception, at.exception\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'tensorflow', 'keras'}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_presentation_mode_folds_secondary_controls(open_page):
    at = open_page("shallow_network", present=1, ds="moons")
    assert at.session_state["present"] is True
    # the sections come from the one table of them, runs of sections joined into ranges
    assert at.title[0].value == "Shallow network · lesson 1.3, 1.3.3–1.3.7, 1.3.9"
    assert not any("steps per epoch" in c.value for c in at.caption)
    more = next(e for e in at.expander if e.label == "More settings")
    assert more.proto.expanded is False
    # the decision boundary sits beside the loss chart, so it is not one of the views below
    assert "Decision boundary" not in at.segmented_control(key="tr_view").options
    press(at, "step")
    assert epoch(at) == 1
    normal = open_page("shallow_network", ds="moons")
    assert next(e for e in normal.expander if e.label == "More settings").proto.expanded is True


def test_the_lessons_run_and_what_the_text_meant(open_page):
    at = open_page("shallow_network", ds="spiral", hidden=3, lr=0.1, batch=8, epochs=20, init="glorot", shuffle=1,
                   speed="50", seed=5)  # 50 epochs/s: still playing at the next look (a fast machine trains 500 at once)
    at.button(key="tr_lesson_run").click()
    at.run()
    run = at.session_state["trainer"].run
    s = run.settings
    assert (s.dataset, s.hidden, s.lr, s.batch_size, s.epochs, s.init, s.shuffle, s.activation) == \
        ("lesson", (10,), 1.0, 100, 500, "lesson", False, "tanh")
    assert s.seed == 5 and run.state == "playing"  # one click: it trains
    assert "never multiplies by `lr`" in texts(at)
    at.run()
    at.button(key="tr_text_run").click()
    at.run()
    assert at.session_state["trainer"].run.settings.lr == 0.01
    assert "What the lesson's text meant" in texts(at)
    assert "lr 1 ·" in at.session_state["trainer"].previous[0].label  # the lesson's run stays faded beside it
    assert "The lesson's run is on the chart, faded" in texts(at) and "95.5 % ± 0.5" in texts(at)


def test_what_the_text_meant_first_compares_with_nothing_it_does_not_show(open_page):
    """Pressed first in a fresh session, there is no faded lesson's run: the page says how to get one rather than
    pointing at it, and the accuracy chart's band is this recipe's (95.5 % ± 0.5 at 0.01), not the lesson's."""
    at = open_page("shallow_network", speed="2")
    at.button(key="tr_text_run").click()
    at.run()
    assert "on the chart, faded" not in texts(at) and "Press **The lesson's run** to compare" in texts(at)
    accuracy = next(c for c in live_charts(at) if chart_title(c) == "Accuracy")
    subtitle = json.loads(accuracy.proto.spec)["title"]["subtitle"]
    assert subtitle == ["┈ the lesson: 93.6 %", "▮ 20 seeds: 95.5 % ± 0.5"]

def test_the_lessons_log_as_its_fit_printed_it(open_page):
    at = open_page("shallow_network", speed="max", epochs=20)
    press(at, "train", runs=4)
    at.segmented_control(key="tr_view").set_value("Lesson 1.3.4–1.3.9")
    at.run()
    at.radio(key="tr_lesson_part").set_value("1.3.9 · Training log")
    at.run()
    log = next(c.value for c in at.code if c.value.startswith("iteration 0: loss"))
    lines = log.splitlines()
    assert [line.split(":")[0] for line in lines] == ["iteration 0", "iteration 10"]
    records = at.session_state["trainer"].run.poll().epochs
    assert lines[1] == f"iteration 10: loss {records[10].last_batch_loss}"
    at.radio(key="tr_log_which").set_value("epoch mean")
    at.run()
    log = next(c.value for c in at.code if c.value.startswith("iteration 0: loss"))
    assert log.splitlines()[1] == f"iteration 10: loss {records[10].train_loss}"


def test_the_lessons_steps_around_its_loop(open_page):
    """1.3.4's recipe with what the lesson printed, 1.3.5's zero biases, 1.3.7's untrained loss among its recipe's
    draws, and 1.3.9's batch loader breaking where the batch size does not divide the data."""
    at = open_page("shallow_network", speed="2")
    at.segmented_control(key="tr_view").set_value("Lesson 1.3.4–1.3.9")
    at.run()
    assert "random_state=123" in " ".join(c.value for c in at.code)
    assert "-0.28726786, 4.4839264" in texts(at) and "0 0 1 0 0 1 0 0 1 0 0 1 0 0 1 1 0 0 0 1" in texts(at)
    assert texts(at).count("as the lesson printed") == 2
    at.radio(key="tr_lesson_part").set_value("1.3.5 · Initial weights")
    at.run()
    table = at.dataframe[0].value
    assert list(table["shape"]) == ["(10, 20)", "(10, 1)", "(1, 10)", "(1, 1)"]
    assert list(table["all zero"]) == ["no", "yes", "no", "yes"]
    at.radio(key="tr_lesson_part").set_value("1.3.7 · An untrained loss")
    at.run()
    assert "loss 0.9218759801436196" in texts(at) and "no seed gives that draw back" in texts(at)
    at.radio(key="tr_lesson_part").set_value("1.3.9 · Batches")
    at.run()
    assert "range(3900, 4200)" in texts(at)
    assert "index 4000 is out of bounds for axis 0 with size 4000" in " ".join(e.value for e in at.error)
    assert "**14 batches** — 13 of 300 and a last one of 100" in texts(at)
    at.select_slider(key="tr_lesson_batch").set_value(100)
    at.run()
    assert not at.error and "**40 batches** — 40 of 100." in texts(at)
    assert not at.exception


def test_export_describes_the_run_on_screen(open_page):
    at = open_page("shallow_network", ds="moons", batch=16, epochs=5, speed="max")
    press(at, "train", runs=4)
    at.segmented_control(key="tr_view").set_value("Export & share")
    at.run()
    link = next(c.value for c in at.code if "?" in c.value)
    assert "ds=moons" in link and "batch=16" in link
    assert "epoch 5" in texts(at)
    at.select_slider(key="tr_batch_size").set_value(64)  # a new run starts; the export follows it
    at.run()
    link = next(c.value for c in at.code if "?" in c.value)
    assert "batch=64" in link and "not trained yet" in texts(at)


def test_a_restarted_server_says_the_run_was_lost(open_page):
    at = open_page("shallow_network", ds="moons", hidden=8, run="another-server")
    shown = " ".join(w.value for w in at.warning)
    assert "The server restarted" in shown and "press **Train** to start it again" in shown
    assert at.select_slider(key="tr_hidden").value == 8  # its settings came back from the link
    press(at, "train")
    assert not any("server restarted" in w.value for w in at.warning)


def test_a_link_with_this_servers_run_mark_is_just_a_link(open_page):
    from nnviz.serving.runner import SERVER_ID

    at = open_page("shallow_network", ds="moons", run=SERVER_ID)
    assert not any("server restarted" in w.value for w in at.warning)


def test_a_link_with_changes_replays_them_and_says_so(open_page):
    at = open_page("shallow_network", ds="moons", lr="1", sched="2:lr:0.1")
    assert "This link's run also changes: lr → 0.1 at step 2." in texts(at)
    press(at, "step")
    run = at.session_state["trainer"].run
    assert [(c.step, c.new) for c in run.poll().schedule] == [(2, 0.1)] and run._trainer.lr == 0.1
    assert at.query_params["sched"] == "2:lr:0.1"


def test_layers_units_and_activations_per_layer_make_the_network(open_page):
    at = open_page("shallow_network", ds="moons")
    at.select_slider(key="tr_layers").set_value(3)
    at.run()
    at.select_slider(key="tr_hidden2").set_value(4)
    at.select_slider(key="tr_hidden3").set_value(2)
    at.toggle(key="tr_act_per_layer").set_value(True)
    at.run()
    at.selectbox(key="tr_act2").set_value("relu")
    at.run()
    press(at, "step")
    model = at.session_state["trainer"].run.poll().model
    assert model.sizes == (2, 10, 4, 2, 1) and model.activations == ("tanh", "relu", "tanh")
    assert at.query_params["hidden"] == "10,4,2" and at.query_params["act"] == "tanh,relu,tanh"
    assert epoch(at) == 1 and not at.exception
    at.select_slider(key="tr_layers").set_value(0)  # no hidden layer: logistic regression, no unit maps
    at.run()
    press(at, "step")
    assert at.session_state["trainer"].run.poll().model.sizes == (2, 1)
    assert "Hidden units" not in at.segmented_control(key="tr_view").options
    assert at.query_params["hidden"] == "0" and not at.exception


@pytest.mark.parametrize("layers", range(7))
def test_every_depth_trains_and_draws_its_views(open_page, layers):
    at = open_page("shallow_network", ds="xor", hidden=",".join(["5"] * layers) or "0", epochs=5, speed="max")
    press(at, "step")
    assert epoch(at) == 1
    for view in at.segmented_control(key="tr_view").options:
        at.segmented_control(key="tr_view").set_value(view)
        at.run()
        assert not at.exception, view
        if view == "Gradient check":  # every layer's gradient, as the page checks it
            at.button(key="tr_gradcheck_button").click().run()
            table = at.dataframe[0].value
            assert len(table) == 2 * (layers + 1) and "pass" in set(table["result"])
            assert set(table["result"]) <= {"pass", "too small to check"}  # 0.01-init: deep gradients vanish


def test_several_classes_train_and_show_their_confusion_matrix(open_page):
    at = open_page("shallow_network", ds="blobs", classes="4", hidden="8", lr="0.3", batch="16", epochs="5",
                   speed="max")
    press(at, "train", runs=3)
    snap = at.session_state["trainer"].run.poll()
    assert snap.model.n_output == 4 and snap.epochs[-1].test_acc > 0.5
    at.segmented_control(key="tr_view").set_value("Confusion matrix")
    at.run()
    table = at.dataframe[0].value
    assert list(table["class"]) == ["0", "1", "2", "3"] and table["samples"].sum() == 120  # the test set
    assert len(at.get("plotly_chart")) == 1 and not at.exception


def test_a_regression_shows_r2_and_rmse_and_its_surface(open_page):
    at = open_page("shallow_network", ds="plane", hidden="4", lr="0.1", batch="16", epochs="50", speed="max")
    press(at, "train", runs=3)
    labels = [m.label for m in at.metric]
    assert labels[:4] == ["Test R²", "Test RMSE", "Train R²", "Train loss"]
    last = at.session_state["trainer"].run.poll().epochs[-1]
    assert at.metric[0].value == f"{last.test_r2:.3f}" and last.test_r2 > 0.9
    assert at.segmented_control(key="tr_view").options[:3] == ["Predicted surface", "Network", "Hidden units"]
    for proto in live_charts(at):
        assert '"R²"' in proto.proto.spec or '"Loss"' in proto.proto.spec
    at.segmented_control(key="tr_view").set_value("Predicted vs true")
    at.run()
    assert not at.exception


def test_input_features_feed_the_network_and_the_plane_stays(open_page):
    at = open_page("shallow_network", ds="circles", hidden="0", feat="x1sq,x2sq", lr="1", epochs="5", speed="max")
    press(at, "step")
    model = at.session_state["trainer"].run.poll().model
    assert model.sizes == (2, 1)
    at.multiselect(key="tr_features").set_value(["x1", "x2", "x1sq", "x2sq"])
    at.run()
    press(at, "step")
    assert at.session_state["trainer"].run.poll().model.sizes == (4, 1)
    assert at.query_params["feat"] == "x1,x2,x1sq,x2sq" and not at.exception
    at.multiselect(key="tr_features").set_value([])  # none chosen: the plain coordinates
    at.run()
    assert at.session_state["trainer"].run.settings.features == ("x1", "x2")


def test_optimizer_and_penalty_change_a_run_under_way(open_page):
    at = open_page("shallow_network", ds="moons", speed="50", epochs=5000)
    press(at, "train", runs=2)
    run = at.session_state["trainer"].run
    at.selectbox(key="tr_optimizer").set_value("adam")
    at.selectbox(key="tr_reg").set_value("l2")
    at.run()
    assert at.session_state["trainer"].run is run
    at.select_slider(key="tr_reg_rate").set_value(0.01)
    at.run()
    run.pause()
    at.run()
    whats = [(c.what, c.new) for c in run.poll().schedule]
    assert ("optimizer", "adam") in whats and ("regularization", "l2") in whats and ("reg_rate", 0.01) in whats
    assert run.poll().model.optimizer.name == "adam" and run.poll().model.reg_rate == 0.01
    assert "L2 penalty" in json.dumps([p.proto.spec for p in live_charts(at)])  # the loss says it includes it


def test_an_example_sets_every_setting_with_its_seed_and_plays(open_page):
    from nnviz.lesson.examples import EXAMPLES

    at = open_page("shallow_network", seed="7", speed="2")
    example = next(e for e in EXAMPLES if e.key == "blobs4")
    at.selectbox(key="tr_example").set_value("blobs4")
    at.run()
    run = at.session_state["trainer"].run
    assert run.settings.run_key() == example.settings.run_key() and run.settings.speed == "2"
    assert run.state == "playing" and at.selectbox(key="tr_example").value is None
    assert any(example.watch in i.value for i in at.info)


@pytest.mark.parametrize("query", [dict(ds="moons"), dict(ds="lesson", hidden="6,4"),
                                   dict(ds="spiral", classes="3", hidden="5", feat="x1,x2,x1sq")])
def test_the_network_and_hidden_space_views_draw_the_weights_the_run_holds(open_page, query):
    at = open_page("shallow_network", speed="max", epochs="5", **query)
    press(at, "step")
    model = at.session_state["trainer"].run.poll().model
    for view in ("Network", "Hidden space"):
        at.segmented_control(key="tr_view").set_value(view)
        at.run()
        assert not at.exception, view
    at.segmented_control(key="tr_view").set_value("Network")
    at.run()
    charts = at.get("vega_lite_chart")
    edges = None
    for c in charts:
        names = {d.name for d in c.proto.datasets}
        if "edges" in names:
            d = next(d for d in c.proto.datasets if d.name == "edges")
            edges = pa.ipc.open_stream(d.data.data).read_all().to_pandas()
    assert edges is not None
    for row in edges.itertuples():  # every drawn line is the weight the run holds
        assert row.w == pytest.approx(model.params[f"W{row.layer}"][row.i, row.j], rel=1e-6, abs=1e-7)


def test_a_paused_run_edits_a_clicked_weight_and_goes_on_from_it(open_page):
    """A click on W[2]₁₂ (as the chart reports it), a new value, Set: the loss before and after are the core's, the
    run keeps its step and goes on from the edited network, and the edit is in its schedule and its link."""
    at = open_page("shallow_network", ds="xor", hidden="4", speed="max", epochs="20", seed="3")
    press(at, "step")
    at.segmented_control(key="tr_view").set_value("Network")
    at.run()
    run = at.session_state["trainer"].run
    at.session_state["tr_network"] = {"selection": {"edge": [{"layer": 2, "i": 0, "j": 1}], "node": []}}
    at.run()
    model = copy.deepcopy(run.poll().model)
    field = at.number_input(key="tr_edit_W2_0_1")
    assert field.value == pytest.approx(round(model.params["W2"][0, 1], 4))
    ds = load_data(run.ref)
    before = model.loss(ds.X_train.T, model.targets(ds.y_train))
    field.set_value(2.5)
    at.button(key="tr_edit_set").click()
    at.run()
    model.set_weight("W2", 0, 1, 2.5)
    after = model.loss(ds.X_train.T, model.targets(ds.y_train))
    note = next(s.value for s in at.success if "training loss went from" in s.value)
    assert f"{before:.4f} to {after:.4f}" in note and "W[2]₁₂" in note
    snap = run.poll()
    assert snap.model.params["W2"][0, 1] == 2.5 and snap.epoch == 1
    (edit,) = snap.schedule
    assert (edit.what, edit.new, edit.step) == ("W2.0.1", 2.5, snap.step)
    assert at.query_params["sched"] == f"{snap.step}:W2.0.1:2.5"
    press(at, "step")  # the run goes on from the edited network
    assert epoch(at) == 2 and run.poll().schedule[0].what == "W2.0.1"
    at.toggle(key="tr_network_numbers").set_value(True)  # the weights as numbers: those the run holds
    at.run()
    held = run.poll().model.params
    env = {f"{p}[{k}]": held[f"{p}{k}"] for k in (1, 2) for p in "Wb"}
    shown = [x.value.strip().removeprefix("$$").removesuffix("$$").strip() for x in at.latex if "W^{[" in x.value]
    assert len(shown) == 2
    for latex in shown:
        assert {r.status for r in check(latex, dict(env), atol=1e-7)} == {"checked"}, latex


def click_plane(at, x1: float, x2: float, label: int, action: str = "add"):
    """A click on the drawing plane, as the chart reports it (the cell's centre and the page's turn)."""
    if action == "add":
        at.segmented_control(key="tr_draw_class").set_value(label)
    turn = at.session_state["trainer"].draw_turn
    at.session_state["tr_draw_plane"] = {"selection": {action: [{"x1": x1, "x2": x2, "turn": turn}]}}
    at.run()


def test_points_a_class_draws_train_and_travel_in_the_link(open_page):
    at = open_page("shallow_network", ds="draw", speed="max", epochs="20", hidden="4", lr="1")
    assert any("Draw at least 2 points" in i.value for i in at.info)
    for x1, x2, label in ((-1.0, -1.0, 0), (-1.25, -0.75, 0), (-0.75, -1.25, 0), (1.0, 1.0, 1), (1.25, 0.75, 1)):
        click_plane(at, x1, x2, label)
    assert not at.exception
    pts = at.query_params["pts"]
    assert pts.startswith("c") and len(pts) == 1 + 4 * 5
    press(at, "train", runs=3)
    snap = at.session_state["trainer"].run.poll()
    assert snap.epoch == 20 and not at.error
    ds = load_data(at.session_state["trainer"].run.ref)
    assert ds.n_train + ds.n_test == 5 and set(ds.y_train) | set(ds.y_test) == {0, 1}
    # the link alone brings the same points back, and the same run
    again = open_page("shallow_network", **dict(at.query_params))
    assert again.session_state["tr_points"] == pts
    press(again, "train", runs=3)
    np.testing.assert_array_equal(again.session_state["trainer"].run.poll().model.params["W1"], snap.model.params["W1"])
    click_plane(at, 1.0, 1.0, 1, action="remove")  # shift-click: the nearest point goes
    assert len(at.query_params["pts"]) == 1 + 4 * 4


def test_a_drawn_regression_and_clear(open_page):
    at = open_page("shallow_network", ds="draw")
    at.segmented_control(key="tr_draw_kind").set_value("regression")
    at.run()
    for x1, value in ((-1.5, -1.0), (0.0, 0.0), (1.5, 1.0)):
        at.slider(key="tr_draw_value").set_value(value)
        turn = at.session_state["trainer"].draw_turn
        at.session_state["tr_draw_plane"] = {"selection": {"add": [{"x1": x1, "x2": 0.5, "turn": turn}]}}
        at.run()
    assert at.query_params["pts"].startswith("r") and at.session_state["trainer"].run.poll().model.problem == "regression"
    at.button(key="tr_draw_clear").click()
    at.run()
    assert "pts" not in at.query_params and not at.exception


def test_a_browser_that_resends_every_widgets_first_option_does_not_reset_the_settings(open_page):
    """Under load (a 2-core server with both cores busy) a browser once sent every setting's first option at once
    — the lesson's data, no hidden layer, learning rate 0.0001, batch 1, 1 epoch — and the page took it for a
    new run. A click changes one setting per rerun: a change of four or more without a link or a recipe is undone."""
    at = open_page("shallow_network", ds="moons", hidden="6", lr="0.3", batch="10", epochs="50", speed="max")
    before = dict(at.query_params)
    at.selectbox(key="tr_dataset").set_value("lesson")
    at.select_slider(key="tr_layers").set_value(0)
    at.select_slider(key="tr_lr").set_value(0.0001)
    at.select_slider(key="tr_batch_size").set_value(1)
    at.select_slider(key="tr_epochs").set_value(1)
    at.run()
    assert not at.exception
    assert at.selectbox(key="tr_dataset").value == "moons" and at.select_slider(key="tr_hidden").value == 6
    assert at.select_slider(key="tr_lr").value == 0.3 and at.select_slider(key="tr_epochs").value == 50
    assert dict(at.query_params) == before
    at.select_slider(key="tr_lr").set_value(0.1)  # one setting, as a click changes it: taken
    at.run()
    assert at.select_slider(key="tr_lr").value == 0.1 and at.query_params["lr"] == "0.1"
    press(at, "reset")  # a recipe sets many at once: taken too
    at.button(key="tr_lesson_run").click()
    at.run()
    assert at.selectbox(key="tr_dataset").value == "lesson" and at.select_slider(key="tr_lr").value == 1.0
