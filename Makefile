# Quick start: `make run` opens the app on the sample workbook, `make test` runs the whole
# suite headless. Both first set up whatever is missing (Debian packages, .venv, the
# project with its test extras); packaging/setup.sh does the work and also runs without make.
SETUP := bash packaging/setup.sh

# Extra arguments: `make test ARGS='-k playbook -x'`, `make run ARGS='open my.ipwb'`.
ARGS ?=

.PHONY: help setup run test lint lock distclean bundle

help:
	@echo "make run        set up what is missing, then open the GUI on the sample workbook"
	@echo "make test       set up what is missing, then run the test suite headless + lint-imports"
	@echo "make setup      only set up (Debian packages, .venv, pip install -e '.[test]')"
	@echo "make lint       only the import contracts (lint-imports)"
	@echo "make lock       re-resolve pyproject.toml and rewrite packaging/constraints.txt"
	@echo "make bundle     build the desktop bundle dist/ipw/ and dist/ipw-<version>-<os>-<arch>.tar.gz"
	@echo "make distclean  remove .venv"

setup:
	@$(SETUP) setup

run:
	@$(SETUP) run $(ARGS)

test:
	@$(SETUP) test $(ARGS)

lint: setup
	@.venv/bin/lint-imports --no-cache --no-logo

lock:
	@$(SETUP) lock

bundle: setup
	@.venv/bin/python packaging/build.py $(ARGS)

distclean:
	rm -rf .venv
