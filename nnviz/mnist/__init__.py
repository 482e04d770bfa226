"""The MNIST classifier: the data and its fallbacks, the lesson's table, drawn digits, the NumPy forward pass, the Keras model (the only TensorFlow importer) and its jobs."""
