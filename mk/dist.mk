# `make dist`: the wheel of every distribution in packages/ (each packages/<name>/pyproject.toml)
# into dist/ (git-ignored), built with `uv build` in an isolated build environment. These are
# the wheels a datakit made from template/ installs when it does not use a package index.
# Every package is attempted; the target fails at the end naming the ones that did not build.
.PHONY: dist

DIST_DIR ?= dist
DIST_PACKAGES = $(patsubst %/pyproject.toml,%,$(wildcard packages/*/pyproject.toml))

dist: ## Build the wheel of every packages/*/ into dist/ (uv build --wheel)
	@command -v $(UV) >/dev/null || { echo "uv is not installed: pip install uv (or see https://docs.astral.sh/uv/)"; exit 1; }
	@test -n "$(DIST_PACKAGES)" || { echo "make dist: no packages/*/pyproject.toml found"; exit 1; }
	@failed=""; for pkg in $(DIST_PACKAGES); do \
	    echo "make dist: building $$pkg"; \
	    $(UV) build --quiet --wheel --out-dir $(DIST_DIR) $$pkg || failed="$$failed $$pkg"; \
	done; \
	ls -1 $(DIST_DIR)/*.whl 2>/dev/null; \
	if [ -n "$$failed" ]; then echo "make dist: FAILED to build:$$failed (the uv build error above says why)"; exit 1; fi
