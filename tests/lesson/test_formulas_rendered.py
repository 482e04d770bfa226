"""No formula on any page goes unchecked: every LaTeX string each page renders (AppTest, in each part and for each
hidden activation) is read and computed with that page's own numbers, and holds — or it is one of the few
formulas listed below that state no number (a data pipeline, a chain of derivative symbols), each with why."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from latex_eval import Shown, check
from test_formulas import CHAIN_RULE_ONLY, FUNCTIONS, H, batch_env, network_envs, sample_env

from nnviz.core.activations import HIDDEN_ACTIVATIONS, sigmoid_df, tanh_df
from nnviz.core.deep_network import DeepNN
from nnviz.core.network import ShallowNN
from nnviz.lesson.equations import EQUATIONS, tag
from nnviz.lesson.neuron import INPUTS
from nnviz.lesson.walkthrough import lesson_batch

#: Formulas that compute nothing on their own, by what they contain, and why that is fine.
DESCRIPTIVE = {
    r"\mapsto": "an example of one-hot coding; the caption below it gives the first labels' rows, computed",
    r"x^{(1)} \cdots x^{(m)}": "the batch's layout in words; its values are shown beside it and checked",
    r"\text{with temperature }": "names the temperature slider; softmax(z / T) is drawn by the figure",
}
DESCRIPTIVE_EQUATIONS = {tag(EQUATIONS[n].lesson_for(a), n) for n in CHAIN_RULE_ONLY for a in HIDDEN_ACTIVATIONS}
#: The lesson's statements that are wrong or loose as written: each is shown with a "Where the lesson differs" box
#: and the correct form beside it, which must compute (test_formulas checks that these do not).
FLAGGED_EQUATIONS = {tag(e.lesson_for(a), e.number) for e in EQUATIONS.values() if e.differs for a in HIDDEN_ACTIVATIONS}


def holds(latex: str, envs) -> tuple[bool, str]:
    """Whether ``latex`` holds in one of the families of environments ``envs`` (each a list: it must hold in every
    member, e.g. every sample); a formula with no number to compute in any of them does not hold."""
    why = []
    for family in envs:
        results = [check(latex, dict(env), atol=1e-7) for env in family]
        statuses = {r.status for rs in results for r in rs}
        if statuses <= {"checked", "bound"} and "checked" in statuses:
            return True, ""
        why.append("; ".join(f"{r.status}: {r.text} {r.detail}" for rs in results[:1] for r in rs
                             if r.status not in ("checked", "bound"))[:300] or str(statuses))
    return False, " | ".join(why)


def chained(formulas: list[str]) -> list[str]:
    """A derivation written a line at a time ("= …" under the line before) as one chain of equalities."""
    out: list[str] = []
    for latex in formulas:
        if latex.startswith("=") and out:
            out[-1] = out[-1] + " " + latex
        else:
            out.append(latex)
    return out


def assert_all_hold(rendered: list[str], envs, where: str, chain: bool = False):
    bad = []
    for latex in chained(rendered) if chain else rendered:
        if latex in DESCRIPTIVE_EQUATIONS | FLAGGED_EQUATIONS or any(marker in latex for marker in DESCRIPTIVE):
            continue
        ok, why = holds(latex, envs)
        if not ok:
            bad.append(f"{latex}\n    {why}")
    assert not bad, f"{where}: formulas that do not compute what they say:\n" + "\n".join(bad)


def rendered(at) -> list[str]:
    """The LaTeX of every formula on the page (AppTest gives st.latex as Markdown between $$ … $$)."""
    return [x.value.strip().removeprefix("$$").removesuffix("$$").strip() for x in at.latex]


POINTS = np.linspace(-3, 3, 9) + 0.05  # away from 0, where ReLU and the step have no slope


def scalar_envs(points=POINTS):
    """For formulas of one variable (x or z): the test's own functions, their slopes by central differences."""
    derivative = {f"{name}'": (lambda v, f=f: (f(v + H) - f(v - H)) / (2 * H)) for name, f in FUNCTIONS.items()}
    step = lambda v: (np.asarray(v) >= 0).astype(float)  # noqa: E731
    out = []
    for f, df in ((step, lambda _v: 0.0), (FUNCTIONS["id"], lambda _v: 1.0)):  # f: the step, or the linear unit
        family = []
        for v in points:
            family.append({**FUNCTIONS, **derivative, "x": v, "z": v, "a": v, "f": f, "f'": df, "tanh_df": tanh_df,
                           "sigmoid_df": sigmoid_df})
        out.append(family)
    return out


def softmax_envs():
    """For the softmax and its Jacobian: a score vector z, every pair (i, j), the Jacobian and the loss's slope by
    central differences."""
    z = np.array([[0.3], [-1.2], [2.0], [0.5]])
    y = np.array([[0.0], [0.0], [1.0], [0.0]])
    soft = lambda v: np.exp(v) / np.exp(v).sum()  # noqa: E731
    s = soft(z)
    out = []
    for i in range(4):
        for j in range(4):
            dz = np.zeros_like(z)
            dz[j] = H
            jac = (soft(z + dz)[i, 0] - soft(z - dz)[i, 0]) / (2 * H)
            loss = lambda v: float(-(y * np.log(soft(v))).sum())  # noqa: E731
            out.append({**FUNCTIONS, "z": z, "s": s, "y": y, "softmax": soft, "δ_ij": float(i == j),
                        "∂s_i/∂z_j": jac, "∂L/∂z_j": (loss(z + dz) - loss(z - dz)) / (2 * H),
                        "_indices": {"i": i, "j": j, "k": i}})
    return out


def test_every_formula_of_the_activation_page(open_page):
    at = open_page("activations")
    assert_all_hold(rendered(at), [*scalar_envs(), softmax_envs()], "Activation functions", chain=True)


@pytest.mark.slow
@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
def test_every_formula_of_backpropagation(open_page, activation):
    at = open_page("backpropagation")
    at.selectbox(key="bp_act").set_value(activation)
    at.run()
    formulas = []
    for part in ("1.3.1 · Node by node (1)", "1.3.2 · The loss (4)", "1.3.3–1.3.8 · The derivation (5)–(27)"):
        at.segmented_control(key="bp_part").set_value(part)
        at.run()
        if part.startswith("1.3.3"):
            at.button(key="bp_all").click()
            at.run()
        formulas += rendered(at)
    model: ShallowNN = copy.deepcopy(at.session_state["bp_model"])
    X, Y = lesson_batch(at.session_state["bp_m"])
    lr = float(at.session_state["bp_lr"])
    batch = batch_env(copy.deepcopy(model), X, Y, lr)
    lesson = batch_env(copy.deepcopy(model), X, Y, 1.0)
    samples = [sample_env(lesson, i) for i in range(X.shape[1])]
    x = X[:, 3]  # the node view's sample (x⁽⁴⁾) and node (1)
    Z1 = model.params["W1"] @ x.reshape(2, 1) + model.params["b1"]
    g = FUNCTIONS[{"tanh": "tanh", "sigmoid": "σ", "relu": "ReLU", "leaky_relu": "LReLU", "linear": "id"}[activation]]
    node = {**FUNCTIONS, "x_1": x[0], "x_2": x[1], "w_11": model.params["W1"][0, 0], "w_12": model.params["W1"][0, 1],
            "b_1": model.params["b1"][0, 0], "z_1": Z1[0, 0], "a_1": g(Z1[0, 0]), "f": g, "Z[1]": Z1,
            "W[1]": model.params["W1"], "x": x.reshape(2, 1), "B[1]": model.params["b1"], "A[1]": g(Z1),
            "W[2]": model.params["W2"], "b[2]": model.params["b2"]}
    node["Z[2]"] = model.params["W2"] @ g(Z1) + model.params["b2"]
    node["ŷ"] = FUNCTIONS["σ"](node["Z[2]"])
    per_sample_loss = [{**e, "y": float(e["Y"][0, 0]), "ŷ": float(e["A[2]"][0, 0])} for e in samples]
    # equation (1) as the lesson writes it: node i on sample x, for every node and sample of the batch
    W1, b1 = model.params["W1"], model.params["b1"]
    nodes = [{**lesson, "z_i": W1[i] @ X[:, s] + b1[i, 0], "w_i1": W1[i, 0], "w_i2": W1[i, 1], "x_1": X[0, s],
              "x_2": X[1, s], "b_i": b1[i, 0], "a_i": g(W1[i] @ X[:, s] + b1[i, 0]), "f": g}
             for i in range(model.n_hidden) for s in range(X.shape[1])]
    assert len(formulas) > 60
    assert_all_hold(formulas, [[batch], [lesson], samples, [node], per_sample_loss, nodes],
                    f"Backpropagation, {activation}")


@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
def test_every_formula_of_the_equations_view(open_page, activation):
    at = open_page("shallow_network", ds="moons", hidden=6, batch=16, act=activation, speed="2")
    at.segmented_control(key="tr_view").set_value("Equations")
    at.run()
    formulas = rendered(at)
    assert len(formulas) == 10
    rng = np.random.default_rng(0)
    model = ShallowNN(2, 6, 1, activation=activation, init_scale=0.5, seed=2)
    X, Y = rng.normal(size=(2, 16)), (rng.random((1, 16)) > 0.5).astype(float)
    env = batch_env(model, X, Y, lr=1.0)
    env.update({"W": env["W[2]"], "dW": env["dW[2]"], "b": env["b[2]"], "db": env["db[2]"]})
    assert_all_hold(formulas, [[env]], f"Equations view, {activation}")


#: Networks beyond the lesson's: every depth from 0 to 3 hidden layers, the three outputs and losses, the three
#: optimizers, both penalties, chosen input features, and every activation in some layer.
NETWORKS = [
    dict(ds="moons", hidden="6,4", act="relu,tanh"),
    dict(ds="moons", hidden="0", opt="adam"),
    dict(ds="moons", hidden="6", opt="adam", act="sigmoid"),
    dict(ds="spiral", classes="3", hidden="5", act="tanh", opt="momentum", reg="l2", rate="0.01"),
    dict(ds="blobs", classes="4", hidden="6,4", act="sigmoid,leaky_relu", opt="adam", reg="l1", rate="0.003"),
    dict(ds="plane", hidden="6", act="leaky_relu", opt="adam", reg="l2", rate="0.03"),
    dict(ds="gauss", hidden="4,4,3", act="linear", opt="momentum"),
    dict(ds="circles", feat="x1sq,x2sq", hidden="0", reg="l2", rate="0.1"),
    dict(ds="xor", feat="x1,x2,x1x2,sinx1", hidden="3,3", act="relu", reg="l1", rate="0.01", opt="momentum"),
]


@pytest.mark.parametrize("network", NETWORKS, ids=lambda n: "-".join(f"{k}={v}" for k, v in n.items()))
def test_every_formula_of_the_equations_view_for_any_network(open_page, network):
    """Each line the page renders computes what the code computes: the forward pass and the loss (penalty included)
    from this test's own functions, the code's gradients from the errors, and the optimizer's step from its state
    before and after (its lines written for a layer l, checked for every l)."""
    at = open_page("shallow_network", batch=16, speed="2", **network)
    at.segmented_control(key="tr_view").set_value("Equations")
    at.run()
    assert not at.exception and not at.warning, [w.value for w in at.warning]
    settings = at.session_state["trainer"].run.settings
    ds = at.session_state["trainer"].run  # the page's run: its network's shape is the one the formulas show
    shape = ds.poll().model
    formulas = rendered(at)
    model = DeepNN(shape.n_input, shape.hidden, shape.n_output, problem=shape.problem, activation=list(shape.activations),
                   init_scale=0.5, seed=2, regularization=settings.reg,
                   reg_rate=settings.reg_rate if settings.reg != "none" else 0.0, optimizer=settings.optimizer)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(shape.n_input, 16))
    if shape.problem == "regression":
        Y = rng.normal(size=(1, 16))
    elif shape.problem == "multiclass":
        Y = np.eye(shape.n_output)[:, rng.integers(0, shape.n_output, 16)]
    else:
        Y = (rng.random((1, 16)) > 0.5).astype(float)
    for _ in range(2):  # the optimizer's state is not zero: its velocities and moments mean something
        model.forward(X * 0.9)
        model.backward(X * 0.9, Y)
        model.update_weights(0.05)
    update = [f for f in formulas if "[l]" in f]
    assert len(update) == {"sgd": 1, "momentum": 2, "adam": 4}[settings.optimizer]
    assert_all_hold([f for f in formulas if f not in update], network_envs(copy.deepcopy(model), X, Y, 0.05, 1),
                    f"Equations view, {network}")
    for layer in range(1, model.n_layers + 1):
        bound = [f.replace("[l]", f"[{layer}]") for f in update]
        assert_all_hold(bound, network_envs(copy.deepcopy(model), X, Y, 0.05, layer), f"update of layer {layer}")
    expected_lines = (model.n_layers + 1) + 3 * model.n_layers + len(update)  # forward and loss, backward, update
    assert len(formulas) == expected_lines


@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
def test_every_formula_of_the_neuron_page(open_page, activation):
    """The threshold rule and the smooth neuron, with the page's own weights, for each of the four inputs: the
    output y is what the page's table says."""
    at = open_page("neuron")
    at.radio(key="nr_smooth_act").set_value(activation)
    at.run()
    w1, w2, theta = (at.slider(key=k).value for k in ("nr_w1", "nr_w2", "nr_theta"))
    k = at.slider(key="nr_k").value
    threshold_table = next(t.value for t in at.table if "sum" in t.value.columns)  # the neuron's four inputs
    smooth_table = next(t.value for t in at.table if "smooth" in t.value.columns)  # the same, smooth
    steps, smooths = threshold_table["y"].tolist(), smooth_table["smooth"].tolist()
    assert steps == smooth_table["step"].tolist()
    envs_step, envs_smooth = [], []
    for (x1, x2), step, smooth in zip(INPUTS, steps, smooths, strict=True):
        base = {**FUNCTIONS, "w_1": w1, "w_2": w2, "θ": theta, "k": k, "x_1": x1, "x_2": x2}
        envs_step.append({**base, "y": float(step)})
        envs_smooth.append({**base, "y": Shown(np.array([[float(smooth)]]), decimals=3)})  # the table's 3 digits
    assert_all_hold(rendered(at), [envs_step, envs_smooth], f"The neuron, {activation}")


@pytest.mark.slow
def test_every_formula_of_the_mnist_network_section(open_page):
    from nnviz.mnist.data import load_mnist

    (x_train, y_train), _ = load_mnist()
    at = open_page("mnist_classifier", section="The network")
    d, b, e = len(x_train), 128, 10
    env = {**FUNCTIONS, "x": x_train, "x_\\text{flat}": x_train.reshape(d, -1), "X": x_train.reshape(d, -1) / 255,
           "y": y_train, "Y": np.eye(10)[y_train],
           "d": d, "b": b, "e": e, "i": e * int(np.ceil(d / b))}
    assert_all_hold(rendered(at), [[env]], "MNIST classifier")
