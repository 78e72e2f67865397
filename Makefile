# The two commands of the README, and what they stand on.
#   make run   — the hotline on its embedded defaults (SQLite, one process)
#   make test  — every test, on SQLite and PostgreSQL
PYTHON ?= python3
# Two test processes (pytest-xdist): the CI machine has 2 cores. PYTEST_ARGS= runs serially.
PYTEST_ARGS ?= -n 2
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench clean system

# What the tests need from Debian: the browser for the simulator's and console's tests
# (Playwright drives this one; it never downloads its own), CJK fonts for their
# screenshots, and the audio tools prompts are built and checked with.
SYSTEM_PACKAGES := chromium fonts-noto-cjk ffmpeg sox espeak-ng

system:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing from Debian:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/hotline serve

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

test: $(STAMP) system lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
