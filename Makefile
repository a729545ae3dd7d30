# gopcapy: `make help` lists the targets. Every target sets up what it needs
# (apt packages when root, Go tools from go.mod, Python packages in .venv).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
REF_VENV := .venv-ref
SAMPLE := samples/sample.pcap
SITE = $(shell $(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')

.DEFAULT_GOAL := help

.PHONY: help
help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

.PHONY: system
system:  ## Install the system packages (libpcap-dev, tcpdump, iproute2) when missing
	@bash tools/system-deps.sh

$(PY): requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $(PY)

.PHONY: setup
setup: system $(PY)  ## Set up everything: system packages, Go tools, .venv, reference pcapy-ng
	go mod download
	bash tools/refenv.sh $(REF_VENV)

.PHONY: build
build: system $(PY)  ## Build the Go extension (incremental) and put pcapy on .venv's path
	$(PY) build.py
	go run ./tools/bridgestub
	@echo "$(CURDIR)/python" > "$(SITE)/gopcapy-dev.pth"

$(SAMPLE): python/tests/capgen.py python/pcapy/_frames.py | $(PY)
	@mkdir -p $(dir $(SAMPLE))
	$(PY) python/tests/capgen.py $(SAMPLE) --count 20000

.PHONY: demo
demo: build $(SAMPLE)  ## Summarise a generated sample capture (examples/01_summary.py)
	$(PY) examples/01_summary.py $(SAMPLE)

.PHONY: test
test: setup build wheels  ## Run all tests: lint, go test, pytest (wheels included), pytest on 3.10 and 3.13
	$(MAKE) --no-print-directory lint
	go test ./gopcapy/...
	$(MAKE) race
	$(MAKE) --no-print-directory test-pythons
	$(PY) -m pytest -q

# The pytest suite on the oldest and newest supported CPython as well (found by
# tools/pythons.py: pyenv's, or PYTHONS=...), each in a venv cached under
# build/test-venvs/ with the source tree on its path and its own extension build.
# test_wheels.py runs once, in `make test`'s main pytest run (after this: its smoke
# set borrows these venvs' numpy for read_columns).
TEST_PYTHONS ?= 3.10 3.13
.PHONY: test-pythons
test-pythons: system  ## Run the pytest suite on CPython 3.10 and 3.13 too (TEST_PYTHONS=...)
	@set -e; pys=$$($(PYTHON) tools/pythons.py $(TEST_PYTHONS)); \
	test -n "$$pys" || { echo "test-pythons: none found (CI fails on that)" >&2; test -z "$$CI"; exit; }; \
	for py in $$pys; do \
	  v=build/test-venvs/$$($$py -c 'import sys; print("%d.%d" % sys.version_info[:2])'); \
	  if [ ! -x $$v/bin/python ] || [ requirements-dev.txt -nt $$v/.installed ]; then \
	    rm -rf $$v; $$py -m venv $$v; \
	    $$v/bin/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt; \
	    touch $$v/.installed; fi; \
	  $$v/bin/python build.py; \
	  echo "$(CURDIR)/python" > "$$($$v/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/gopcapy-dev.pth"; \
	  echo "test-pythons: $$($$v/bin/python -V)"; \
	  $$v/bin/python -m pytest -q -p no:cacheprovider --ignore=python/tests/test_wheels.py; \
	done

.PHONY: race
race: system  ## go test -race: the Go packages under the race detector
	go test -race ./gopcapy/...

.PHONY: bench
bench: build  ## Benchmark against pcapy-ng (BENCH_PACKETS=1000000, BENCH_PAIRS=7; BENCH_NG_CAPTURE=pcapy-ng's gen_pcap.py output; BENCH_MARKDOWN=BENCHMARKS.md to update it)
	bash tools/refenv.sh $(REF_VENV)
	$(PY) bench/run.py --ref $(REF_VENV)/bin/python --markdown $${BENCH_MARKDOWN:-bench/out/BENCHMARKS.md}
	$(PY) bench/filtered_bench.py --ref $(REF_VENV)/bin/python --markdown bench/out/FILTERED.md
	$(PY) bench/analysis_bench.py --packets $${BENCH_PACKETS:-1000000} --markdown bench/out/ANALYSIS.md
	$(PY) bench/dask_bench.py --markdown bench/out/DASK.md

.PHONY: fuzz
fuzz: build  ## Run every fuzz target, each for FUZZTIME (default 2m): Go's and the Python surface's
	go test ./gopcapy -run '^$$' -fuzz '^FuzzOpenOffline$$' -fuzztime $${FUZZTIME:-2m}
	go test ./gopcapy -run '^$$' -fuzz '^FuzzDecodeFields$$' -fuzztime $${FUZZTIME:-2m}
	go test ./gopcapy -run '^$$' -fuzz '^FuzzReadRange$$' -fuzztime $${FUZZTIME:-2m}
	PCAPY_FUZZ_SECONDS=$$($(PY) -c 'import sys; t = sys.argv[1]; print(int(float(t[:-1]) * {"s": 1, "m": 60, "h": 3600}[t[-1]]) if t[-1] in "smh" else 120)' $${FUZZTIME:-2m}) \
		$(PY) -m pytest -q -p no:cacheprovider python/tests/test_fuzz_surface.py

.PHONY: wheels
wheels: system $(PY)  ## Build manylinux wheels for each CPython 3.10-3.13 found (PYTHONS=...) and the sdist into dist/
	$(PY) tools/wheels.py

.PHONY: lint
lint: build  ## gofmt, go vet, ruff, mypy --strict, the bridge stub (fresh, and stubtest against the built extension)
	@test -z "$$(gofmt -l gopcapy tools)" || (gofmt -l gopcapy tools; exit 1)
	go vet ./gopcapy/... ./tools/...
	$(PY) -m ruff check python examples build.py setup.py tools
	$(PY) -m mypy
	MYPYPATH=python/stubs $(PY) -m mypy.stubtest --allowlist python/stubs/stubtest-allowlist.txt pcapy._gopcapy._gopcapy

.PHONY: clean
clean:  ## Remove build outputs, virtualenvs and samples
	rm -rf build dist python/pcapy/_gopcapy samples $(VENV) $(REF_VENV) *.egg-info python/*.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
