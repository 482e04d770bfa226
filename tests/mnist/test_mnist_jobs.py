"""The jobs the MNIST page queues: plain data naming their targets by module; the NumPy twin trains and reports."""

import subprocess
import sys

import numpy as np
import pytest

from nnviz.mnist.jobs import KERAS_TARGET, history_job, keras_job, twin_job
from nnviz.serving.jobs import JobProgress, call_target, read_progress


def small_set(n_train=50, n_test=20, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8), rng.integers(0, 10, n_train, dtype=np.uint8),
            rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8), rng.integers(0, 10, n_test, dtype=np.uint8))


def test_the_numpy_twin_trains_and_reports(tmp_path):
    job = twin_job(epochs=2, n_train=300, batch_size=50, arrays=small_set(300, 100), owner="s")
    outcome = call_target(job.target, job.params, str(tmp_path))
    p = JobProgress(epochs=2)
    read_progress(tmp_path, p)
    assert len(p.history["loss"]) == 2 and len(p.history["val_accuracy"]) == 2 and p.batches_per_epoch == 6
    assert outcome["history"] == p.history and outcome["peak_memory_mb"] > 0
    assert job.owner == "s" and p.batches and p.batches[-1][0] == pytest.approx(2.0)


SERVER_SIDE = ["nnviz.mnist.dense_net", "nnviz.mnist.digits", "nnviz.serving.jobs", "nnviz.mnist.data", "nnviz.mnist.jobs", "nnviz.mnist.twin"]


def test_keras_jobs_are_plain_data_and_building_them_imports_no_tensorflow():
    code = ("import sys\n" + "".join(f"import {m}\n" for m in SERVER_SIDE)
            + "from nnviz.mnist.jobs import keras_job, history_job\n"
            "job = keras_job(epochs=1, batch_size=128, validation_split=0.1)\nhistory_job()\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'tensorflow', 'keras', 'streamlit', 'plotly'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"
    job = history_job(owner="t")
    assert job.target == KERAS_TARGET and job.owner == "t"
    assert {k: job.params[k] for k in ("data", "start", "validation_split", "epochs", "batch_size")} == \
        {"data": "all", "start": "ready", "validation_split": 0.33, "epochs": 5, "batch_size": 32}
    with pytest.raises(ValueError, match="data must be"):
        keras_job(epochs=1, batch_size=32, validation_split=0.0, data="everything")
