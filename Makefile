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
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

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
	@echo "$(CURDIR)/python" > "$(SITE)/gopcapy-dev.pth"

$(SAMPLE): python/tests/capgen.py python/pcapy/_frames.py | $(PY)
	@mkdir -p $(dir $(SAMPLE))
	$(PY) python/tests/capgen.py $(SAMPLE) --count 20000

.PHONY: demo
demo: build $(SAMPLE)  ## Summarise a generated sample capture (examples/01_summary.py)
	$(PY) examples/01_summary.py $(SAMPLE)

.PHONY: test
test: setup build  ## Run all tests: go test and pytest (live tests need root)
	go vet ./gopcapy/...
	go test ./gopcapy/...
	$(PY) -m pytest -q

.PHONY: bench
bench: build  ## Benchmark against pcapy-ng (BENCH_PACKETS=1000000, BENCH_PAIRS=5; BENCH_MARKDOWN=BENCHMARKS.md to update it)
	bash tools/refenv.sh $(REF_VENV)
	$(PY) bench/run.py --ref $(REF_VENV)/bin/python --markdown $${BENCH_MARKDOWN:-bench/out/BENCHMARKS.md}
	$(PY) bench/analysis_bench.py --packets $${BENCH_PACKETS:-1000000} --markdown bench/out/ANALYSIS.md

.PHONY: fuzz
fuzz: system  ## Fuzz the capture-file reader for FUZZTIME (default 2m)
	go test ./gopcapy -run '^$$' -fuzz FuzzOpenOffline -fuzztime $${FUZZTIME:-2m}

.PHONY: wheel
wheel: system $(PY)  ## Build a platform wheel into dist/
	# -P: do not put the cwd on sys.path, where build.py would shadow PyPA build
	$(PY) -P -m build --wheel --outdir dist .

.PHONY: lint
lint: $(PY)  ## gofmt, go vet and ruff
	@test -z "$$(gofmt -l gopcapy)" || (gofmt -l gopcapy; exit 1)
	go vet ./gopcapy/...
	$(PY) -m ruff check python examples build.py setup.py

.PHONY: clean
clean:  ## Remove build outputs, virtualenvs and samples
	rm -rf build dist python/pcapy/_gopcapy samples $(VENV) $(REF_VENV) *.egg-info python/*.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
