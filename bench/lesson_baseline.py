"""BASELINE — the lesson's training loop, transcribed as the lesson runs it. Not nnviz.

Kept only so that benchmarks can measure nnviz against what a student would
write from the lesson. Its flaws are deliberate and are the lesson's own:
``update_weights`` ignores ``lr`` (every step has size 1), the batch indices
are ``range`` objects (fancy indexing copies each batch, and a batch size that
does not divide the data crashes), the sigmoid overflows for very negative
inputs, and the printed loss is one batch's. nnviz fixes each of these.
"""

import numpy as np


def tanh(x):
    return np.tanh(x)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def accuracy(Y, Y_pred):
    """Share of correct thresholded predictions, one Python call per element as in the lesson."""
    to_binary = np.vectorize(lambda p: 1 if p > 0.5 else 0)
    Y_pred = to_binary(Y_pred)
    # The lesson wrote float(...) of this 1×1 array, which NumPy 2 refuses; .item() is the same number.
    return (np.dot(Y, Y_pred.T) + np.dot(1 - Y, 1 - Y_pred.T)).item() / Y.size


class LessonShallowNN:
    def __init__(self, n_input, n_hidden, n_output):
        self.n_input, self.n_hidden, self.n_output = n_input, n_hidden, n_output
        self.params, self.cache, self.grads = {}, {}, {}

    def compute_loss(self, Y, Y_hat):
        m = Y.shape[1]
        return -np.sum(Y * np.log(Y_hat) + (1 - Y) * np.log(1 - Y_hat)) / m

    def init_weights(self):
        self.params["W1"] = np.random.randn(self.n_hidden, self.n_input) * 0.01
        self.params["b1"] = np.zeros((self.n_hidden, 1))
        self.params["W2"] = np.random.randn(self.n_output, self.n_hidden) * 0.01
        self.params["b2"] = np.zeros((self.n_output, 1))

    def forward(self, X):
        W1, b1, W2, b2 = self.params["W1"], self.params["b1"], self.params["W2"], self.params["b2"]
        Z1 = np.dot(W1, X) + b1
        A1 = tanh(Z1)
        Z2 = np.dot(W2, A1) + b2
        A2 = sigmoid(Z2)
        self.cache["Z1"], self.cache["A1"], self.cache["Z2"], self.cache["A2"] = Z1, A1, Z2, A2

    def backward(self, X, Y):
        m = X.shape[1]
        W2 = self.params["W2"]
        A1, A2 = self.cache["A1"], self.cache["A2"]
        dZ2 = A2 - Y
        dW2 = (1 / m) * np.dot(dZ2, A1.T)
        db2 = (1 / m) * np.sum(dZ2, axis=1, keepdims=True)
        dZ1 = np.multiply(np.dot(W2.T, dZ2), 1 - np.power(A1, 2))
        dW1 = (1 / m) * np.dot(dZ1, X.T)
        db1 = (1 / m) * np.sum(dZ1, axis=1, keepdims=True)
        self.grads = {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}

    def get_batch_indices(self, X_train, batch_size):
        n = X_train.shape[0]
        return [range(i, i + batch_size) for i in range(0, n, batch_size)]

    def update_weights(self, lr):
        # As in the lesson: lr is not used.
        self.params["W1"] -= self.grads["dW1"]
        self.params["W2"] -= self.grads["dW2"]
        self.params["b1"] -= self.grads["db1"]
        self.params["b2"] -= self.grads["db2"]

    def fit(self, X_train, y_train, batch_size=32, n_iterations=100, lr=0.01, log=print):
        self.init_weights()
        indices = self.get_batch_indices(X_train, batch_size)
        for i in range(n_iterations):
            for ind in indices:
                X = X_train[ind, :].T
                Y = y_train[ind].reshape(1, batch_size)
                self.forward(X)
                self.backward(X, Y)
                self.update_weights(lr)
            if i % 10 == 0:
                loss = self.compute_loss(Y, self.cache["A2"])
                log(f"iteration {i}: loss {loss}")

    def predict(self, X):
        W1, b1, W2, b2 = self.params["W1"], self.params["b1"], self.params["W2"], self.params["b2"]
        A1 = tanh(np.dot(W1, X) + b1)
        return sigmoid(np.dot(W2, A1) + b2)
