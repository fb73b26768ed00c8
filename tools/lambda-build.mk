# What `sam build` runs for the layer and every function (Metadata BuildMethod: makefile): the code
# plus its bytecode, compiled once here for the Lambda runtime. Lambda's /opt and /var/task are
# read-only, so without shipped .pyc every cold start compiles every imported module in memory.
#
# Included by layers/shared/Makefile and functions/<contract>/Makefile. sam runs
# `make --makefile <that Makefile> build-<LogicalId>` in a copy of the CodeUri folder with
# ARTIFACTS_DIR set; `make bench` runs the same targets with PLATFORM set to this machine's.

ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))..)

# The runtime and architecture come from template.yaml's Globals, so the two cannot drift apart.
RUNTIME_PYTHON ?= $(shell sed -n 's/^ *Runtime: *python\([0-9.]*\) *$$/\1/p' $(ROOT)/template.yaml | head -n 1)
ARCHITECTURE ?= $(shell sed -n 's/^ *Architectures: *\[ *\([a-z0-9_]*\) *\] *$$/\1/p' $(ROOT)/template.yaml | head -n 1)
PLATFORM ?= $(if $(filter arm64,$(ARCHITECTURE)),manylinux2014_aarch64,manylinux2014_x86_64)
PYTHON ?= $(or $(shell command -v python$(RUNTIME_PYTHON) 2>/dev/null),python3)

# unchecked-hash: the interpreter loads the .pyc without looking at the .py's timestamp (a zip's
# timestamps are not the build's) and never tries to rewrite it on the read-only filesystem.
COMPILE = $(PYTHON) -m compileall -q -f -j 0 --invalidation-mode unchecked-hash

# The .pyc only serve an interpreter of the same minor version (the magic number in their header):
# compiled by anything else, Lambda would ignore them and compile again at every cold start.
define check-python
	@test -n "$(RUNTIME_PYTHON)" || { echo "no 'Runtime: pythonX.Y' found in $(ROOT)/template.yaml" >&2; exit 1; }
	@$(PYTHON) -c 'import sys; want = "$(RUNTIME_PYTHON)"; have = "%d.%d" % sys.version_info[:2]; sys.exit(0 if have == want else f"\n*** the .pyc must be compiled by Python {want} (the Lambda runtime in template.yaml), but $(PYTHON) is {have} ({sys.executable}).\n*** Install Python {want} or run with PYTHON=/path/to/python{want}.\n")' \
	  || { echo "*** $(PYTHON) is missing or the wrong version: see above" >&2; exit 1; }
endef

# A function: everything in its folder but the Makefile, compiled.
build-%Function:
	$(check-python)
	cp -R $(filter-out Makefile __pycache__,$(wildcard *)) "$(ARTIFACTS_DIR)/"
	find "$(ARTIFACTS_DIR)" -name __pycache__ -prune -exec rm -rf {} +
	$(COMPILE) "$(ARTIFACTS_DIR)"

# A layer: pinned wheels for the Lambda platform (pydantic-core and wrapt are compiled code), the
# package(s) of this folder, all of it compiled.
define build-python-layer
	$(check-python)
	rm -rf "$(ARTIFACTS_DIR)/python"
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --no-compile --target "$(ARTIFACTS_DIR)/python" \
	  --platform $(PLATFORM) --only-binary=:all: --python-version $(RUNTIME_PYTHON) --implementation cp \
	  -r requirements.txt
	rm -rf "$(ARTIFACTS_DIR)/python/bin"
	cp -R $(1) "$(ARTIFACTS_DIR)/python/"
	find "$(ARTIFACTS_DIR)/python" -name __pycache__ -prune -exec rm -rf {} +
	$(COMPILE) "$(ARTIFACTS_DIR)/python"
endef
