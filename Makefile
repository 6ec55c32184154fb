# Two commands do all the set-up on a fresh machine: `make sandbox` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-dev

.PHONY: sandbox test run check-config bench lint clean browser postgres

$(STAMP): requirements.txt requirements-dev.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

# Try Gatehouse locally: emulated AWS, a Slack-like page, nothing to configure.
sandbox: $(STAMP)
	$(PY) bot.py sandbox

# Lint, then every test (unit, integration on moto, end to end over HTTP, browser).
test: $(STAMP) browser postgres
	$(PY) -m ruff check .
	$(PY) -m pytest

# The headless browser the sandbox test drives (Debian's chromium; needs root for apt).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else echo "chromium is missing: install it (apt-get install chromium) for the browser test"; fi; }

# PostgreSQL for the storage contract and replica tests (Debian's package; needs root for
# apt). The tests start their own throw-away cluster with initdb and pg_ctl.
postgres:
	@command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; \
	  else echo "PostgreSQL is missing: install it (apt-get install postgresql) for its tests"; fi; }

# Production: only the runtime requirements.
run:
	python3 -m venv $(VENV)-prod && $(VENV)-prod/bin/pip install --quiet -r requirements.txt
	$(VENV)-prod/bin/python bot.py

check-config: $(STAMP)
	$(PY) bot.py check-config

bench: $(STAMP)
	$(PY) -m bench

lint: $(STAMP)
	$(PY) -m ruff check .

clean:
	rm -rf $(VENV) $(VENV)-prod .sandbox test-artifacts
