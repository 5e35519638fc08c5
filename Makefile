# Chamber: `make run` sets everything up and serves the seed debates; `make test` runs the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1:8000
CHROMIUM ?= /usr/bin/chromium
MANAGE := $(BIN)/python manage.py
# `make shards`: Xapian shard servers on this machine (README, "Scaling out").
SHARDS ?= 2
SHARDS_PORT ?= 33401
SHARDS_FOLDER ?= var/shards

.PHONY: run serve setup install chromium geo xapian test test-postgres test-search shards stop-shards lint format clean

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

# Xapian's servers (xapian-tcpsrv, xapian-replicate) from Debian's xapian-tools; the Python
# bindings come from the PyPI wheel in the venv (README, "Scaling out").
xapian:
	@command -v xapian-tcpsrv >/dev/null || { \
	  echo "Installing Xapian's servers for the sharded search (apt-get)"; \
	  sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$sudo apt-get install -y -q xapian-tools || { $$sudo apt-get update -q && $$sudo apt-get install -y -q xapian-tools; }; }

test: install chromium geo xapian
	$(BIN)/coverage run manage.py test tests --noinput --parallel 1
	$(BIN)/coverage report --sort=cover

test-postgres:
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres} $(MAKE) test

# The search tests on one engine: `make test-search SEARCH_ENGINE=tantivy` (`make test` runs
# everything on the default engine, Whoosh).
# `make test-search SEARCH_ENGINE=xapian XAPIAN_SHARDS=127.0.0.1:33401,127.0.0.1:33402` runs them
# on Xapian shards started by `make shards`.
test-search: install geo xapian
	SEARCH_ENGINE=$(SEARCH_ENGINE) $(BIN)/python manage.py test tests.search --noinput --parallel 1

# Start $(SHARDS) Xapian shard servers on ports $(SHARDS_PORT) and up, their databases in
# $(SHARDS_FOLDER)/shard-N (harmless if they run already); it prints the XAPIAN_SHARDS to set.
shards: install xapian
	$(MANAGE) xapian_shards start --count $(SHARDS) --base-port $(SHARDS_PORT) --folder $(SHARDS_FOLDER)

stop-shards: install
	$(MANAGE) xapian_shards stop --count $(SHARDS) --base-port $(SHARDS_PORT) --folder $(SHARDS_FOLDER)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf var
