"""The core knows no screen: no nnviz module imports Streamlit, only charts Plotly, only keras_model TensorFlow."""

import ast
import subprocess
import sys
from pathlib import Path

CORE = ["nnviz", "nnviz.core.activations", "nnviz.core.losses", "nnviz.core.network", "nnviz.core.training",
        "nnviz.core.datasets", "nnviz.core.gradcheck", "nnviz.core.validation", "nnviz.core.deep_network", "nnviz.core.optimizers",
        "nnviz.core.regularization", "nnviz.core.features"]


def test_core_imports_no_ui_or_tensorflow():
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in CORE)
        + "bad = sorted({m.split('.')[0] for m in sys.modules} & {'streamlit', 'plotly', 'tensorflow', 'keras'})\n"
        + "print(','.join(bad))\n"
    )
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root).stdout.strip()
    assert out == "", f"the core imported {out}"


def third_party_imports(path: Path) -> set[str]:
    """Top-level names of every module ``path`` imports, at module level or inside functions."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_no_streamlit_in_nnviz_plotly_only_in_charts_tensorflow_only_in_keras_model():
    # Statically, function-level imports included: the runtime check above only sees module-level ones.
    root = Path(__file__).resolve().parents[1] / "nnviz"
    found = {".".join(path.relative_to(root).with_suffix("").parts): third_party_imports(path)
             for path in sorted(root.rglob("*.py"))}
    assert {"viz.charts", "mnist.keras_model", "core.network", "core.training"} <= set(found)
    streamlit = sorted(m for m, names in found.items() if "streamlit" in names)
    assert not streamlit, streamlit
    plotly = sorted(m for m, names in found.items() if "plotly" in names and m != "viz.charts")
    assert not plotly, plotly
    tf = {m: sorted(names & {"tensorflow", "keras"}) for m, names in found.items() if m != "mnist.keras_model"}
    assert not any(tf.values()), tf
    assert "plotly" in found["viz.charts"] and "keras" in found["mnist.keras_model"]  # the check sees what is there
