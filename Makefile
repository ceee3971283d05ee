# The two README commands. Each makes the virtual environment it needs (in .venv) and runs one job.
#   make demo   ingest the bundled corpus, build pre-annotated tasks, start the local Label Studio, push the
#               tasks to it, import the bundled (simulated) annotations, print their agreement, settle gold
#   make test   lint, then run the test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[studio,test]'
	touch $@

demo: $(VENV)/.installed
	$(BIN)/annotate schema check
	$(BIN)/annotate corpus add seeds/ --source "seed article"
	$(BIN)/annotate corpus add corpus/bundled/ --source "annotate bundled corpus (illustrative)"
	$(BIN)/annotate corpus stats
	$(BIN)/annotate tasks build --prelabel
	$(BIN)/annotate prelabel score
	$(BIN)/annotate studio up
	$(BIN)/annotate push --project conflict-events
	$(BIN)/annotate import corpus/simulated/label-studio-export.json
	$(BIN)/annotate agreement
	$(BIN)/annotate gold
	$(BIN)/annotate studio status

test: $(VENV)/.installed
	$(BIN)/ruff check annotate tests benchmarks scripts
	$(BIN)/python -m pytest

clean:
	-$(BIN)/annotate studio down
	rm -rf $(VENV) tasks corpus/articles.jsonl annotations exports gold .studio
