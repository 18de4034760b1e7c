# Everything runs from a virtual environment in .venv, installed from the
# pinned versions in constraints.txt, so a fresh clone gets what CI tested.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
WORKERS ?= 2
export FLASK_APP := app.py

.PHONY: run install install-dev migrate demo test lint format openapi clients bench constraints clean \
	vendor-timelinejs

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Timeline needs Python 3.11 or newer (PYTHON=$(PYTHON))"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/pip install --quiet -c constraints.txt -e .
	@touch $@

# The dev extra, and the bench extra (Datasette, which `make bench` compares with;
# the suite runs the benchmark once at toy size).
$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev,bench]'
	@touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	$(BIN)/flask db upgrade

demo: migrate
	$(BIN)/flask demo load

## Serve the API with the demo data on http://127.0.0.1:$(PORT); server settings: gunicorn.conf.py
run: demo
	@echo "Timeline: open http://127.0.0.1:$(PORT)/ (the API is /api/v1, its reference /docs)"
	$(BIN)/gunicorn --config gunicorn.conf.py --bind 127.0.0.1:$(PORT) --workers $(WORKERS) app:app

## The whole suite; with TEST_DATABASE_URL set it runs every database test on PostgreSQL too
test: install-dev
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## Regenerate openapi.yaml from the code
openapi: install
	$(BIN)/flask openapi write --format=yaml openapi.yaml

## Generate the Python and TypeScript clients from openapi.yaml (pinned generators,
## output git-ignored) and type-check them with their drivers (mypy, tsc);
## tests/test_clients.py also drives a served instance through both
clients/node_modules/.installed: clients/package.json clients/package-lock.json
	cd clients && npm ci --no-audit --no-fund
	@touch $@

clients: install-dev clients/node_modules/.installed
	$(BIN)/openapi-python-client generate --path openapi.yaml --config clients/python-client.yaml \
		--meta none --output-path build/clients/python/timeline_api_client --overwrite --fail-on-warning
	MYPYPATH=build/clients/python $(BIN)/mypy --strict --cache-dir build/clients/.mypy_cache \
		clients/python/roundtrip.py
	cd clients && node_modules/.bin/openapi-ts && node_modules/.bin/tsc --noEmit

## Refresh the vendored TimelineJS and its fonts from npm (the page at / serves them;
## pinned versions, see timeline/page_assets/timelinejs/README.md). Only the files
## the page uses are kept; the font CSS loses its @font-face rules, which load
## fonts from Google: timeline-page.css declares the same faces from local files.
TIMELINEJS_VERSION := 3.9.11
FONTSOURCE_VERSION := 5.3.0
TIMELINEJS_DIR := timeline/page_assets/timelinejs
vendor-timelinejs:
	rm -rf build/vendor && mkdir -p build/vendor
	cd build/vendor && npm pack --silent @knight-lab/timelinejs@$(TIMELINEJS_VERSION) \
		$(foreach font,pt-sans pt-sans-narrow pt-serif,@fontsource/$(font)@$(FONTSOURCE_VERSION))
	cd build/vendor && for tarball in *.tgz; do \
		mkdir -p "$${tarball%.tgz}" && tar -xzf "$$tarball" -C "$${tarball%.tgz}"; done
	rm -rf $(TIMELINEJS_DIR)/js $(TIMELINEJS_DIR)/css $(TIMELINEJS_DIR)/fonts
	mkdir -p $(TIMELINEJS_DIR)/js $(TIMELINEJS_DIR)/css/icons $(TIMELINEJS_DIR)/css/fonts \
		$(TIMELINEJS_DIR)/fonts
	cd build/vendor/knight-lab-timelinejs-$(TIMELINEJS_VERSION)/package && \
		cp LICENSE $(CURDIR)/$(TIMELINEJS_DIR)/LICENSE && \
		cp dist/js/timeline.js dist/js/timeline.js.LICENSE.txt $(CURDIR)/$(TIMELINEJS_DIR)/js/ && \
		cp dist/css/timeline.css $(CURDIR)/$(TIMELINEJS_DIR)/css/ && \
		cp dist/css/icons/tl-icons.ttf $(CURDIR)/$(TIMELINEJS_DIR)/css/icons/ && \
		sed '/^@font-face {/,/^}/d' dist/css/fonts/font.default.css \
			> $(CURDIR)/$(TIMELINEJS_DIR)/css/fonts/font.default.css
	cp build/vendor/fontsource-pt-sans-$(FONTSOURCE_VERSION)/package/LICENSE \
		$(TIMELINEJS_DIR)/fonts/OFL.txt
	cp build/vendor/fontsource-pt-sans-$(FONTSOURCE_VERSION)/package/files/pt-sans-latin-400-normal.woff2 \
		build/vendor/fontsource-pt-sans-narrow-$(FONTSOURCE_VERSION)/package/files/pt-sans-narrow-latin-700-normal.woff2 \
		build/vendor/fontsource-pt-serif-$(FONTSOURCE_VERSION)/package/files/pt-serif-latin-400-normal.woff2 \
		build/vendor/fontsource-pt-serif-$(FONTSOURCE_VERSION)/package/files/pt-serif-latin-400-italic.woff2 \
		$(TIMELINEJS_DIR)/fonts/

## The benchmark: SQLite and PostgreSQL (databases `bench_<size>` on 127.0.0.1:5432, when
## it answers) at each size in SIZES, against Datasette; tables on stdout and in
## bench/RESULTS.md. Uses wrk (Debian package wrk) for req/s when installed.
SIZES ?= 10000,100000,1000000
BENCH_ARGS ?=
bench: install-dev
	$(BIN)/python bench/run.py --sizes $(SIZES) $(BENCH_ARGS)

## Refresh the pinned versions after changing pyproject.toml
constraints: install-dev
	$(BIN)/pip freeze --exclude-editable | grep -v '^-e' > constraints.txt

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build
