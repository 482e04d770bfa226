"""The upload store: private, content-checked, and each upload kept exactly as long as someone holds it."""

import errno
import gc
import os
import pickle
import stat
import time
from pathlib import Path

import numpy as np
import pytest

import nnviz.serving.data_store as store
from nnviz import ShallowNN, Trainer
from nnviz.core.datasets import parse_csv
from nnviz.serving.data_store import (
    StoreError,
    UploadMissing,
    load_data,
    read_stored,
    register_upload,
    restore,
    stored_uploads,
)
from nnviz.serving.runner import Run, training_pool


def csv_dataset(k: int, name="data.csv"):
    text = "a,b,label\n" + "\n".join(f"{(i * (k + 3)) % 7},{(i * 3 + k) % 5},{i % 2}" for i in range(40))
    return parse_csv(text, name=name)


@pytest.fixture
def fresh_store(tmp_path, monkeypatch):
    """A store made under ``tmp_path`` (as the server makes one under the system's temp dir)."""
    monkeypatch.setenv("NNVIZ_UPLOAD_PARENT", str(tmp_path))
    monkeypatch.setattr(store, "_DIR", None)
    gc.collect()
    return tmp_path


def files_in(parent: Path) -> list[Path]:
    return sorted(p for p in parent.rglob("*") if p.is_file())


def test_the_store_is_private_and_not_a_guessable_path(fresh_store):
    planted = fresh_store / "elsewhere"
    planted.mkdir()
    (fresh_store / "nnviz-uploads").symlink_to(planted)  # the old shared path, planted by another user
    ref = register_upload(csv_dataset(1))
    path = Path(ref.path)
    directory = path.parent
    assert directory.parent == fresh_store and directory.name.startswith("nnviz-uploads-")
    assert directory.name != "nnviz-uploads" and not directory.is_symlink()
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert list(planted.iterdir()) == []  # nothing written through the planted link


def test_one_sessions_uploads_never_delete_anothers(fresh_store):
    victim_ds = csv_dataset(0, "victim.csv")
    victim = register_upload(victim_ds)
    for k in range(1, 251):  # another session uploads 250 files, one after another
        register_upload(csv_dataset(k))
    gc.collect()
    assert Path(victim.path).is_file()
    as_a_worker_reads_it = read_stored(victim.path, victim.digest)
    np.testing.assert_array_equal(as_a_worker_reads_it.X_train, victim_ds.X_train)
    assert files_in(fresh_store) == [Path(victim.path)]  # the other session's files went with their refs
    assert stored_uploads() == 1


def test_an_upload_lives_while_any_ref_holds_it(fresh_store):
    ds = csv_dataset(2)
    session_a, session_b = register_upload(ds), register_upload(ds)  # the same file in two sessions
    assert session_a.path == session_b.path and len(files_in(fresh_store)) == 1
    del session_a
    gc.collect()
    assert Path(session_b.path).is_file()  # b still needs it
    path = Path(session_b.path)
    del session_b
    gc.collect()
    assert not path.exists() and files_in(fresh_store) == []


def test_a_ref_crosses_to_a_worker_without_its_data():
    ref = register_upload(csv_dataset(3))
    shipped = pickle.dumps(ref)
    assert len(shipped) < 1000
    arrived = pickle.loads(shipped)
    assert arrived == ref and arrived.lease is None


def test_a_stored_copy_that_changed_or_vanished_is_not_trusted_and_is_written_again(fresh_store):
    ds = csv_dataset(4)
    ref = register_upload(ds)
    path = Path(ref.path)
    other = register_upload(csv_dataset(5))
    path.write_bytes(Path(other.path).read_bytes())  # a valid file, but not this upload
    with pytest.raises(UploadMissing, match="no longer stored on the server: upload the file again"):
        read_stored(ref.path, ref.digest)
    restore(ref)
    np.testing.assert_array_equal(read_stored(ref.path, ref.digest).X_test, ds.X_test)
    path.write_bytes(b"junk")
    register_upload(ds)  # registering the same content again also checks the stored copy
    np.testing.assert_array_equal(read_stored(ref.path, ref.digest).X_test, ds.X_test)
    path.unlink()
    restore(ref)
    assert path.is_file()


def test_a_ref_without_its_lease_cannot_restore():
    ref = pickle.loads(pickle.dumps(register_upload(csv_dataset(6))))
    with pytest.raises(UploadMissing):
        restore(ref)


def test_a_full_disk_is_a_clear_message_and_leaves_nothing_behind(fresh_store, monkeypatch):
    def savez_on_a_full_disk(file, **arrays):
        file.write(b"PK\x03\x04" + b"\0" * 100)  # a first block fits, then the disk is full
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store.np, "savez", savez_on_a_full_disk)
    with pytest.raises(StoreError) as raised:
        register_upload(csv_dataset(7))
    message = str(raised.value)
    assert message == "the server has no room to store this file right now; try again later, or with a smaller file"
    gc.collect()
    assert files_in(fresh_store) == []


def test_a_store_directory_that_is_no_longer_private_is_refused(fresh_store):
    ref = register_upload(csv_dataset(8))
    Path(ref.path).parent.chmod(0o777)
    with pytest.raises(StoreError, match="not private any more"):
        register_upload(csv_dataset(9))


def test_a_run_whose_stored_upload_vanished_restores_it_and_finishes(fresh_store):
    ds = csv_dataset(10)
    ref = register_upload(ds)
    Path(ref.path).unlink()  # e.g. a temp-file cleaner ran
    executor = training_pool(1, nice=0)  # not niced: beside other busy programs a nice-19 worker hardly starts
    try:
        model = ShallowNN(2, 4, 1, seed=0)
        trainer = Trainer(model, ds.X_train, ds.y_train, ds.X_test, ds.y_test, lr=0.5, batch_size=8, epochs=5)
        run = Run(trainer, ref, executor=executor)
        run.play()
        deadline = time.monotonic() + 120
        while run.active and time.monotonic() < deadline:
            run.poll()
            time.sleep(0.05)
        snap = run.poll()
        assert snap.state == "finished" and snap.epoch == 5, snap.message
        assert Path(ref.path).is_file()
    finally:
        executor.shutdown()


def test_load_data_in_the_server_needs_no_file(fresh_store):
    ds = csv_dataset(11, "mine.csv")
    ref = register_upload(ds, standardize=True)
    os.unlink(ref.path)
    loaded = load_data(ref)
    assert loaded.title == "mine.csv"
    np.testing.assert_allclose(loaded.X_train.mean(axis=0), 0, atol=1e-12)


def test_the_store_and_the_process_helpers_import_no_ui_or_tensorflow():
    import subprocess
    import sys

    code = ("import sys, nnviz.serving.data_store, nnviz.serving.background, nnviz.serving.runner\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'streamlit', 'plotly', 'tensorflow', 'keras'}))")
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root).stdout
    assert out.strip() == "[]"


def test_the_settings_name_the_dataset_they_train_on():
    from dataclasses import replace

    from nnviz.core.drawn_data import Drawing, encode
    from nnviz.core.settings import TrainerSettings

    spiral = TrainerSettings(dataset="spiral", classes=3, samples=200, noise=0.1, train_split=60, seed=4,
                             features=("x1", "x2", "x1sq"))
    ds = store.load_data(store.DataRef.for_settings(spiral))
    assert ds.n_classes == 3 and ds.n_train + ds.n_test == 200 and ds.n_train == 120
    assert ds.X_train.shape[1] == 3  # the features the network sees
    scaled = store.load_data(store.DataRef.for_settings(replace(spiral, standardize=True)))
    # x1 and x2 are standardized, and the features are made from them (x1² of a standardized x1 has mean 1)
    assert np.abs(scaled.X_train[:, :2].mean(axis=0)).max() < 1e-9 < np.abs(ds.X_train[:, :2].mean(axis=0)).max()
    assert scaled.X_train[:, 2] == pytest.approx(scaled.X_train[:, 0] ** 2)
    assert store.DataRef.for_settings(TrainerSettings()).kind == "lesson"  # the lesson's run by default
    drawing = Drawing("classes", np.array([[0.1, 0.2], [0.5, 0.5], [-0.5, 0.3], [0.7, -0.2]]), np.array([0, 1, 0, 1]))
    drawn = store.load_data(store.DataRef.for_settings(
        TrainerSettings(dataset="draw", points=encode(drawing), train_split=50)))
    assert drawn.n_train + drawn.n_test == 4
    with pytest.raises(ValueError, match="upload"):
        store.DataRef.for_settings(TrainerSettings(dataset="csv"))
