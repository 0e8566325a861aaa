# Quick start: `make run` (serve the app) and `make test` (set up and pass all tests).
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PORT   ?= 8501
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
STREAMLIT_FLAGS := --server.headless true --server.fileWatcherType none \
                   --browser.gatherUsageStats false --server.port $(PORT)

.PHONY: run serve-replicas test test-slow bench debian-packages serving-packages clean assets mutation

# TORCH_INDEX: a PyTorch wheel index to take torch from, e.g. https://download.pytorch.org/whl/cpu
# (the CPU build, ~200 MB; PyPI's default torch for Linux brings gigabytes of CUDA libraries). Empty:
# torch comes from wherever the machine's pip configuration points, like every other package.
TORCH_INDEX ?=

$(STAMP): requirements.txt requirements-dev.txt constraints.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(if $(TORCH_INDEX),$(PY) -m pip install --quiet --disable-pip-version-check \
		--index-url $(TORCH_INDEX) -c constraints.txt torch)
	$(PY) -m pip install --quiet --disable-pip-version-check \
		-r requirements.txt -r requirements-dev.txt -c constraints.txt
	touch $(STAMP)

# Debian packages. chromium drives the browser tests (never `playwright install`: nothing downloads); a
# CJK font lets the screenshots of the Chinese UI show characters instead of empty boxes; graphviz lays
# out the graph on the server (without it the browser does, several times slower).
# dataset-fashion-mnist is the book's dataset (MIT; IDX files under /usr/share/datasets/fashion-mnist),
# the default where present. haproxy balances several replicas (make serve-replicas, its test).
FASHION_MNIST := /usr/share/datasets/fashion-mnist
debian-packages:
	@test -x /usr/bin/chromium -a -x /usr/bin/dot -a -n "$$(fc-list :lang=zh 2>/dev/null)" \
		-a -d $(FASHION_MNIST) -a -x /usr/sbin/haproxy || { \
		$(SUDO) apt-get update -qq && \
		$(SUDO) apt-get install -y -qq --no-install-recommends chromium fonts-wqy-microhei graphviz \
			dataset-fashion-mnist haproxy; }

# Serving needs no Debian package; graphviz and the Fashion-MNIST package are worth having, so `run`
# tries once and goes on without (graphs are then laid out in the browser, and digits is the dataset).
serving-packages:
	@{ command -v dot >/dev/null && test -d $(FASHION_MNIST); } || { $(SUDO) apt-get update -qq && \
		$(SUDO) apt-get install -y -qq --no-install-recommends graphviz dataset-fashion-mnist; } || \
		echo "graphviz or dataset-fashion-mnist not installed: the app goes on without (see README)"

run: $(STAMP) serving-packages
	$(PY) -m streamlit run app/server.py $(STREAMLIT_FLAGS)

# Several replicas behind HAProxy sharing one Ray (app/replicas.py; docs/deploy.md).
REPLICAS ?= 2
serve-replicas: $(STAMP) serving-packages
	@command -v haproxy >/dev/null || $(SUDO) apt-get install -y -qq --no-install-recommends haproxy
	$(PY) -m app.replicas --replicas $(REPLICAS) --port $(PORT)

test: $(STAMP) debian-packages
	$(PY) -m ruff check .
	$(PY) -m pytest -n 2 -q --durations=30

test-slow: $(STAMP) debian-packages
	HYPOTHESIS_PROFILE=slow $(PY) -m pytest -n 2 -q -m "slow or not slow"

bench: $(STAMP)
	$(PY) bench/analysis.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis test-artifacts

assets: $(STAMP)
	$(PY) assets/make_assets.py

# 10,000 random configs per family through the API and the CLI (minutes), then their figures into
# docs/benchmarks.md.
.PHONY: fuzz
fuzz: $(STAMP)
	rm -rf test-artifacts/fuzz
	$(PY) -m pytest -n 2 -q -m slow tests/test_fuzz.py
	$(PY) bench/fuzz_report.py

# Mutation testing of core's counting, heatmap, checkpoint and budget rules with the fast unit tests
# (pyproject.toml [tool.mutmut]); scores per module: docs/benchmarks.md § Mutation testing.
mutation: $(STAMP)
	rm -rf mutants
	OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(PY) -m mutmut run --max-children 2 || true
	$(PY) bench/mutation_report.py --write
