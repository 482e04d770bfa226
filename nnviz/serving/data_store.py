"""How any process finds a run's dataset: a built-in set from its parameters, an upload from a private store.

A ``DataRef`` names a dataset in a few bytes, so that a training slice can be shipped to a worker
process without its data; the worker re-attaches the data with ``load_data(ref)``.

Uploads are parsed once, in the server, and stored for the workers:

- in a directory private to this server process, made by ``tempfile.mkdtemp`` (mode 0700, a fresh
  random name: nothing another local user planted is ever written through), files 0600;
- content-addressed (SHA-256 of the arrays and feature names), so the same file uploaded twice is
  stored once;
- for exactly as long as something in the server holds a ``DataRef`` to it (a session's state, a run):
  the ref carries a lease, and when the last lease is gone the file is deleted. One session's uploads
  never remove another's;
- never trusted: a worker checks what it reads against the ref's digest, and the lease keeps the parsed
  arrays, so a stored copy that vanished or changed is written again (``restore``).
"""

from __future__ import annotations

import atexit
import errno
import hashlib
import os
import secrets
import shutil
import stat
import tempfile
import threading
import weakref
import zipfile
from contextlib import suppress
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import numpy as np

from nnviz.core.datasets import LESSON, Dataset, lesson_data, make_2d, standardize
from nnviz.core.drawn_data import DRAWN, Drawing, decode, to_dataset
from nnviz.core.features import with_features
from nnviz.core.settings import TrainerSettings


class StoreError(ValueError):
    """The server could not store an upload (its disk is full, or the store is not private any more).
    The message is for the user and names no server path."""


class UploadMissing(ValueError):
    """The stored copy of an upload is gone or is not what was stored. The message is for the user."""


class _Lease:
    """Keeps one stored upload alive: its file exists while any lease object does.

    Shared by every ``DataRef`` to the same content in this process; never crosses to a worker
    (pickling a ref drops it) and is shared, not copied, by ``copy``/``deepcopy``.
    """

    def __init__(self, digest: str, path: Path, dataset: Dataset):
        self.digest = digest
        self.path = path
        self.dataset = dataset
        weakref.finalize(self, _release, digest, str(path))

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    def __reduce__(self):
        # Unpickles as None (NoneType() is None): a worker never holds a lease. A class, not a function,
        # also lets st.cache_data hash a ref that carries a lease.
        return (type(None), ())


@dataclass(frozen=True)
class DataRef:
    """How any process finds a run's dataset: a built-in set from its parameters, or an upload."""

    kind: str  # "lesson", a 2-D set's name, or "file"
    samples: int = 0
    noise: float = 0.0
    train_split: float = 0.0
    seed: int = 0
    path: str = ""
    title: str = ""
    standardize: bool = False
    digest: str = ""  # uploads: SHA-256 of the content, checked by whoever reads the file
    classes: int = 2  # blobs and spiral: 2 … 6 classes
    features: tuple[str, ...] = ()  # 2-D sets: the network's input features (() = x1, x2)
    points: str = ""  # "draw": the drawn points (nnviz.core.drawn_data.encode)
    lease: _Lease | None = field(default=None, compare=False, repr=False)

    @classmethod
    def for_settings(cls, settings: TrainerSettings) -> DataRef:
        """The built-in dataset (the lesson's, a drawing, a 2-D set) that ``settings`` train on; not for a CSV,
        whose reference comes from its upload (``register_upload``)."""
        if settings.dataset == "csv":
            raise ValueError("a CSV's dataset is the upload's: use register_upload")
        if settings.dataset == LESSON:
            return cls(LESSON, standardize=settings.standardize)
        if settings.dataset == DRAWN:
            return cls(DRAWN, train_split=settings.train_split / 100, seed=settings.seed,
                       standardize=settings.standardize, features=settings.data_features(), points=settings.points)
        return cls(settings.dataset, settings.samples, float(settings.noise), settings.train_split / 100,
                   settings.seed, standardize=settings.standardize, classes=settings.data_classes(),
                   features=settings.data_features())


def load_data(ref: DataRef) -> Dataset:
    """The dataset ``ref`` names (cached per process).

    Raises
    ------
    UploadMissing
        An upload's stored copy is gone or changed, and this process holds no lease to restore it.
    """
    if ref.kind == "file":
        return _load_upload(ref.path, ref.digest, ref.title, ref.standardize)
    return _load_builtin(ref)


@lru_cache(maxsize=16)
def _load_builtin(ref: DataRef) -> Dataset:
    if ref.kind == LESSON:
        ds = lesson_data()
    elif ref.kind == DRAWN:
        drawing = decode(ref.points) if ref.points else Drawing.empty()
        ds = to_dataset(drawing, train_split=ref.train_split, seed=ref.seed)
    else:
        ds = make_2d(ref.kind, ref.samples, ref.noise, ref.train_split, ref.seed, classes=ref.classes)
    ds = standardize(ds) if ref.standardize else ds
    return with_features(ds, ref.features) if ref.features else ds


@lru_cache(maxsize=16)
def _load_upload(path: str, digest: str, title: str, standardized: bool) -> Dataset:
    lease = _LEASES.get(digest)
    ds = lease.dataset if lease is not None else read_stored(path, digest)
    ds = replace(ds, title=title)
    return standardize(ds) if standardized else ds


# ----------------------------------------------------------------------------- the store

_LOCK = threading.RLock()  # re-entrant: a lease's finalizer can run during a collection inside the lock
_LEASES: weakref.WeakValueDictionary[str, _Lease] = weakref.WeakValueDictionary()
_DIR: Path | None = None


def register_upload(ds: Dataset, standardize: bool = False) -> DataRef:
    """Store a parsed upload where worker processes can read it, and return its ref (with a lease).

    Raises
    ------
    StoreError
        The server could not write it (e.g. its disk is full); nothing is left behind.
    """
    digest = content_digest(ds)
    with _LOCK:
        lease = _LEASES.get(digest)
        if lease is None:
            try:
                directory = _directory()
            except OSError as err:
                raise StoreError(_store_message(err)) from None
            lease = _Lease(digest, directory / f"{digest[:40]}.npz", ds)
            _LEASES[digest] = lease  # before writing: a dying older lease then leaves the new file alone
        _ensure(lease)
    return DataRef("file", path=str(lease.path), title=ds.title, standardize=standardize, digest=digest, lease=lease)


def restore(ref: DataRef) -> None:
    """Write an upload's stored copy again if it is missing or changed (the ref's lease has the data).

    Raises
    ------
    UploadMissing
        The ref has no lease in this process, so its data is gone.
    StoreError
        The copy could not be written.
    """
    if ref.lease is None:
        raise UploadMissing("the uploaded data is no longer stored on the server: upload the file again")
    with _LOCK:
        _ensure(ref.lease)


def stored_uploads() -> int:
    """How many uploads this process keeps stored now (for tests and monitoring)."""
    with _LOCK:
        return len(_LEASES)


def content_digest(ds: Dataset) -> str:
    """SHA-256 of an upload's arrays (values, shapes and types) and feature names."""
    digest = hashlib.sha256()
    for a in (ds.X_train, ds.y_train, ds.X_test, ds.y_test):
        a = np.ascontiguousarray(a)
        digest.update(f"{a.dtype.str}{a.shape}".encode())
        digest.update(a.tobytes())
    digest.update("\x1f".join(ds.feature_names).encode())
    digest.update(f"\x1e{ds.problem}\x1e{ds.n_classes}\x1e".encode() + "\x1f".join(ds.class_names).encode())
    return digest.hexdigest()


def _directory() -> Path:
    """This process's private store directory, made on first use (and made again, at the same
    place, if something removed it)."""
    global _DIR
    if _DIR is None:
        parent = os.environ.get("NNVIZ_UPLOAD_PARENT") or tempfile.gettempdir()
        _DIR = Path(tempfile.mkdtemp(prefix="nnviz-uploads-", dir=parent))  # 0700, exclusive, random name
        atexit.register(shutil.rmtree, _DIR, True)
    _check_private(_DIR)
    return _DIR


def _check_private(directory: Path) -> None:
    try:
        info = os.lstat(directory)
    except FileNotFoundError:
        os.mkdir(directory, 0o700)  # fails if anything appeared there meanwhile: never written through
        info = os.lstat(directory)
    if (not stat.S_ISDIR(info.st_mode) or stat.S_IMODE(info.st_mode) & 0o077
            or (hasattr(os, "geteuid") and info.st_uid != os.geteuid())):
        raise StoreError("the server's upload store is not private any more; uploads are off until it restarts")


def _ensure(lease: _Lease) -> None:
    """Make sure the lease's file holds exactly its data: written if missing, rewritten if changed."""
    try:
        _check_private(lease.path.parent)
        if lease.path.is_symlink() or not lease.path.exists():
            _write(lease.path, lease.dataset)
        else:
            try:
                read_stored(str(lease.path), lease.digest)
            except UploadMissing:
                _write(lease.path, lease.dataset)
    except OSError as err:
        raise StoreError(_store_message(err)) from None


def _write(path: Path, ds: Dataset) -> None:
    """Write ``ds`` to ``path`` atomically, through a new 0600 file that follows no symlink."""
    tmp = path.with_name(f".{path.stem}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, X_train=ds.X_train, y_train=ds.y_train, X_test=ds.X_test, y_test=ds.y_test,
                     feature_names=np.array(ds.feature_names, dtype=str), description=np.array(ds.description),
                     problem=np.array(ds.problem), n_classes=np.array(ds.n_classes or 0),
                     class_names=np.array(ds.class_names, dtype=str))
        os.replace(tmp, path)  # replaces a planted symlink itself, never its target
    except BaseException:
        with suppress(OSError):
            os.unlink(tmp)
        raise


def read_stored(path: str, digest: str) -> Dataset:
    """An upload as a worker reads it: from its stored file, checked against its digest.

    Raises
    ------
    UploadMissing
        The file is gone, unreadable, or not what was stored.
    """
    gone = UploadMissing("the uploaded data is no longer stored on the server: upload the file again")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as fh, np.load(fh, allow_pickle=False) as f:
            problem = str(f["problem"])
            ds = Dataset(
                "csv", "", f["X_train"], f["y_train"], f["X_test"], f["y_test"],
                tuple(str(n) for n in f["feature_names"]), str(f["description"]), problem=problem,
                n_classes=None if problem == "regression" else int(f["n_classes"]),
                class_names=tuple(str(n) for n in f["class_names"]),
            )
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        raise gone from None
    if not digest or content_digest(ds) != digest:
        raise gone
    return ds


def _release(digest: str, path: str) -> None:
    """The last lease of an upload is gone: delete its file, unless a new lease has taken it over."""
    with _LOCK:
        if _LEASES.get(digest) is None:
            with suppress(OSError):
                os.unlink(path)


def _store_message(err: OSError) -> str:
    if err.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return "the server has no room to store this file right now; try again later, or with a smaller file"
    return "the server could not store this file right now; try again later"
