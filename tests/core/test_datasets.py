"""Datasets: the lesson's exactly, 2-D sets from a seed, and every way a CSV can be wrong."""

import numpy as np
import pytest

from nnviz.core.datasets import (
    MAX_CSV_MAGNITUDE,
    MAX_CSV_ROWS,
    TWO_D,
    gauss_target,
    lesson_data,
    make_2d,
    parse_csv,
    plane_target,
    standardize,
)


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
    from nnviz.viz import maps

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


# ----------------------------------------------------------------------------- more classes, and regression


@pytest.mark.parametrize("name", ["blobs", "spiral"])
@pytest.mark.parametrize("k", [3, 4, 5, 6])
def test_multiclass_sets(name, k):
    ds = make_2d(name, n_samples=600, noise=0.1, train_split=0.75, seed=3, classes=k)
    assert ds.problem == "multiclass" and ds.n_classes == k and ds.n_outputs == k
    assert ds.class_labels == tuple(str(i) for i in range(k)) and f"{k}" in ds.title
    y = np.r_[ds.y_train, ds.y_test]
    counts = np.bincount(y, minlength=k)
    assert counts.size == k and counts.max() - counts.min() <= 1  # every class, as even as 600 allows
    assert ds.X_train.shape == (450, 2) and np.abs(ds.X_train).max() < 4
    again = make_2d(name, n_samples=600, noise=0.1, train_split=0.75, seed=3, classes=k)
    np.testing.assert_array_equal(ds.X_train, again.X_train)


def test_blob_centres_keep_their_distance_as_classes_grow():
    """Neighbouring centres as far apart as the two-class blobs', so 6 classes are as easy to tell apart as 3."""
    for k in (3, 4, 6):
        ds = make_2d("blobs", 3000, 0.0, 0.5, 0, classes=k)
        centres = np.array([ds.X_train[ds.y_train == c].mean(axis=0) for c in range(k)])
        gaps = np.linalg.norm(centres - np.roll(centres, 1, axis=0), axis=1)
        np.testing.assert_allclose(gaps, 1.6, atol=0.1)


def test_two_classes_are_the_binary_sets_as_before():
    for name in ("blobs", "spiral"):
        a, b = make_2d(name, 300, 0.2, 0.7, 4), make_2d(name, 300, 0.2, 0.7, 4, classes=2)
        assert b.problem == "binary" and b.n_classes == 2 and b.n_outputs == 1
        np.testing.assert_array_equal(a.X_train, b.X_train)


@pytest.mark.parametrize("name", ["plane", "gauss"])
def test_regression_sets(name):
    ds = make_2d(name, n_samples=400, noise=0.0, train_split=0.75, seed=1)
    assert ds.problem == "regression" and ds.n_classes is None and ds.n_outputs == 1 and ds.class_labels == ()
    assert ds.y_train.dtype == float and ds.X_train.shape == (300, 2)
    assert np.abs(ds.X_train).max() <= 1.5 and -1.2 <= ds.y_train.min() < 0 < ds.y_train.max() <= 1.2
    target = plane_target if name == "plane" else gauss_target
    np.testing.assert_allclose(ds.y_train, target(ds.X_train), atol=1e-12)  # no noise: the surface itself
    noisy = make_2d(name, n_samples=400, noise=0.3, train_split=0.75, seed=1)
    np.testing.assert_array_equal(noisy.X_train, ds.X_train)  # noise moves the targets, not the points
    assert np.std(noisy.y_train - target(noisy.X_train)) > 0.05


def test_the_playgrounds_surfaces():
    np.testing.assert_allclose(plane_target(np.array([[1.5, 1.5], [-1.5, 0.5], [0.0, 0.0]])), [1.2, -0.4, 0.0])
    # a bump's centre is ±1, half a unit away it is 0; the strongest bump wins
    centres = np.array([[-1.0, 0.625], [0.0, 0.625], [0.0, -0.625], [1.0, -1.125], [0.5, 0.0]])
    np.testing.assert_allclose(gauss_target(centres), [1.0, -1.0, 1.0, 0.0, 0.0], atol=1e-12)


@pytest.mark.parametrize("kwargs, match", [
    (dict(name="moons", classes=3), "moons has two classes; only blobs and spiral come with 3 to 6 classes, got 3"),
    (dict(name="plane", classes=3), "plane is a regression set: it has no classes; only blobs and spiral come with 3 to 6 classes, got 3"),
    (dict(name="spiral", classes=7), "number of classes must be at most 6, got 7"),
    (dict(name="blobs", classes=1), "number of classes must be at least 2, got 1"),
    (dict(name="wave"), "unknown 2-D dataset 'wave'; choose one of moons, circles, xor, blobs, spiral, plane, gauss"),
])
def test_make_2d_classes_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_2d(**kwargs)


def labelled_csv(labels, header="a,b,label"):
    rng = np.random.default_rng(0)
    return header + "\n" + "\n".join(f"{rng.normal():.4f},{rng.normal():.4f},{v}" for v in labels) + "\n"


def test_a_multiclass_csv_numbers_its_classes_and_keeps_their_names():
    ds = parse_csv(labelled_csv([1, 2, 3, 2, 1, 3] * 5), problem="multiclass")
    assert ds.problem == "multiclass" and ds.n_classes == 3 and ds.class_names == ("1", "2", "3")
    assert set(np.r_[ds.y_train, ds.y_test]) == {0, 1, 2} and ds.y_train.dtype == np.int64
    assert "label column 'label', 3 classes" in ds.description
    rows = parse_csv(labelled_csv([1, 2, 3, 2, 1, 3] * 5), problem="multiclass", train_split=0.5)
    assert rows.n_train == 15


def test_a_regression_csv_keeps_its_target():
    values = [f"{v:.3f}" for v in np.linspace(-50, 120, 30)]
    ds = parse_csv(labelled_csv(values, "a,b,price"), problem="regression")
    assert ds.problem == "regression" and ds.n_classes is None and ds.feature_names == ("a", "b")
    assert sorted(np.r_[ds.y_train, ds.y_test].tolist()) == sorted(float(v) for v in values)
    assert "target column 'price'" in ds.description


@pytest.mark.parametrize("labels, problem, n_classes, names", [
    ([0, 1] * 10, "binary", 2, ()),
    ([-1, 1] * 10, "binary", 2, ("-1", "1")),  # the Playground's labels: the smaller one is 0
    ([0, 1, 2, 3] * 5, "multiclass", 4, ("0", "1", "2", "3")),
    ([0.5, 1.25, 3.0, 2.0] * 5, "regression", None, ()),
    (list(range(20)), "regression", None, ()),  # 20 different whole numbers: more than classes
])
def test_auto_detects_the_problem(labels, problem, n_classes, names):
    ds = parse_csv(labelled_csv(labels), problem="auto")
    assert (ds.problem, ds.n_classes, ds.class_names) == (problem, n_classes, names)
    if problem == "binary":
        assert set(np.r_[ds.y_train, ds.y_test]) == {0, 1}


@pytest.mark.parametrize("labels, problem, match", [
    ([0, 1, 2.5] * 7, "multiclass", r"the label column 'label' must hold whole class numbers; data row 3 has 2.5 "
                                    r"\(for a continuous target, choose regression\)"),
    ([4] * 20, "multiclass", "the label column 'label' holds only the class 4; a classifier needs examples of at "
                             "least two classes"),
    (list(range(11)) * 2, "multiclass", "the label column 'label' holds 11 different classes; at most 10"),
    ([2.5] * 20, "regression", "the target column 'label' holds only the value 2.5; a regression needs a target "
                               "that varies"),
    ([0, 1, 2] * 7, "binary", "must hold only 0 and 1; data row 3 has 2"),  # the default, as before
])
def test_bad_labels_for_the_problem_get_a_clear_message(labels, problem, match):
    with pytest.raises(ValueError, match=match):
        parse_csv(labelled_csv(labels), problem=problem)


def test_unknown_problem_is_named():
    with pytest.raises(ValueError, match="problem must be one of binary, multiclass, regression, auto, got 'ranking'"):
        parse_csv(labelled_csv([0, 1] * 10), problem="ranking")
