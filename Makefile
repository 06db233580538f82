# Two commands: `make run` and `make test`. Everything installs from this repository's own files.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip
INSTALL_FLAGS := --quiet --disable-pip-version-check
export APPCOMPLY_DATABASE__URL ?= sqlite:///./var/appcomply.db

.PHONY: run test lint typecheck imports pytest install install-dev clean readme-config

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install $(INSTALL_FLAGS) --upgrade "pip==26.3"

$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt src/appcomply/content/engine/_fold.c
	$(PIP) install $(INSTALL_FLAGS) -c constraints.txt -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PIP) install $(INSTALL_FLAGS) -c constraints.txt -e '.[dev]'
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	@mkdir -p var
	$(BIN)/appcomply db upgrade
	$(BIN)/appcomply demo
	$(BIN)/appcomply serve

lint: install-dev
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts

typecheck: install-dev
	$(BIN)/mypy

imports: install-dev
	$(BIN)/lint-imports

pytest: install-dev
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint typecheck imports pytest

readme-config: install
	$(BIN)/appcomply config show --markdown

clean:
	rm -rf $(VENV) var .mypy_cache .pytest_cache .ruff_cache
