# LedgerHub: `make demo` runs the main job on the embedded default; `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PLUGINS := plugins/csv_export plugins/qbo plugins/qbo_sandbox plugins/accounting_link
STAMP := $(VENV)/.installed

.PHONY: install demo test lint browser clean

$(STAMP): setup.cfg pyproject.toml $(wildcard plugins/*/setup.cfg)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]' $(foreach p,$(PLUGINS),-e $(p))
	touch $(STAMP)

install: $(STAMP)

## Debian's Chromium for the browser tests (no browser download: Playwright drives /usr/bin/chromium).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

demo: install
	$(VENV)/bin/ledgerhub demo

lint: install
	$(VENV)/bin/ruff check hub plugins tests bench

test: install browser
	$(VENV)/bin/ruff check hub plugins tests bench
	$(PY) -m pytest -n 2 --dist loadgroup
	LEDGERHUB_TEST_DATABASE_URL=postgresql+psycopg://127.0.0.1/test $(PY) -m pytest -n 2 --dist loadgroup

clean:
	rm -rf $(VENV) instance demo-output test-artifacts
