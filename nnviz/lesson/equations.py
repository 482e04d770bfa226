"""The lesson's equations (1)–(27): one table, under the lesson's numbers and in its notation.

``EQUATIONS[n]`` holds equation (n) as the lesson writes it (superscript layers W^{[1]}, A^{[2]}, the
deltas Δ^{[l]}, the update ΔW = −∂L/∂W), and, where the code computes it in another form (dZ2, dW2 with
1/m and transposes), that form with one line on how the two relate. Where the lesson is wrong or loose,
``differs`` says so: what the lesson writes, what the code computes, and why.

Where an equation depends on the hidden activation (the lesson's is tanh), its LaTeX holds two markers that
``for_activation`` fills in from the registry: ``<g>`` the function's name (\\tanh, \\mathrm{ReLU}) and ``<g'>``
its slope at the hidden layer as a factor (``1 - (A^{[1]})^{2}`` in brackets for tanh, ``[A^{[1]} > 0]`` for
ReLU). Nothing is rewritten by searching the text, so every form of every equation follows the activation.

``forward_equations`` and ``backward_equations`` give the equations of the Shallow network page's
"Equations" view with the current shapes, each tagged with its lesson number. Samples are columns
(the lesson's layout): X is n_x×m, W^{[1]} is n_h×n_x, Z^{[1]} and A^{[1]} are n_h×m, and so on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from nnviz.core.activations import get_activation

LESSON_ACTIVATION = "tanh"


def for_activation(latex: str, activation: str = LESSON_ACTIVATION) -> str:
    """``latex`` with its activation markers filled in: ``<g>`` the hidden activation's symbol, ``<g'>`` its slope
    at the hidden layer ``A^{[1]}`` as a factor of a product."""
    act = get_activation(activation)
    return latex.replace("<g'>", act.slope_factor("A^{[1]}")).replace("<g>", act.symbol)


@dataclass(frozen=True)
class LessonEquation:
    """Equation (``number``) of the lesson: its statement, and the code's form where that differs."""

    number: int
    section: str  # the lesson section it is in, e.g. "1.3.8"
    lesson: str  # LaTeX, in the lesson's notation, without the tag
    meaning: str  # what it says, in words
    code: str = ""  # LaTeX of what ``ShallowNN`` computes, where that is written differently
    relation: str = ""  # one line: how the lesson's form and the code's form relate
    differs: str = ""  # where the lesson is wrong or loose: "The lesson writes …; the code computes …, because …"

    def lesson_for(self, activation: str = LESSON_ACTIVATION) -> str:
        """The lesson's form for a network whose hidden activation is ``activation`` (the lesson's: tanh)."""
        return for_activation(self.lesson, activation)

    def code_for(self, activation: str = LESSON_ACTIVATION) -> str:
        """The code's form for that network ("" where the code writes it as the lesson does)."""
        return for_activation(self.code, activation)

    @property
    def tagged(self) -> str:
        """The lesson's form (its own activation, tanh) with its number, as KaTeX shows it: ``… \\tag{22}``."""
        return tag(self.lesson_for(), self.number)


def tag(latex: str, number: int) -> str:
    """Any LaTeX line tagged with a lesson number."""
    return rf"{latex} \tag{{{number}}}"


_PER_SAMPLE = ("The lesson derives it for one sample; the code averages over the m samples of a batch, "
               "and a sum over samples of a column times a row is a matrix product with a transpose.")

_EQUATIONS = [
    LessonEquation(
        1, "1.3.1",
        r"\begin{aligned} z_i &= w_{i1}x_1 + w_{i2}x_2 + b_i,\;\; a_i = f(z_i) \\ \Rightarrow\; Z^{[1]} &= W^{[1]} \cdot X"
        r" + B^{[1]}\end{aligned}",
        "each hidden node weighs the two inputs, adds its bias and applies f; stacked, the four nodes are one "
        "matrix product",
        code=r"\texttt{Z1} = \texttt{W1}\,\texttt{X} + \texttt{b1}",
        relation="Row i of W1 holds node i's weights w_i1, w_i2; $B^{[1]}$ here is the $b^{[1]}$ of (5).",
    ),
    LessonEquation(
        2, "1.3.1", r"\frac{d}{dx}\tanh x = 1 - \left(\tanh x\right)^{2}",
        "the slope of tanh, written with tanh itself (derived in the appendix, 1.5.1)",
        code=r"\texttt{tanh\_df(a)} = 1 - a^{2}",
        relation="The code passes the stored output a = tanh(z), so the slope costs one multiplication.",
    ),
    LessonEquation(
        3, "1.3.1", r"\frac{d}{dx}\sigma(x) = \sigma(x)\cdot\left(1 - \sigma(x)\right)",
        "the slope of the sigmoid, written with the sigmoid itself (derived in the appendix, 1.5.2)",
        code=r"\texttt{sigmoid\_df(a)} = a\,(1 - a)",
        relation="As for tanh: the slope from the output a = σ(z) the forward pass already stored.",
    ),
    LessonEquation(
        4, "1.3.2",
        r"\begin{aligned} L(y,\hat{y}) &= \begin{cases} -\log \hat{y} & y = 1\\ -\log(1 - \hat{y}) & y = 0\end{cases}"
        r" \\ &= -\left[y\log\hat{y} + (1 - y)\log(1 - \hat{y})\right]\end{aligned}",
        "cross-entropy of one sample: 0 for a confident right answer, without bound for a confident wrong one",
        code=r"J = \frac{1}{m}\sum_{i=1}^{m} L\big(y^{(i)}, \hat{y}^{(i)}\big)",
        relation="The code's compute_loss returns J, the average of (4) over the batch (the lesson's cost of 1.3.3).",
        differs="The lesson's 1.3.7 says its loss code follows \"equation (9)\"; the loss is (4), averaged as J.",
    ),
    LessonEquation(
        5, "1.3.3",
        r"\begin{cases} Z^{[1]} = W^{[1]}X + b^{[1]} \\ A^{[1]} = <g>(Z^{[1]}) \end{cases}",
        "the hidden layer for a whole batch: X has one column per sample",
        code=r"\texttt{Z1} = \texttt{W1 @ X + b1},\;\; \texttt{A1} = <g>(\texttt{Z1})",
        relation="b1 (n_h×1) is added to every one of the m columns (NumPy broadcasting).",
        differs="The lesson's 1.3.6 says its forward code follows \"equations (5) ~ (8)\"; the forward pass is "
                "(5) and (6) — (7) and (8) are the update.",
    ),
    LessonEquation(
        6, "1.3.3",
        r"\begin{cases} Z^{[2]} = W^{[2]}A^{[1]} + b^{[2]} \\ A^{[2]} = \sigma(Z^{[2]}) = \hat{y} \end{cases}",
        "the output layer: one probability per sample",
        code=r"\texttt{Z2} = \texttt{W2 @ A1 + b2},\;\; \texttt{A2} = \sigma(\texttt{Z2})",
        relation="As in (5), b2 is added to every column; A2, one probability per column, is the lesson's ŷ.",
    ),
    LessonEquation(
        7, "1.3.8", r"W_{new} = W_{old} - \frac{\partial L}{\partial W}\;\Rightarrow\;\Delta W = -\frac{\partial L}{\partial W}",
        "gradient descent: move each weight against its slope",
        code=r"W \leftarrow W - \alpha\,dW",
        relation="The code scales the step by the learning rate α; the lesson's step is α = 1.",
        differs="The lesson writes the step without a learning rate, and its code's update_weights(lr) never "
                "uses lr: every step is W −= dW (α = 1), although its text calls fit(…, lr=0.01).",
    ),
    LessonEquation(
        8, "1.3.8", r"b_{new} = b_{old} - \frac{\partial L}{\partial b}\;\Rightarrow\;\Delta b = -\frac{\partial L}{\partial b}",
        "the same step for the biases",
        code=r"b \leftarrow b - \alpha\,db",
        relation="As (7): the code's step is α times the gradient.",
    ),
    LessonEquation(9, "1.3.8", r"\Delta W^{[1]} = -\frac{\partial L}{\partial W^{[1]}}",
                   "the change of the hidden layer's weights"),
    LessonEquation(10, "1.3.8", r"\Delta W^{[2]} = -\frac{\partial L}{\partial W^{[2]}}",
                   "the change of the output layer's weights"),
    LessonEquation(
        11, "1.3.8",
        r"\frac{\partial L}{\partial W^{[i]}} = \frac{\partial L}{\partial \hat{y}}\,"
        r"\frac{\partial \hat{y}}{\partial Z^{[2]}}\,\frac{\partial Z^{[2]}}{\partial W^{[i]}},\quad i = 1, 2",
        "the chain rule: the loss depends on a weight through ŷ, which depends on it through $Z^{[2]}$",
    ),
    LessonEquation(
        12, "1.3.8", r"\frac{\partial L}{\partial \hat{y}} = \frac{A^{[2]} - y}{A^{[2]}\,(1 - A^{[2]})}",
        "how the loss changes with the prediction (from (4): −y/ŷ + (1 − y)/(1 − ŷ))",
    ),
    LessonEquation(
        13, "1.3.8",
        r"\frac{\partial \hat{y}}{\partial Z^{[2]}} = \sigma(Z^{[2]})\left[1 - \sigma(Z^{[2]})\right] = A^{[2]}\,(1 - A^{[2]})",
        "the sigmoid's slope, equation (3), at the output",
    ),
    LessonEquation(
        14, "1.3.8",
        r"\frac{\partial L}{\partial W^{[i]}} = \frac{\partial L}{\partial \hat{y}}\cdot"
        r"\frac{\partial \hat{y}}{\partial Z^{[2]}}\cdot\frac{\partial Z^{[2]}}{\partial W^{[i]}}",
        "the chain (11) again, ready to put (12) and (13) in",
    ),
    LessonEquation(
        15, "1.3.8",
        r"= \frac{A^{[2]} - y}{A^{[2]}(1 - A^{[2]})}\cdot A^{[2]}(1 - A^{[2]})\cdot\frac{\partial Z^{[2]}}{\partial W^{[i]}}",
        "(12) and (13) put in: the sigmoid's slope cancels the loss's denominator",
    ),
    LessonEquation(
        16, "1.3.8", r"= \left(A^{[2]} - y\right)\cdot\frac{\partial Z^{[2]}}{\partial W^{[i]}}",
        "what is left: the error $A^{[2]} − y$ times how $Z^{[2]}$ depends on the weight",
        code=r"\texttt{dZ2} = \texttt{A2} - \texttt{Y}",
        relation="$A^{[2]} − y$ is $∂L/∂Z^{[2]}$ for each sample; the code keeps it, one column per sample, as dZ2.",
    ),
    LessonEquation(17, "1.3.8", r"\frac{\partial Z^{[2]}}{\partial W^{[2]}} = A^{[1]}",
                   "$Z^{[2]} = W^{[2]}A^{[1]} + b^{[2]}$ is linear in $W^{[2]}$, with slope $A^{[1]}$"),
    LessonEquation(
        18, "1.3.8",
        r"\frac{\partial Z^{[2]}}{\partial W^{[1]}} = W^{[2]}\cdot\frac{\partial <g>(Z^{[1]})}{\partial Z^{[1]}}"
        r"\cdot\frac{\partial Z^{[1]}}{\partial W^{[1]}}",
        "$W^{[1]}$ reaches $Z^{[2]}$ through the hidden layer: the chain rule once more",
    ),
    LessonEquation(
        19, "1.3.8",
        r"\frac{\partial <g>(Z^{[1]})}{\partial Z^{[1]}} = <g'>,\qquad"
        r"\frac{\partial Z^{[1]}}{\partial W^{[1]}} = X",
        "the activation's slope at the hidden layer (for tanh, equation (2)); and $Z^{[1]}$ is linear in $W^{[1]}$ "
        "with slope X",
    ),
    LessonEquation(
        20, "1.3.8",
        r"\frac{\partial L}{\partial W^{[1]}} = \left(A^{[2]} - y\right)\cdot W^{[2]}\cdot X\cdot <g'>",
        "the gradient of the hidden layer's weights",
        code=r"\texttt{dW1} = \tfrac{1}{m}\left[\left(W^{[2]T}\,\texttt{dZ2}\right)\odot <g'>\right]X^{T}",
        relation=_PER_SAMPLE,
        differs="The lesson writes four factors in a row, as for one sample with scalars; with matrices only one "
                "order fits the shapes: $W^{[2]T}$($A^{[2]} − y$) (n_h×m), times the slope elementwise (⊙), times Xᵀ, "
                "averaged over the batch.",
    ),
    LessonEquation(
        21, "1.3.8", r"\frac{\partial L}{\partial W^{[2]}} = \left(A^{[2]} - y\right)\cdot A^{[1]}",
        "the gradient of the output layer's weights",
        code=r"\texttt{dW2} = \tfrac{1}{m}\,\texttt{dZ2}\,A^{[1]T}",
        relation=_PER_SAMPLE,
        differs="The lesson writes one sample's gradient with $A^{[1]}$ as it comes, a column; $W^{[2]}$ is a row "
                "(n_y×n_h), so its gradient needs $A^{[1]}$ transposed, and over a batch the sum of the samples' "
                "products, averaged: $dZ^{[2]}A^{[1]T}$/m.",
    ),
    LessonEquation(22, "1.3.8", r"\Delta^{[2]} = A^{[2]} - y", "the output layer's error, the code's dZ2",
                   code=r"\texttt{dZ2} = \texttt{A2} - \texttt{Y}", relation="The same: $\\Delta^{[2]}$ is dZ2."),
    LessonEquation(
        23, "1.3.8", r"\Delta^{[1]} = \Delta^{[2]}\cdot W^{[2]}\cdot <g'>",
        "the error sent back to the hidden layer, the code's dZ1",
        code=r"\texttt{dZ1} = W^{[2]T}\,\texttt{dZ2}\odot <g'>",
        relation="$\\Delta^{[1]}$ is dZ1: each hidden unit gets the output error through its weight, times its slope.",
        differs="The lesson writes $\\Delta^{[2]}$·$W^{[2]}$ without a transpose; $W^{[2]}$ is n_y×n_h and $\\Delta^{[2]}$ n_y×m, so "
                "only $W^{[2]T}\\Delta^{[2]}$ (n_h×m) fits, multiplied elementwise (⊙) by the slope.",
    ),
    LessonEquation(
        24, "1.3.8", r"\Delta W^{[2]} = -\frac{\partial L}{\partial W^{[2]}} = -\Delta^{[2]}\cdot A^{[1]}",
        "the change of $W^{[2]}$",
        code=r"\Delta W^{[2]} = -\alpha\,\texttt{dW2} = -\tfrac{\alpha}{m}\,\texttt{dZ2}\,A^{[1]T}",
        relation="The code steps by α·dW2, dW2 being (21) averaged over the batch.",
        differs="The lesson leaves out the 1/m and the transpose its own code uses: dW2 = dZ2·A1ᵀ/m — the sum "
                "over the batch's samples, averaged, so the step does not grow with the batch size.",
    ),
    LessonEquation(
        25, "1.3.8", r"\Delta W^{[1]} = -\frac{\partial L}{\partial W^{[1]}} = -\Delta^{[1]}\cdot X",
        "the change of $W^{[1]}$",
        code=r"\Delta W^{[1]} = -\alpha\,\texttt{dW1} = -\tfrac{\alpha}{m}\,\texttt{dZ1}\,X^{T}",
        relation="The code steps by α·dW1, dW1 being (20) averaged over the batch.",
        differs="As in (24): the lesson leaves out the 1/m and the transpose; its code computes dW1 = dZ1·Xᵀ/m.",
    ),
    LessonEquation(
        26, "1.3.8", r"\Delta b^{[2]} = \frac{1}{m}\,\mathrm{np.sum}(dZ^{[2]}, \mathrm{axis}=1, \mathrm{keepdims}=\mathrm{True})",
        "the change of the output bias",
        code=r"\Delta b^{[2]} = -\alpha\,\texttt{db2} = -\tfrac{\alpha}{m}\sum_{i=1}^{m}\texttt{dZ2}^{(i)}",
        relation="db2 is the output error averaged over the batch; the step is −α·db2.",
        differs="The lesson drops the minus sign that (24) and (25) carry: what it writes is the gradient db2; "
                "the change $\\Delta b^{[2]}$ is its negative, as the code's b2 −= db2 does.",
    ),
    LessonEquation(
        27, "1.3.8", r"\Delta b^{[1]} = \frac{1}{m}\,\mathrm{np.sum}(dZ^{[1]}, \mathrm{axis}=1, \mathrm{keepdims}=\mathrm{True})",
        "the change of the hidden biases",
        code=r"\Delta b^{[1]} = -\alpha\,\texttt{db1} = -\tfrac{\alpha}{m}\sum_{i=1}^{m}\texttt{dZ1}^{(i)}",
        relation="db1 is the hidden error averaged over the batch; the step is −α·db1.",
        differs="As in (26): the minus sign is missing in the lesson; $\\Delta b^{[1]} = -db^{[1]}$.",
    ),
]

#: Equations (1)–(27) of the lesson, by number.
EQUATIONS: dict[int, LessonEquation] = {e.number: e for e in _EQUATIONS}


# ----------------------------------------------------------------------------- with the current shapes


@dataclass(frozen=True)
class Equation:
    """One line for a page: the LaTeX (tagged with its lesson number), and what it computes in words."""

    latex: str
    meaning: str
    number: int | None = None


def _s(symbol: str, rows: int, cols: int | None = None) -> str:
    shape = f"{rows}" if cols is None else f"{rows}\\times{cols}"
    return rf"\underbrace{{{symbol}}}_{{{shape}}}"


def forward_equations(n_input: int, n_hidden: int, n_output: int, m: int, activation: str = "tanh") -> list[Equation]:
    """(5), (6) and (4) for a network of ``n_input``–``n_hidden``–``n_output`` units and a batch of ``m``,
    each symbol under its shape; the hidden activation ``activation`` from the registry."""
    n, h, k = n_input, n_hidden, n_output
    g = get_activation(activation).symbol
    out = r"\sigma" if k == 1 else r"\mathrm{softmax}"
    loss = (
        r"J = -\frac{1}{m}\sum_{i=1}^{m}\left[y^{(i)} \log \hat{y}^{(i)} + (1 - y^{(i)})\log(1 - \hat{y}^{(i)})\right]"
        if k == 1 else r"J = -\frac{1}{m}\sum_{i=1}^{m}\sum_{c=1}^{k} y^{(i)}_{c}\log \hat{y}^{(i)}_{c}"
    )
    return [
        Equation(tag(rf"\begin{{aligned}}{_s('Z^{[1]}', h, m)} &= {_s('W^{[1]}', h, n)}\,{_s('X', n, m)} + "
                     rf"{_s('b^{[1]}', h, 1)} \\ A^{{[1]}} &= {g}(Z^{{[1]}})\end{{aligned}}", 5),
                 "the hidden layer: weighted sums of the inputs, one column per sample ($b^{[1]}$ is added to every "
                 "column), then the activation", 5),
        Equation(tag(rf"\begin{{aligned}}{_s('Z^{[2]}', k, m)} &= {_s('W^{[2]}', k, h)}\,{_s('A^{[1]}', h, m)} + "
                     rf"{_s('b^{[2]}', k, 1)} \\ A^{{[2]}} &= {out}(Z^{{[2]}}) = \hat{{y}}\end{{aligned}}", 6),
                 "the output layer: the predicted probabilities" + ("" if k == 1 else " (softmax for several classes)"),
                 6),
        Equation(tag(loss + f"\\quad (m = {m})", 4),
                 "the loss (4), averaged over the batch: the cost J" + ("" if k == 1 else
                                                                        ", in its form for several classes"), 4),
    ]


#: (7) and (8) as the code takes the step, for every weight matrix and bias at once.
UPDATE_RULE = r"W \leftarrow W - \alpha\,dW,\quad b \leftarrow b - \alpha\,db"


def _change(param: str, layer: int, gradient: str) -> str:
    r"""The lesson's change of a parameter and the gradient it steps along, stacked:
    ``\Delta W^{[2]} = -\alpha\,dW^{[2]}`` over ``dW^{[2]} = …``."""
    return (rf"\begin{{aligned}}\Delta {param}^{{[{layer}]}} &= -\alpha\,d{param}^{{[{layer}]}} \\ "
            rf"{gradient}\end{{aligned}}")


def backward_equations(n_input: int, n_hidden: int, n_output: int, m: int, activation: str = "tanh") -> list[Equation]:
    """(22)–(27) and the update (7), (8) as the code computes them (dZ, dW with 1/m and transposes), each
    symbol under its shape; the slope of the hidden activation from the registry.

    The lesson's (24)–(27) are changes (ΔW = −∂L/∂W); each is shown as that change, −α times the gradient,
    above the gradient as the code computes it, so the tag and the minus sign belong to the same line."""
    n, h, k = n_input, n_hidden, n_output
    slope = for_activation("<g'>", activation)
    return [
        Equation(tag(rf"\Delta^{{[2]}} = {_s('dZ^{[2]}', k, m)} = A^{{[2]}} - Y", 22),
                 "(22), the output error $\\Delta^{[2]}$ (the code's dZ2): the loss's gradient with respect to "
                 "$Z^{[2]}$, one column per sample", 22),
        Equation(tag(_change("W", 2, rf"{_s('dW^{[2]}', k, h)} &= \frac{{1}}{{m}}\,{_s('dZ^{[2]}', k, m)}\,"
                                     rf"{_s('A^{[1]T}', m, h)}"), 24),
                 "(24), the change $\\Delta W^{[2]}$: a step of −α times the gradient $dW^{[2]}$, which averages the "
                 "batch's samples (1/m) with $A^{[1]}$ transposed. The lesson writes the change as "
                 "−$\\Delta^{[2]}$·$A^{[1]}$, for one sample and α = 1", 24),
        Equation(tag(_change("b", 2, rf"{_s('db^{[2]}', k, 1)} &= \frac{{1}}{{m}}\sum_{{i}} dZ^{{[2](i)}}"), 26),
                 "(26), the change $\\Delta b^{[2]}$: −α times the gradient $db^{[2]}$, the output error averaged "
                 "over the batch (the lesson writes the average and drops the minus)", 26),
        Equation(tag(rf"\Delta^{{[1]}} = {_s('dZ^{[1]}', h, m)} = {_s('W^{[2]T}', h, k)}\,{_s('dZ^{[2]}', k, m)} "
                     rf"\odot {slope}", 23),
                 "(23), the hidden error $\\Delta^{[1]}$ (the code's dZ1): the output error sent back through "
                 "$W^{[2]}$ (transposed, which the lesson leaves out), times the activation's slope, elementwise", 23),
        Equation(tag(_change("W", 1, rf"{_s('dW^{[1]}', h, n)} &= \frac{{1}}{{m}}\,{_s('dZ^{[1]}', h, m)}\,"
                                     rf"{_s('X^{T}', m, n)}"), 25),
                 "(25), the change $\\Delta W^{[1]}$: −α times the gradient $dW^{[1]}$, which averages the batch "
                 "with X transposed. The lesson writes the change as −$\\Delta^{[1]}$·X, for one sample and α = 1", 25),
        Equation(tag(_change("b", 1, rf"{_s('db^{[1]}', h, 1)} &= \frac{{1}}{{m}}\sum_{{i}} dZ^{{[1](i)}}"), 27),
                 "(27), the change $\\Delta b^{[1]}$: −α times the gradient $db^{[1]}$, the hidden error averaged "
                 "over the batch (the lesson drops the minus)", 27),
        Equation(tag(UPDATE_RULE, 7),
                 "(7) and (8): the step itself, for every weight and bias, with learning rate α (the lesson's code "
                 "steps with α = 1 whatever lr it is given)", 7),
    ]


def latex_matrix(A, digits: int = 3, max_cols: int = 8, max_rows: int | None = None) -> str:
    """A small matrix as LaTeX ``bmatrix`` (columns beyond ``max_cols``, rows beyond ``max_rows`` elided)."""
    A = np.atleast_2d(np.asarray(A, dtype=float))
    cols = A.shape[1]
    shown = A[:max_rows, :max_cols]
    rows = []
    for row in shown:
        cells = [f"{v:.{digits}f}" for v in row]
        if cols > max_cols:
            cells.append(r"\cdots")
        rows.append(" & ".join(cells))
    if max_rows is not None and A.shape[0] > max_rows:
        rows.append(" & ".join([r"\vdots"] * (min(cols, max_cols) + (cols > max_cols))))
    return r"\begin{bmatrix}" + r" \\ ".join(rows) + r"\end{bmatrix}"


#: KaTeX's sizes, largest first, with their scale: a formula too wide for its column is set smaller.
SIZES = (("", 1.0), (r"\small", 0.9), (r"\footnotesize", 0.8), (r"\scriptsize", 0.7))


def text_em(latex: str) -> float:
    """A rough width in em of a short LaTeX symbol as KaTeX sets it (0.6 em a visible character; a fraction as
    wide as its wider part)."""
    fractions = re.findall(r"\\t?frac\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}", latex)
    plain = re.sub(r"\\t?frac\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}", "", latex)
    visible = re.sub(r"\\(text|mathrm)\{([^}]*)\}", r"\2", plain)
    visible = re.sub(r"\\(hat|left|right|big|Big|quad|qquad|,|;|!)\b", "", visible)
    visible = re.sub(r"\\[A-Za-z]+", "x", visible)  # a symbol: ∂, α, Δ, σ …
    visible = re.sub(r"[{}_^\\ ,]", "", visible)
    widest = [max(text_em(a), text_em(b)) for a, b in fractions]
    return 0.6 * len(visible) + sum(widest)


def matrix_em(value, digits: int) -> float:
    """A rough width in em of ``latex_matrix(value, digits)``: each column as wide as its widest number (0.5 em a
    digit, 0.78 a minus sign, 0.28 the point) plus KaTeX's column spacing, and the brackets."""
    A = np.atleast_2d(np.asarray(value, dtype=float))[:, :8]
    width = 1.2
    for col in A.T:
        cells = [f"{v:.{digits}f}" for v in col]
        width += max(0.5 * sum(ch.isdigit() for ch in c) + 0.78 * c.startswith("-") + 0.28 * ("." in c) for c in cells)
        width += 1.0
    return width


def fitted_value(symbol: str, value, digits: int, max_em: float) -> str:
    """``symbol = [matrix]`` in the largest KaTeX size, and with as many of ``digits`` decimals (at least 2), that
    fit ``max_em`` — so that a live value never scrolls sideways in its column, whatever the batch size."""
    options = [(d, size, scale) for d in range(digits, 1, -1) for size, scale in SIZES]
    d, size, _ = next((o for o in options if (text_em(symbol) + 1.6 + matrix_em(value, o[0])) * o[2] <= max_em),
                      options[-1])  # the smallest, if nothing fits
    prefix = f"{size} " if size else ""
    return rf"{prefix}{symbol} = {latex_matrix(value, digits=d)}"


# ----------------------------------------------------------------------------- any network of the trainer

def is_lesson_network(sizes, problem: str, regularization: str, optimizer: str) -> bool:
    """Whether a network is the lesson's kind: one hidden layer, one sigmoid output, no penalty, plain steps —
    the network whose equations carry the lesson's numbers (``forward_equations``, ``backward_equations``)."""
    return len(sizes) == 3 and problem == "binary" and regularization == "none" and optimizer == "sgd"


def _penalty(n_layers: int, regularization: str) -> str:
    """λ times the penalty of every weight matrix, written out layer by layer."""
    if regularization == "none":
        return ""
    if regularization == "l2":
        terms = " + ".join(rf"\lVert W^{{[{i}]}}\rVert_{{F}}^{{2}}" for i in range(1, n_layers + 1))
        return rf" + \frac{{\lambda}}{{2}}\left({terms}\right)"
    terms = " + ".join(rf"\lVert W^{{[{i}]}}\rVert_{{1,1}}" for i in range(1, n_layers + 1))
    return rf" + \lambda\left({terms}\right)"


def _penalty_gradient(layer: int, regularization: str) -> str:
    if regularization == "none":
        return ""
    if regularization == "l2":
        return rf" + \lambda\, W^{{[{layer}]}}"
    return rf" + \lambda\, \operatorname{{sign}}\left(W^{{[{layer}]}}\right)"


def network_equations(sizes, activations, problem: str, m: int, regularization: str = "none",
                      optimizer_lines=()) -> tuple[list[Equation], list[Equation], list[Equation]]:
    """The forward pass, the backward pass and the update of any network the trainer builds — ``sizes`` (n_x, n_1, …,
    n_L), the hidden layers' ``activations``, the output and loss of ``problem`` ("binary", "multiclass",
    "regression"), an optional weight penalty and the optimizer's update lines (``OPTIMIZERS[name].equations``,
    written for a layer l) — in the lesson's notation with a layer index, each symbol under its shape for a batch of
    ``m``. (forward, backward, update)."""
    L = len(sizes) - 1
    k = sizes[-1]
    forward: list[Equation] = []
    for layer in range(1, L + 1):
        n, n_prev = sizes[layer], sizes[layer - 1]
        a_prev = "X" if layer == 1 else f"A^{{[{layer - 1}]}}"
        z = rf"{_s(f'Z^{{[{layer}]}}', n, m)} &= {_s(f'W^{{[{layer}]}}', n, n_prev)}\,{_s(a_prev, n_prev, m)} + " \
            rf"{_s(f'b^{{[{layer}]}}', n, 1)}"
        if layer < L:
            g = get_activation(activations[layer - 1]).symbol
            a = rf"A^{{[{layer}]}} &= {g}(Z^{{[{layer}]}})"
            what = f"hidden layer {layer}: weighted sums of " + ("the inputs" if layer == 1 else
                                                                f"layer {layer - 1}'s outputs") + ", then its activation"
        else:
            out = {"binary": rf"\sigma(Z^{{[{L}]}})", "multiclass": rf"\mathrm{{softmax}}(Z^{{[{L}]}})",
                   "regression": rf"Z^{{[{L}]}}"}[problem]
            a = rf"A^{{[{L}]}} &= {out} = \hat{{y}}"
            what = {"binary": "the output layer: P(class 1) by the sigmoid",
                    "multiclass": f"the output layer: each of the {k} classes' probability by the softmax",
                    "regression": "the output layer: the predicted value itself (a linear output)"}[problem]
        forward.append(Equation(rf"\begin{{aligned}}{z} \\ {a}\end{{aligned}}", what))
    if problem == "binary":
        loss = (r"J = -\frac{1}{m}\sum_{i=1}^{m}\left[y^{(i)} \log \hat{y}^{(i)} + "
                r"(1 - y^{(i)})\log(1 - \hat{y}^{(i)})\right]")
        what = "the cost: the binary cross-entropy (4), averaged over the batch"
    elif problem == "multiclass":
        loss = r"J = -\frac{1}{m}\sum_{i=1}^{m}\sum_{c=1}^{k} y^{(i)}_{c}\log \hat{y}^{(i)}_{c}"
        what = f"the cost: the categorical cross-entropy over the k = {k} classes (Y one-hot), averaged over the batch"
    else:
        loss = r"J = \frac{1}{2m}\sum_{i=1}^{m}\left(\hat{y}^{(i)} - y^{(i)}\right)^{2}"
        what = "the cost: half the mean squared error (the ½ makes its gradient ŷ − y)"
    penalty = _penalty(L, regularization)
    if penalty:
        norm = "‖W‖²_F: the sum of the squares of W's entries" if regularization == "l2" else \
            "‖W‖₁,₁: the sum of the absolute values of W's entries"
        what += f", plus the weight penalty ({norm}; biases are not penalised) — the loss the charts show"
    forward.append(Equation(loss + penalty + rf"\quad (m = {m})", what))

    output = {"binary": "sigmoid and binary cross-entropy", "multiclass": "softmax and categorical cross-entropy",
              "regression": "a linear output and half the squared error"}[problem]
    backward = [Equation(rf"{_s(f'dZ^{{[{L}]}}', k, m)} = A^{{[{L}]}} - Y",
                         f"the output error: with {output}, the loss's gradient with respect to Z[{L}] is ŷ − y")]
    for layer in range(L, 0, -1):
        n, n_prev = sizes[layer], sizes[layer - 1]
        a_prev = "X^{T}" if layer == 1 else f"A^{{[{layer - 1}]T}}"
        backward.append(Equation(
            rf"{_s(f'dW^{{[{layer}]}}', n, n_prev)} = \frac{{1}}{{m}}\,{_s(f'dZ^{{[{layer}]}}', n, m)}\,"
            rf"{_s(a_prev, m, n_prev)}{_penalty_gradient(layer, regularization)}",
            f"layer {layer}'s weight gradient: the error times what came into the layer, averaged over the batch"
            + (", plus the penalty's gradient" if regularization != "none" else "")))
        backward.append(Equation(
            rf"{_s(f'db^{{[{layer}]}}', n, 1)} = \frac{{1}}{{m}}\sum_{{i}} dZ^{{[{layer}](i)}}",
            f"layer {layer}'s bias gradient: the error averaged over the batch"))
        if layer > 1:
            slope = get_activation(activations[layer - 2]).slope_factor(f"A^{{[{layer - 1}]}}")
            backward.append(Equation(
                rf"{_s(f'dZ^{{[{layer - 1}]}}', n_prev, m)} = {_s(f'W^{{[{layer}]T}}', n_prev, n)}\,"
                rf"{_s(f'dZ^{{[{layer}]}}', n, m)} \odot {slope}",
                f"the error of hidden layer {layer - 1}: layer {layer}'s error sent back through W[{layer}] "
                "(transposed), times the activation's slope, elementwise"))
    update = [Equation(line, "") for line in optimizer_lines]
    return forward, backward, update
