# sso-harness. On a fresh machine:
#   make scenarios   all browser scenarios against the embedded mock IdP and reference RP
#   make test        the test suite
# Both create .venv, install the project and find (or install) a Chromium by themselves.

SHELL := /bin/bash
.DEFAULT_GOAL := help
# Python's bytecode cache (__pycache__, ignored by git) is written even where the environment
# turns it off, as container images often do with PYTHONDONTWRITEBYTECODE: without it every
# run, and every pytest worker in it, compiles the project again and pytest rewrites every
# test module again (make test on 2 cores: about 80 s -> 65-70 s).
unexport PYTHONDONTWRITEBYTECODE

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.sso-harness-installed
REPORT_DIR ?= reports/scenarios
# Extra options, e.g. make scenarios ARGS="--only 'auto-login.*' --headed"
ARGS ?=
# The app under test: an app profile (TOML) or a shipped profile's name; empty: the reference RP.
APP ?=
# pytest-xdist workers for `make test`: two per core, at most 8 (many tests wait on a browser or
# a server process, so a second worker per core fills the wait: 87/90/85 s -> 73/85/78 s with 4
# workers instead of 2 on 2 cores, alternating runs). A number, auto (one per core), or empty
# for plain pytest.
# They take tests from each other's queues when theirs run dry (`--dist worksteal`): with
# pytest-xdist's default the tests next to each other in the collection share a worker, and
# `make test-slow` ran the three example apps' catalogues one after another on one of them.
PYTEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 1); echo $$(( n * 2 > 8 ? 8 : n * 2 )))

# Root runs apt-get directly; others only through passwordless sudo.
SUDO = $(shell [ "$$(id -u)" = 0 ] && echo "" || (sudo -n true 2>/dev/null && echo "sudo -n" || echo "none"))

.PHONY: help venv browser test test-slow test-all test-lowest test-newest scenarios lint demo bench clean distclean

help:
	@echo "make scenarios   run every browser scenario; report in $(REPORT_DIR)/index.html"
	@echo "                 (APP=PROFILE: against your own app, described by an app profile)"
	@echo "make test        run the tests, without the slow ones (test-slow: only those;"
	@echo "                 test-all: both; test-lowest: on the lowest versions allowed;"
	@echo "                 test-newest: on the newest Python found, 3.12 or later)"
	@echo "make lint        ruff and mypy"
	@echo "make demo        start the mock IdP and the relying party to click through by hand"
	@echo "make bench       benchmarks"
	@echo "make venv        create .venv and install the project (automatic for the above)"
	@echo "make browser     find or install the Chromium the scenarios use"
	@echo "make clean       remove reports and caches (distclean also removes .venv)"

venv: $(STAMP)

# Reinstalled whenever pyproject.toml changes; the virtualenv itself is rebuilt when missing
# or broken (its interpreter no longer runs).
# A pip constraints file the environment is installed with, and the extras it installs
# (test-lowest's: the harness's own dependencies only).
CONSTRAINTS ?=
EXTRAS ?= test,examples

$(STAMP): pyproject.toml $(CONSTRAINTS)
	@if ! $(PY) -c '' 2>/dev/null; then \
	  $(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), sys.version' \
	    || { echo "Python 3.11+ is needed: make PYTHON=/path/to/python3.11"; exit 1; }; \
	  rm -rf $(VENV); \
	  if ! $(PYTHON) -m venv $(VENV); then \
	    rm -rf $(VENV); \
	    if [ "$(SUDO)" != none ] && command -v apt-get >/dev/null; then \
	      echo "venv: installing python3-venv with apt-get"; \
	      DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get -o DPkg::Lock::Timeout=300 update -qq \
	        && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get -o DPkg::Lock::Timeout=300 \
	             install -y -qq python3-venv </dev/null \
	        && $(PYTHON) -m venv $(VENV); \
	    else false; fi \
	    || { echo "venv: '$(PYTHON) -m venv' failed; install python3-venv (Debian/Ubuntu)"; exit 1; }; \
	  fi; \
	fi
	$(PY) -m pip install --quiet --disable-pip-version-check $(if $(CONSTRAINTS),-c $(CONSTRAINTS)) \
	  -e '.[$(EXTRAS)]'
	@touch $@

browser: venv
	@$(PY) -m scenarios.browser ensure

# `make test` leaves out the tests marked slow (memory over thousands of logins, the fuzzing,
# the example apps in Node and Flask, runs that wait out a scenario's time limit, tests that
# spend a second of CPU or more starting processes of their own: python -m bench.test_costs);
# `make test-slow` runs only those, `make test-all` both.
TEST_MARKS ?= not slow

test: venv browser
	@if [ -n "$(PYTEST_WORKERS)" ] && $(PY) -c 'import xdist' 2>/dev/null; then \
	  set -x; $(PY) -m pytest -n $(PYTEST_WORKERS) --dist worksteal -m "$(TEST_MARKS)" $(ARGS); \
	else \
	  set -x; $(PY) -m pytest -m "$(TEST_MARKS)" $(ARGS); \
	fi

test-slow:
	@$(MAKE) --no-print-directory test TEST_MARKS=slow

test-all:
	@$(MAKE) --no-print-directory test TEST_MARKS="slow or not slow"

# The tests (not the slow ones) on the lowest version of every dependency pyproject.toml allows,
# pinned in constraints/lowest.txt, in a virtualenv of their own. Without the example apps'
# extra: their tests record what each library does at its newest version, and skip without it.
test-lowest:
	@$(MAKE) --no-print-directory test VENV=.venv-lowest CONSTRAINTS=constraints/lowest.txt \
	  EXTRAS=test

# The tests (not the slow ones) on the newest Python found, 3.12 or later, in a virtualenv of
# its own: Python 3.12 changed what a process running a Playwright driver looks like to the
# runner (no thread watches the driver's process any more), which broke runs that only 3.11 was
# tested on. The newest python3.N that runs, else pyenv's newest 3.12 or later; skipped, saying
# so, where there is neither.
NEWEST_PYTHON ?= $(shell found=; for v in 16 15 14 13 12; do \
  found=$$(python3.$$v -c 'import sys; print(sys.executable)' 2>/dev/null) && break; done; \
  if [ -z "$$found" ] && command -v pyenv >/dev/null 2>&1; then \
    v=$$(pyenv versions --bare 2>/dev/null | grep -E '^3\.1[2-9](\.[0-9]+)?$$' | sort -V | tail -n 1); \
    [ -n "$$v" ] && found="$$(pyenv root)/versions/$$v/bin/python3"; fi; echo "$$found")
test-newest:
	@newest="$(NEWEST_PYTHON)"; \
	if [ -z "$$newest" ]; then \
	  echo "test-newest: no Python 3.12 or newer found; skipped"; \
	else \
	  $(MAKE) --no-print-directory test PYTHON="$$newest" VENV=.venv-newest; \
	fi

scenarios: venv browser
	$(PY) -m scenarios run --report $(REPORT_DIR) --junit $(REPORT_DIR)/junit.xml $(if $(APP),--app $(APP)) $(ARGS)

lint: venv
	$(PY) -m ruff check .
	$(PY) -m mypy mock_idp relying_party scenarios

demo: venv
	$(PY) -m scenarios demo $(ARGS)

bench: venv browser
	$(PY) -m bench $(ARGS)

clean:
	rm -rf reports build .pytest_cache .ruff_cache .mypy_cache *.egg-info
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) .venv-lowest .venv-newest
