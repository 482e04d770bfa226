"""The Class board page and the student's "Share with the class" panel under AppTest (SQLite in a temp folder)."""

import urllib.parse

import pytest
from page_helpers import errors, press

import nnviz.board.store as nb
from nnviz.board.store import Board


@pytest.fixture
def db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'board.sqlite3'}"
    monkeypatch.setenv("NNVIZ_DATABASE_URL", url)
    return Board(url)


def markdown(at) -> str:
    return " ".join(m.value for m in at.markdown)


def param(at, name):
    value = at.query_params[name]
    return value[-1] if isinstance(value, list) else value


def open_board(open_page):
    at = open_page("class_board")
    at.button(key="cb_open").click().run()
    assert not at.exception, at.exception
    code = param(at, "room")
    return at, code


def finished_run(open_page, code, nickname, **query):
    at = open_page("shallow_network", ds="xor", epochs=20, speed="max", batch=8, room=code, **query)
    press(at, "train", runs=6)
    # a good run ends in a success box; one the page judges poor (e.g. lr 3) in a warning "Finished … , but — …"
    assert any(m.value.startswith("Finished") for m in [*at.success, *at.warning]), errors(at)
    at.text_input(key="share_nickname").input(nickname).run()
    return at


def test_a_teacher_opens_a_room_and_sees_code_link_qr_and_powers(open_page, db):
    at, code = open_board(open_page)
    assert len(code) == nb.CODE_LENGTH and f"Room code: `{code}`" in markdown(at)
    assert db.room(code) is not None
    links = [c.value for c in at.code]
    assert any(link.endswith(f"/shallow_network?room={code}") for link in links)
    assert any(f"/class_board?room={code}&key=" in link for link in links)  # the teacher link
    assert len(at.get("image")) == 1  # the QR code
    assert at.button(key="cb_close") and at.button(key="cb_clear").disabled  # clearing needs a confirmation
    assert "Waiting for the first run" in " ".join(i.value for i in at.info)


def test_two_students_share_and_the_board_lists_them_as_plain_text(open_page, db):
    teacher, code = open_board(open_page)
    markup = "<b>Bo</b><img src=x>"
    s1 = finished_run(open_page, code, "Ada", lr=0.3)
    assert s1.text_input(key="share_room").value == code  # the join link fills the room in
    s1.button(key="share_button").click().run()
    assert any(f"Shared with room {code}" in s.value for s in s1.success), errors(s1)
    assert s1.button(key="share_button").disabled  # the same run is not shared twice
    s2 = finished_run(open_page, code, markup, lr=3, hidden=4)
    s2.button(key="share_button").click().run()
    assert not s2.error, errors(s2)
    teacher.run()
    assert "2 runs shared" in markdown(teacher)
    table = teacher.dataframe[0].value
    assert set(table["nickname"]) == {"Ada", markup}  # the cell holds the text exactly as typed
    row = table[table["nickname"] == markup].iloc[0]
    assert (row["hidden layers"], row["learning rate"], row["epochs"], row["optimizer"]) == ("4", 3.0, 20, "SGD")
    assert row["open"].endswith("/shallow_network?" + urllib.parse.urlencode(nb.to_query(db.runs(code)[1].settings)))
    assert len(teacher.get("plotly_chart")) == 2
    assert markup not in markdown(teacher)  # never rendered as Markdown/HTML


def test_the_teacher_hides_and_clears_but_a_student_cannot(open_page, db):
    teacher, code = open_board(open_page)
    s1 = finished_run(open_page, code, "rude")
    s1.button(key="share_button").click().run()
    student_board = open_page("class_board", room=code)
    assert "1 run shared" in markdown(student_board)
    assert not [b for b in student_board.button if b.key in ("cb_close", "cb_clear")]
    assert not student_board.multiselect
    forged = open_page("class_board", room=code, key="guessed-key")  # a guessed teacher link gives nothing
    assert not [b for b in forged.button if b.key in ("cb_close", "cb_clear")]
    assert "key" not in forged.query_params
    teacher.run()
    hide = teacher.multiselect[0]
    hide.set_value([db.runs(code)[0].id]).run()
    assert db.runs(code) == [] and len(db.runs(code, include_hidden=True)) == 1
    teacher.run()
    assert "0 runs shared" in markdown(teacher)
    teacher.checkbox(key="cb_confirm_clear").check().run()
    teacher.button(key="cb_clear").click().run()
    assert db.runs(code, include_hidden=True) == []
    teacher.button(key="cb_close").click().run()
    assert db.room(code).closed
    s2 = finished_run(open_page, code, "late", seed=3)
    s2.button(key="share_button").click().run()
    assert "closed the room" in errors(s2)


def test_the_teacher_link_restores_powers_in_a_new_session_and_leaves_the_address_bar(open_page, db):
    room, key = db.open_room("earlier session")
    at = open_page("class_board", room=room.code, key=key)
    assert at.button(key="cb_close")
    assert "key" not in at.query_params and param(at, "room") == room.code


@pytest.mark.parametrize("nickname, room, message", [
    ("", None, "Type a nickname first"),
    ("x" * 24, "ZZZZZZZ", "no open room"),
    ("Ada", "abc", "letters and digits"),
])
def test_bad_input_on_the_share_panel_gets_a_clear_message(open_page, db, nickname, room, message):
    real, _ = db.open_room("t")
    at = finished_run(open_page, room or real.code, nickname)
    at.button(key="share_button").click().run()
    assert not at.exception and message in errors(at)
    assert at.text_input(key="share_nickname").value == nickname  # nothing typed is lost
    assert db.runs(real.code) == []


def test_share_waits_for_a_finished_run(open_page, db):
    room, _ = db.open_room("t")
    at = open_page("shallow_network", ds="xor", epochs=20, room=room.code)
    assert at.button(key="share_button").disabled
    assert any("Train a run to the end" in c.value for c in at.caption)


def test_unknown_or_malformed_room_on_the_board_page(open_page, db):
    at = open_page("class_board", room="ZZZZZZZ")
    assert "no open room" in errors(at) and not at.exception
    at = open_page("class_board", room="<script>")
    assert "letters and digits" in errors(at)
    at = open_page("class_board")
    at.text_input(key="cb_code").input("nope").run()
    at.button(key="cb_go").click().run()
    assert "letters and digits" in errors(at) and "room" not in at.query_params


def test_room_and_nickname_survive_a_moment_without_the_share_panel(open_page, db):
    """Choosing "Upload a CSV" without a file draws the page only up to the upload prompt (no share panel):
    Streamlit forgets the state of widgets a full run did not draw. The room from the link and the nickname
    typed must still be there when the panel comes back."""
    _, code = open_board(open_page)
    at = open_page("shallow_network", ds="moons", epochs=20, speed="max", batch=8, room=code)
    at.text_input(key="share_nickname").input("Ann").run()
    at.selectbox(key="tr_dataset").set_value("csv").run()
    assert not at.text_input  # the page stops at the upload prompt: no share panel in this run
    at.selectbox(key="tr_dataset").set_value("moons").run()
    assert at.text_input(key="share_room").value == code
    assert at.text_input(key="share_nickname").value == "Ann"
    # a browser that draws the fields anew sends them back empty: they are filled again, and Share uses them
    at.text_input(key="share_room").set_value("")
    at.text_input(key="share_nickname").set_value("").run()
    assert at.text_input(key="share_room").value == code and at.text_input(key="share_nickname").value == "Ann"
    press(at, "train", runs=12)
    at.text_input(key="share_room").set_value("")
    at.button(key="share_button").click().run()
    assert any(f"Shared with room {code}" in s.value for s in at.success), errors(at)


def test_a_run_that_diverged_in_its_first_epoch_is_shared_and_drawn(open_page, db):
    """Issue 32, item 16: the README says diverged runs can be shared; one that diverged before its first epoch
    ended could not ("Train a run to the end, then share it")."""
    teacher, code = open_board(open_page)
    at = open_page("shallow_network", ds="lesson", hidden=512, lr=10, batch=8, epochs=20, speed="max", room=code)
    press(at, "train", runs=4)
    assert "diverged" in " ".join(c.value for c in at.caption), errors(at)
    assert not at.button(key="share_button").disabled
    at.text_input(key="share_nickname").input("Icarus").run()
    at.button(key="share_button").click().run()
    assert any(f"Shared with room {code}" in s.value for s in at.success), errors(at)
    teacher.run()
    assert not teacher.exception and "1 run shared" in markdown(teacher)
    assert list(teacher.dataframe[0].value["nickname"]) == ["Icarus"]


def test_a_database_that_fails_gets_a_plain_message_and_a_retry_on_every_page(open_page, db):
    """Issue 32, item 11: PostgreSQL down, a full disk, SQLite locked, tables missing behind a schema row — Share, a
    board link and Open a room showed Streamlit's generic "This app has encountered an error"."""
    import sqlalchemy as sa

    teacher, code = open_board(open_page)
    student = finished_run(open_page, code, "Ada")
    with db.engine.begin() as conn:  # the tables go; the schema row says they are there
        for table in ("board_runs", "board_misses", "board_rooms"):
            conn.execute(sa.text(f"DROP TABLE {table}"))
    student.button(key="share_button").click().run()
    assert not student.exception and "not answering right now" in errors(student)
    link = open_page("class_board", room=code)
    assert not link.exception and "not answering right now" in errors(link)
    assert link.button(key="cb_retry")
    fresh = open_page("class_board")
    fresh.button(key="cb_open").click().run()
    assert not fresh.exception and "not answering right now" in errors(fresh)
    teacher.run()  # the teacher's board, open all along
    assert not teacher.exception
