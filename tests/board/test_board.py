"""The class board's storage, against SQLite and a real PostgreSQL (started here by ``cluster.postgres``)."""

import json
import threading

import pytest
import sqlalchemy as sa

import nnviz.board.store as nb
from cluster.postgres import TempPostgres
from nnviz.board.store import Board, BoardError, RateLimited, shared_run
from nnviz.core.settings import TrainerSettings, to_query
from nnviz.core.training import EpochRecord


class Clock:
    def __init__(self, t=1_800_000_000.0):
        self.t = t

    def __call__(self):
        return self.t


@pytest.fixture(scope="module")
def postgres():
    with TempPostgres() as pg:
        yield pg


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'board.sqlite3'}"
    pg = request.getfixturevalue("postgres")
    engine = sa.create_engine(nb.database_url(pg.url))
    with engine.begin() as conn:  # every test starts from an empty database
        for table in ("board_runs", "board_misses", "board_rooms", "nnviz_schema"):
            conn.execute(sa.text(f"DROP TABLE IF EXISTS {table} CASCADE"))
    engine.dispose()
    return pg.url


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def board(url, clock):
    b = Board(url, clock=clock)
    yield b
    b.close()


def records(n=50, acc=0.9):
    return [EpochRecord(e, e * 10, 1.0 / e, acc * e / n, 1.1 / e, acc * e / n - 0.01, 1000.0) for e in range(1, n + 1)]


def a_run(nickname="ada", n=50, **settings):
    return shared_run(nickname, TrainerSettings(**{"dataset": "xor", "epochs": 50, **settings}), records(n))


# ----------------------------------------------------------------------------- schema and database


def test_schema_created_with_its_version_and_reopened_without_change(url, clock):
    b = Board(url, clock=clock)
    assert b.schema_version() == nb.SCHEMA_VERSION
    room, _ = b.open_room("s")
    b.close()
    again = Board(url, clock=clock)  # a restart: the schema is kept, and so are the rooms
    assert again.schema_version() == nb.SCHEMA_VERSION
    assert again.room(room.code) == room
    again.close()


def test_a_database_newer_than_the_code_is_refused(board, url):
    with board.engine.begin() as conn:
        conn.execute(nb.schema_table.update().values(version=nb.SCHEMA_VERSION + 1))
    with pytest.raises(BoardError, match="newer than this nnviz"):
        Board(url)


def test_sqlite_runs_in_wal_mode(tmp_path):
    b = Board(f"sqlite:///{tmp_path / 'b.sqlite3'}")
    with b.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    b.close()


def test_database_url_choices(monkeypatch, tmp_path):
    monkeypatch.delenv("NNVIZ_DATABASE_URL", raising=False)
    monkeypatch.setenv("NNVIZ_CACHE", str(tmp_path))
    assert nb.database_url() == f"sqlite:///{tmp_path / 'board.sqlite3'}"
    monkeypatch.setenv("NNVIZ_DATABASE_URL", "postgresql://u:p@db:5432/nnviz")
    assert nb.database_url() == "postgresql+psycopg://u:p@db:5432/nnviz"
    assert nb.database_url("postgres://u@db/x") == "postgresql+psycopg://u@db/x"
    with pytest.raises(BoardError, match="mysql"):
        nb.database_url("mysql://u@db/x")


# ----------------------------------------------------------------------------- rooms and the teacher key


def test_room_codes_are_long_unambiguous_and_distinct(board):
    codes = {board.open_room(f"s{i}")[0].code for i in range(40)}
    assert len(codes) == 40
    for code in codes:
        assert len(code) == nb.CODE_LENGTH >= 6
        assert set(code) <= set(nb.CODE_ALPHABET) and not set(code) & set("IL0O1")


def test_only_a_hash_of_the_teacher_key_is_stored(board):
    room, key = board.open_room("t")
    with board.engine.connect() as conn:
        stored = [str(v) for row in conn.execute(sa.select(nb.rooms)).all() for v in row]
    assert not any(key in v for v in stored)
    assert board.is_teacher(room.code, key)
    assert not board.is_teacher(room.code, key[:-1] + ("A" if key[-1] != "A" else "B"))
    assert not board.is_teacher(room.code, "") and not board.is_teacher(room.code, None)


def test_typed_codes_are_normalised_and_checked_before_any_lookup(board):
    room, _ = board.open_room("t")
    typed = room.code.lower()[:3] + " - " + room.code.lower()[3:]
    assert board.find_room(typed, "student").code == room.code
    with pytest.raises(BoardError, match="no I, L, O, 0 or 1"):
        nb.normalize_code("ABC<b>")
    for _ in range(nb.MISSES_PER_SESSION + 2):  # malformed codes are refused without costing a lookup
        with pytest.raises(BoardError, match="letters and digits"):
            board.find_room("I0I0I0I", "student")
    assert board.find_room(room.code, "student").code == room.code


def test_unknown_codes_are_rate_limited_per_session_and_per_address(board, clock):
    room, _ = board.open_room("t")
    unknown = "Z" * nb.CODE_LENGTH if room.code != "Z" * nb.CODE_LENGTH else "Y" * nb.CODE_LENGTH
    for _ in range(nb.MISSES_PER_SESSION):
        with pytest.raises(BoardError, match="no open room") as err:
            board.find_room(unknown, "guesser", "10.0.0.9")
        assert not isinstance(err.value, RateLimited)
    with pytest.raises(RateLimited) as limited:  # even the right code is refused now
        board.find_room(room.code, "guesser", "10.0.0.9")
    assert 0 < limited.value.retry_after <= nb.MISS_WINDOW_S
    assert board.find_room(room.code, "classmate", "10.0.0.8").code == room.code  # others are not affected
    clock.t += nb.MISS_WINDOW_S + 1
    assert board.find_room(room.code, "guesser", "10.0.0.9").code == room.code
    # Many sessions from one address: the address's own limit
    for i in range(nb.MISSES_PER_ADDRESS):
        with pytest.raises(BoardError):
            board.find_room(unknown, f"bot{i // (nb.MISSES_PER_SESSION - 1)}", "10.6.6.6")
    with pytest.raises(RateLimited):
        board.find_room(room.code, "fresh-session", "10.6.6.6")


def test_a_session_opens_a_bounded_number_of_rooms_per_hour(board, clock):
    for _ in range(nb.ROOMS_PER_SESSION_HOUR):
        board.open_room("busy teacher")
    with pytest.raises(RateLimited, match="rooms in the last hour"):
        board.open_room("busy teacher")
    board.open_room("another teacher")
    clock.t += 3601
    board.open_room("busy teacher")


def test_rooms_expire_with_their_runs(board, clock):
    room, _ = board.open_room("t")
    board.share(room.code, "s", a_run())
    clock.t += nb.ROOM_HOURS * 3600 - 1
    assert board.room(room.code) is not None
    clock.t += 2
    assert board.room(room.code) is None and board.revision(room.code) is None
    with pytest.raises(BoardError, match="no open room"):
        board.find_room(room.code, "late student")
    with pytest.raises(BoardError, match="gone"):
        board.share(room.code, "s", a_run())
    board.open_room("next teacher")  # opening a room purges expired ones
    with board.engine.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(nb.runs)) == 0


# ----------------------------------------------------------------------------- sharing


def test_a_shared_run_round_trips_settings_metrics_and_curves(board):
    room, _ = board.open_room("t")
    settings = TrainerSettings(dataset="spiral", hidden=24, lr=0.3, batch_size=0, epochs=500, seed=7, noise=0.1)
    recs = records(500)
    run = shared_run("  <b>Ada</b>   L. ", settings, recs)
    assert run.nickname == "<b>Ada</b> L."  # kept as typed (spaces tidied): the board shows it as text
    assert len(run.curves["epoch"]) == nb.CURVE_POINTS
    assert run.curves["epoch"][0] == 1 and run.curves["epoch"][-1] == 500
    assert run.test_acc == recs[-1].test_acc and run.epochs == 500
    rid = board.share(room.code, "s", run)
    (back,) = board.runs(room.code)
    assert back.id == rid and back.nickname == run.nickname
    assert back.settings == settings and to_query(back.settings) == to_query(settings)
    assert back.curves == run.curves
    assert (back.train_loss, back.test_loss, back.train_acc, back.test_acc) == \
        (run.train_loss, run.test_loss, run.train_acc, run.test_acc)


def test_diverged_values_are_stored_as_missing_not_as_nan(board):
    room, _ = board.open_room("t")
    recs = records(5)
    recs[-1] = EpochRecord(5, 50, float("nan"), 0.5, float("inf"), 0.5, 1.0)
    board.share(room.code, "s", shared_run("x", TrainerSettings(epochs=5), recs))
    (back,) = board.runs(room.code)
    assert back.train_loss is None and back.test_loss is None and back.curves["test_loss"][-1] is None


@pytest.mark.parametrize("nickname, message", [("", "nickname first"), ("   ", "nickname first"),
                                               ("x" * (nb.NICKNAME_MAX + 1), "at most 24"),
                                               ("tab\x07bell", "control characters")])
def test_bad_nicknames_get_a_clear_message(nickname, message):
    with pytest.raises(BoardError, match=message):
        a_run(nickname)


def test_a_nickname_of_24_characters_is_fine(board):
    room, _ = board.open_room("t")
    board.share(room.code, "s", a_run("é" * nb.NICKNAME_MAX))
    assert board.runs(room.code)[0].nickname == "é" * nb.NICKNAME_MAX


def test_malformed_runs_are_refused(board):
    room, _ = board.open_room("t")
    run = a_run()
    too_long = {k: v * 2 for k, v in (run.curves | {"epoch": list(range(150))}).items()}
    for bad in (nb.SharedRun(**{**run.__dict__, "curves": too_long}),
                nb.SharedRun(**{**run.__dict__, "curves": {"epoch": [1]}}),
                nb.SharedRun(**{**run.__dict__, "settings": TrainerSettings(lr=0.123)})):
        with pytest.raises(BoardError):
            board.share(room.code, "s", bad)
    assert board.runs(room.code) == []
    with pytest.raises(BoardError, match="train it first"):
        shared_run("a", TrainerSettings(), [])


def test_share_interval_and_per_session_cap(board, clock):
    room, _ = board.open_room("t")
    board.share(room.code, "s", a_run())
    with pytest.raises(RateLimited, match="wait") as limited:
        board.share(room.code, "s", a_run())
    assert 0 < limited.value.retry_after <= nb.SHARE_INTERVAL_S
    board.share(room.code, "other", a_run("bo"))  # another session is not held back
    for _ in range(nb.SHARES_PER_SESSION - 1):
        clock.t += nb.SHARE_INTERVAL_S
        board.share(room.code, "s", a_run())
    clock.t += nb.SHARE_INTERVAL_S
    with pytest.raises(BoardError, match="the most one person can"):
        board.share(room.code, "s", a_run())
    assert len(board.runs(room.code)) == nb.SHARES_PER_SESSION + 1


def test_a_room_holds_a_bounded_number_of_runs_even_under_concurrent_shares(board, monkeypatch):
    monkeypatch.setattr(nb, "RUNS_PER_ROOM", 5)
    room, _ = board.open_room("t")
    results = []

    def student(i):
        try:
            results.append(board.share(room.code, f"s{i}", a_run(f"s{i}")))
        except BoardError as err:
            results.append(err)

    threads = [threading.Thread(target=student, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ok = [r for r in results if isinstance(r, int)]
    assert len(ok) == 5 and len(board.runs(room.code)) == 5
    assert all("is full" in str(r) for r in results if not isinstance(r, int))
    assert board.revision(room.code) == 5


# ----------------------------------------------------------------------------- the teacher's powers


def test_only_the_teacher_hides_clears_and_closes(board):
    room, key = board.open_room("t")
    other_room, other_key = board.open_room("t2")
    rid = board.share(room.code, "s", a_run("rude"))
    board.share(room.code, "s2", a_run("kind"))
    for wrong in (None, "", other_key, key + "x"):
        for act in (lambda k: board.hide(room.code, k, rid), lambda k: board.clear(room.code, k),
                    lambda k: board.set_closed(room.code, k)):
            with pytest.raises(BoardError, match="Only the teacher"):
                act(wrong)
    assert [r.nickname for r in board.runs(room.code)] == ["rude", "kind"]
    rev = board.revision(room.code)
    board.hide(room.code, key, rid)
    assert [r.nickname for r in board.runs(room.code)] == ["kind"]
    assert [(r.nickname, r.hidden) for r in board.runs(room.code, include_hidden=True)] == [("rude", True), ("kind", False)]
    assert board.revision(room.code) == rev + 1
    with pytest.raises(BoardError, match="no run"):
        board.hide(other_room.code, other_key, rid)  # a run of another room
    board.set_closed(room.code, key)
    with pytest.raises(BoardError, match="closed the room"):
        board.share(room.code, "s3", a_run("late"))
    assert board.room(room.code).closed and len(board.runs(room.code)) == 1  # the board stays readable
    board.set_closed(room.code, key, False)
    board.share(room.code, "s3", a_run("late"))
    assert board.clear(room.code, key) == 3
    assert board.runs(room.code, include_hidden=True) == []


def test_stored_settings_are_json_of_the_url_schema(board):
    room, _ = board.open_room("t")
    board.share(room.code, "s", a_run(lr=0.03, hidden=5))
    with board.engine.connect() as conn:
        stored = json.loads(conn.scalar(sa.select(nb.runs.c.settings)))
    assert stored == to_query(TrainerSettings(dataset="xor", epochs=50, lr=0.03, hidden=5))
