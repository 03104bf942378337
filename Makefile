# The two commands of the README are `make book` and `make test`.
PYTHON ?= python
PROFILE ?= smoke
export MPLBACKEND ?= Agg

.PHONY: help install book notebooks execute html test lint unit slow experiment-smoke chapters book-check publish-notebooks clean

help:
	@echo "make install   install torch/torchvision (CPU-capable wheels) and serlib[book,dev]"
	@echo "make book      execute every chapter once (PROFILE=$(PROFILE)) and build _build/html"
	@echo "make test      lint + unit tests + smoke experiment + chapters (executed once) + book build + checks"
	@echo "make unit      unit tests only (fast)"
	@echo "make notebooks generate the Colab/download notebooks in _build/notebooks"

install:
	$(PYTHON) -m pip install torch==2.14.1 torchvision==0.29.1
	$(PYTHON) -m pip install -e ".[book,dev]"

# --- the book -------------------------------------------------------------------------------
book:
	$(PYTHON) tools/build_book.py all --profile $(PROFILE)

notebooks:
	$(PYTHON) tools/build_book.py notebooks

execute:
	$(PYTHON) tools/build_book.py execute --profile $(PROFILE)

html:
	$(PYTHON) tools/build_book.py html

# --- tests (what CI runs) -------------------------------------------------------------------
test: lint unit slow experiment-smoke chapters html book-check

lint:
	$(PYTHON) -m ruff check .

unit:
	$(PYTHON) -m pytest -q

# tests that train a model for about a minute (e.g. the synthetic corpus' cross-lingual gap)
slow:
	$(PYTHON) -m pytest -q -m slow

# the experiment runner end to end: every method on the synthetic corpus (about 30 s)
experiment-smoke:
	$(PYTHON) -m serlib experiment run configs/smoke.yaml --profile smoke --no-progress

# executes every chapter exactly once (the same code path as `make book`); `make html`
# afterwards reuses the executed notebooks
chapters:
	PROFILE=$(PROFILE) $(PYTHON) -m pytest -q -m chapters tests/test_chapters.py

book-check:
	$(PYTHON) -m pytest -q -m book tests/test_book_output.py

# --- publishing -----------------------------------------------------------------------------
# Commits the generated notebooks to the `notebooks` branch (which the Colab buttons open);
# push that branch yourself. Sources stay on main; nothing generated is committed there.
publish-notebooks: notebooks
	tools/publish_notebooks.sh

clean:
	rm -rf _build
