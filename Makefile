# Meeting Archive: `make run` serves the archive, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FLASK := $(BIN)/flask --app wsgi
export ARCHIVE_DATA_DIR ?= $(CURDIR)/instance

# SECRET_KEY from the environment, else the one kept in the data directory
WITH_KEY = SECRET_KEY="$${SECRET_KEY:-$$(cat $(ARCHIVE_DATA_DIR)/secret_key)}"

.PHONY: run test lint format bench system-deps venv clean

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

run: $(STAMP) system-deps
	@mkdir -p $(ARCHIVE_DATA_DIR)
	@test -f $(ARCHIVE_DATA_DIR)/secret_key || $(BIN)/python -c "import secrets; print(secrets.token_hex(32))" > $(ARCHIVE_DATA_DIR)/secret_key
	$(WITH_KEY) $(FLASK) db upgrade
	$(WITH_KEY) $(FLASK) setup
	$(WITH_KEY) $(FLASK) run --host 127.0.0.1 --port $${PORT:-5000}

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: $(STAMP) system-deps lint
	$(BIN)/python -m pytest

bench: $(STAMP) system-deps
	$(BIN)/python benchmarks/search.py --docs 2000
	$(BIN)/python benchmarks/ingest.py --docs 100

clean:
	rm -rf $(VENV) .pytest_cache
