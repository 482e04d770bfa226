"""Read a rendered formula as a reader would, and compute it with NumPy.

The app renders its equations as LaTeX strings. A test that only checks the numbers the code computes cannot
see a formula whose brackets are wrong, whose sign differs from its caption, or whose slope belongs to another
activation. ``check`` parses the exact string a page renders — with the usual precedence: juxtaposition, ``\\cdot``
and ``\\odot`` bind tighter than ``+`` and ``−``, so ``W^T dZ \\odot 1 - A^2`` is ``(W^T dZ \\odot 1) - A^2`` —
evaluates every side of every ``=`` with the values the test supplies, and reports the sides that disagree.

Semantics (those of the lesson's matrices): juxtaposition, ``\\cdot`` and ``@`` are the matrix product (a plain
product when either side is a single number); ``\\odot`` and ``*`` are elementwise; ``^{T}`` transposes; a numeric
exponent is elementwise; ``[a > 0]`` is 1 where the comparison holds; ``\\sum_{i}`` sums over samples (the columns:
``X^{(i)}`` is column i), ``\\sum_{c=1}^{k}`` over rows (``y_{c}``); ``\\underbrace{E}_{r\\times c}`` checks E's shape;
``\\lVert W \\rVert_{F}`` is the Frobenius norm and ``_{1,1}`` the sum of the entries' absolute values;
``\\begin{bmatrix}`` is a matrix of shown numbers, compared to the precision it shows. Symbols are looked up by a
normal name: ``A^{[1]}`` → ``A[1]``, ``\\texttt{dZ2}`` → ``dZ[2]``, ``\\hat{y}`` → ``ŷ``, ``\\Delta W^{[2]}`` →
``ΔW[2]``, ``\\frac{\\partial L}{\\partial W^{[1]}}`` → ``∂L/∂W[1]``, ``w_{12}`` → ``w_12``; functions (``\\tanh``,
``\\sigma``, ``\\mathrm{ReLU}``, ``\\log`` …) come from the same table, so the test decides what each one means.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

SPACING = {r"\,", r"\;", r"\:", r"\!", r"\ ", r"\quad", r"\qquad", "~"}
SIZERS = {r"\left", r"\right", r"\big", r"\Big", r"\bigl", r"\bigr", r"\Bigl", r"\Bigr", r"\bigg", r"\Bigg",
          r"\displaystyle", r"\textstyle", r"\small", r"\footnotesize", r"\scriptsize", r"\normalsize",
          r"\large", r"\tiny"}
ELEMENTWISE = {r"\odot", "*"}
MATRIX_PRODUCT = {r"\cdot", "@", r"\times"}
RELATIONS = {"=", r"\leftarrow", r"\approx", r"\equiv"}
STATEMENT_BREAKS = {r"\Rightarrow", r"\quad", r"\qquad", r"\\", r"\implies", r"\xrightarrow"}
COMPARISONS = {">": np.greater, "<": np.less, r"\ge": np.greater_equal, r"\le": np.less_equal,
               r"\geq": np.greater_equal, r"\leq": np.less_equal, r"\ne": np.not_equal}
FUNCTION_NAMES = {r"\tanh": "tanh", r"\sigma": "σ", r"\log": "log", r"\exp": "exp", r"\sin": "sin", r"\cos": "cos",
                  r"\max": "max", r"\min": "min"}
GREEK = {r"\alpha": "α", r"\beta": "β", r"\lambda": "λ", r"\epsilon": "ε", r"\varepsilon": "ε", r"\theta": "θ",
         r"\eta": "η", r"\delta": "δ", r"\Delta": "Δ", r"\partial": "∂", r"\mu": "μ"}

_TOKEN = re.compile(r"\\[A-Za-z]+|\\[,;:! \\{}]|\d+(?:\.\d+)?|[A-Za-z]|[−\-+=()\[\]{}^_&/|,<>@'*~.:]|\S")


class EvalError(Exception):
    """The formula cannot be computed (an unknown symbol, shapes that do not fit, a construct not read here)."""


class Unknown(EvalError):
    """A symbol the table does not hold; ``name`` is its normal name."""

    def __init__(self, name: str):
        super().__init__(f"unknown symbol {name}")
        self.name = name


@dataclass
class Shown:
    """Numbers as a page shows them: rounded to ``decimals``, perhaps only the first columns (``\\cdots``)."""

    values: np.ndarray
    decimals: int
    elided: bool = False


@dataclass
class Result:
    """One statement (the parts of a chain ``a = b = c``) and what became of it."""

    text: str
    # "checked" (every side computed, ≥ 2, all agree), "partial" (those computed agree, another side cannot be),
    # "bound" (an unknown symbol took a value), "unevaluated", "mismatch"
    status: str
    detail: str = ""
    sides: list = field(default_factory=list)


def tokenize(latex: str) -> list[str]:
    latex = latex.replace("{,}", "").replace("−", "-")  # 60{,}000: a thousands separator.replace("×", r"\times ").replace("ŷ", r"\hat{y}")
    return _TOKEN.findall(latex)


class Parser:
    """Recursive descent over the tokens of one side of a statement; ``parse_*`` return closures over the table."""

    def __init__(self, tokens: list[str], env: dict, problems: list[str]):
        self.t = [tok for tok in tokens if tok not in SPACING and tok not in SIZERS]
        self.i = 0
        self.env = env
        self.problems = problems  # shape annotations that do not match
        self.literals: list[int] = []  # decimals of each number written out (for the tolerance of rounded numbers)
        self.shown_literals: list[int] = []  # the same for the cells of matrices

    # -- token helpers
    def peek(self, k: int = 0):
        j = self.i + k
        return self.t[j] if j < len(self.t) else None

    def take(self, expected: str | None = None) -> str:
        tok = self.peek()
        if tok is None or (expected is not None and tok != expected):
            raise EvalError(f"expected {expected!r}, got {tok!r} at token {self.i}")
        self.i += 1
        return tok

    def group_text(self) -> list[str]:
        """The tokens of a ``{…}`` group (or of a single token)."""
        if self.peek() != "{":
            return [self.take()]
        self.take("{")
        depth, out = 1, []
        while True:
            tok = self.take()
            if tok == "{":
                depth += 1
            elif tok == "}":
                depth -= 1
                if depth == 0:
                    return out
            out.append(tok)

    def sub(self, tokens: list[str]) -> Parser:
        p = Parser(tokens, self.env, self.problems)
        p.literals, p.shown_literals = self.literals, self.shown_literals
        return p

    # -- grammar
    def expression(self):
        """sum := ['+'|'-'] product (('+'|'-') product)*"""
        sign = 1.0
        if self.peek() in ("-", "+"):
            sign = -1.0 if self.take() == "-" else 1.0
        value = self.product()
        if sign < 0:
            value = -_plain(value)
        while self.peek() in ("-", "+"):
            op = self.take()
            left, right = _plain(value), _plain(self.product())
            value = left - right if op == "-" else left + right
        return value

    def starts_atom(self, tok) -> bool:
        if tok is None:
            return False
        if tok in ("(", "[", "{") or re.fullmatch(r"\d+(\.\d+)?|[A-Za-z]", tok):
            return True
        return tok.startswith("\\") and tok not in (MATRIX_PRODUCT | ELEMENTWISE | RELATIONS | STATEMENT_BREAKS
                                                    | set(COMPARISONS) | {r"\end", r"\rceil", r"\rfloor", r"\rVert"})

    def product(self):
        value = self.unary_power()
        while True:
            tok = self.peek()
            if tok in ELEMENTWISE:
                self.take()
                value = _elementwise(value, self.unary_power())
            elif tok in MATRIX_PRODUCT:
                self.take()
                value = _matmul(value, self.unary_power())
            elif tok == "/":
                self.take()
                value = np.divide(value, self.unary_power())
            elif self.starts_atom(tok):
                value = _matmul(value, self.unary_power())
            else:
                return value

    def unary_power(self):
        if self.peek() == "-":  # a product's factor written with its sign, e.g. (−0.066)(1) or \odot -x
            self.take()
            return -_plain(self.unary_power())
        return self.postfix(self.atom())

    def postfix(self, value):
        while self.peek() == "^":
            self.take()
            exponent = self.group_text()
            value = _power(value, exponent, self)
        return value

    def atom(self):
        start = self.i
        tok = self.take()
        if re.fullmatch(r"\d+(\.\d+)?", tok):
            self.literals.append(len(tok.split(".")[1]) if "." in tok else 0)
            return np.asarray(float(tok))
        if tok == "(":
            value = self.expression()
            self.take(")")
            return value
        if tok == "{":
            value = self.expression()
            self.take("}")
            return value
        if tok == r"\lVert":  # a matrix norm: _{F} Frobenius, _{1,1} the sum of the entries' absolute values
            value = np.asarray(self.expression(), dtype=float)
            self.take(r"\rVert")
            self.take("_")
            kind = "".join(self.group_text())
            if kind == "F":
                return np.asarray(np.sqrt(np.sum(value**2)))
            if kind == "1,1":
                return np.asarray(np.sum(np.abs(value)))
            raise EvalError(f"norm _{{{kind}}} is not read here")
        if tok == r"\sqrt":
            return np.sqrt(self.sub(self.group_text()).whole())
        if tok in (r"\lceil", r"\lfloor"):
            value = self.expression()
            self.take(r"\rceil" if tok == r"\lceil" else r"\rfloor")
            return (np.ceil if tok == r"\lceil" else np.floor)(_plain(value))
        if tok == "[":
            value = self.expression()
            if self.peek() in COMPARISONS:
                compare = COMPARISONS[self.take()]
                value = compare(value, self.expression()).astype(float)  # an Iverson bracket
            self.take("]")
            return value
        if tok in (r"\frac", r"\tfrac", r"\dfrac"):
            num, den = self.group_text(), self.group_text()
            if num == ["d"] and len(den) == 2 and den[0] == "d":
                return self.derivative(den[1])
            if num and num[0] == r"\partial":
                return self.lookup("∂" + _name(num[1:]) + "/∂" + _name(den[1:]))
            return np.divide(self.sub(num).whole(), self.sub(den).whole())
        if tok == r"\underbrace":
            inner = self.sub(self.group_text()).whole()
            if self.peek() == "_":
                self.take()
                _check_shape(inner, self.group_text(), self.problems)
            return inner
        if tok == r"\text":
            words = "".join(self.group_text())
            if start == 0 and self.peek() is None:  # a side that is only words: a name for the other side
                raise Unknown(words)
            return self.atom() if self.starts_atom(self.peek()) else np.asarray(1.0)
        if tok == r"\sum":
            return self.summation()
        if tok == r"\begin":
            env = "".join(self.group_text())
            if env in ("bmatrix", "pmatrix"):
                return self.matrix(env)
            if env == "cases":
                return self.cases()
            raise EvalError(f"environment {env} is not read here")
        if tok in FUNCTION_NAMES or tok in (r"\mathrm", r"\operatorname"):
            name = FUNCTION_NAMES.get(tok) or "".join(self.group_text())
            if tok not in FUNCTION_NAMES and not re.fullmatch(r"[A-Za-z]+", name):
                raise EvalError(f"{name!r} is code written as text")
            if self.peek() == "'":
                self.take()
                name += "'"
            return self.call(name)
        if tok == r"\hat":
            base = "".join(self.group_text())
            return self.symbol("ŷ" if base == "y" else "^" + base)
        if tok == r"\texttt":
            code = "".join(self.group_text()).replace(r"\_", "_")
            m = re.fullmatch(r"(d?[A-Za-z])(\d)", code)
            if m:
                return self.symbol(f"{m.group(1)}[{m.group(2)}]", suffixes=False)
            if re.fullmatch(r"[A-Za-z]+", code):
                return self.symbol(code, suffixes=False)
            if re.fullmatch(r"[\w @+\-*()]+", code) and re.search(r"[@+\-*]", code):
                # an expression in the code's names: W1 @ X + b1 reads as W^{[1]} X + b^{[1]}
                return self.sub(tokenize(re.sub(r"\b(d?[A-Za-z])(\d)\b", r"\1^{[\2]}", code))).whole()
            call = re.fullmatch(r"(\w+)\((\w+)\)", code)
            if call:  # a function of the code applied to a symbol: tanh_df(a)
                return self.lookup(call.group(1))(np.atleast_1d(np.asarray(self.lookup(call.group(2)), dtype=float)))
            raise EvalError(f"code {code!r} is not read here")
        if tok in GREEK:
            base = GREEK[tok]
            if base == "Δ" and self.peek() in ("W", "b"):  # ΔW, Δb: the change of a parameter
                base += self.take()
            return self.symbol(base)
        if re.fullmatch(r"[A-Za-z]", tok):
            if tok == "d" and self.peek() in ("Z", "W", "b", "A"):
                return self.symbol("d" + self.take())
            if tok == "e" and self.peek() == "^":  # e^{x}
                self.take()
                return np.exp(self.sub(self.group_text()).whole())
            if self.peek() == "'" or (self.peek() == "(" and callable(self.env.get(tok))):  # f(z), f'(z)
                name = tok + ("'" if self.peek() == "'" else "")
                if self.peek() == "'":
                    self.take()
                return self.call(name)
            return self.symbol(tok)
        raise EvalError(f"token {tok!r} is not read here")

    def symbol(self, base: str, suffixes: bool = True):
        """A symbol with its layer ``^{[l]}``, sample ``^{(i)}``, transpose, power and subscript."""
        name, transpose, power, sample, row, row_index = base, False, None, None, None, None
        while suffixes and self.peek() in ("^", "_"):
            save = self.i
            kind = self.take()
            text = "".join(self.group_text())
            if kind == "_":
                if re.fullmatch(r"[a-z]", text) and text in self.env.get("_indices", {}):
                    row = self.env["_indices"][text]
                    row_index = text
                else:
                    name += "_" + text.replace(",", "")
                continue
            m = re.fullmatch(r"(\[\d+\])?(\([a-z]\))?(T)?(\d)?", text)
            if not m or not text:
                self.i = save  # not a layer / sample / transpose: a power of the whole symbol, e.g. x^{2}
                break
            layer, smp, t, pw = m.groups()
            name += layer or ""
            if smp:
                sample = self.env["_indices"].get(smp[1:-1])
                if sample is None:
                    raise EvalError(f"sample index {smp} outside a sum")
            transpose |= bool(t)
            power = float(pw) if pw else power
        value = self.lookup(name)
        if callable(value) or isinstance(value, Shown):  # a function, or numbers as shown (their own precision)
            return value
        value = np.asarray(value, dtype=float)
        if sample is not None:
            if value.ndim == 2:
                self.env.setdefault("_counts", {})[smp[1:-1]] = value.shape[1]
                value = value[:, sample:sample + 1]
        if row is not None:
            self.env.setdefault("_counts", {})[row_index] = value.shape[0]
            value = value[row:row + 1] if value.ndim == 2 else value[row]
        if transpose:
            value = value.T
        if power is not None:
            value = value ** power
        return value

    def lookup(self, name: str):
        if name in self.env:
            return self.env[name]
        raise Unknown(name)

    def call(self, name: str):
        f = self.lookup(name)
        if not callable(f):
            raise EvalError(f"{name} is not a function")
        if self.peek() == "(":  # f(a) or f(a, b)
            self.take("(")
            args = [self.expression()]
            while self.peek() == ",":
                self.take()
                args.append(self.expression())
            self.take(")")
            value = self.postfix(np.asarray(f(*(_plain(a) for a in args))))
            if self.peek() == "_":  # softmax(z)_k: one entry of the result
                save = self.i
                self.take()
                index = "".join(self.group_text())
                if index in self.env.get("_indices", {}):
                    return np.atleast_1d(value.ravel())[self.env["_indices"][index]]
                self.i = save
            return value
        if self.peek() == "^":  # \sigma^{-1}(…) and the like are not read; \tanh^2 x is
            self.take()
            exponent = self.group_text()
            return _power(f(self.postfix(self.atom())), exponent, self)
        return f(self.postfix(self.atom()))

    def summation(self):
        index, lower, upper = None, None, None
        if self.peek() == "_":
            self.take()
            below = self.group_text()
            index = below[0]
            if len(below) > 2 and below[1] == "=":
                lower = int(float("".join(below[2:])))
        if self.peek() == "^":
            self.take()
            upper = "".join(self.group_text())
        start = self.i
        # the summand is a product (a sum's body ends at the next + or − at its level); without bounds, the sum
        # runs over as many samples as the symbols it indexes by its variable have columns
        indices, counts = self.env.setdefault("_indices", {}), self.env.setdefault("_counts", {})
        counts.pop(index, None)
        outer = indices.get(index)  # a free index of the same name outside the sum
        total, k, count = None, 0, None
        try:
            while count is None or k < count:
                self.i = start
                indices[index] = k
                term = self.product()
                total = term if total is None else total + term
                if count is None:
                    if upper is not None:
                        n = self.env.get(upper)
                        count = (int(n) if n is not None else int(float(upper))) - (lower or 1) + 1
                    elif index in counts:
                        count = counts[index]
                    else:
                        raise EvalError(f"a sum over {index} whose range is not known")
                k += 1
        finally:
            indices.pop(index, None)
            if outer is not None:
                indices[index] = outer
        return total

    def derivative(self, var: str, h: float = 1e-6):
        """``\\frac{d}{dx} F``: the central difference of the factor F that follows, in the variable x."""
        start, x = self.i, self.lookup(var)
        values = []
        for shift in (h, -h):
            self.i = start
            self.env[var] = x + shift
            try:
                values.append(self.postfix(self.atom()))
            finally:
                self.env[var] = x
        return (values[0] - values[1]) / (2 * h)

    def cases(self):
        """``\\begin{cases} value & condition \\\\ … \\end{cases}`` for a single number: the first row whose
        condition holds (``\\text{otherwise}`` always does)."""
        chosen = None
        while True:
            value = self.expression()
            self.take("&")
            if self.peek() == r"\text":
                self.take()
                self.group_text()
                holds = True
            else:
                left = self.expression()
                compare = self.peek()
                if compare == "=":
                    self.take()
                    holds = bool(np.all(np.asarray(left) == np.asarray(self.expression())))
                elif compare in COMPARISONS:
                    self.take()
                    holds = bool(np.all(COMPARISONS[compare](left, self.expression())))
                else:
                    raise EvalError(f"a case's condition {compare!r} is not read here")
            if holds and chosen is None:
                chosen = value
            if self.peek() == r"\\":
                self.take()
                continue
            self.take(r"\end")
            self.group_text()
            break
        if chosen is None:
            raise EvalError("no case holds")
        return chosen

    def matrix(self, env: str):
        rows, row, decimals, elided = [], [], [], False
        while True:
            tok = self.peek()
            if tok == r"\end":
                self.take()
                self.group_text()
                break
            if tok == "&":
                self.take()
                continue
            if tok == r"\\":
                self.take()
                rows.append(row)
                row = []
                continue
            if tok == r"\cdots":
                self.take()
                elided = True
                continue
            sign = -1.0 if tok == "-" else 1.0
            if tok in ("-", "+"):
                self.take()
            number = self.take()
            if not re.fullmatch(r"\d+(\.\d+)?", number):
                raise EvalError(f"a matrix cell {number!r} is not a number")
            decimals.append(len(number.split(".")[1]) if "." in number else 0)
            self.shown_literals.append(decimals[-1])
            row.append(sign * float(number))
        rows.append(row)
        return Shown(np.array(rows, dtype=float), min(decimals) if decimals else 0, elided)

    def whole(self):
        value = self.expression()
        if self.peek() is not None:
            raise EvalError(f"left over: {' '.join(self.t[self.i:self.i + 6])}")
        return value


def _name(tokens: list[str]) -> str:
    """The normal name of a symbol written in ``tokens`` (for derivatives ∂L/∂W[1] and sums' first symbols)."""
    text = "".join(tokens).replace(" ", "")
    text = re.sub(r"\\hat\{y\}", "ŷ", text)
    text = re.sub(r"\^\{(\[\d\])\}", r"\1", text)
    text = re.sub(r"(\\tanh|\\sigma|\\mathrm\{\w+\})\((Z\[\d\])\)", r"g(\2)", text)
    for cmd, letter in GREEK.items():
        text = text.replace(cmd, letter)
    return text


def _is_scalar(v) -> bool:
    return np.size(v) == 1


def _matmul(a, b):
    a, b = _plain(a), _plain(b)
    if _is_scalar(a) or _is_scalar(b):
        return np.multiply(a, b) if not (_is_scalar(a) and _is_scalar(b)) else np.asarray(a).reshape(()) * np.asarray(b).reshape(())
    a2, b2 = np.atleast_2d(a), np.atleast_2d(b)
    if a2.shape[1] != b2.shape[0]:
        raise EvalError(f"a product of shapes {a2.shape} and {b2.shape} does not fit")
    return a2 @ b2


def _elementwise(a, b):
    a, b = _plain(a), _plain(b)
    if not (_is_scalar(a) or _is_scalar(b)) and np.shape(a) != np.shape(b):
        raise EvalError(f"an elementwise product of shapes {np.shape(a)} and {np.shape(b)}")
    return np.multiply(a, b)


def _power(value, exponent: list[str], parser: Parser):
    text = "".join(exponent)
    if text == "T":
        return np.asarray(_plain(value)).T
    return np.power(_plain(value), parser.sub(exponent).whole())


def _plain(v):
    if isinstance(v, Shown):
        if v.elided:
            raise EvalError("computing with a matrix whose columns are elided")
        return v.values
    return v


def _check_shape(value, annotation: list[str], problems: list[str]):
    text = "".join(annotation).replace(r"\times", "x").replace("\\", "")
    text = text.split(":")[-1]
    text = text.split(",")[0]  # "60000x784, float32 in [0,1]": the shape, then words
    dims = re.findall(r"\d+", text)
    if not dims or "x" not in text and len(dims) != 1:
        return
    want = tuple(int(d) for d in dims)
    have = np.shape(_plain(value)) if not isinstance(value, Shown) else value.values.shape
    if len(want) == 1 and len(have) == 2:
        want = (want[0], 1)
    if tuple(have) != want and not (isinstance(value, Shown) and value.elided):
        problems.append(f"shape {'×'.join(dims)} written under a value of shape {tuple(have)}")


# ----------------------------------------------------------------------------- statements


def split_statements(latex: str) -> list[list[str]]:
    """The statements of a formula: split at top-level ``,``, ``\\quad``, ``\\Rightarrow`` and line breaks; the
    ``\\tag``, ``aligned``/``cases`` wrappers and alignment marks dropped."""
    latex = re.sub(r"\\tag\{[^}]*\}", "", latex)
    latex = re.sub(r"\\(begin|end)\{aligned\}", "", latex)
    # a brace over equations with no conditions (the lesson's (5), (6)) is a system: its rows are statements
    latex = re.sub(r"\\begin\{cases\}([^&]*?)\\end\{cases\}", r"\1", latex)
    tokens = tokenize(latex)
    out, current, depth, in_matrix, k = [], [], 0, 0, 0
    while k < len(tokens):
        tok = tokens[k]
        k += 1
        if tok in (r"\begin", r"\end") and _environment(tokens, k - 1) in ("bmatrix", "pmatrix", "cases"):
            in_matrix += 1 if tok == r"\begin" else -1
        if tok in ("(", "[", "{"):
            depth += 1
        elif tok in (")", "]", "}"):
            depth -= 1
        if depth == 0 and not in_matrix and (tok in STATEMENT_BREAKS or tok == ","):
            if current:
                out.append(current)
            current = []
            if tok == r"\xrightarrow" and k < len(tokens) and tokens[k] == "{":  # the arrow's label
                level = 0
                while k < len(tokens):
                    level += {"{": 1, "}": -1}.get(tokens[k], 0)
                    k += 1
                    if level == 0:
                        break
            continue
        if tok == "&" and not in_matrix:
            continue
        current.append(tok)
    if current:
        out.append(current)
    merged: list[list[str]] = []
    for statement in out:
        if merged and statement[0] in RELATIONS:  # "&= …" on the next line of an aligned chain
            merged[-1] = merged[-1] + statement
        else:
            merged.append(statement)
    return [_unwrap(s) for s in merged]


def _environment(tokens: list[str], k: int) -> str:
    """The name of the environment that ``\\begin`` or ``\\end`` at ``tokens[k]`` opens or closes."""
    name = []
    for tok in tokens[k + 2:]:
        if tok == "}":
            break
        name.append(tok)
    return "".join(name)


def _unwrap(tokens: list[str]) -> list[str]:
    """``(m = 100)`` → ``m = 100``: a statement written in parentheses."""
    if len(tokens) > 2 and tokens[0] == "(" and tokens[-1] == ")":
        depth = 0
        for k, tok in enumerate(tokens):
            depth += tok == "("
            depth -= tok == ")"
            if depth == 0 and k < len(tokens) - 1:
                return tokens
        return tokens[1:-1]
    return tokens


def _sides(tokens: list[str]) -> tuple[list[list[str]], list[str]]:
    """The sides of a chain ``a = b ← c`` and the relations between them."""
    sides, relations, current, depth = [], [], [], 0
    for tok in tokens:
        if tok in ("(", "[", "{", r"\begin"):
            depth += 1
        elif tok in (")", "]", "}", r"\end"):
            depth -= 1
        if depth == 0 and tok in RELATIONS:
            sides.append(current)
            relations.append(tok)
            current = []
        else:
            current.append(tok)
    sides.append(current)
    return sides, relations


def _close(a, b, rtol: float, atol: float) -> tuple[bool, str]:
    """Whether two sides agree: to the digits shown when one is a matrix of shown numbers."""
    if isinstance(a, Shown) and isinstance(b, Shown):
        a, b = a, _plain(b)
    if isinstance(b, Shown):
        a, b = b, a
    if isinstance(a, Shown):
        b = np.asarray(b, dtype=float)
        b = np.full(a.values.shape, b.item()) if b.size == 1 else np.atleast_2d(b)  # "= 1": every entry
        cols = a.values.shape[1]
        if b.shape[0] != a.values.shape[0] or (not a.elided and b.shape[1] != cols) or b.shape[1] < cols:
            return False, f"shown as {a.values.shape}{' (elided)' if a.elided else ''}, computed {b.shape}"
        ok = np.allclose(a.values, np.round(b[:, :cols], a.decimals), atol=max(atol, 0.6 * 10.0 ** -a.decimals), rtol=0)
        return ok, "" if ok else f"shown {a.values.ravel()[:6]} against {b[:, :cols].ravel()[:6]}"
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if _is_scalar(a) and _is_scalar(b):
        a, b = a.reshape(()), b.reshape(())
    elif _is_scalar(a) or _is_scalar(b):  # "= 1" of a whole matrix: every entry
        a, b = np.broadcast_arrays(a.reshape(()) if _is_scalar(a) else a, b.reshape(()) if _is_scalar(b) else b)
    if a.shape != b.shape:
        return False, f"shapes {a.shape} and {b.shape}"
    ok = bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=False))
    return ok, "" if ok else f"largest difference {np.max(np.abs(a - b)):.3g}: {a.ravel()[:4]} against {b.ravel()[:4]}"


def check(latex: str, env: dict, *, bind: bool = True, rtol: float = 1e-9, atol: float = 1e-12) -> list[Result]:
    """Every statement of ``latex``: its sides computed with ``env`` (names → arrays or functions) and compared.

    A side that is a lone symbol the table does not hold is bound to the value of the others (``bind``), so a
    chain of formulas can be checked in order: (23) gives dZ[1], which (25) then uses. Numbers written out in
    a side (rounded for the page) loosen the comparison to the precision they show."""
    results = []
    for tokens in split_statements(latex):
        text = "".join(t if not t.startswith("\\") else t + " " for t in tokens)
        sides, relations = _sides(tokens)
        if len(sides) < 2:
            results.append(_condition(text, tokens, env))
            continue
        values, unknown, failures, decimals, problems = [], [], [], [], []
        for k, side in enumerate(sides):
            after = k == 0 and relations[0] == r"\leftarrow"
            parser = Parser(side, {**env, **env.get("_after", {})} if after else env, problems)
            try:
                values.append(parser.whole())
                # numbers written out, rounded for the page, that the side computes with
                written = parser.literals + ([] if isinstance(values[-1], Shown) else parser.shown_literals)
                if written and max(written) > 0:
                    decimals.append((min(d for d in written if d > 0), len(written)))
            except Unknown as err:
                lone = len([t for t in side if t not in SPACING and t not in SIZERS]) > 0 and _lone_symbol(side)
                unknown.append((err.name, lone))
            except (EvalError, ValueError, IndexError, KeyError, TypeError, ZeroDivisionError) as err:
                failures.append(str(err))
        if problems:
            results.append(Result(text, "mismatch", "; ".join(problems), values))
            continue
        if failures and not values:
            results.append(Result(text, "unevaluated", "; ".join(failures)))
            continue
        status, detail = "checked" if len(values) >= 2 else "unevaluated", ""
        if status == "checked" and failures:
            status, detail = "partial", "; ".join(failures)  # some sides agree, another cannot be computed
        tol = max([atol] + [n * 0.6 * 10.0 ** -d for d, n in decimals])
        for v in values[1:] if status != "partial" else ():
            ok, why = _close(values[0], v, rtol if not decimals else 0.0, tol)
            if not ok:
                status, detail = "mismatch", why
                break
        if status != "mismatch" and values and bind:
            for name, lone in unknown:
                if lone and not isinstance(values[0], Shown):
                    env[name] = _plain(values[0])
                    status = "bound" if len(values) < 2 else status
        if status == "unevaluated":
            detail = "; ".join(failures + [f"unknown {n}" for n, _ in unknown])
        results.append(Result(text, status, detail, values))
    return results


def _condition(text: str, tokens: list[str], env: dict) -> Result:
    """A statement with no relation: a condition such as ``(z \\ne 0)``, which must hold, or a symbol written
    over its shape (``\\underbrace{X}_{60000\\times784}``), whose value must have it; anything else is not read."""
    at = [k for k, tok in enumerate(tokens) if tok in COMPARISONS]
    if len(at) != 1 and r"\underbrace" in tokens:
        problems: list[str] = []
        try:
            Parser(tokens, env, problems).whole()
        except (EvalError, ValueError, TypeError) as err:
            return Result(text, "unevaluated", str(err))
        return Result(text, "mismatch" if problems else "checked", "; ".join(problems))
    if len(at) != 1:
        return Result(text, "unevaluated", "no relation")
    k = at[0]
    try:
        left = Parser(tokens[:k], env, []).whole()
        right = Parser(tokens[k + 1:], env, []).whole()
    except (EvalError, ValueError, TypeError) as err:
        return Result(text, "unevaluated", str(err))
    holds = bool(np.all(COMPARISONS[tokens[k]](_plain(left), _plain(right))))
    return Result(text, "checked" if holds else "mismatch", "" if holds else "the condition does not hold")


def _lone_symbol(side: list[str]) -> bool:
    """Whether a side is one symbol (with its layer and superscripts), so that it may be bound."""
    toks = [t for t in side if t not in SPACING and t not in SIZERS]
    if not toks:
        return False
    if toks[0] == r"\underbrace" or (toks[0] == r"\text" and toks[-1] == "}"):
        return True
    joined = "".join(toks)
    return bool(re.fullmatch(r"(\\Delta|d)?[A-Za-z]+(\^\{\[\d\]\})?|\\Delta(\^\{\[\d\]\})?|(\\Delta)?[Wb]\^\{\[\d\]\}"
                             r"|\\texttt\{\w+\}|[a-z]_\{?\w+\}?|\\hat\{y\}|\\frac\{\\partial[^=]*\}", joined))


def failures(results: list[Result]) -> list[str]:
    return [f"{r.status}: {r.text} — {r.detail}" for r in results if r.status == "mismatch"]
