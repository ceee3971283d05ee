# The two README commands. Each makes the virtual environment it needs (in .venv) and runs one job.
#   make demo   the whole loop on the bundled corpus: ingest, build pre-annotated tasks, start the local Label
#               Studio, push the tasks, post the simulated annotations as three annotator users, pull them
#               back, print their agreement, settle gold, publish version 1.0.0, load it back with datasets,
#               export CoNLL training data, write the review site, and print where the release, Label Studio
#               and the review site are
#   make test   lint, then run the test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[studio,test,model]'
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
	$(BIN)/python scripts/post_simulated_annotations.py --project conflict-events
	$(BIN)/annotate pull --project conflict-events
	$(BIN)/annotate agreement
	$(BIN)/annotate gold
	$(BIN)/annotate publish --version 1.0.0
	$(BIN)/python scripts/load_release.py
	$(BIN)/annotate export --format conll
	$(BIN)/annotate studio status
	$(BIN)/annotate review --project conflict-events

test: $(VENV)/.installed
	$(BIN)/ruff check annotate tests benchmarks scripts
	$(BIN)/python -m pytest

clean:
	-$(BIN)/annotate studio down
	rm -rf $(VENV) tasks corpus/articles.jsonl annotations exports gold releases training models .studio review
