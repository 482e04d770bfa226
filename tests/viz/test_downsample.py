"""Downsampling for live charts: a fixed number of points whatever the history's length, ends and extremes kept."""

import numpy as np
import pytest

from nnviz.core.training import EpochRecord
from nnviz.viz.downsample import SeriesCache, minmax, minmax_indices, spread, thin


def noisy(n, seed=0):
    return np.random.default_rng(seed).normal(size=n)


@pytest.mark.parametrize("n", [301, 1000, 20_000, 123_457])
def test_the_output_has_a_fixed_size_whatever_the_input(n):
    x, y = minmax(np.arange(n), noisy(n), points=300)
    assert 200 <= x.size <= 300 and x.size == y.size


def test_short_series_are_kept_whole():
    x, y = minmax(np.arange(50), noisy(50), points=300)
    assert np.array_equal(x, np.arange(50)) and np.array_equal(y, noisy(50))


def test_the_ends_are_kept():
    y = noisy(10_000)
    x, out = minmax(np.arange(10_000) * 0.5, y, points=100)
    assert (x[0], out[0]) == (0.0, y[0]) and (x[-1], out[-1]) == (4999.5, y[-1])


def test_each_buckets_extremes_are_kept_and_spikes_survive():
    y = noisy(50_000, seed=3)
    y[12_345], y[40_001] = 40.0, -40.0
    x, out = minmax(np.arange(y.size), y, points=120)
    assert 40.0 in out and -40.0 in out
    assert out.max() == y.max() and out.min() == y.min()
    idx = minmax_indices(y, 120)
    assert np.all(np.diff(idx) > 0)  # a subsequence, in order
    assert np.array_equal(out, y[idx]) and np.array_equal(x, idx)
    # every bucket's minimum and maximum is there
    starts = np.linspace(0, y.size - 1, (120 - 2) // 3 + 1).astype(int)
    for a, b in zip(starts[:-1], starts[1:], strict=True):
        assert y[a:b].max() in out and y[a:b].min() in out


def test_nan_is_never_an_extreme():
    y = noisy(5000)
    y[::7] = np.nan
    _, out = minmax(np.arange(y.size), y, points=60)
    assert np.nanmax(out) == np.nanmax(y) and np.nanmin(out) == np.nanmin(y)


def test_bad_arguments_say_what_was_wrong():
    with pytest.raises(ValueError, match="at least 4"):
        minmax(np.arange(10), noisy(10), points=3)
    with pytest.raises(ValueError, match="same shape"):
        minmax(np.arange(10), noisy(11))


def test_a_runs_history_is_drawn_with_a_bounded_number_of_points():
    records = tuple(EpochRecord(e, 40 * e, 1 / e + 0.01 * np.sin(e), 0.5 + e / 4000, 1.1 / e, 0.5 + e / 5000, 1000.0)
                    for e in range(1, 2001))
    steps = np.arange(0, 80_000, 4)
    losses = np.abs(noisy(steps.size))
    s = SeriesCache(300).series(records, steps, losses, steps_per_epoch=40)
    assert s.epochs.size <= 300 and s.batch_x.size <= 300
    assert s.epochs[0] == 1 and s.epochs[-1] == 2000  # the whole run, first to last epoch
    assert s.train_loss[-1] == records[-1].train_loss and s.test_acc[-1] == records[-1].test_acc
    assert s.test_loss.max() == max(r.test_loss for r in records)
    assert s.batch_x[-1] == steps[-1] / 40 and s.batch_loss.max() == losses.max()
    short = SeriesCache().series(records[:5], steps[:50], losses[:50], steps_per_epoch=40)
    assert np.array_equal(short.epochs, [1, 2, 3, 4, 5]) and short.batch_x.size == 50


def test_a_cache_that_grows_with_the_history_draws_what_a_fresh_one_draws():
    records = tuple(EpochRecord(e, 40 * e, 1 / e + 0.01 * np.sin(e), 0.5 + e / 4000, 1.1 / e, 0.5 + e / 5000, 1000.0)
                    for e in range(1, 3001))
    steps = np.arange(0, 120_000, 8)
    losses = np.abs(noisy(steps.size))
    cache = SeriesCache(points=200)
    for n in (1, 7, 400, 401, 2500, 3000):  # a live run: the history only grows
        grown = cache.series(records[:n], steps[: n * 5], losses[: n * 5], 40)
        fresh = SeriesCache(200).series(records[:n], steps[: n * 5], losses[: n * 5], 40)
        for a, b in zip(vars(grown).values(), vars(fresh).values(), strict=True):
            np.testing.assert_array_equal(a, b)
    other = tuple(EpochRecord(e, 40 * e, 2.0, 0.5, 2.0, 0.5, 1000.0) for e in range(1, 11))  # Reset: a new run
    assert np.array_equal(cache.series(other, steps[:50], losses[:50], 40).train_loss, np.full(10, 2.0))


@pytest.mark.parametrize("n, most", [(0, 5), (1, 5), (5, 5), (6, 5), (1000, 2), (10_001, 400)])
def test_spread_keeps_the_ends_and_at_most_the_points_asked_for(n, most):
    idx = spread(n, most)
    assert len(idx) <= most and idx == sorted(set(idx))
    if n:
        assert idx[0] == 0 and idx[-1] == n - 1
    if n <= most:
        assert idx == list(range(n))
    else:
        gaps = np.diff(idx)
        assert gaps.max() - gaps.min() <= 1  # evenly spread


def test_thin_keeps_a_long_series_ends_and_its_pairs():
    x = np.arange(10_000)
    tx, ty = thin(x, x * 2.0, 300)
    assert len(tx) <= 300 and tx[0] == 0 and tx[-1] == 9_999 and np.array_equal(ty, tx * 2.0)
