# superkit: `make help` lists the targets.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.superkit-install-stamp
export PYTHONHASHSEED := 0
export MPLBACKEND := Agg
export TQDM_DISABLE := 1

.PHONY: help install browser-deps test test-fast test-slow report lab bench clean

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,spark]'
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (superkit)" >/dev/null
	touch $(STAMP)

install: $(STAMP) ## create .venv (Python 3.11) and install superkit with its test and Spark extras

test: install browser-deps ## run the whole test suite (unit, validation, notebooks under nbval)
	$(PY) -m pytest tests notebooks --nbval-lax -m "not slow" -p no:cacheprovider --durations=15

test-slow: install ## run the slow validation studies (coverage over many seeds)
	$(PY) -m pytest tests -m slow -p no:cacheprovider

browser-deps: ## install headless Chromium and a CJK font for the browser test and figures (Debian packages; only as root, only if missing)
	@if [ -x /usr/bin/chromium ] && fc-list 2>/dev/null | grep -qi wqy; then :; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing chromium and fonts-wqy-microhei (Debian packages) for tests/test_browser.py and Chinese labels"; \
	  apt-get install -y chromium fonts-wqy-microhei >/dev/null 2>&1 || { apt-get update >/dev/null 2>&1 && apt-get install -y chromium fonts-wqy-microhei >/dev/null 2>&1; } \
	  || echo "could not install chromium / fonts: the browser test will be skipped, figure labels stay English"; \
	else echo "no /usr/bin/chromium or CJK font and not root: the browser test will be skipped (sudo apt-get install chromium fonts-wqy-microhei)"; fi

report: install ## run every notebook on the bundled coffee_club data and write reports/<run>/
	$(VENV)/bin/superkit report

lab: install ## open JupyterLab on the notebooks with the kit's kernel, "Python 3 (superkit)"; its terminal has superkit on the PATH
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/jupyter lab --ServerApp.root_dir="$(CURDIR)" --FileContentsManager.preferred_dir=notebooks \
	  $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

bench: install ## run the benchmarks (prints medians, ratios against lifetimes, peak memory)
	$(PY) benchmarks/run_all.py

clean: ## remove the virtual environment and generated reports
	rm -rf $(VENV) reports
