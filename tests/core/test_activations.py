"""The activation registry: each derivative matches its function, and nothing overflows."""

import warnings

import numpy as np
import pytest

from nnviz.core.activations import ACTIVATIONS, HIDDEN_ACTIVATIONS, get_activation, sigmoid, softmax, softmax_df

ELEMENTWISE = [name for name, a in ACTIVATIONS.items() if a.elementwise]


def central_difference(f, z, h=1e-6):
    return (f(z + h) - f(z - h)) / (2 * h)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_derivative_matches_central_differences(name):
    act = ACTIVATIONS[name]
    z = np.linspace(-6, 6, 241)
    z = z[np.abs(z) > 1e-3]  # ReLU, leaky ReLU and step have a kink at 0
    numeric = central_difference(act.f, z)
    analytic = act.df(act.f(z))
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_out_buffer_gives_the_same_values(name):
    act = ACTIVATIONS[name]
    z = np.linspace(-3, 3, 13).reshape(1, -1)
    a = act.f(z)
    out = np.empty_like(z)
    assert act.f(z, out=out) is out
    np.testing.assert_array_equal(out, a)
    dout = np.empty_like(z)
    assert act.df(a, out=dout) is dout
    np.testing.assert_array_equal(dout, act.df(a))


def test_sigmoid_is_stable_for_huge_inputs():
    z = np.array([-1e4, -800.0, -40.0, 0.0, 40.0, 800.0, 1e4])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow warning fails the test
        s = sigmoid(z)
    assert np.all(np.isfinite(s))
    assert s[0] == 0.0 and s[-1] == 1.0 and s[3] == 0.5
    assert 0 < s[2] < 1e-17  # still the true tiny value, not rounded to 0


def test_known_values():
    assert ACTIVATIONS["relu"].f(np.array([-2.0, 3.0])).tolist() == [0.0, 3.0]
    assert ACTIVATIONS["leaky_relu"].f(np.array([-2.0, 3.0])).tolist() == [-0.02, 3.0]
    assert ACTIVATIONS["step"].f(np.array([-0.1, 0.0, 0.1])).tolist() == [0.0, 1.0, 1.0]
    assert ACTIVATIONS["tanh"].derivative(np.array([0.0])).tolist() == [1.0]
    assert ACTIVATIONS["sigmoid"].derivative(np.array([0.0])).tolist() == [0.25]


def test_tanh_is_a_rescaled_sigmoid():
    z = np.linspace(-5, 5, 101)
    np.testing.assert_allclose(np.tanh(z), 2 * sigmoid(2 * z) - 1, atol=1e-15)


def test_softmax_sums_to_one_and_survives_large_scores():
    z = np.array([[1000.0, 1.0], [1001.0, 2.0], [999.0, 3.0]])
    s = softmax(z, axis=0)
    np.testing.assert_allclose(s.sum(axis=0), [1.0, 1.0])
    assert np.all(np.isfinite(s))
    assert np.argmax(s[:, 0]) == 1


def test_softmax_jacobian_matches_central_differences():
    z = np.array([0.3, -1.2, 2.0, 0.5])
    J = softmax_df(softmax(z))
    h = 1e-6
    numeric = np.column_stack([(softmax(z + h * e) - softmax(z - h * e)) / (2 * h) for e in np.eye(4)])
    np.testing.assert_allclose(J, numeric, atol=1e-9)


def test_registry_lookup_names_the_bad_value():
    with pytest.raises(ValueError, match="'swish'"):
        get_activation("swish")
    assert "step" not in HIDDEN_ACTIVATIONS and "softmax" not in HIDDEN_ACTIVATIONS
    assert {"tanh", "sigmoid", "relu", "leaky_relu", "linear"} <= set(HIDDEN_ACTIVATIONS)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_the_slope_formula_says_what_df_computes(name):
    """Each activation's LaTeX slope (what the equations and the derivation show) is what ``df`` computes."""
    act = ACTIVATIONS[name]
    a = act.f(np.linspace(-3, 3, 13))
    formula = act.slope_of("a")
    expected = {"a \\odot (1 - a)": a * (1 - a), "1 - (a)^{2}": 1 - a**2, "[a > 0]": (a > 0).astype(float),
                "\\max(0.01, [a > 0])": np.maximum(0.01, (a > 0).astype(float)), "1": np.ones_like(a),
                "0": np.zeros_like(a)}[formula]
    np.testing.assert_allclose(act.df(a), expected)
    assert act.symbol.startswith("\\")
