# policyarchive: `make demo` sets up and runs the offline demo; `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
PYWB_VENV := .venv-pywb
PY := $(VENV)/bin/python

.PHONY: setup demo test test-fast lint bench clean

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

setup: $(VENV)/.installed $(PYWB_VENV)/.installed

demo: setup
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
