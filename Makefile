# policyarchive: `make demo` sets up and runs the offline demo; `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
PYWB_VENV := .venv-pywb
PY := $(VENV)/bin/python

.PHONY: setup system-deps demo test test-fast lint bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $@

# pywb's pins clash with Scrapy's: it gets its own virtual environment.
$(PYWB_VENV)/.installed: requirements-pywb.txt
	$(PYTHON) -m venv $(PYWB_VENV)
	$(PYWB_VENV)/bin/pip install --quiet --upgrade pip
	$(PYWB_VENV)/bin/pip install --quiet -r requirements-pywb.txt
	touch $@

setup: system-deps $(VENV)/.installed $(PYWB_VENV)/.installed

# chromium for the report's browser test: installed when missing and root; else a message
system-deps:
	sh scripts/install-system-deps.sh

demo: setup  # ends by writing output/report/index.html and the dataset card output/README.md
	$(VENV)/bin/policyarchive demo --out output

test: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest -q

test-fast: setup
	$(VENV)/bin/pytest -q -m "not corpus and not pywb"

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: setup
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) $(PYWB_VENV) .pytest_cache
