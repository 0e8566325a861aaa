# CNN Architecture Explorer: the Streamlit app and its PyTorch core in one image.
#
#   CPU (default):  docker build -t cnn-explorer .
#   CUDA:           docker build -t cnn-explorer:cu128 --build-arg TORCH_VARIANT=cu128 .
#                   docker run --gpus all -p 8501:8501 cnn-explorer:cu128
#
# TORCH_VARIANT names a PyTorch wheel index (https://download.pytorch.org/whl/<variant>): "cpu", or the
# CUDA tag that torch (pinned in constraints.txt) is published for and the host driver supports, e.g.
# cu126 or cu128. CUDA wheels carry their own CUDA runtime, so the slim base serves both variants; the
# host needs only the NVIDIA driver and the NVIDIA Container Toolkit.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ARG TORCH_VARIANT=cpu
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY requirements.txt constraints.txt ./
# torch first, from the variant's index (PyPI's default Linux torch is a multi-GB CUDA build even
# for CPU hosts); its version comes from constraints.txt, so the pin lives in one place.
# hadolint ignore=DL3013
RUN pip install --index-url "https://download.pytorch.org/whl/${TORCH_VARIANT}" -c constraints.txt torch \
 && pip install -r requirements.txt -c constraints.txt

FROM ${PYTHON_IMAGE}
# Graphviz's `dot` lays out the graph (shown and downloaded as SVG); Debian's package follows the base image's release.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends graphviz dataset-fashion-mnist \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 10001 explorer \
 && useradd --create-home --uid 10001 --gid 10001 explorer
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
WORKDIR /app
COPY .streamlit/ .streamlit/
COPY core/ core/
COPY app/ app/
COPY assets/ assets/
# The Memory page cites its section and Compare puts the H100 measurements beside its roofline.
COPY docs/benchmarks.md docs/benchmarks.md
# COPY leaves the code root-owned: read-only to the server's user. A numeric USER lets Kubernetes
# check runAsNonRoot.
USER 10001:10001
EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4)"]
CMD ["streamlit", "run", "app/server.py", \
     "--server.address=0.0.0.0", "--server.port=8501", "--server.headless=true", \
     "--server.fileWatcherType=none", "--browser.gatherUsageStats=false"]
