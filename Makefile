# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test bench package guide clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $(STAMP)

$(TEST_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e '.[test,package]'
	touch $(TEST_STAMP)

run: $(STAMP)
	$(PY) -m journey_desktop

test: $(TEST_STAMP)
	$(PY) -m ruff check journey_desktop tests bench
	$(PY) -m mypy journey_desktop
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -p no:cacheprovider -n auto

bench: $(TEST_STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) bench/run_all.py

# The built-in user guide is the README's user sections (a test checks the copy is current).
guide: $(STAMP)
	$(PY) -c "from pathlib import Path; from journey_desktop.ui.guide import user_guide; \
	Path('resources/guide/guide.md').write_text(user_guide(Path('README.md').read_text()))"

package: $(STAMP) guide
	$(PY) -m pip install --quiet -e '.[package]'
	$(PY) -m PyInstaller --noconfirm --clean build.spec

clean:
	rm -rf build dist
