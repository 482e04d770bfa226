"""Every bad input a user can give gets a clear message, loses nothing, and leaves the page working.

Also: no upload is ever unpickled or evaluated, and no user text is rendered as HTML or Markdown.
"""

import ast
import io
import re
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from page_helpers import epoch, errors, press

from nnviz.core.datasets import TWO_D
from ui.common import plain

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("dataset", ["lesson", *TWO_D])
def test_learning_rate_ten_on_every_dataset(open_page, dataset):
    at = open_page("shallow_network", ds=dataset, lr=10, act="relu", speed="max", epochs=50)
    press(at, "train", runs=4)
    message = errors(at)
    assert not message or "the learning rate 10 is too high" in message
    press(at, "reset")
    press(at, "step")  # the page keeps working
    assert epoch(at) == 1 or "too high" in errors(at)


def test_a_batch_larger_than_the_data_is_one_full_batch(open_page):
    at = open_page("shallow_network", ds="moons", n=100, split=50, batch=2000, speed="max")
    assert any("= the full training set: 50 samples, one step per epoch" in c.value for c in at.caption)
    press(at, "step")
    assert epoch(at) == 1 and at.session_state["trainer"].run.poll().step == 1


GOOD = "a,b,label\n" + "\n".join(f"{i % 13 - 6},{(i * 5) % 11 - 5},{int(i % 13 > 6)}" for i in range(120))
BAD_UPLOADS = {
    "empty.csv": (b"", "the file is empty"),
    "notes.txt": (b"Dear class,\nplease bring your laptops on Monday.\nThanks!\n",
                  "row 2 has 1 value but the first row has 2"),
    "nan.csv": (("a,b,label\n" + "1,2,0\n" * 10 + "NaN,2,1\n").encode(), "is empty or NaN"),
    "one_class.csv": (("a,b,label\n" + "1,2,0\n3,4,0\n" * 10).encode(), "holds only the class 0"),
    "many_rows.csv": (("a,b,label\n" + "1,2,0\n" * 800_000).encode(), "more than 10,000 data rows"),
    # the uploader's 5 MB is the browser's; a client can send more (issue 32, item 12: a 9.9 MB file trained)
    "nine_mb.csv": (("a,b,label\n" + "1.000000,2.000000,0\n" * 520_000).encode(), "the file is 9.9 MB; at most 5 MB"),
    "words.csv": (("name,b,label\n" + "anna,2,0\nbob,3,1\n" * 10).encode(), "'anna' is not a number"),
    "binary.csv": (bytes(range(256)) * 4, "not a text CSV"),
    "huge.csv": (("a,b,label\n" + "".join(f"{s}1e308,{s}1e308,{i % 2}\n" for i, s in enumerate("+-" * 10))).encode(),
                 "values must lie within ±1e100 (rescale the column"),
    "quote.csv": (('a,b,label\n1,2,0\n"3,4,1\n' + "5,6,1\n" * 25_000).encode(), 'line 3 opens a quoted value (") that'),
}


@pytest.mark.parametrize("name", list(BAD_UPLOADS))
def test_bad_csv_uploads_keep_the_previous_dataset(open_page, name):
    content, expected = BAD_UPLOADS[name]
    at = open_page("shallow_network", ds="csv", speed="max")
    at.file_uploader(key="tr_csv").upload("good.csv", GOOD.encode(), "text/csv")
    at.run()
    press(at, "step")
    assert epoch(at) == 1
    at.file_uploader(key="tr_csv").upload(name, content, "text/csv")
    at.run()
    assert not at.exception
    message = errors(at)
    assert name in message and expected in message and "The previous file (good.csv) is still loaded" in message
    assert epoch(at) == 1  # the run on the good file is still there
    press(at, "step")
    assert epoch(at) == 2  # and still trains


def png_header(width, height) -> bytes:
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)))


def truncated_png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (64, 64), dtype=np.uint8)).save(buf, format="PNG")
    return buf.getvalue()[:900]


@pytest.mark.parametrize("name, content, expected", [
    ("letter.png", b"this is a text file with a .png name", "not an image"),
    ("cut.png", truncated_png(), "broken or truncated"),
    ("poster.png", png_header(10_000, 10_000), "10000×10000 pixels"),
    ("empty.jpg", b"", "the file is empty"),
])
def test_bad_image_uploads_on_the_mnist_page(open_page, name, content, expected):
    at = open_page("mnist_classifier")
    at.file_uploader(key="mn_upload").upload(name, content, "image/png")
    at.run()
    assert not at.exception
    assert name in errors(at) and expected in errors(at)
    at.segmented_control(key="mn_section").set_value("The network")  # the page keeps working
    at.run()
    assert not at.exception


def test_mnist_controls_at_their_extremes(open_page):
    at = open_page("mnist_classifier", section="Train your own")
    for epochs, batch, split in ((1, 16, 0.0), (20, 1024, 0.3)):
        at.slider(key="mn_epochs").set_value(epochs)
        at.select_slider(key="mn_batch").set_value(batch)
        at.slider(key="mn_split").set_value(split)
        at.run()
        assert not at.exception
    at.segmented_control(key="mn_section").set_value("NumPy twin")
    at.run()
    for epochs, lr in ((1, 0.01), (20, 0.3)):
        at.slider(key="mn_twin_epochs").set_value(epochs)
        at.select_slider(key="mn_twin_lr").set_value(lr)
        at.run()
        assert not at.exception
    at.segmented_control(key="mn_section").set_value("Evaluate")
    at.run()
    at.multiselect(key="mn_units").set_value([])
    at.run()
    assert not at.exception


def test_user_text_is_shown_as_typed_never_as_markup(open_page):
    at = open_page("shallow_network", ds="csv")
    hostile = "<img src=x onerror=alert(1)>,[click](javascript:alert(1)),label\n" + "1,2,0\n1,2,1\n" * 10
    at.file_uploader(key="tr_csv").upload("**bold**<b>.csv", hostile.encode(), "text/csv")
    at.run()
    at.file_uploader(key="tr_csv").upload("x.csv", b"a,b,label\n<script>,1,0\n" * 12, "text/csv")
    at.run()
    message = at.error[0].value
    assert "<script>" not in message and "\\<script\\>" in message
    assert plain("[click](javascript:x)") == "\\[click\\]\\(javascript:x\\)"


SOURCES = [p for d in ("app.py", "app_pages", "ui", "nnviz") for p in sorted((ROOT / d).rglob("*.py"))
           if p.is_file()] + [ROOT / "app.py"]


def raw_html_calls(source: str) -> list[ast.Call]:
    """Calls that pass ``unsafe_allow_html=True``."""
    return [node for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Call)
            and any(k.arg == "unsafe_allow_html" and not (isinstance(k.value, ast.Constant) and k.value.value is False)
                    for k in node.keywords)]


def raw_html_argument(call: ast.Call) -> str:
    """What a raw-HTML call draws: "network_svg" for ``st.markdown(network_svg(...), unsafe_allow_html=True)`` —
    the one raw HTML the app draws, an SVG built from numbers and escaped text (tests/viz/test_network_svg.py) —
    or the source of anything else."""
    func, arg = call.func, call.args[0] if len(call.args) == 1 else None
    if (isinstance(func, ast.Attribute) and func.attr == "markdown" and isinstance(arg, ast.Call)
            and isinstance(arg.func, ast.Name) and arg.func.id == "network_svg"):
        return "network_svg"
    return ast.unparse(call)


def test_no_upload_is_unpickled_or_evaluated_and_no_html_comes_from_users():
    for path in SOURCES:
        text = path.read_text()
        name = path.relative_to(ROOT)
        assert "allow_pickle=True" not in text, name
        assert not re.search(r"\bpickle\.loads?\(", text), name
        assert not re.search(r"(?<![\w.])(eval|exec)\(", text), name
        assert all(raw_html_argument(call) == "network_svg" for call in raw_html_calls(text)), name
        for line in (line.strip() for line in text.splitlines() if "st.html(" in line):
            # only the app's own constant stylesheets are ever injected
            assert re.fullmatch(r"st\.html\(_[A-Z_]+_CSS( if presentation_mode\(\) else _[A-Z_]+_CSS)?\)", line), (name, line)
        for line in (line for line in text.splitlines() if "np.load(" in line):
            assert "allow_pickle=False" in line, (name, line)


def good_csv(k: int) -> bytes:
    return ("a,b,label\n" + "\n".join(f"{(i * (k + 2)) % 13 - 6},{(i * 5) % 11 - 5},{i % 2}" for i in range(60))).encode()


def test_another_sessions_uploads_leave_mine_alone(open_page):
    import gc

    from nnviz.serving.data_store import register_upload

    mine = open_page("shallow_network", ds="csv", speed="max")
    mine.file_uploader(key="tr_csv").upload("good.csv", GOOD.encode(), "text/csv")
    mine.run()
    press(mine, "step")
    stored = Path(mine.session_state["trainer"].upload.path)
    other = open_page("shallow_network", ds="csv", speed="max")
    for k in range(3):  # another session uploads file after file through the page …
        other.file_uploader(key="tr_csv").upload(f"other{k}.csv", good_csv(k), "text/csv")
        other.run()
    from nnviz.core.datasets import parse_csv
    for k in range(3, 253):  # … and 250 more through the same store
        register_upload(parse_csv(good_csv(k)))
    gc.collect()
    assert stored.is_file()  # what my workers read is still there
    mine.run()
    assert not mine.exception and not errors(mine)
    press(mine, "step")
    assert epoch(mine) == 2


def test_a_stored_upload_that_is_gone_is_a_clear_message_not_a_stuck_page(open_page):
    from nnviz.serving.data_store import DataRef

    at = open_page("shallow_network", ds="csv")
    at.session_state["trainer"].upload = DataRef("file", path="/nonexistent/nnviz/old.npz", title="old.csv",
                                                 digest="0" * 64)
    at.run()
    assert not at.exception
    message = errors(at)
    assert "old.csv: the uploaded data is no longer stored on the server: upload the file again" in message
    assert "/nonexistent" not in message
    at.selectbox(key="tr_dataset").set_value("xor").run()  # the page still works: switch the dataset
    press(at, "step")
    assert epoch(at) == 1


def test_a_full_disk_on_upload_is_a_clear_message(open_page, monkeypatch):
    import errno

    import nnviz.serving.data_store as store

    at = open_page("shallow_network", ds="csv", speed="max")
    at.file_uploader(key="tr_csv").upload("good.csv", GOOD.encode(), "text/csv")
    at.run()
    press(at, "step")

    def savez_on_a_full_disk(file, **arrays):
        raise OSError(errno.ENOSPC, "No space left on device", str(file))

    monkeypatch.setattr(store.np, "savez", savez_on_a_full_disk)
    at.file_uploader(key="tr_csv").upload("second.csv", good_csv(7), "text/csv")
    at.run()
    assert not at.exception
    message = errors(at)
    assert "second.csv: the server has no room to store this file right now" in message
    assert "The previous file (good.csv) is still loaded" in message
    assert "/" not in message.replace("second.csv", "").replace("good.csv", "")  # no server path
    press(at, "step")
    assert epoch(at) == 2


def test_excel_unicode_text_uploads_and_trains(open_page):
    at = open_page("shallow_network", ds="csv", speed="max")
    text = GOOD.replace(",", "\t").replace("\n", "\r\n")
    at.file_uploader(key="tr_csv").upload("from_excel.txt", text.encode("utf-16"), "text/plain")
    at.run()
    assert not at.exception and not errors(at)
    press(at, "step")
    assert epoch(at) == 1


def test_a_column_name_with_html_is_shown_as_text_in_the_chart(open_page):
    import json

    at = open_page("shallow_network", ds="csv")
    header = '<a href="https://example.com">click</a>,<b>bold</b>,label\n'
    at.file_uploader(key="tr_csv").upload("h.csv", (header + GOOD.split("\n", 1)[1]).encode(), "text/csv")
    at.run()
    assert not at.exception
    specs = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    boundary = next(s for s in specs if s["layer"][0]["data"] == {"name": "map"})
    encoding = boundary["layer"][0]["encoding"]
    # Vega draws titles as plain text (no markup to escape, unlike Plotly's titles)
    assert (encoding["x"]["title"], encoding["y"]["title"]) == ('<a href="https://example.com">click</a>', "<b>bold</b>")


def test_a_huge_or_full_width_link_value_gets_a_short_exact_warning(open_page):
    at = open_page("shallow_network", ds="xor", seed="１０", hidden="x" * 200_000)
    warnings = [w.value.replace("\\", "") for w in at.warning]  # as a reader sees them (Markdown-escaped)
    assert "seed='１０' in the link was read as 10" in warnings
    long = next(w for w in warnings if w.startswith("hidden="))
    assert len(long) < 300 and "(200,000 characters)" in long
    assert at.session_state["tr_seed"] == 10 and at.session_state["tr_hidden"] == 10
    press(at, "step")
    assert epoch(at) == 1


def test_a_many_feature_upload_shows_its_2d_view_and_trains(open_page):
    """The upload's ref (with its lease on the stored file) goes through st.cache_data's hashing."""
    at = open_page("shallow_network", ds="csv", speed="max")
    text = "a,b,c,label\n" + "".join(f"{i % 5},{i % 3},{i % 7},{i % 2}\n" for i in range(60))
    at.file_uploader(key="tr_csv").upload("three.csv", text.encode(), "text/csv")
    at.run()
    assert not at.exception and at.session_state["tr_view"] == "Test set in 2-D"
    press(at, "step")
    assert epoch(at) == 1
