"""Datasets: the lesson's exactly, 2-D sets from a seed, and every way a CSV can be wrong."""

import numpy as np
import pytest

from nnviz.datasets import MAX_CSV_MAGNITUDE, MAX_CSV_ROWS, TWO_D, lesson_data, make_2d, parse_csv, standardize


def test_lesson_data_is_the_lessons():
    ds = lesson_data()
    assert ds.X_train.shape == (4000, 20) and ds.X_test.shape == (1000, 20)
    np.testing.assert_allclose(ds.X_train[0, :2], [-0.28726786, 4.48392645], atol=5e-9)
    assert ds.y_train[:20].tolist() == [0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1]
    assert set(np.unique(ds.y_test)) == {0, 1}


@pytest.mark.parametrize("name", TWO_D)
def test_two_d_sets(name):
    ds = make_2d(name, n_samples=400, noise=0.1, train_split=0.75, seed=7)
    assert ds.X_train.shape == (300, 2) and ds.X_test.shape == (100, 2) and ds.is_2d
    assert set(np.unique(np.r_[ds.y_train, ds.y_test])) == {0, 1}
    assert 0.3 < np.mean(np.r_[ds.y_train, ds.y_test]) < 0.7
    assert np.abs(ds.X_train).max() < 4
    again = make_2d(name, n_samples=400, noise=0.1, train_split=0.75, seed=7)
    np.testing.assert_array_equal(ds.X_train, again.X_train)
    other = make_2d(name, n_samples=400, noise=0.1, train_split=0.75, seed=8)
    assert not np.array_equal(ds.X_train, other.X_train)


def test_noise_spreads_the_points():
    clean = make_2d("circles", noise=0.0, seed=0)
    radii = np.linalg.norm(clean.X_train, axis=1)
    assert np.allclose(np.sort(np.unique(np.round(radii, 9))), [0.5, 1.0])
    noisy = make_2d("circles", noise=0.3, seed=0)
    assert np.unique(np.round(np.linalg.norm(noisy.X_train, axis=1), 9)).size > 100


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(name="swirl"), "unknown 2-D dataset 'swirl'"),
        (dict(name="moons", noise=2), "noise must be between 0 and 1, got 2"),
        (dict(name="moons", n_samples=5), "number of samples must be at least 20, got 5"),
        (dict(name="moons", train_split=1.0), "train split must be between"),
    ],
)
def test_make_2d_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_2d(**kwargs)


def test_standardize_uses_training_statistics():
    ds = standardize(lesson_data())
    np.testing.assert_allclose(ds.X_train.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(ds.X_train.std(axis=0), 1, atol=1e-12)
    assert not np.allclose(ds.X_test.mean(axis=0), 0, atol=1e-6)


def csv_text(n=40, header="a,b,label", sep=","):
    rng = np.random.default_rng(0)
    rows = [header] if header else []
    for i in range(n):
        rows.append(sep.join([f"{rng.normal():.4f}", f"{rng.normal():.4f}", str(i % 2)]))
    return "\n".join(rows) + "\n"


def test_parse_a_good_csv():
    ds = parse_csv(csv_text(50).encode(), train_split=0.8)
    assert ds.feature_names == ("a", "b") and ds.n_train == 40 and ds.n_test == 10
    assert set(np.unique(ds.y_train)) <= {0, 1}


def test_label_column_by_name_semicolons_and_no_header():
    text = "label;x1;x2\n" + "\n".join(f"{i % 2};{i};{i * 0.5}" for i in range(20))
    ds = parse_csv(text)
    assert ds.feature_names == ("x1", "x2")
    assert np.all((ds.X_train[:, 0] % 2) == ds.y_train)
    ds2 = parse_csv(csv_text(20, header=None))
    assert ds2.n_features == 2 and ds2.feature_names == ("column 1", "column 2")


@pytest.mark.parametrize(
    "data, match",
    [
        (b"", "the file is empty"),
        (b"\n\n  \n", "the file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a text CSV"),
        ("caf\xe9,1\n".encode("latin-1"), "not UTF-8 text"),
        (b"just one column\n1\n2\n", "at least one feature column and a label column"),
        (b"a,b,label\n", "0 data rows; at least 10"),
        (csv_text(20).replace("\n0.", "\nabc", 1).encode(), r"row \d+, column 'a': 'abc\S*' is not a number"),
        (csv_text(20).replace(",1\n", ",\n", 1).encode(), r"row \d+, column 'label' is empty or NaN"),
        (csv_text(20).replace(",1\n", ",nan\n", 1).encode(), r"column 'label' is empty or NaN"),
        (csv_text(20).replace(",1\n", ",1,7\n", 1).encode(), r"row \d+ has 4 values but the first row has 3"),
        (csv_text(20).replace(",1\n", ",2\n", 1).encode(), "must hold only 0 and 1; data row 2 has 2"),
        ("a,b,label\n" + "1,2,0\n" * 20, "holds only the class 0"),
        ("a,b,label\n" + "1,2,inf\n" * 20, "every cell needs a finite number"),
        ("a,b,label\n" + "".join(f"{s}1e308,2,{i % 2}\n" for i, s in enumerate("+-" * 10)),
         r"row 2, column 'a' is '\+1e308'; values must lie within ±1e100 \(rescale the column"),
        ('a,b,label\n1,2,0\n"3,4,1\n' + "5,6,1\n" * 30_000, r"line 3 opens a quoted value \(\"\) that is never closed"),
        ('a,b,label\n1,2,0\n\n3,"4,1\n' + "5,6,1\n" * 30, r"line 4 opens a quoted value \(\"\) that is never closed"),
        ("a,b,label\n" + "1" * 200_000 + ",2,1\n", "a value is longer than 131,072 characters"),
        (csv_text(20).encode("utf-16-le")[:-1], "looks like UTF-16 text but is not valid UTF-16"),
    ],
)
def test_bad_csv_gets_a_clear_message(data, match):
    with pytest.raises(ValueError, match=match):
        parse_csv(data)


def test_too_many_rows_is_refused_without_reading_them_all():
    big = "a,b,label\n" + "1,2,0\n" * (MAX_CSV_ROWS + 1)
    with pytest.raises(ValueError, match="more than 10,000 data rows"):
        parse_csv(big)
    with pytest.raises(ValueError, match="more than 30 data rows"):
        parse_csv(csv_text(40), max_rows=30)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-8-sig"])
def test_unicode_text_as_excel_saves_it_is_read(encoding):
    """Excel's "Unicode text" is UTF-16 with a byte-order mark, tab-separated."""
    text = csv_text(30, sep="\t", header="a\tb\tlabel").replace("\n", "\r\n")
    ds = parse_csv(text.encode(encoding))
    reference = parse_csv(text)
    assert ds.feature_names == ("a", "b") and ds.n_train + ds.n_test == 30
    np.testing.assert_array_equal(ds.X_train, reference.X_train)


def test_values_at_the_magnitude_limit_survive_every_view():
    """What passes validation must also pass what the page computes from it: standardizing, the 2-D
    projection and the boundary grid stay finite at ±MAX_CSV_MAGNITUDE."""
    from nnviz import maps

    big = MAX_CSV_MAGNITUDE
    text = "a,b,c,label\n" + "\n".join(f"{big if i % 3 else -big},{(i % 5) / 4 * big},{i % 7},{i % 2}"
                                          for i in range(40))
    ds = parse_csv(text)
    with np.errstate(all="raise"):
        assert np.isfinite(standardize(ds).X_train).all()
        projection = maps.pca_2d(ds.X_train)
        assert np.isfinite(projection(ds.X_test)).all()
        grid = maps.grid_over(ds.X_train[:, :2])
        assert np.isfinite(grid.points).all()
