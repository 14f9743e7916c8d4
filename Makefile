# Two commands do everything on a fresh machine: `make demo` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
export PREFECT_SERVER_ANALYTICS_ENABLED ?= false

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml scripts/system-packages.sh
	./scripts/system-packages.sh
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

# The demo inbox: the seed text dump, and the same forms as a text-layer PDF printed in 万元.
demo: $(STAMP)
	rm -rf demo && mkdir -p demo/inbox
	cp fixtures/seed/*.txt fixtures/pdf-wanyuan/*.pdf demo/inbox/
	$(VENV)/bin/selfeval run --inbox demo/inbox --warehouse demo/warehouse

test: $(STAMP) lint
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check extractors schemas storage review flows tests bench
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(PY) bench/bench_text.py
	$(PY) bench/bench_pages.py
	$(PY) bench/bench_run.py

clean:
	rm -rf demo .pytest_cache .mypy_cache .ruff_cache
