"""The core knows no screen: importing nnviz's core pulls in neither Streamlit, Plotly nor TensorFlow."""

import subprocess
import sys
from pathlib import Path

CORE = ["nnviz", "nnviz.activations", "nnviz.losses", "nnviz.network", "nnviz.training",
        "nnviz.datasets", "nnviz.gradcheck", "nnviz.validation"]


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
