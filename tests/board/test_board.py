"""The class board's storage, against SQLite and a real PostgreSQL (started here by ``cluster.postgres``)."""

import contextlib
import json
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

import nnviz.board.store as nb
from cluster.postgres import TempPostgres
from nnviz.board.store import Board, BoardError, RateLimited, shared_run
from nnviz.core.settings import TrainerSettings, to_query
from nnviz.core.training import EpochRecord

_PG: list[TempPostgres] = []  # the module's PostgreSQL (``stall`` stops its processes)


@pytest.fixture(scope="module")
def postgres():
    with TempPostgres() as pg:
        _PG[:] = [pg]
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
def board(url):
    b = Board(url)
    yield b
    b.close()


def age(board, seconds: float):
    """Time passes: every time the database holds moves ``seconds`` into the past (the board reads the database's
    clock, which a test cannot move)."""
    with board.engine.begin() as conn:
        conn.execute(nb.rooms.update().values(created_at=nb.rooms.c.created_at - seconds,
                                              expires_at=nb.rooms.c.expires_at - seconds))
        conn.execute(nb.runs.update().values(created_at=nb.runs.c.created_at - seconds))
        conn.execute(nb.misses.update().values(at=nb.misses.c.at - seconds))


def records(n=50, acc=0.9):
    return [EpochRecord(e, e * 10, 1.0 / e, acc * e / n, 1.1 / e, acc * e / n - 0.01, 1000.0) for e in range(1, n + 1)]


def a_run(nickname="ada", n=50, **settings):
    return shared_run(nickname, TrainerSettings(**{"dataset": "xor", "epochs": 50, **settings}), records(n))


# ----------------------------------------------------------------------------- schema and database


def test_schema_created_with_its_version_and_reopened_without_change(url):
    b = Board(url)
    assert b.schema_version() == nb.SCHEMA_VERSION
    room, _ = b.open_room("s")
    b.close()
    again = Board(url)  # a restart: the schema is kept, and so are the rooms
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


def test_unknown_codes_are_rate_limited_per_session_and_per_address_and_a_code_that_exists_never_is(board):
    room, _ = board.open_room("t")
    unknown = "Z" * nb.CODE_LENGTH if room.code != "Z" * nb.CODE_LENGTH else "Y" * nb.CODE_LENGTH
    for _ in range(nb.MISSES_PER_SESSION):
        with pytest.raises(BoardError, match="no open room") as err:
            board.find_room(unknown, "guesser", "10.0.0.9")
        assert not isinstance(err.value, RateLimited)
    with pytest.raises(RateLimited) as limited:
        board.find_room(unknown, "guesser", "10.0.0.9")
    assert 0 < limited.value.retry_after <= nb.MISS_WINDOW_S
    # Issue 32, item 6: the lookup comes first — the room's real code is found even for the guesser, and for
    # everyone behind its address (a class behind one NAT with a student who mistyped five codes)
    assert board.find_room(room.code, "guesser", "10.0.0.9").code == room.code
    assert board.find_room(room.code, "classmate", "10.0.0.9").code == room.code
    age(board, nb.MISS_WINDOW_S + 1)
    with pytest.raises(BoardError, match="no open room"):
        board.find_room(unknown, "guesser", "10.0.0.9")
    # Many sessions from one address: the address's own limit
    for i in range(nb.MISSES_PER_ADDRESS):
        with pytest.raises(BoardError):
            board.find_room(unknown, f"bot{i // (nb.MISSES_PER_SESSION - 1)}", "10.6.6.6")
    with pytest.raises(RateLimited):
        board.find_room(unknown, "fresh-session", "10.6.6.6")
    assert board.find_room(room.code, "fresh-session", "10.6.6.6").code == room.code


def test_a_session_opens_a_bounded_number_of_rooms_per_hour(board):
    for _ in range(nb.ROOMS_PER_SESSION_HOUR):
        board.open_room("busy teacher")
    with pytest.raises(RateLimited, match="rooms in the last hour"):
        board.open_room("busy teacher")
    board.open_room("another teacher")
    age(board, 3601)
    board.open_room("busy teacher")


def test_rooms_expire_with_their_runs(board):
    room, _ = board.open_room("t")
    board.share(room.code, "s", a_run())
    age(board, nb.ROOM_HOURS * 3600 - 1)
    assert board.room(room.code) is not None
    age(board, 2)
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


def test_share_interval_and_per_session_cap(board):
    room, _ = board.open_room("t")
    board.share(room.code, "s", a_run())
    with pytest.raises(RateLimited, match="wait") as limited:
        board.share(room.code, "s", a_run())
    assert 0 < limited.value.retry_after <= nb.SHARE_INTERVAL_S
    board.share(room.code, "other", a_run("bo"))  # another session is not held back
    for _ in range(nb.SHARES_PER_SESSION - 1):
        age(board, nb.SHARE_INTERVAL_S)
        board.share(room.code, "s", a_run())
    age(board, nb.SHARE_INTERVAL_S)
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


# ----------------------------------------------------------------------------- issue 32: one client, one clock


def test_one_client_opens_a_bounded_number_of_rooms_however_many_sessions_it_makes(board):
    """Item 4: 2000 rooms opened in 101 s from 404 sessions (5 each) left every teacher without a room for 12 h."""
    for i in range(nb.ROOMS_PER_CLIENT_HOUR):
        board.open_room(f"session{i}", client="10.6.6.6")
    with pytest.raises(RateLimited, match="from your network in the last hour"):
        board.open_room("yet another session", client="10.6.6.6")
    assert board.open_room("a teacher elsewhere", client="10.1.1.1")[0].code  # others still open rooms
    age(board, 3601)
    held = nb.ROOMS_PER_CLIENT_HOUR
    while held < nb.ROOMS_PER_CLIENT:
        for i in range(min(nb.ROOMS_PER_CLIENT_HOUR, nb.ROOMS_PER_CLIENT - held)):
            board.open_room(f"later{held}-{i}", client="10.6.6.6")
        held += min(nb.ROOMS_PER_CLIENT_HOUR, nb.ROOMS_PER_CLIENT - held)
        age(board, 3601)
    with pytest.raises(RateLimited, match="holds 60 open rooms"):
        board.open_room("one more", client="10.6.6.6")


def test_one_client_fills_at_most_half_a_room_and_hidden_runs_leave_room_for_the_class(board, monkeypatch):
    """Item 5: 200 runs shared in 46 s from 10 sessions filled a room for everyone, and the runs the teacher hid
    still counted, so Clear (which deletes the class's runs) was the only remedy."""
    monkeypatch.setattr(nb, "RUNS_PER_ROOM", 10)
    monkeypatch.setattr(nb, "RUNS_STORED_PER_ROOM", 20)
    monkeypatch.setattr(nb, "RUNS_PER_CLIENT_ROOM", 5)
    room, key = board.open_room("teacher")
    spam = [board.share(room.code, f"bot{i}", a_run(f"bot{i}"), client="10.6.6.6") for i in range(5)]
    with pytest.raises(BoardError, match="from your network"):
        board.share(room.code, "bot9", a_run("bot9"), client="10.6.6.6")
    for i in range(5):  # the class still has the other half
        board.share(room.code, f"student{i}", a_run(f"student{i}"), client=f"10.0.0.{i}")
    with pytest.raises(BoardError, match="is full"):
        board.share(room.code, "student9", a_run("student9"), client="10.0.0.9")
    for rid in spam:  # the teacher hides the spam: it no longer takes the room's places
        board.hide(room.code, key, rid)
    board.share(room.code, "student9", a_run("student9"), client="10.0.0.9")
    with pytest.raises(BoardError, match="from your network"):  # and hiding gave the spammer nothing back
        board.share(room.code, "bot10", a_run("bot10"), client="10.6.6.6")
    assert len(board.runs(room.code)) == 6 and len(board.runs(room.code, include_hidden=True)) == 11


SKEWED_REPLICA = """
import sys, time
real = time.time
time.time = lambda: real() + 13 * 3600  # this replica's clock is 13 hours ahead
from nnviz.board.store import Board
board = Board(sys.argv[1])
board.open_room("teacher on the skewed replica")
board.purge_expired()
"""


def test_a_replica_whose_clock_is_13_hours_ahead_deletes_no_room(board, url):
    """Item 7: a replica 13 h ahead expired 7 rooms and 42 runs of the cluster when a teacher opened a room there.
    Expiry runs on the database's clock, in the delete itself."""
    import subprocess
    import sys

    rooms = [board.open_room(f"teacher{i}")[0] for i in range(3)]
    for i, room in enumerate(rooms):
        board.share(room.code, f"s{i}", a_run())
    subprocess.run([sys.executable, "-c", SKEWED_REPLICA, url], check=True, timeout=120)
    assert all(board.room(room.code) is not None for room in rooms)
    assert sum(len(board.runs(room.code)) for room in rooms) == 3
    age(board, nb.ROOM_HOURS * 3600 + 1)  # by the database's clock, their lifetime is over now
    board.purge_expired()
    assert all(board.room(room.code) is None for room in rooms)


def test_a_run_that_diverged_in_its_first_epoch_can_be_shared(board):
    """Item 16: the README says diverged runs can be shared; one that diverged before its first epoch ended could
    not ("Train a run to the end")."""
    room, _ = board.open_room("t")
    run = shared_run("Icarus", TrainerSettings(dataset="xor", lr=10.0, epochs=50), [], diverged=True)
    board.share(room.code, "s", run)
    (back,) = board.runs(room.code)
    assert back.nickname == "Icarus" and back.epochs == 0 and back.test_acc is None
    assert back.curves["epoch"] == []


def test_a_database_that_does_not_answer_is_reported_within_the_calls_deadline(url, tmp_path):
    """Item 8: a stalled PostgreSQL (or an SQLite file locked by someone else) held each call for as long as it
    stalled. Each call has a deadline, and says so plainly."""
    import contextlib

    entered = []

    @contextlib.contextmanager
    def waiting():
        entered.append(True)
        yield

    b = Board(url, waiting=waiting, timeout=2.0)
    room, _ = b.open_room("t")
    with stall(b):
        with pytest.raises(nb.BoardUnavailable, match="not answering right now"):
            b.share(room.code, "s", a_run())
    assert entered  # the app's hook was entered while the call waited
    assert b.room(room.code) is not None  # back: the next call works
    b.close()


@contextlib.contextmanager
def stall(board):
    """The board's database stops answering: PostgreSQL's processes are stopped (SIGSTOP); SQLite's file is held
    under an exclusive lock by another connection."""
    import os
    import signal

    import psutil

    if board.backend == "postgresql":
        pid = int(Path(_PG[0].data / "postmaster.pid").read_text().split()[0])
        procs = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
        for p in procs:
            os.kill(p.pid, signal.SIGSTOP)
        try:
            yield
        finally:
            for p in procs:
                os.kill(p.pid, signal.SIGCONT)
    else:
        import sqlite3

        path = board.engine.url.database
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            other.execute("ROLLBACK")
            other.close()
