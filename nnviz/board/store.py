"""The class board's storage: rooms a teacher opens, runs students share into them, and the limits
that keep a public board usable.

One database layer for both back ends (SQLAlchemy Core 2.x): by default an SQLite file in the app's
cache folder (WAL mode, so many sessions of one server read while one writes), or PostgreSQL
(psycopg 3) when ``NNVIZ_DATABASE_URL=postgresql://…`` is set, which several replicas share.

The schema is created or upgraded when a ``Board`` opens: the table ``nnviz_schema`` holds the
version of the schema in the database, and ``MIGRATIONS`` lists the steps from each version to
the next; they run in one transaction, under a lock (PostgreSQL: an advisory lock; SQLite: its
write lock), so replicas starting together upgrade once.

Nothing here imports Streamlit: the pages pass in who is asking (a session key and the client's
address) and turn ``BoardError`` into a message.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import os
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, make_url

from nnviz import cache_folder
from nnviz.core.settings import TrainerSettings, from_query, to_query

# ----------------------------------------------------------------------------- limits (one table)

#: Room codes: read aloud in a classroom, typed by students. No I, L, O, 0 or 1 (they look alike).
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 7  # 31**7 ≈ 2.8e10 codes: guessing a live one at the lookup limits below takes years

NICKNAME_MAX = 24
ROOM_HOURS = 12  # a room (and its runs) is deleted 12 h after it was opened: a school day
RUNS_PER_ROOM = 200  # a class of 30 sharing ~6 runs each
SHARES_PER_SESSION = 10  # per room
SHARE_INTERVAL_S = 10.0  # one share per session every 10 s
ROOMS_PER_SESSION_HOUR = 5  # rooms one session may open in an hour
LIVE_ROOMS = 2000  # rooms alive at once, all teachers together
MISS_WINDOW_S = 60.0
MISSES_PER_SESSION = 5  # unknown codes a session may try per minute
MISSES_PER_ADDRESS = 30  # ... and one client address (a classroom may share one address)
CURVE_POINTS = 200  # points kept of each curve of a shared run
SCHEMA_VERSION = 1


class BoardError(ValueError):
    """A request the board refuses, with a message a user can act on."""


class RateLimited(BoardError):
    """Too many requests; ``retry_after`` seconds until the next one can succeed."""

    def __init__(self, message: str, retry_after: float):
        super().__init__(message)
        self.retry_after = retry_after


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


def _create_v1(conn: Connection):
    metadata.create_all(conn, tables=[rooms, runs, misses])


#: MIGRATIONS[v] takes a database at version v to version v + 1.
MIGRATIONS: dict[int, Callable[[Connection], None]] = {0: _create_v1}
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


def downsample(n: int, max_points: int = CURVE_POINTS) -> list[int]:
    """Indices of at most ``max_points`` evenly spread items of ``n``, always the first and the last."""
    if n <= max_points:
        return list(range(n))
    step = (n - 1) / (max_points - 1)
    return sorted({round(i * step) for i in range(max_points)})


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


def shared_run(nickname: str, settings: TrainerSettings, records: Sequence) -> SharedRun:
    """A finished run ready to share: ``records`` are its ``EpochRecord``s (epoch, train/test loss and
    accuracy); the curves keep at most ``CURVE_POINTS`` of them."""
    if not records:
        raise BoardError("This run has no finished epoch yet: train it first, then share it.")
    last = records[-1]
    keep = downsample(len(records))
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
    engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

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


class Board:
    """Rooms and runs in one database. Thread-safe; one per process is enough (the page caches it).

    ``clock`` returns seconds since the epoch (tests move it forward)."""

    def __init__(self, url: str | None = None, *, clock: Callable[[], float] = time.time):
        self.url = database_url(url)
        self.clock = clock
        self.backend = make_url(self.url).get_backend_name()
        if self.backend == "sqlite":
            self.engine = _sqlite_engine(self.url)
        else:
            self.engine = sa.create_engine(self.url, pool_pre_ping=True, pool_size=5, max_overflow=10)
        self._writer = self.engine.execution_options(nnviz_write=True)
        self.upgrade()

    def __repr__(self):
        return f"Board({make_url(self.url).render_as_string(hide_password=True)!r})"

    def close(self):
        self.engine.dispose()

    # ---------------------------------------------------------------- schema

    def schema_version(self) -> int:
        with self.engine.connect() as conn:
            if not sa.inspect(conn).has_table(schema_table.name):
                return 0
            return conn.scalar(sa.select(schema_table.c.version).where(schema_table.c.component == "board")) or 0

    def upgrade(self):
        """Create the tables, or bring them to ``SCHEMA_VERSION``; refuses a database newer than this code."""
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

    # ---------------------------------------------------------------- rooms

    def open_room(self, session_key: str) -> tuple[Room, str]:
        """A new room and its teacher key (returned once; only its hash is stored)."""
        now = self.clock()
        key = secrets.token_urlsafe(18)
        with self._writer.begin() as conn:
            self._purge(conn, now)
            mine = conn.scalar(sa.select(sa.func.count()).select_from(rooms).where(
                rooms.c.opened_by == session_key, rooms.c.created_at > now - 3600))
            if mine >= ROOMS_PER_SESSION_HOUR:
                raise RateLimited(f"You opened {mine} rooms in the last hour; reuse one of them "
                                  "(its link keeps working) or try again later.", 3600)
            if conn.scalar(sa.select(sa.func.count()).select_from(rooms)) >= LIVE_ROOMS:
                raise RateLimited("The server holds as many rooms as it can right now; try again later.", 600)
            while True:
                code = new_code()
                if conn.scalar(sa.select(rooms.c.code).where(rooms.c.code == code)) is None:
                    break
            conn.execute(rooms.insert().values(code=code, teacher_key_hash=hash_key(key), opened_by=session_key,
                                               created_at=now, expires_at=now + ROOM_HOURS * 3600,
                                               closed=False, revision=0))
        return Room(code, now, now + ROOM_HOURS * 3600, False, 0), key

    def _row_room(self, conn, code: str, lock: bool = False):
        q = sa.select(rooms).where(rooms.c.code == code, rooms.c.expires_at > self.clock())
        return conn.execute(q.with_for_update() if lock else q).first()

    def find_room(self, code, session_key: str, address: str = "") -> Room:
        """The room a student or teacher typed or followed a link to. Unknown codes are rate-limited
        per session and per client address; raises ``BoardError`` (or ``RateLimited``)."""
        code = normalize_code(code)
        now = self.clock()
        with self._writer.begin() as conn:
            since = now - MISS_WINDOW_S
            by_session = conn.execute(sa.select(sa.func.count(), sa.func.min(misses.c.at)).where(
                misses.c.session_key == session_key, misses.c.at > since)).first()
            by_address = conn.execute(sa.select(sa.func.count(), sa.func.min(misses.c.at)).where(
                misses.c.address == address, misses.c.at > since)).first() if address else (0, None)
            for (count, first), limit in ((by_session, MISSES_PER_SESSION), (by_address, MISSES_PER_ADDRESS)):
                if count >= limit:
                    wait = max(1.0, first + MISS_WINDOW_S - now)
                    raise RateLimited(f"Too many unknown room codes; wait {wait:.0f} s and check the code.", wait)
            row = self._row_room(conn, code)
            if row is None:
                conn.execute(misses.insert().values(session_key=session_key, address=address, at=now))
                conn.execute(misses.delete().where(misses.c.at < now - 10 * MISS_WINDOW_S))
        if row is None:
            raise BoardError(f"There is no open room {code}: check the code (rooms close {ROOM_HOURS} h after "
                             "they were opened).")
        return Room(row.code, row.created_at, row.expires_at, row.closed, row.revision)

    def room(self, code: str) -> Room | None:
        """A room by its exact code, without counting a miss (for a board already open)."""
        with self.engine.connect() as conn:
            row = self._row_room(conn, code)
        return None if row is None else Room(row.code, row.created_at, row.expires_at, row.closed, row.revision)

    def revision(self, code: str) -> int | None:
        """The room's change counter (one indexed row): the board redraws only when it moved."""
        with self.engine.connect() as conn:
            return conn.scalar(sa.select(rooms.c.revision).where(rooms.c.code == code,
                                                                 rooms.c.expires_at > self.clock()))

    def is_teacher(self, code: str, key: str | None) -> bool:
        if not key:
            return False
        with self.engine.connect() as conn:
            stored = conn.scalar(sa.select(rooms.c.teacher_key_hash).where(rooms.c.code == code))
        return stored is not None and hmac.compare_digest(stored, hash_key(key))

    # ---------------------------------------------------------------- runs

    def share(self, code: str, session_key: str, run: SharedRun) -> int:
        """Post a run to a room; returns its id. Raises ``BoardError`` when the room is closed or gone,
        the run is malformed, or a limit is reached."""
        nickname = clean_nickname(run.nickname)
        curves = _check_curves(run.curves)
        query = to_query(run.settings)
        settings, problems = from_query(query)
        if problems or settings != run.settings:
            raise BoardError("The run's settings are not valid: " + "; ".join(problems))
        now = self.clock()
        with self._writer.begin() as conn:
            room = self._row_room(conn, code, lock=True)  # serialises shares into one room (PostgreSQL)
            if room is None:
                raise BoardError(f"The room {code} is gone (rooms close {ROOM_HOURS} h after they were opened).")
            if room.closed:
                raise BoardError(f"The teacher has closed the room {code}: it takes no more runs.")
            total = conn.scalar(sa.select(sa.func.count()).select_from(runs).where(runs.c.room_code == code))
            if total >= RUNS_PER_ROOM:
                raise BoardError(f"The room {code} is full ({RUNS_PER_ROOM} runs); ask the teacher to clear it.")
            count, last = conn.execute(sa.select(sa.func.count(), sa.func.max(runs.c.created_at)).where(
                runs.c.room_code == code, runs.c.session_key == session_key)).first()
            if count >= SHARES_PER_SESSION:
                raise BoardError(f"You have shared {count} runs into this room, the most one person can.")
            if last is not None and now - last < SHARE_INTERVAL_S:
                wait = SHARE_INTERVAL_S - (now - last)
                raise RateLimited(f"One share every {SHARE_INTERVAL_S:.0f} s: wait {math.ceil(wait)} s.", wait)
            run_id = conn.execute(runs.insert().values(
                room_code=code, session_key=session_key, nickname=nickname, dataset=settings.dataset,
                settings=json.dumps(query), epochs=int(run.epochs), train_loss=_finite(run.train_loss),
                test_loss=_finite(run.test_loss), train_acc=_finite(run.train_acc), test_acc=_finite(run.test_acc),
                curves=json.dumps(curves, allow_nan=False), hidden=False, created_at=now,
            ).returning(runs.c.id)).scalar_one()
            conn.execute(rooms.update().where(rooms.c.code == code).values(revision=rooms.c.revision + 1))
        return run_id

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

    def hide(self, code: str, key: str | None, run_id: int, hidden: bool = True):
        with self._writer.begin() as conn:
            self._as_teacher(conn, code, key)
            done = conn.execute(runs.update().where(runs.c.room_code == code, runs.c.id == int(run_id))
                                .values(hidden=hidden)).rowcount
            if not done:
                raise BoardError(f"There is no run {run_id} in this room.")
            conn.execute(rooms.update().where(rooms.c.code == code).values(revision=rooms.c.revision + 1))

    def clear(self, code: str, key: str | None) -> int:
        """Delete every run of the room; returns how many."""
        with self._writer.begin() as conn:
            self._as_teacher(conn, code, key)
            n = conn.execute(runs.delete().where(runs.c.room_code == code)).rowcount
            conn.execute(rooms.update().where(rooms.c.code == code).values(revision=rooms.c.revision + 1))
        return n

    def set_closed(self, code: str, key: str | None, closed: bool = True):
        """Close the room to new runs (the board stays readable), or reopen it."""
        with self._writer.begin() as conn:
            self._as_teacher(conn, code, key)
            conn.execute(rooms.update().where(rooms.c.code == code)
                         .values(closed=closed, revision=rooms.c.revision + 1))

    # ---------------------------------------------------------------- expiry

    def _purge(self, conn, now: float):
        gone = sa.select(rooms.c.code).where(rooms.c.expires_at <= now)
        conn.execute(runs.delete().where(runs.c.room_code.in_(gone)))
        conn.execute(rooms.delete().where(rooms.c.expires_at <= now))

    def purge_expired(self):
        with self._writer.begin() as conn:
            self._purge(conn, self.clock())
