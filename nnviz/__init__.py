"""nnviz: the lesson's neural network from scratch, as a library the app's pages draw.

Everything here except ``charts`` and ``keras_model`` is pure NumPy (plus
scikit-learn for datasets): no Streamlit, no Plotly, no TensorFlow.
"""

from nnviz.deep_network import DeepNN
from nnviz.network import ShallowNN, accuracy
from nnviz.training import Change, EpochRecord, History, Progress, Stop, Trainer

__all__ = ["ShallowNN", "DeepNN", "Trainer", "History", "Progress", "EpochRecord", "Stop", "Change", "accuracy"]
