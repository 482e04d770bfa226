"""The lesson's own figures: what a reader relies on in each (the values shown, the ranges, the labels)."""

import numpy as np
import pytest

from nnviz.mnist.table import SAVETXT_DEFAULT_FORMAT, head, savetxt_csv
from nnviz.viz import charts


def test_five_small_updates_are_visible():
    losses = [0.6931, 0.6912, 0.6890, 0.6866, 0.6839, 0.6810]
    fig = charts.loss_after_updates_figure(losses)
    lo, hi = fig.layout.yaxis.range
    assert 0.6 < lo < min(losses) and max(losses) < hi < 0.8  # not from 0: the fall fills the chart
    assert (max(losses) - min(losses)) / (hi - lo) > 0.5
    assert list(fig.data[0].text) == [f"{v:.4f}" for v in losses]
    assert charts.loss_after_updates_figure([0.5]).layout.yaxis.range[0] < 0.5


def test_the_digit_grid_has_28_numbered_rows_and_columns_and_no_empty_ones():
    img = np.arange(784).reshape(28, 28) % 256
    for present in (False, True):
        fig = charts.digit_numbers_figure(img, presentation=present)
        assert tuple(fig.layout.xaxis.range) == (0.5, 28.5) and tuple(fig.layout.yaxis.range) == (28.5, 0.5)
        assert fig.data[0].texttemplate == "%{z:.0f}" and not fig.layout.title.text  # the page titles it
        assert fig.layout.height >= 28 * 27
    assert charts.digit_numbers_figure(img, presentation=True).data[0].textfont.size > \
        charts.digit_numbers_figure(img).data[0].textfont.size


def test_the_mcculloch_pitts_figure_shows_each_part_with_its_value():
    fig = charts.mcculloch_pitts_figure(1.0, 1.0, 1.5, (1, 1))
    texts = " ".join(a.text for a in fig.layout.annotations) + " ".join(fig.data[-1].text)
    for part in ("x₁ = 1", "x₂ = 1", "w₁ = 1", "Σ", "sum = 2", "threshold θ = 1.5", "y = 1", "fires"):
        assert part in texts, part
    silent = charts.mcculloch_pitts_figure(1.0, 1.0, 1.5, (1, 0))
    assert "stays silent" in " ".join(a.text for a in silent.layout.annotations)
    assert "y = 0" in silent.data[-1].text


def test_data_head_and_the_lessons_savetxt():
    images = np.zeros((7, 28, 28), dtype=np.uint8)
    images[1, 0, 1] = 255
    labels = np.array([5, 0, 4, 1, 9, 2, 1], dtype=np.uint8)
    columns, rows = head(images, labels)
    assert rows.shape == (5, 785) and columns[:3] == ["label", "1x1", "1x2"] and columns[-1] == "28x28"
    assert rows[:, 0].tolist() == [5, 0, 4, 1, 9] and rows[1, columns.index("1x2")] == 255
    text = savetxt_csv(images[1])
    lines = text.splitlines()
    assert SAVETXT_DEFAULT_FORMAT == "%.18e" and len(lines) == 28 and all(len(li.split(";")) == 28 for li in lines)
    assert lines[0].split(";")[:2] == ["0.000000000000000000e+00", "2.550000000000000000e+02"]
    assert savetxt_csv(images[1], integers=True).splitlines()[0].split(";")[:2] == ["0", "255"]
    assert np.array_equal(np.loadtxt(text.splitlines(), delimiter=";"), images[1])  # the numbers are the same
    with pytest.raises(ValueError, match="must be 28×28"):
        savetxt_csv(np.zeros((3, 3)))
