# superkit: `make help` lists the targets.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.superkit-install-stamp
export PYTHONHASHSEED := 0
export MPLBACKEND := Agg
export TQDM_DISABLE := 1

.PHONY: help install test test-fast test-slow report bench clean

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (superkit)" >/dev/null
	touch $(STAMP)

install: $(STAMP) ## create .venv (Python 3.11) and install superkit with its test extras

test: install ## run the whole test suite (unit, validation, notebooks under nbval)
	$(PY) -m pytest tests notebooks --nbval-lax -m "not slow" -p no:cacheprovider

test-slow: install ## run the slow validation studies (coverage over many seeds)
	$(PY) -m pytest tests -m slow -p no:cacheprovider

report: install ## run every notebook on the bundled coffee_club data and write reports/<run>/
	$(VENV)/bin/superkit report

bench: install ## run the benchmarks (prints medians, ratios against lifetimes, peak memory)
	$(PY) benchmarks/run_all.py

clean: ## remove the virtual environment and generated reports
	rm -rf $(VENV) reports
