# Two commands: `make run` starts the assistant, `make test` runs the whole test suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

$(BIN)/python: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(BIN)/python

.PHONY: install run test chat demo lint bench translations
install: $(BIN)/python

run: install
	$(BIN)/python app.py serve

test: install
	$(BIN)/python -m pytest -n auto

chat: install
	$(BIN)/python app.py chat --user $(or $(USER_EMAIL),participant@demo.example)

demo: install
	$(BIN)/python app.py demo

lint: install
	$(BIN)/ruff check .

bench: install
	$(BIN)/python bench/slack_help.py
	$(BIN)/python bench/matching.py
	$(BIN)/python bench/parse_time.py
	$(BIN)/python bench/booking.py
	$(BIN)/python bench/announce.py
	$(BIN)/python bench/scheduler_tick.py
	$(BIN)/python bench/report.py

# After changing sentences in the code: the template of every marked sentence, merged into each catalog
# (new sentences wait untranslated; `python app.py translations` lists them).
translations: install
	$(BIN)/pybabel --quiet extract -F babel.cfg -k N_ -k ngettext:1,2 --sort-by-file -o locale/messages.pot .
	$(BIN)/pybabel --quiet update --no-fuzzy-matching --ignore-obsolete -w 120 -i locale/messages.pot -d locale -l km
	$(BIN)/python app.py translations
