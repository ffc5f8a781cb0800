# queue-lab: `make lab` to learn, `make test` to check. Both build .venv when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: lab run test test-compose soak bench lint up down status clean

# The venv is rebuilt when requirements.txt or pyproject.toml is newer than the stamp.
$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@# notebooks are committed without outputs: let git strip them on `git add`
	@-git rev-parse --git-dir >/dev/null 2>&1 && $(BIN)/nbstripout --install || true
	@touch $(STAMP)

## lab: start the embedded stack and open JupyterLab on notebooks/
lab: $(STAMP)
	$(BIN)/labkit lab

## run: execute every notebook with papermill into build/notebooks/
run: $(STAMP)
	$(BIN)/labkit run

## test: unit and service tests (two processes; each has its own Redis db, ports and
## LABKIT_HOME), then every notebook top to bottom under nbval on one shared lab stack
test: $(STAMP)
	$(BIN)/python -m pytest -p no:cacheprovider -n 2 --dist loadfile tests
	$(BIN)/python -m pytest -p no:cacheprovider --nbval-lax --nbval-current-env notebooks

## test-compose: the Docker path for real: installs Docker/Compose when missing, builds the image,
## starts the compose stack on free ports, runs lessons 01, 05, 06 in it, then `labkit down`
## (timings and image size in build/compose/report.md)
test-compose: $(STAMP)
	bash tests/compose/run.sh

## soak: the long load and fault tests
soak: $(STAMP)
	$(BIN)/python -m pytest -m soak --run-soak tests

## bench: the benchmark scripts, each printing ratios against its baseline
bench: $(STAMP)
	@for f in benchmarks/*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

lint: $(STAMP)
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
