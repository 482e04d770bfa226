"""The class board's storage: rooms a teacher opens, runs students share into them, and the limits
that keep a public board usable.

One database layer for both back ends (SQLAlchemy Core 2.x): by default an SQLite file in the app's
cache folder (WAL mode, so many sessions of one server read while one writes), or PostgreSQL
(psycopg 3) when ``NNVIZ_DATABASE_URL=postgresql://…`` is set, which several replicas share.

The schema is created or upgraded when a ``Board`` opens: the table ``nnviz_schema`` holds the
version of the schema in the database, and ``MIGRATIONS`` lists the steps from each version to
the next; they run in one transaction, under a lock (PostgreSQL: an advisory lock; SQLite: its
write lock), so replicas starting together upgrade once.

Time is the database's: every expiry, window and interval is computed in SQL from its clock (``now()``,
``julianday('now')``), in the statement that uses it — the replicas share one clock, so a replica whose own clock
is hours ahead deletes nothing early.

Every call has a deadline (``DB_TIMEOUT_S``): it runs on one of a few threads of the board's own, and a database
that does not answer in time (stopped, locked, unreachable) is reported as ``BoardUnavailable`` — a ``BoardError``
with a plain message — instead of holding the page that asked, or the server's page-script gate, for minutes.
``waiting`` (given by the app) is entered while a call waits: the app steps out of its gate there, so that a
stalled database never holds a turn that live charts need.

Nothing here imports Streamlit: the pages pass in who is asking (a session key and the client's
address) and turn ``BoardError`` into a message.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import json
import math
import os
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, make_url

from nnviz import cache_folder
from nnviz.core.settings import TrainerSettings, from_query, to_query
from nnviz.viz.downsample import spread

# ----------------------------------------------------------------------------- limits (one table)

#: Room codes: read aloud in a classroom, typed by students. No I, L, O, 0 or 1 (they look alike).
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 7  # 31**7 ≈ 2.8e10 codes: guessing a live one at the lookup limits below takes years

# "Client" below is the address nnviz.serving.identity gives (the deployment's trusted hop): a session is free to make,
# a client is not. Behind a school's NAT a whole class is one client, so per-client limits hold a class.
NICKNAME_MAX = 24
ROOM_HOURS = 12  # a room (and its runs) is deleted 12 h after it was opened: a school day
RUNS_PER_ROOM = 200  # runs a room shows (hidden ones do not count): a class of 30 sharing ~6 runs each
RUNS_STORED_PER_ROOM = 2 * RUNS_PER_ROOM  # ... and keeps, hidden ones included
RUNS_PER_CLIENT_ROOM = RUNS_PER_ROOM // 2  # runs one client may share into a room: half of it, hidden ones included
SHARES_PER_SESSION = 10  # per room
SHARE_INTERVAL_S = 10.0  # one share per session every 10 s
ROOMS_PER_SESSION_HOUR = 5  # rooms one session may open in an hour
ROOMS_PER_CLIENT_HOUR = 20  # ... and one client (a school's teachers behind one address)
ROOMS_PER_CLIENT = 60  # rooms one client holds open at once
LIVE_ROOMS = 2000  # rooms alive at once, all teachers together
MISS_WINDOW_S = 60.0
MISSES_PER_SESSION = 5  # unknown codes a session may try per minute
MISSES_PER_ADDRESS = 30  # ... and one client address (a classroom may share one address)
CURVE_POINTS = 200  # points kept of each curve of a shared run
SCHEMA_VERSION = 2
DB_TIMEOUT_S = 8.0  # a database call that has not answered by then is reported as unavailable
DB_THREADS = 8  # database calls under way at once (more wait their turn, each within its own deadline)


class BoardError(ValueError):
    """A request the board refuses, with a message a user can act on."""


class RateLimited(BoardError):
    """Too many requests; ``retry_after`` seconds until the next one can succeed."""

    def __init__(self, message: str, retry_after: float):
        super().__init__(message)
        self.retry_after = retry_after


class BoardUnavailable(BoardError):
    """The database did not answer (down, stopped, locked, its tables missing): nothing was changed that the
    user must know about; trying again later works once it is back."""

    def __init__(self, reason: str = ""):
        super().__init__("The class board's database is not answering right now"
                         + (f" ({reason})" if reason else "") + ". Try again in a minute.")


# ----------------------------------------------------------------------------- schema

metadata = sa.MetaData()

schema_table = sa.Table(
    "nnviz_schema", metadata,
    sa.Column("component", sa.String(32), primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
)

rooms = sa.Table(
    "board_rooms", metadata,
    sa.Column("code", sa.String(16), primary_key=True),
    sa.Column("teacher_key_hash", sa.String(64), nullable=False),  # sha256 of the key; the key itself is never stored
    sa.Column("opened_by", sa.String(64), nullable=False),  # the opening session's key, for the per-session limit
    sa.Column("client", sa.String(64), nullable=False, default="", server_default=""),  # ... its client (v2)
    sa.Column("created_at", sa.Float, nullable=False),  # seconds since the epoch
    sa.Column("expires_at", sa.Float, nullable=False, index=True),
    sa.Column("closed", sa.Boolean, nullable=False, default=False),
    sa.Column("revision", sa.Integer, nullable=False, default=0),  # +1 on every change: the board's cheap poll
)

runs = sa.Table(
    "board_runs", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("room_code", sa.String(16), sa.ForeignKey("board_rooms.code", ondelete="CASCADE"), nullable=False),
    sa.Column("session_key", sa.String(64), nullable=False),
    sa.Column("client", sa.String(64), nullable=False, default="", server_default=""),  # who shared it (v2)
    sa.Column("nickname", sa.String(NICKNAME_MAX), nullable=False),
    sa.Column("dataset", sa.String(32), nullable=False),
    sa.Column("settings", sa.Text, nullable=False),  # JSON: the URL query of the run (nnviz.core.settings.to_query)
    sa.Column("epochs", sa.Integer, nullable=False),
    sa.Column("train_loss", sa.Float),
    sa.Column("test_loss", sa.Float),
    sa.Column("train_acc", sa.Float),
    sa.Column("test_acc", sa.Float),
    sa.Column("curves", sa.Text, nullable=False),  # JSON: epoch, train/test loss and accuracy, downsampled
    sa.Column("hidden", sa.Boolean, nullable=False, default=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Index("board_runs_room", "room_code", "id"),
    sa.Index("board_runs_session", "room_code", "session_key"),
)

misses = sa.Table(  # lookups of unknown codes, for the rate limit
    "board_misses", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("session_key", sa.String(64), nullable=False),
    sa.Column("address", sa.String(64), nullable=False),
    sa.Column("at", sa.Float, nullable=False),
    sa.Index("board_misses_session", "session_key", "at"),
    sa.Index("board_misses_address", "address", "at"),
)


_CLIENT_INDEXES = (sa.Index("board_rooms_client", rooms.c.client, rooms.c.created_at),
                   sa.Index("board_runs_client", runs.c.room_code, runs.c.client))


def _create_v1(conn: Connection):
    metadata.create_all(conn, tables=[rooms, runs, misses])


def _add_clients_v2(conn: Connection):
    """Version 2: rooms and runs remember their client (per-client limits)."""
    for table in (rooms, runs):
        if "client" not in {c["name"] for c in sa.inspect(conn).get_columns(table.name)}:
            conn.execute(sa.text(f"ALTER TABLE {table.name} ADD COLUMN client VARCHAR(64) NOT NULL DEFAULT ''"))
    for index in _CLIENT_INDEXES:
        index.create(conn, checkfirst=True)


#: MIGRATIONS[v] takes a database at version v to version v + 1.
MIGRATIONS: dict[int, Callable[[Connection], None]] = {0: _create_v1, 1: _add_clients_v2}
assert len(MIGRATIONS) == SCHEMA_VERSION


# ----------------------------------------------------------------------------- what is stored

@dataclass(frozen=True)
class Room:
    code: str
    created_at: float
    expires_at: float
    closed: bool
    revision: int


@dataclass(frozen=True)
class SharedRun:
    """One run as a student shares it (and as the board reads it back)."""

    nickname: str
    settings: TrainerSettings
    epochs: int
    train_loss: float | None
    test_loss: float | None
    train_acc: float | None
    test_acc: float | None
    curves: dict  # "epoch", "train_loss", "test_loss", "train_acc", "test_acc": lists of equal length
    id: int = 0
    hidden: bool = False
    created_at: float = 0.0

    @property
    def dataset(self) -> str:
        return self.settings.dataset


def _finite(value) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def clean_nickname(text) -> str:
    """A nickname as stored: trimmed, 1–24 printable characters. Raises ``BoardError`` otherwise."""
    name = " ".join(str(text or "").split())
    if not name:
        raise BoardError("Type a nickname first (it is shown on the class board).")
    if len(name) > NICKNAME_MAX:
        raise BoardError(f"A nickname has at most {NICKNAME_MAX} characters; {name[:30]!r} has {len(name)}.")
    if any(not ch.isprintable() for ch in name):
        raise BoardError("A nickname cannot contain control characters.")
    return name


def shared_run(nickname: str, settings: TrainerSettings, records: Sequence, diverged: bool = False) -> SharedRun:
    """A finished run ready to share: ``records`` are its ``EpochRecord``s (epoch, train/test loss and
    accuracy); the curves keep at most ``CURVE_POINTS`` of them. A run that ``diverged`` before its first epoch
    ended has none, and is shared as such (no numbers, no curves): a learning rate too high is a lesson too."""
    if not records:
        if diverged:
            return SharedRun(clean_nickname(nickname), settings, 0, None, None, None, None,
                             {name: [] for name in ("epoch", "train_loss", "test_loss", "train_acc", "test_acc")})
        raise BoardError("This run has no finished epoch yet: train it first, then share it.")
    last = records[-1]
    keep = spread(len(records), CURVE_POINTS)
    curves = {name: [_finite(getattr(records[i], name)) for i in keep]
              for name in ("train_loss", "test_loss", "train_acc", "test_acc")}
    curves["epoch"] = [int(records[i].epoch) for i in keep]
    return SharedRun(clean_nickname(nickname), settings, int(last.epoch), _finite(last.train_loss),
                     _finite(last.test_loss), _finite(last.train_acc), _finite(last.test_acc), curves)


def _check_curves(curves) -> dict:
    names = ("epoch", "train_loss", "test_loss", "train_acc", "test_acc")
    if not isinstance(curves, dict) or set(curves) != set(names):
        raise BoardError(f"curves must have exactly {', '.join(names)}")
    n = len(curves["epoch"])
    if n > CURVE_POINTS or any(len(curves[k]) != n for k in names):
        raise BoardError(f"curves must be {CURVE_POINTS} points at most, all of the same length")
    return {k: [None if v is None else (int(v) if k == "epoch" else _finite(v)) for v in curves[k]] for k in names}


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def normalize_code(text) -> str:
    """A typed room code as stored: upper case, spaces and dashes dropped. Raises ``BoardError`` when it
    cannot be a code (so a typo costs no lookup)."""
    code = "".join(ch for ch in str(text or "").upper() if ch not in " -\t")
    if len(code) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in code):
        raise BoardError(f"A room code is {CODE_LENGTH} letters and digits (no I, L, O, 0 or 1), "
                         f"like {'ABCDEFGHJ'[:CODE_LENGTH]}; got {str(text)[:20]!r}.")
    return code


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


# ----------------------------------------------------------------------------- the database

def database_url(url: str | None = None) -> str:
    """The database to use: ``url``, else ``$NNVIZ_DATABASE_URL``, else an SQLite file in the cache folder
    (``$NNVIZ_CACHE`` or ``.cache/``). ``postgresql://`` and ``postgres://`` mean psycopg 3."""
    url = url or os.environ.get("NNVIZ_DATABASE_URL", "").strip()
    if not url:
        folder = cache_folder()
        folder.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{folder / 'board.sqlite3'}"
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise BoardError(f"NNVIZ_DATABASE_URL must be sqlite:///… or postgresql://…, got {parsed.drivername!r}")
    return parsed.render_as_string(hide_password=False)


def _sqlite_engine(url: str) -> Engine:
    # busy timeout below the call's deadline: a write lock held elsewhere is reported, not waited out
    engine = sa.create_engine(url, connect_args={"timeout": DB_TIMEOUT_S / 2, "check_same_thread": False})

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # SQLAlchemy's documented recipe: we emit BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
        cur.execute("PRAGMA synchronous=NORMAL")  # safe with WAL; a crash may lose the last commit only
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(conn):
        # A write transaction takes the write lock at once, so two shares cannot both pass a limit check.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("nnviz_write") else "BEGIN")

    return engine


def _postgres_engine(url: str) -> Engine:
    """PostgreSQL with deadlines on its side too: connecting, any statement, and waiting for a lock (the thread
    deadline covers a server that cannot even enforce them, e.g. stopped); a pool that is empty is not waited on
    for longer than a call may take."""
    ms = int(DB_TIMEOUT_S * 1000)
    return sa.create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10, pool_timeout=DB_TIMEOUT_S / 2,
                            connect_args={"connect_timeout": max(1, int(DB_TIMEOUT_S / 2)),
                                          "options": f"-c statement_timeout={ms} -c lock_timeout={ms // 2}"})


def _db_now(backend: str):
    """The database's clock in seconds since the epoch, as an SQL expression."""
    if backend == "sqlite":
        return (sa.func.julianday("now") - 2440587.5) * 86400.0
    return sa.cast(sa.func.extract("epoch", sa.func.now()), sa.Float)


def _guarded(method):
    """A public call of ``Board``: on the board's own threads, with a deadline (see ``Board._call``)."""
    @functools.wraps(method)
    def call(self, *args, **kwargs):
        return self._call(method, *args, **kwargs)
    return call


class Board:
    """Rooms and runs in one database. Thread-safe; one per process is enough (``shared_board``).

    ``waiting``: a context manager factory entered while a call waits for the database (the app leaves its
    page-script gate there). ``timeout``: the deadline of each call, in seconds."""

    def __init__(self, url: str | None = None, *, waiting: Callable = contextlib.nullcontext,
                 timeout: float = DB_TIMEOUT_S):
        self.url = database_url(url)
        self.backend = make_url(self.url).get_backend_name()
        self.waiting = waiting
        self.timeout = timeout
        self._threads = ThreadPoolExecutor(DB_THREADS, thread_name_prefix="nnviz-board")
        self.engine = _sqlite_engine(self.url) if self.backend == "sqlite" else _postgres_engine(self.url)
        self._writer = self.engine.execution_options(nnviz_write=True)
        self._now = _db_now(self.backend)
        try:
            self._call(Board._upgrade)
        except BaseException:
            self.close()
            raise

    def __repr__(self):
        return f"Board({make_url(self.url).render_as_string(hide_password=True)!r})"

    def close(self):
        self.engine.dispose()
        self._threads.shutdown(wait=False)

    def _call(self, method, *args, **kwargs):
        """Run ``method(self, ...)`` on the board's threads and wait for it at most ``timeout`` seconds (inside
        ``waiting``). A database that does not answer, or fails, is ``BoardUnavailable``. A call still waiting for
        a thread when its caller has given up (every thread stuck on a stopped database) is skipped."""
        deadline = time.monotonic() + self.timeout

        def task():
            if time.monotonic() > deadline:
                return None  # its caller has been told already
            return method(self, *args, **kwargs)

        try:
            future = self._threads.submit(task)
        except RuntimeError:  # closed
            raise BoardUnavailable("the board is closed") from None
        with self.waiting():
            try:
                return future.result(timeout=self.timeout)
            except FutureTimeout:
                raise BoardUnavailable(f"no answer in {self.timeout:.0f} s") from None
            except sa.exc.SQLAlchemyError as err:
                raise BoardUnavailable(type(err).__name__) from err

    # ---------------------------------------------------------------- schema

    @_guarded
    def schema_version(self) -> int:
        with self.engine.connect() as conn:
            if not sa.inspect(conn).has_table(schema_table.name):
                return 0
            return conn.scalar(sa.select(schema_table.c.version).where(schema_table.c.component == "board")) or 0

    def _upgrade(self):
        """Create the tables, or bring them to ``SCHEMA_VERSION``; refuses a database newer than this code. Tables
        missing behind a current schema row (dropped by hand) are created again."""
        with self._writer.begin() as conn:
            if self.backend == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(2026111301)"))  # replicas upgrade one at a time
            metadata.create_all(conn, tables=[schema_table])
            version = conn.scalar(sa.select(schema_table.c.version).where(schema_table.c.component == "board"))
            if version is None:
                conn.execute(schema_table.insert().values(component="board", version=0))
                version = 0
            if version > SCHEMA_VERSION:
                raise BoardError(f"The database's board schema is version {version}, newer than this nnviz "
                                 f"({SCHEMA_VERSION}): upgrade nnviz or use another database.")
            for v in range(version, SCHEMA_VERSION):
                MIGRATIONS[v](conn)
            if version != SCHEMA_VERSION:
                conn.execute(schema_table.update().where(schema_table.c.component == "board")
                             .values(version=SCHEMA_VERSION))
            else:
                metadata.create_all(conn, tables=[rooms, runs, misses])  # (checks first: a no-op when all is there)

    # ---------------------------------------------------------------- rooms

    @_guarded
    def open_room(self, session_key: str, client: str = "") -> tuple[Room, str]:
        """A new room and its teacher key (returned once; only its hash is stored). Limited per session and per
        client (rooms opened in the last hour, rooms open at once) and for the whole server."""
        key = secrets.token_urlsafe(18)
        with self._writer.begin() as conn:
            now = conn.scalar(sa.select(self._now))
            self._purge(conn)
            mine = conn.scalar(sa.select(sa.func.count()).select_from(rooms).where(
                rooms.c.opened_by == session_key, rooms.c.created_at > now - 3600))
            if mine >= ROOMS_PER_SESSION_HOUR:
                raise RateLimited(f"You opened {mine} rooms in the last hour; reuse one of them "
                                  "(its link keeps working) or try again later.", 3600)
            if client:
                hour, held = conn.execute(sa.select(
                    sa.func.count().filter(rooms.c.created_at > now - 3600), sa.func.count()).where(
                    rooms.c.client == client)).first()
                if hour >= ROOMS_PER_CLIENT_HOUR:
                    raise RateLimited(f"{hour} rooms were opened from your network in the last hour, the most it "
                                      "can; reuse one of them (its link keeps working) or try again later.", 3600)
                if held >= ROOMS_PER_CLIENT:
                    raise RateLimited(f"Your network holds {held} open rooms, the most it can; reuse one of them "
                                      f"(rooms close {ROOM_HOURS} h after they were opened).", 3600)
            if conn.scalar(sa.select(sa.func.count()).select_from(rooms)) >= LIVE_ROOMS:
                raise RateLimited("The server holds as many rooms as it can right now; try again later.", 600)
            while True:
                code = new_code()
                if conn.scalar(sa.select(rooms.c.code).where(rooms.c.code == code)) is None:
                    break
            conn.execute(rooms.insert().values(code=code, teacher_key_hash=hash_key(key), opened_by=session_key,
                                               client=client, created_at=self._now,
                                               expires_at=self._now + ROOM_HOURS * 3600, closed=False, revision=0))
            row = conn.execute(sa.select(rooms).where(rooms.c.code == code)).first()
        return Room(code, row.created_at, row.expires_at, False, 0), key

    def _row_room(self, conn, code: str, lock: bool = False):
        q = sa.select(rooms).where(rooms.c.code == code, rooms.c.expires_at > self._now)
        return conn.execute(q.with_for_update() if lock else q).first()

    @_guarded
    def find_room(self, code, session_key: str, address: str = "") -> Room:
        """The room a student or teacher typed or followed a link to. A room that exists is always found; lookups
        of unknown codes are rate-limited per session and per client address (``BoardError``, ``RateLimited``)."""
        code = normalize_code(code)
        with self._writer.begin() as conn:
            row = self._row_room(conn, code)
            if row is not None:  # a code that exists is never refused, whoever else guessed from the same address
                return Room(row.code, row.created_at, row.expires_at, row.closed, row.revision)
            now = conn.scalar(sa.select(self._now))
            since = now - MISS_WINDOW_S
            by_session = conn.execute(sa.select(sa.func.count(), sa.func.min(misses.c.at)).where(
                misses.c.session_key == session_key, misses.c.at > since)).first()
            by_address = conn.execute(sa.select(sa.func.count(), sa.func.min(misses.c.at)).where(
                misses.c.address == address, misses.c.at > since)).first() if address else (0, None)
            for (count, first), limit in ((by_session, MISSES_PER_SESSION), (by_address, MISSES_PER_ADDRESS)):
                if count >= limit:
                    wait = max(1.0, first + MISS_WINDOW_S - now)
                    raise RateLimited(f"Too many unknown room codes; wait {wait:.0f} s and check the code.", wait)
            conn.execute(misses.insert().values(session_key=session_key, address=address, at=now))
            conn.execute(misses.delete().where(misses.c.at < now - 10 * MISS_WINDOW_S))
        raise BoardError(f"There is no open room {code}: check the code (rooms close {ROOM_HOURS} h after "
                         "they were opened).")

    @_guarded
    def room(self, code: str) -> Room | None:
        """A room by its exact code, without counting a miss (for a board already open)."""
        with self.engine.connect() as conn:
            row = self._row_room(conn, code)
        return None if row is None else Room(row.code, row.created_at, row.expires_at, row.closed, row.revision)

    @_guarded
    def revision(self, code: str) -> int | None:
        """The room's change counter (one indexed row): the board redraws only when it moved."""
        with self.engine.connect() as conn:
            return conn.scalar(sa.select(rooms.c.revision).where(rooms.c.code == code,
                                                                 rooms.c.expires_at > self._now))

    @_guarded
    def is_teacher(self, code: str, key: str | None) -> bool:
        if not key:
            return False
        with self.engine.connect() as conn:
            stored = conn.scalar(sa.select(rooms.c.teacher_key_hash).where(rooms.c.code == code))
        return stored is not None and hmac.compare_digest(stored, hash_key(key))

    # ---------------------------------------------------------------- runs

    @_guarded
    def share(self, code: str, session_key: str, run: SharedRun, client: str = "") -> int:
        """Post a run to a room; returns its id. Raises ``BoardError`` when the room is closed or gone,
        the run is malformed, or a limit is reached: the room shows ``RUNS_PER_ROOM`` runs (runs the teacher hid
        do not count), one client shares at most ``RUNS_PER_CLIENT_ROOM`` into it (hidden ones count), one
        session ``SHARES_PER_SESSION``, one every ``SHARE_INTERVAL_S`` seconds."""
        nickname = clean_nickname(run.nickname)
        curves = _check_curves(run.curves)
        query = to_query(run.settings)
        settings, problems = from_query(query)
        if problems or settings != run.settings:
            raise BoardError("The run's settings are not valid: " + "; ".join(problems))
        with self._writer.begin() as conn:
            room = self._row_room(conn, code, lock=True)  # serialises shares into one room (PostgreSQL)
            if room is None:
                raise BoardError(f"The room {code} is gone (rooms close {ROOM_HOURS} h after they were opened).")
            if room.closed:
                raise BoardError(f"The teacher has closed the room {code}: it takes no more runs.")
            shown, stored = conn.execute(sa.select(sa.func.count().filter(runs.c.hidden.is_(False)),
                                                   sa.func.count()).where(runs.c.room_code == code)).first()
            if shown >= RUNS_PER_ROOM or stored >= RUNS_STORED_PER_ROOM:
                raise BoardError(f"The room {code} is full ({RUNS_PER_ROOM} runs); ask the teacher to clear it.")
            if client and conn.scalar(sa.select(sa.func.count()).where(
                    runs.c.room_code == code, runs.c.client == client)) >= RUNS_PER_CLIENT_ROOM:
                raise BoardError(f"{RUNS_PER_CLIENT_ROOM} runs were shared into this room from your network, the "
                                 "most one network can: the rest of the room is for the others.")
            count, last, now = conn.execute(sa.select(sa.func.count(), sa.func.max(runs.c.created_at), self._now)
                                            .where(runs.c.room_code == code,
                                                   runs.c.session_key == session_key)).first()
            if count >= SHARES_PER_SESSION:
                raise BoardError(f"You have shared {count} runs into this room, the most one person can.")
            if last is not None and now - last < SHARE_INTERVAL_S:
                wait = SHARE_INTERVAL_S - (now - last)
                raise RateLimited(f"One share every {SHARE_INTERVAL_S:.0f} s: wait {math.ceil(wait)} s.", wait)
            run_id = conn.execute(runs.insert().values(
                room_code=code, session_key=session_key, client=client, nickname=nickname, dataset=settings.dataset,
                settings=json.dumps(query), epochs=int(run.epochs), train_loss=_finite(run.train_loss),
                test_loss=_finite(run.test_loss), train_acc=_finite(run.train_acc), test_acc=_finite(run.test_acc),
                curves=json.dumps(curves, allow_nan=False), hidden=False, created_at=now,
            ).returning(runs.c.id)).scalar_one()
            conn.execute(rooms.update().where(rooms.c.code == code).values(revision=rooms.c.revision + 1))
        return run_id

    @_guarded
    def runs(self, code: str, include_hidden: bool = False) -> list[SharedRun]:
        """The room's runs, oldest first (hidden ones only for the teacher's view)."""
        q = sa.select(runs).where(runs.c.room_code == code).order_by(runs.c.id)
        if not include_hidden:
            q = q.where(runs.c.hidden.is_(False))
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
        out = []
        for r in rows:
            settings, _ = from_query(json.loads(r.settings))
            out.append(SharedRun(r.nickname, settings, r.epochs, r.train_loss, r.test_loss, r.train_acc,
                                 r.test_acc, json.loads(r.curves), id=r.id, hidden=r.hidden, created_at=r.created_at))
        return out

    # ---------------------------------------------------------------- the teacher's powers

    def _as_teacher(self, conn, code: str, key: str | None):
        room = self._row_room(conn, code, lock=True)
        if room is None:
            raise BoardError(f"The room {code} is gone.")
        if not key or not hmac.compare_digest(room.teacher_key_hash, hash_key(key)):
            raise BoardError("Only the teacher who opened this room can do that (open the teacher link).")
        return room

    @_guarded
    def hide(self, code: str, key: str | None, run_id: int, hidden: bool = True):
        with self._writer.begin() as conn:
            self._as_teacher(conn, code, key)
            done = conn.execute(runs.update().where(runs.c.room_code == code, runs.c.id == int(run_id))
                                .values(hidden=hidden)).rowcount
            if not done:
                raise BoardError(f"There is no run {run_id} in this room.")
            conn.execute(rooms.update().where(rooms.c.code == code).values(revision=rooms.c.revision + 1))

    @_guarded
    def clear(self, code: str, key: str | None) -> int:
        """Delete every run of the room; returns how many."""
        with self._writer.begin() as conn:
            self._as_teacher(conn, code, key)
            n = conn.execute(runs.delete().where(runs.c.room_code == code)).rowcount
            conn.execute(rooms.update().where(rooms.c.code == code).values(revision=rooms.c.revision + 1))
        return n

    @_guarded
    def set_closed(self, code: str, key: str | None, closed: bool = True):
        """Close the room to new runs (the board stays readable), or reopen it."""
        with self._writer.begin() as conn:
            self._as_teacher(conn, code, key)
            conn.execute(rooms.update().where(rooms.c.code == code)
                         .values(closed=closed, revision=rooms.c.revision + 1))

    # ---------------------------------------------------------------- expiry

    def _purge(self, conn):
        """Delete the rooms (and their runs) whose lifetime is over by the database's clock, in the statements
        themselves: no replica's own clock takes part."""
        gone = sa.select(rooms.c.code).where(rooms.c.expires_at <= self._now)
        conn.execute(runs.delete().where(runs.c.room_code.in_(gone)))
        conn.execute(rooms.delete().where(rooms.c.expires_at <= self._now))

    @_guarded
    def purge_expired(self):
        with self._writer.begin() as conn:
            self._purge(conn)


_SHARED: dict[str, Board] = {}
_SHARED_LOCK = threading.Lock()


def shared_board(url: str, waiting: Callable = contextlib.nullcontext) -> Board:
    """The process's one ``Board`` for ``url``, created (and its schema upgraded) on first use. Kept here, not in a
    page cache that any client can clear: a client's ``clear_cache`` message made every page open new connections
    (PostgreSQL went from 11 to 31 in 30 s). A board that could not be created is not kept (the next call tries
    again)."""
    with _SHARED_LOCK:
        board = _SHARED.get(url)
        if board is None:
            board = _SHARED[url] = Board(url, waiting=waiting)
        return board
