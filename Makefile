# Chamber: `make run` sets everything up and serves the seed debates; `make test` runs the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1:8000
CHROMIUM ?= /usr/bin/chromium
MANAGE := $(BIN)/python manage.py

.PHONY: run serve setup install chromium geo test test-postgres test-search lint format clean

run: setup
	$(MANAGE) runserver $(HOST)

# Production: DEBUG off unless asked, a SECRET_KEY required, migrations, static files
# collected (compressed, hashed), then gunicorn (config/gunicorn.py) on $(HOST).
serve: export DEBUG ?= 0
serve: install
	@test -n "$$SECRET_KEY" || { echo "make serve: set SECRET_KEY (see the README, Deploying)" >&2; exit 2; }
	$(MANAGE) migrate --noinput
	$(MANAGE) collectstatic --noinput --verbosity 0
	HOST=$(HOST) exec $(BIN)/gunicorn --config config/gunicorn.py config.wsgi

setup: install
	$(MANAGE) migrate --noinput
	$(MANAGE) load_members fixtures/members/commons_mps_2024-05-28.csv
	$(MANAGE) load_transcripts fixtures/seeds fixtures/transcripts/parlparse/debates2023-03-28d.xml
	$(MANAGE) rebuild_index --noinput

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

# Browser tests drive the system Chromium (never `playwright install`, which downloads one).
chromium:
	@test -x $(CHROMIUM) || { \
	  echo "Installing Chromium for the browser tests (apt-get)"; \
	  sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$sudo apt-get install -y -q chromium || { $$sudo apt-get update -q && $$sudo apt-get install -y -q chromium; }; }

# The suite under coverage; the report (lines of config/, debates/, search/ run by the tests)
# follows it.
# GeoDjango's libraries, for the search tests of Haystack's LocationField (Debian's GDAL,
# which brings GEOS).
geo:
	@ldconfig -p | grep -q libgdal || { \
	  echo "Installing GDAL for the LocationField tests (apt-get)"; \
	  sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$sudo apt-get install -y -q libgdal32 || { $$sudo apt-get update -q && $$sudo apt-get install -y -q libgdal32; }; }

test: install chromium geo
	$(BIN)/coverage run manage.py test tests --noinput --parallel 1
	$(BIN)/coverage report --sort=cover

test-postgres:
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres} $(MAKE) test

# The search tests on one engine: `make test-search SEARCH_ENGINE=tantivy` (`make test` runs
# everything on the default engine, Whoosh).
test-search: install geo
	SEARCH_ENGINE=$(SEARCH_ENGINE) $(BIN)/python manage.py test tests.search --noinput --parallel 1

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf var
