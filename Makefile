# Stocks Manager: the two commands that set everything up are `make run` and `make test`.
VENV    ?= .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
FUNCTION ?= fetch
PORT    ?= 8080
IMAGE   ?= stocks-manager

.PHONY: install browser run test test-fast mutate lint format serve bench tick deploy clean calendars

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	@touch $(STAMP)

install: $(STAMP) ## virtual environment, Python packages and influxd: all that make run needs
	@command -v influxd >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq influxdb; \
	  else echo "influxd is missing: run 'sudo apt-get install -y influxdb' (Debian/Ubuntu), then 'make run' again."; exit 1; fi; }

browser: ## chromium and its driver, for the page's browser tests
	@{ command -v chromium >/dev/null && command -v chromedriver >/dev/null; } || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; \
	  else echo "chromium is missing (the page's browser tests need it): run 'sudo apt-get install -y chromium chromium-driver'."; exit 1; fi; }

run: install ## the whole local stack in the foreground (Ctrl-C stops it)
	$(PY) -m devstack.run

test: install browser lint ## the whole suite against real parts
	$(PY) -m pytest -n 2 --dist loadfile

test-fast: $(STAMP) ## the in-process unit tests only (seconds)
	$(PY) -m pytest tests/unit -q

mutate: $(STAMP) ## mutation testing of shared/ and functions/ on the fast tests (long; not in test)
	nice $(PY) -m tests.support.mutate $(MUTANTS)

lint: $(STAMP) ## ruff and mypy
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

format: $(STAMP)
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

serve: install ## one function on one port: make serve FUNCTION=fetch PORT=8081
	STOCKS_FUNCTION=$(FUNCTION) PORT=$(PORT) $(PY) -m shared.runtime.server

bench: install browser ## benchmarks, side by side; writes docs/benchmarks.md
	$(PY) -m bench

calendars: $(STAMP) ## rebuild shared/market/calendar_sessions.json from exchange_calendars
	$(PY) -m shared.market.calendar_build

tick: $(STAMP) ## fire the PingSource of a running `make run` now
	$(PY) -m devstack.mesh fire

deploy: ## build (and push) the image with func, then apply knative/ with that image
	@command -v func >/dev/null || { echo "func (the Knative Functions CLI) is missing: install it from https://knative.dev/docs/functions/install-func/, then 'make deploy' again."; exit 1; }
	@command -v kubectl >/dev/null || { echo "kubectl is missing: install it from https://kubernetes.io/docs/tasks/tools/, then 'make deploy' again."; exit 1; }
	func build --image $(IMAGE) $(if $(filter-out stocks-manager,$(IMAGE)),--push)
	kubectl kustomize knative/ | sed 's#image: stocks-manager:latest#image: $(IMAGE)#' | kubectl apply -f -

clean:
	rm -rf .stocks
