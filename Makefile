# Meeting Archive: `make run` serves the archive, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FLASK := $(BIN)/flask --app wsgi
export ARCHIVE_DATA_DIR ?= $(CURDIR)/instance

# SECRET_KEY from the environment, else the one kept in the data directory
WITH_KEY = SECRET_KEY="$${SECRET_KEY:-$$(cat $(ARCHIVE_DATA_DIR)/secret_key)}"

.PHONY: run test lint format bench system-deps venv clean browser-deps translations translations-update

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

# Fonts for the generated six-language PDFs (demo and tests): DejaVu Sans covers Latin,
# Cyrillic and Arabic; WenQuanYi Micro Hei covers Chinese.
system-deps:
	@if ! fc-list 2>/dev/null | grep -qi 'DejaVu Sans' || ! fc-list 2>/dev/null | grep -qi 'WenQuanYi'; then \
		echo "Installing fonts (fonts-dejavu-core, fonts-wqy-microhei)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			fonts-dejavu-core fonts-wqy-microhei fontconfig >/dev/null; \
	fi

# The real-browser tests (tests/browser): Debian's Chromium (Playwright drives it; no browser
# download) and axe-core, pinned in package.json / package-lock.json.
browser-deps:
	@if ! command -v chromium >/dev/null 2>&1; then \
		echo "Installing chromium"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi
	@if ! command -v npm >/dev/null 2>&1; then \
		echo "Installing npm"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; \
	fi
	@test -f node_modules/axe-core/axe.min.js || npm ci --no-audit --no-fund

run: $(STAMP) system-deps translations
	@mkdir -p $(ARCHIVE_DATA_DIR)
	@test -f $(ARCHIVE_DATA_DIR)/secret_key || $(BIN)/python -c "import secrets; print(secrets.token_hex(32))" > $(ARCHIVE_DATA_DIR)/secret_key
	$(WITH_KEY) $(FLASK) db upgrade
	$(WITH_KEY) $(FLASK) setup
	$(WITH_KEY) $(FLASK) run --host 127.0.0.1 --port $${PORT:-5000}

# the interface's message catalogues: compile the .po files (the .mo files are not committed)
translations: $(STAMP)
	$(BIN)/pybabel -q compile -d archive/translations

# after changing marked strings: extract them again and merge them into each language's .po
translations-update: $(STAMP)
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k N_ --no-location --sort-output -o archive/translations/messages.pot .
	$(BIN)/pybabel update -i archive/translations/messages.pot -d archive/translations --no-fuzzy-matching

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: $(STAMP) system-deps browser-deps translations lint
	$(BIN)/python -m pytest
	@# the browser tests serve from SQLite in both passes, so the PostgreSQL pass leaves them out,
	@# and the tests of indexer/ and storage/ (which never open a database) too
	$(BIN)/python tests/postgres_server.py -- $(BIN)/python -m pytest -p no:cacheprovider -m "not browser" \
		--ignore=tests/indexer --ignore=tests/storage

bench: $(STAMP) system-deps
	$(BIN)/python benchmarks/search.py --docs 2000 --runs 2
	$(BIN)/python benchmarks/ingest.py --docs 100
	$(BIN)/python benchmarks/http.py --search-docs 60 --zip-mb 100 --upload-mb 50 --runs 2

clean:
	rm -rf $(VENV) .pytest_cache
