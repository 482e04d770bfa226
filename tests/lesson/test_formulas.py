"""Every formula the app renders says what the code computes — for every hidden activation.

Each formula is read from the exact LaTeX a page shows (``latex_eval``: brackets, signs, transposes and
shapes as a reader would read them), computed with this file's own functions and numbers, and compared with
what ``ShallowNN`` computed on the same batch. The code's forms and the equations of the Shallow network page
must hold on a whole batch; the lesson's own statements must hold as the lesson means them (for one sample,
learning rate 1), or be marked on the page as where the lesson differs."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from latex_eval import Shown, check

from nnviz.core.activations import ACTIVATIONS, HIDDEN_ACTIVATIONS, identity_checks, sigmoid_df, tanh_df
from nnviz.core.network import ShallowNN
from nnviz.lesson.equations import EQUATIONS, backward_equations, forward_equations
from nnviz.lesson.walkthrough import derivation, lesson_batch, lesson_network, node_by_node

H = 1e-6

#: The test's own functions: nothing from nnviz, so that a formula is compared with an independent reading.
FUNCTIONS = {
    "tanh": np.tanh, "σ": lambda z: 1 / (1 + np.exp(-np.asarray(z, dtype=float))),
    "ReLU": lambda z: np.maximum(z, 0.0), "LReLU": lambda z: np.where(np.asarray(z) > 0, z, 0.01 * np.asarray(z)),
    "id": lambda z: np.asarray(z, dtype=float), "log": np.log, "exp": np.exp, "max": np.maximum,
    "min": np.minimum, "sin": np.sin, "cos": np.cos,
}
SYMBOL_OF = {"tanh": "tanh", "sigmoid": "σ", "relu": "ReLU", "leaky_relu": "LReLU", "linear": "id"}


def slope(activation: str, Z):
    """g'(Z) by central differences of this file's own g — but where Z sits exactly on a kink (ReLU's 0, which the
    lesson's XOR corner (0, 0) reaches with zero biases), the slope from the left: there is no derivative there,
    and every library, the formula [A > 0] included, takes that one."""
    g = FUNCTIONS[SYMBOL_OF[activation]]
    Z = np.asarray(Z, dtype=float)
    central = (g(Z + H) - g(Z - H)) / (2 * H)
    left = (g(Z) - g(Z - H)) / H
    return np.where(Z == 0, left, central)


def per_sample_loss(y, y_hat):
    return -(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat))


def batch_env(model: ShallowNN, X, Y, lr: float) -> dict:
    """Everything a formula about one batch may name, computed here from the forward pass's arrays; the
    gradients and the step are the code's (``backward``, ``update_weights``), which the formulas must give."""
    A2 = model.forward(X)
    model.backward(X, Y)
    c, g, p = model.cache, model.grads, model.params
    m = X.shape[1]
    dZ2 = A2 - Y
    dZ1 = (p["W2"].T @ dZ2) * slope(model.activation, c["Z1"])
    after = copy.deepcopy(model)
    after.update_weights(lr)
    changes = {f"Δ{k[0]}[{k[1]}]": after.params[k] - p[k] for k in ("W1", "b1", "W2", "b2")}
    env = {
        **FUNCTIONS, "X": X, "Y": Y, "y": Y, "m": m, "α": lr, "ŷ": A2, "J": model.compute_loss(Y, A2),
        "W[1]": p["W1"], "b[1]": p["b1"], "B[1]": p["b1"], "W[2]": p["W2"], "b[2]": p["b2"], "B[2]": p["b2"],
        "Z[1]": c["Z1"], "A[1]": c["A1"], "Z[2]": c["Z2"], "A[2]": A2,
        "dZ[2]": dZ2, "Δ[2]": dZ2, "dZ[1]": dZ1, "Δ[1]": dZ1,
        "dW[1]": g["dW1"], "db[1]": g["db1"], "dW[2]": g["dW2"], "db[2]": g["db2"],
        "∂J/∂W[1]": g["dW1"], "∂J/∂W[2]": g["dW2"], "∂J/∂b[2]": g["db2"], "∂L/∂W[1]": g["dW1"], "∂L/∂W[2]": g["dW2"],
        "W[2]_old": p["W2"], "W[2]_new": after.params["W2"], "b[2]_old": p["b2"], "b[2]_new": after.params["b2"],
        "L": per_sample_loss, "∂g(Z[1])/∂Z[1]": slope(model.activation, c["Z1"]),
        "∂L/∂ŷ": -Y / A2 + (1 - Y) / (1 - A2), "∂ŷ/∂Z[2]": FUNCTIONS["σ"](c["Z2"]) * (1 - FUNCTIONS["σ"](c["Z2"])),
        **changes,
        "_after": {"W[1]": after.params["W1"], "b[1]": after.params["b1"], "W[2]": after.params["W2"],
                   "b[2]": after.params["b2"]},
    }
    # (7) and (8) name no layer: the derivation shows them on the output layer
    for p_ in ("W", "b"):
        env.update({p_: env[f"{p_}[2]"], f"d{p_}": env[f"d{p_}[2]"], f"{p_}_old": env[f"{p_}[2]"],
                    f"{p_}_new": env["_after"][f"{p_}[2]"], f"∂L/∂{p_}": env[f"d{p_}[2]"], f"Δ{p_}": env[f"Δ{p_}[2]"]})
        env["_after"][p_] = env["_after"][f"{p_}[2]"]
    return env


def sample_env(env: dict, i: int) -> dict:
    """The same names for sample i alone (column i of every per-sample array): the lesson's chain rule
    (11)–(19) is written for one sample."""
    one = dict(env)
    for name in ("X", "Y", "y", "ŷ", "Z[1]", "A[1]", "Z[2]", "A[2]", "dZ[2]", "Δ[2]", "dZ[1]", "Δ[1]",
                 "∂L/∂ŷ", "∂ŷ/∂Z[2]", "∂g(Z[1])/∂Z[1]"):
        one[name] = env[name][:, i:i + 1]
    one["m"] = 1
    return one


def assert_holds(latex: str, env: dict, *, allow_unevaluated: bool = False, what: str = "", atol: float = 1e-12):
    results = check(latex, env, atol=atol)
    bad = [r for r in results if r.status in ("mismatch", "partial")
           or (r.status == "unevaluated" and not allow_unevaluated)]
    assert not bad, f"{what}: {latex}\n" + "\n".join(f"  {r.status}: {r.text} — {r.detail}" for r in bad)
    return results


def network_and_batch(activation: str, n_input=3, n_hidden=4, n_output=1, m=7, seed=1):
    rng = np.random.default_rng(seed)
    model = ShallowNN(n_input, n_hidden, n_output, activation=activation, init_scale=0.5, seed=seed)
    X = rng.normal(size=(n_input, m))
    if n_output == 1:
        Y = (rng.random((1, m)) > 0.5).astype(float)
    else:
        Y = np.eye(n_output)[:, rng.integers(0, n_output, m)]
    return model, X, Y


# ----------------------------------------------------------------------------- the Shallow network page's view


@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
def test_the_equations_view_computes_the_codes_forward_pass_gradients_and_step(activation):
    """Shallow network › Look inside › Equations: every line, on a batch, equals the code's arrays — (23)'s slope
    multiplies the whole back-sent error, (24)–(27) are the changes −α·dW the step takes, the shapes under the
    symbols are the arrays' shapes. Bound in order, so (25) uses the dZ[1] that (23) as shown gives."""
    model, X, Y = network_and_batch(activation, n_input=3, n_hidden=4, m=7)
    env = batch_env(model, X, Y, lr=0.3)
    env.pop("dZ[1]"), env.pop("Δ[1]")  # (23) must give it; (25) and (27) then compare with the code's gradient
    for eq in forward_equations(3, 4, 1, 7, activation) + backward_equations(3, 4, 1, 7, activation):
        if eq.number == 7:
            for layer in ("1", "2"):  # the step, read for each layer's weights and biases
                env.update({"W": env[f"W[{layer}]"], "dW": env[f"dW[{layer}]"], "b": env[f"b[{layer}]"],
                            "db": env[f"db[{layer}]"]})
                env["_after"].update({"W": env["_after"][f"W[{layer}]"], "b": env["_after"][f"b[{layer}]"]})
                results = assert_holds(eq.latex, env, what=f"({eq.number}) layer {layer}")
                assert all(r.status == "checked" for r in results)
            continue
        results = assert_holds(eq.latex, env, what=f"({eq.number}) with {activation}")
        assert all(r.status in ("checked", "bound") for r in results)
        if eq.number != 23:  # (23) gives dZ[1]; (25) and (27) check it against the code's gradients
            assert any(r.status == "checked" for r in results), f"({eq.number}) checked nothing"
    assert "dZ[1]" in env


def test_the_equations_view_reads_for_several_classes_too():
    model, X, Y = network_and_batch("tanh", n_input=2, n_hidden=5, n_output=3, m=6)
    env = batch_env(model, X, Y, lr=0.1)
    env["k"] = 3
    for eq in forward_equations(2, 5, 3, 6, "tanh"):
        results = assert_holds(eq.latex, env, what=f"({eq.number}) softmax")
        assert any(r.status == "checked" for r in results)


def test_a_missing_bracket_or_sign_would_fail():
    """The reading is strict enough to catch the faults this test exists for."""
    model, X, Y = network_and_batch("tanh")
    env = batch_env(model, X, Y, lr=0.3)
    wrong_bracket = r"dZ^{[1]} = W^{[2]T}\,dZ^{[2]} \odot 1 - (A^{[1]})^{2}"
    right = r"dZ^{[1]} = W^{[2]T}\,dZ^{[2]} \odot \left(1 - (A^{[1]})^{2}\right)"
    assert check(right, env)[0].status == "checked"
    assert check(wrong_bracket, env)[0].status == "mismatch"
    assert check(r"\Delta W^{[2]} = \alpha\,dW^{[2]}", env)[0].status == "mismatch"  # the sign
    assert check(r"dW^{[2]} = \frac{1}{m}\,dZ^{[2]}\,A^{[1]}", env)[0].status != "checked"  # no transpose
    assert check(r"\underbrace{dW^{[2]}}_{4\times1} = \frac{1}{m}\,dZ^{[2]}\,A^{[1]T}", env)[0].status == "mismatch"
    tanh_slope_for_relu = batch_env(*network_and_batch("relu"), lr=0.3)
    assert check(right, tanh_slope_for_relu)[0].status == "mismatch"


# ----------------------------------------------------------------------------- Backpropagation: the derivation

#: The lesson's chain rule written with derivative symbols only: nothing in it to compute on its own. Its factors
#: are (12), (13) and (19), its results (20) and (21), each checked below.
CHAIN_RULE_ONLY = {11, 14, 15, 16, 17, 18}


@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
@pytest.mark.parametrize("lr", [1.0, 0.3])
def test_every_step_of_the_derivation_says_what_the_code_computed(activation, lr):
    """Each step of Backpropagation's derivation, as rendered: its live values are the code's arrays to the digits
    shown; the code's form of the equation holds on the batch; the lesson's form holds for each sample at the
    lesson's step (α = 1) — or the page marks where the lesson differs."""
    model = lesson_network(seed=3, activation=activation)
    X, Y = lesson_batch(6)
    steps = derivation(model, X, Y, lr)
    env = batch_env(copy.deepcopy(model), X, Y, lr)
    lesson_env = batch_env(copy.deepcopy(model), X, Y, 1.0)
    for step in steps:
        where = f"step ({step.number}) with {activation}"
        for symbol, value in step.values:  # the live values, as the page writes them
            shown = rf"{symbol} = {step_value_latex(value)}"
            results = check(shown, dict(env))
            assert all(r.status == "checked" for r in results), (where, shown, [(r.status, r.detail) for r in results])
        if step.code:
            assert_holds(step.code, dict(env), what=where + " (code's form)")
        if step.number is None:
            continue
        if step.number in CHAIN_RULE_ONLY or step.differs:
            continue
        if 12 <= step.number <= 21:
            for i in range(X.shape[1]):
                assert_holds(step.latex, sample_env(lesson_env, i), what=where + f" (lesson's form, sample {i})")
        else:
            assert_holds(step.latex, dict(lesson_env), what=where + " (lesson's form)")


def step_value_latex(value) -> str:
    from nnviz.lesson.equations import latex_matrix

    return latex_matrix(value)


@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
def test_the_steps_that_use_the_slope_follow_the_activation(activation):
    """(18)–(20) and (23) in both forms name this network's activation and its slope, never tanh's for another."""
    model = lesson_network(activation=activation)
    X, Y = lesson_batch(4)
    act = ACTIVATIONS[activation]
    for step in derivation(model, X, Y):
        if step.number in (18, 19, 20, 23):
            text = step.latex + step.code
            assert "<g" not in text
            if step.number == 18:
                assert act.symbol in text and (r"\tanh" in text) == (activation == "tanh"), text
                continue
            assert ("1 - (A^{[1]})^{2}" in text) == (activation == "tanh"), (step.number, text)
            assert act.slope_of("A^{[1]}") in text, (step.number, text)


def test_the_lesson_statements_that_do_not_hold_as_written_are_marked():
    """(20), (21), (23)–(27) as the lesson writes them do not compute on a batch (no transpose, no 1/m, a missing
    minus); each is shown with a box that says so."""
    model, X, Y = network_and_batch("tanh", n_input=2, n_hidden=4, m=4)
    env = batch_env(model, X, Y, lr=1.0)
    for n in (20, 21, 23, 24, 25, 26, 27):
        e = EQUATIONS[n]
        assert e.differs, n
        statuses = {r.status for r in check(e.lesson_for(), dict(env))}
        assert statuses & {"mismatch", "unevaluated", "partial"}, (n, statuses)


# ----------------------------------------------------------------------------- Backpropagation: node by node


@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
@pytest.mark.parametrize("node", [1, 2, 3, 4])
def test_node_by_node_writes_the_nodes_own_numbers(activation, node):
    """1.3.1: z_i = w_i1·x1 + w_i2·x2 + b_i with the numbers put in, and a_i = f(z_i): each line is the hidden
    node's value as the network computes it (to the digits shown)."""
    model = lesson_network(seed=2, activation=activation)
    X, _ = lesson_batch(4)
    x = X[:, 3]
    view = node_by_node(model, x, node)
    W1, b1 = model.params["W1"], model.params["b1"]
    Z1 = W1 @ x.reshape(2, 1) + b1
    g = FUNCTIONS[SYMBOL_OF[activation]]
    env = {**FUNCTIONS, "x_1": x[0], "x_2": x[1], f"w_{node}1": W1[node - 1, 0], f"w_{node}2": W1[node - 1, 1],
           f"b_{node}": b1[node - 1, 0], f"z_{node}": Z1[node - 1, 0], f"a_{node}": g(Z1[node - 1, 0]),
           "f": g, "Z[1]": Z1, "W[1]": W1, "x": x.reshape(2, 1), "B[1]": b1, "b[1]": b1, "A[1]": g(Z1),
           "W[2]": model.params["W2"], "b[2]": model.params["b2"], "B[2]": model.params["b2"],
           "Z[2]": model.params["W2"] @ g(Z1) + model.params["b2"]}
    env["ŷ"] = FUNCTIONS["σ"](env["Z[2]"])
    for latex in (view.node_latex, view.stacked_latex, view.output_latex):
        results = assert_holds(latex, dict(env), what=f"node {node}")
        assert any(r.status == "checked" for r in results)


# ----------------------------------------------------------------------------- the lesson's table, scalar forms


def test_the_slopes_of_tanh_and_sigmoid_as_the_lesson_and_the_code_write_them():
    """(2) and (3), the lesson's form against central differences, the code's form against the code's own
    ``tanh_df`` and ``sigmoid_df`` given a = f(x)."""
    for x in np.linspace(-4, 4, 17):
        env = {**FUNCTIONS, "x": x, "tanh_df": tanh_df, "sigmoid_df": sigmoid_df}
        for n, f in ((2, np.tanh), (3, FUNCTIONS["σ"])):
            env["a"] = f(x)
            for latex in (EQUATIONS[n].lesson_for(), EQUATIONS[n].code_for()):
                results = assert_holds(latex, dict(env), what=f"({n}) at x = {x}", atol=1e-7)
                assert all(r.status == "checked" for r in results)


def test_the_loss_and_the_step_as_the_lesson_writes_them():
    """(4) per sample (both cases and the combined form) and as the cost J; (5)–(10) on a batch, at the lesson's
    step α = 1."""
    model, X, Y = network_and_batch("tanh", n_input=2, n_hidden=4, m=5)
    env = batch_env(model, X, Y, lr=1.0)
    for i in range(5):
        one = sample_env(env, i)
        one.update({"y": float(Y[0, i]), "ŷ": float(env["A[2]"][0, i])})
        results = assert_holds(EQUATIONS[4].lesson_for(), one, what="(4)", allow_unevaluated=False)
        assert all(r.status in ("checked", "bound") for r in results)
    assert_holds(EQUATIONS[4].code_for(), dict(env), what="(4) as J")
    for n in (5, 6, 9, 10):
        for latex in (EQUATIONS[n].lesson_for(), EQUATIONS[n].code_for()):
            if latex:
                assert_holds(latex, dict(env), what=f"({n})")
    for n, layer in ((7, "2"), (8, "2"), (7, "1")):
        p = "W" if n == 7 else "b"
        lesson = dict(env)
        lesson.update({f"{p}_new": env["_after"][f"{p}[{layer}]"], f"{p}_old": env[f"{p}[{layer}]"],
                       f"∂L/∂{p}": env[f"d{p}[{layer}]"], f"Δ{p}": env[f"Δ{p}[{layer}]"], p: env[f"{p}[{layer}]"],
                       f"d{p}": env[f"d{p}[{layer}]"]})
        lesson["_after"] = {p: env["_after"][f"{p}[{layer}]"]}
        assert_holds(EQUATIONS[n].lesson_for(), lesson, what=f"({n})")
        assert_holds(EQUATIONS[n].code_for(), lesson, what=f"({n}) code")


def test_equation_one_as_the_lesson_writes_it_for_each_node():
    model, X, Y = network_and_batch("tanh", n_input=2, n_hidden=4, m=4)
    env = batch_env(model, X, Y, lr=1.0)
    W1, b1 = env["W[1]"], env["b[1]"]
    for i in range(4):
        for s in range(4):
            z = W1[i] @ X[:, s] + b1[i, 0]
            node = {**env, "z_i": z, "w_i1": W1[i, 0], "w_i2": W1[i, 1], "x_1": X[0, s], "x_2": X[1, s],
                    "b_i": b1[i, 0], "a_i": np.tanh(z), "f": np.tanh}
            results = assert_holds(EQUATIONS[1].lesson_for(), node, what="(1)")
            assert [r.status for r in results] == ["checked", "checked", "checked"]


@pytest.mark.parametrize("name", [a for a in ACTIVATIONS if ACTIVATIONS[a].elementwise])
def test_each_activations_formula_and_slope_on_the_activation_page(name):
    """The activation page's f(z) and f'(z) for each function, against this file's own function and central
    differences."""
    act = ACTIVATIONS[name]
    own = {"sigmoid": FUNCTIONS["σ"], "tanh": np.tanh, "relu": FUNCTIONS["ReLU"], "leaky_relu": FUNCTIONS["LReLU"],
           "linear": FUNCTIONS["id"], "step": lambda z: (np.asarray(z) >= 0).astype(float)}[name]
    fname = {"sigmoid": "σ", "tanh": "tanh", "relu": "ReLU", "leaky_relu": "LReLU", "linear": "f", "step": "f"}[name]
    for z in np.linspace(-3, 3, 13) + 0.05:  # away from the kinks, where f' has no value
        env = {**FUNCTIONS, "z": z, fname: own, fname + "'": lambda v, f=own: (f(v + H) - f(v - H)) / (2 * H)}
        for latex in (act.formula, act.dformula):
            results = assert_holds(latex, env, what=f"{name} at {z}", atol=1e-7)
            assert all(r.status == "checked" for r in results), (latex, [(r.status, r.detail) for r in results])


def test_the_identities_the_activation_page_checks_read_as_they_compute():
    for latex, _error in identity_checks():
        for x in np.linspace(-3, 3, 7):
            env = {**FUNCTIONS, "x": x,
                   "tanh'": lambda v: (np.tanh(v + H) - np.tanh(v - H)) / (2 * H),
                   "σ'": lambda v: (FUNCTIONS["σ"](v + H) - FUNCTIONS["σ"](v - H)) / (2 * H)}
            results = assert_holds(latex, env, what="identity", atol=1e-7)
            assert all(r.status == "checked" for r in results)


def test_shown_matrices_are_compared_to_the_digits_they_show():
    assert check(r"A = \begin{bmatrix}0.123 & -1.000\end{bmatrix}", {"A": np.array([[0.1234, -0.9996]])})[0].status \
        == "checked"
    assert check(r"A = \begin{bmatrix}0.123 & -1.000\end{bmatrix}", {"A": np.array([[0.1254, -0.9996]])})[0].status \
        == "mismatch"
    assert isinstance(check(r"A = \begin{bmatrix}1 & \cdots\end{bmatrix}", {"A": np.ones((1, 9))})[0].sides[1], Shown)


def softmax_columns(Z):
    E = np.exp(np.asarray(Z, dtype=float) - np.max(Z, axis=0))
    return E / E.sum(axis=0)


OUTPUT_OF = {"binary": FUNCTIONS["σ"], "multiclass": softmax_columns, "regression": FUNCTIONS["id"]}


def network_envs(model, X, Y, lr: float, layer: int) -> list[list[dict]]:
    """Everything the general Equations view names for one batch — every layer's Z, A and error computed here with
    this file's functions, the gradients and the step the code's (``backward``, ``update_weights``) — in two
    families: the optimizer's state before the step (for its ``←`` lines on V and S) and after it (for the lines
    that use the new V and S); ``layer`` binds the update lines' l."""
    L = model.n_layers
    p, m = model.params, X.shape[1]
    A = {0: X}
    Z = {}
    for k in range(1, L + 1):
        Z[k] = p[f"W{k}"] @ A[k - 1] + p[f"b{k}"]
        g = FUNCTIONS[SYMBOL_OF[model.activations[k - 1]]] if k < L else OUTPUT_OF[model.problem]
        A[k] = g(Z[k])
    dZ = {L: A[L] - Y}
    for k in range(L, 1, -1):
        dZ[k - 1] = (p[f"W{k}"].T @ dZ[k]) * slope(model.activations[k - 2], Z[k - 1])
    before = copy.deepcopy(model)
    model.forward(X)
    model.backward(X, Y)
    grads = model.grads
    after = copy.deepcopy(model)
    after.update_weights(lr)
    env = {**FUNCTIONS, "softmax": softmax_columns, "sign": np.sign, "X": X, "Y": Y, "y": Y, "m": m,
           "k": Y.shape[0], "α": lr, "λ": model.reg_rate, "ŷ": A[L], "J": before.loss(X, Y)}
    for k in range(1, L + 1):
        env.update({f"W[{k}]": p[f"W{k}"], f"b[{k}]": p[f"b{k}"], f"Z[{k}]": Z[k], f"A[{k}]": A[k],
                    f"dZ[{k}]": dZ[k], f"dW[{k}]": grads[f"dW{k}"], f"db[{k}]": grads[f"db{k}"]})
    opt_before, opt_after = before.optimizer, after.optimizer
    state = {}
    for name in ("V", "S"):
        old, new = getattr(opt_before, name, None), getattr(opt_after, name, None)
        if new is not None:
            old = np.zeros_like(new) if old is None else old
            state[name] = (before.blocks(old)[layer - 1][:, :-1], after.blocks(new)[layer - 1][:, :-1])
    key = f"dW^{{[{layer}]}}"
    shared = {"W": p[f"W{layer}"], "dW": grads[f"dW{layer}"]}
    if hasattr(opt_after, "beta"):
        shared["β"] = opt_after.beta
    if hasattr(opt_after, "beta1"):
        t = opt_after.t
        shared.update({"β_1": opt_after.beta1, "β_2": opt_after.beta2, "ε": opt_after.eps, "t": t,
                       f"^V_{key}": state["V"][1] / (1 - opt_after.beta1**t),
                       f"^S_{key}": state["S"][1] / (1 - opt_after.beta2**t)})
    W_after = {f"W[{layer}]": after.params[f"W{layer}"]}
    family_before = {**env, **shared, **{f"{n}_{key}": old for n, (old, _) in state.items()},
                     "_after": {**W_after, **{f"{n}_{key}": new for n, (_, new) in state.items()}}}
    family_after = {**env, **shared, **{f"{n}_{key}": new for n, (_, new) in state.items()}, "_after": W_after}
    return [[family_before], [family_after]]
