# The book's commands. The first two are the README's: `make book` and `make test`.
# Both create the project's own virtual environment (.venv) when it is missing or out of
# date, so that a fresh clone needs nothing but Python 3.11, git and make (and npm for
# `make book`).

# The Python that makes .venv; on a machine whose Python 3.11 has another name, say which:
# make book PYTHON_FOR_VENV=/path/to/python3.11
PYTHON_FOR_VENV ?= python3.11
# bash, so that a pipe fails when its first command does (pip's progress is filtered).
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
# The kernels that store outputs and the kernels of nbval hash strings alike.
export PYTHONHASHSEED := 0
VENV := .venv
PY := $(VENV)/bin/python
# Touched after a complete install; it is older than requirements.txt or pyproject.toml
# when either changed, which makes the next command reinstall.
INSTALLED := $(VENV)/.installed

.PHONY: book pdf setup lab serve test test-slow test-website test-portability lint format execute \
	bench reproduce reproduce-seeds reproduce-numpy select-settings ablation sample-settings student grade autograder lock clean help

help:
	@echo "make book     build the website into _build/html (warnings are errors)"
	@echo "make test     lint, lib's tests and doctests, nbval over every chapter, the website in Chromium"
	@echo "make pdf      build the book as a PDF into _build/pdf (STUDENT=1: without solutions)"
	@echo "make setup    only the virtual environment .venv (what every other command does first)"
	@echo "make lab      open the student version of the chapters (student/) in JupyterLab"
	@echo "make test-portability  nbval over every chapter with other instruction sets forced"
	@echo "make serve    serve the built website on http://localhost:8000"
	@echo "make test-website  only the browser tests of the website (after make book)"
	@echo "make test-slow  the grader's slower tests (isolation levels, regrading, Gradescope's run)"
	@echo "make execute  re-execute chapters and store their outputs (NB=chapters/x.ipynb for one)"
	@echo "make bench    time lib's conv2d, its gradients and pooling against torch's, as ratios, and the widgets' redraws (BENCH_ARGS=\"--only widgets\")"
	@echo "make agreement-table  every exercise's answers through check() and the grader, as a table"
	@echo "make reproduce  train LeNet-5 on 55,000 MNIST digits (5,000 held out), plain and with distortions"
	@echo "               (stored runs: 25 min on 2 shared cores; fastest epochs 7 s, so about 4 min idle)"
	@echo "make reproduce-seeds  the same two runs with seeds 1 and 2, each into its own file (twice that)"
	@echo "make reproduce-numpy  the same two runs trained by lib.numpy_nn, NumPy only (see results/lenet5_mnist_numpy.json)"
	@echo "make select-settings  check the full-scale settings on held-out training digits (results/selection/)"
	@echo "make ablation   chapter 5's one-change-at-a-time comparison on the packaged sample"
	@echo "               (stored: 39 min of training on a shared machine)"
	@echo "make sample-settings  check chapter 5's sample-run settings on its 500 held-out digits"
	@echo "make student  the student version of the chapters into student/ (NB=... for one, OUT=...)"
	@echo "make grade    grade submissions: make grade SUBMISSIONS=folder CHAPTER=1"
	@echo "make lock     pin requirements.in again into requirements.txt"
	@echo "make autograder CHAPTER=1  Gradescope's autograder zip of a chapter, in autograder/"
	@echo "make clean    remove the build and the virtual environment"

$(INSTALLED): requirements.txt pyproject.toml
	@command -v $(PYTHON_FOR_VENV) >/dev/null || test -x $(PY) || { \
	  echo "$(PYTHON_FOR_VENV) not found: install Python 3.11, or name it with"; \
	  echo "  make $(MAKECMDGOALS) PYTHON_FOR_VENV=/path/to/python3.11"; exit 2; }
	@test -x $(PY) || $(PYTHON_FOR_VENV) -m venv $(VENV)
	@echo "Setting up .venv: about 2 GB of pinned packages, a few minutes the first time."
	$(PY) -m pip install --quiet --disable-pip-version-check pip==26.3
	$(PY) -m pip install --disable-pip-version-check -r requirements.txt \
	  | { grep -E --line-buffered '^(Collecting|Installing collected)' || true; }
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $@

# Only the virtual environment, with everything the other commands need.
setup: $(INSTALLED)

# The student version of every chapter that student/ lacks, then JupyterLab on student/.
lab: $(INSTALLED)
	$(PY) tools/lab.py

# MathJax, RequireJS and the widget manager that the site serves itself (and axe-core for
# the browser tests): pinned npm packages, sha512-checked, unpacked into _build/vendor.
WEB_ASSETS := _build/vendor/complete.json

$(WEB_ASSETS): tools/web_assets.py | $(INSTALLED)
	$(PY) tools/web_assets.py

book: $(INSTALLED) $(WEB_ASSETS)
	$(VENV)/bin/jupyter-book build . --all --warningiserror --nitpick --keep-going --quiet
	@echo "The website is in _build/html; open _build/html/index.html or serve it with:"
	@echo "  make serve   (then visit http://localhost:8000)"

# The book as a PDF with XeLaTeX (Debian's TeX Live; see the README), from the same stored
# outputs: _build/pdf/convolution-book.pdf, or with STUDENT=1 convolution-book-student.pdf.
pdf: $(INSTALLED)
	$(PY) tools/pdf_build.py $(if $(filter 1,$(STUDENT)),--student)

serve:
	@test -f _build/html/index.html || { echo "no website yet: run make book first"; exit 2; }
	$(PY) -m http.server --directory _build/html 8000

# The website in headless Chromium (Debian's), offline; skipped, saying why, without it.
test-website: $(INSTALLED)
	$(PY) -m pytest tests/test_website.py

lint: $(INSTALLED)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(INSTALLED)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Two workers (pytest-xdist), one per core. --dist loadfile keeps each file on one worker:
# a notebook's cells must run in order in one kernel. (xdist_group marks would share out
# finer, but xdist 3.8 cannot rename pytest 9's node ids, so they group nothing.)
test: lint
	$(PY) -m pytest -n 2 --dist loadfile

# nbval over every chapter again, with the instruction sets of torch, oneDNN, MKL and
# OpenBLAS forced to other levels (tools/portability.py); each run must pass.
test-portability: $(INSTALLED)
	$(PY) tools/portability.py

# The grader's slower tests, which `make test` leaves out (marked slow); CI runs both.
test-slow: $(INSTALLED)
	$(PY) -m pytest -m slow tests/test_grader.py tests/test_autograder.py

execute: $(INSTALLED)
	$(PY) tools/execute_notebooks.py $(NB)

bench: $(INSTALLED)
	$(PY) tools/bench.py $(BENCH_ARGS)

# Issue 19's table: each exercise's answers (tests/agreement_answers.py), what check() and
# the grader say of each, and the counts; also written to _build/agreement-table.md.
.PHONY: agreement-table
agreement-table: $(INSTALLED)
	$(PY) tools/agreement_table.py --out _build/agreement-table.md

# The full-scale LeNet-5 result that chapter 5 shows: writes results/lenet5_mnist.json.
# Reads MNIST from $$CONVBOOK_DATA (or downloads it into ~/.cache/convbook, checksummed).
reproduce: $(INSTALLED)
	$(PY) -m lib.reproduce
	$(PY) -m lib.reproduce --distortions

# The same two runs with the NumPy engine (lib.numpy_nn, no torch in the training loop):
# writes results/lenet5_mnist_numpy.json, which chapter 6 shows.
reproduce-numpy: $(INSTALLED)
	$(PY) -m lib.reproduce --engine numpy
	$(PY) -m lib.reproduce --engine numpy --distortions

# The seeds of lib.reproduce.EXTRA_SEEDS; each writes results/lenet5_mnist_seedN.json.
reproduce-seeds: $(INSTALLED)
	for seed in 1 2; do \
	  $(PY) -m lib.reproduce --seed $$seed && \
	  $(PY) -m lib.reproduce --distortions --seed $$seed || exit 1; \
	done

# The full-scale runs' settings checked one change at a time on the 5,000 held-out
# training digits, never the test digits (lib.settings_selection): writes
# results/selection/*.json, skips candidates already run, then prints the verdicts.
select-settings: $(INSTALLED)
	$(PY) -m lib.settings_selection

# Chapter 5's one-change-at-a-time comparison of LeNet5 and LeNet5Modern on the packaged
# sample, judged on held-out digits: writes results/lenet5_ablation.json.
ablation: $(INSTALLED)
	$(PY) -m lib.ablation

# Chapter 5's sample-run settings checked on its 500 held-out digits (lib.sample_selection):
# writes results/sample_settings.json.
sample-settings: $(INSTALLED)
	$(PY) -m lib.sample_selection

clean:
	rm -rf _build $(VENV)

# The student version of the chapters (NB=chapters/01_convolution.ipynb for one) into student/
# (or OUT=folder). A notebook already there that differs (a student's answers) is kept.
student: $(INSTALLED)
	$(PY) tools/student_version.py $(NB) $(if $(OUT),--out "$(OUT)")

# requirements.txt again from requirements.in, resolved in a new, empty environment. pip
# takes the CPU build of torch from this machine's wheel folder where it has one (see README);
# its local label (+cpu) is dropped, so that the pin also matches PyPI's build elsewhere.
lock:
	rm -rf _build/lock && $(PYTHON_FOR_VENV) -m venv _build/lock
	_build/lock/bin/python -m pip install --quiet --disable-pip-version-check pip==26.3
	_build/lock/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.in
	{ sed -n '1,3p' requirements.txt; _build/lock/bin/python -m pip freeze --all \
	  | grep -v -E '^(pip|convolution-book)( |=|@)' | sed -E 's/^(torch==[^+]+)\+cpu$$/\1/'; \
	} > requirements.txt.new
	mv requirements.txt.new requirements.txt
	rm -rf _build/lock

# Grade a folder of submissions: make grade SUBMISSIONS=folder CHAPTER=1 [OUT=folder]
grade: $(INSTALLED)
	@test -n "$(SUBMISSIONS)" -a -n "$(CHAPTER)" || \
		{ echo "usage: make grade SUBMISSIONS=folder CHAPTER=1 [OUT=folder]"; exit 2; }
	$(PY) tools/grade.py "$(SUBMISSIONS)" --chapter $(CHAPTER) $(if $(OUT),--out "$(OUT)") \
		$(if $(UNSANDBOXED),--unsandboxed)

# Gradescope's autograder for a chapter: autograder/chapterN.zip (see tools/gradescope.py).
autograder: $(INSTALLED)
	@test -n "$(CHAPTER)" || { echo "usage: make autograder CHAPTER=1"; exit 2; }
	$(PY) tools/gradescope.py build --chapter $(CHAPTER)
