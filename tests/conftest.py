"""Shared fixtures: a temporary data folder and an opened store per test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "resources" / "examples"


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test touches the real user folders: data, logs and settings go to temp dirs."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.delenv("JOURNEY_DESKTOP_DATA_DIR", raising=False)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def store(data_dir: Path) -> Iterator[Path]:
    from journey_desktop.store import close_store, open_store

    open_store(data_dir)
    yield data_dir
    close_store()


@pytest.fixture
def repo(store: Path):  # type: ignore[no-untyped-def]
    from journey_desktop.store.repository import JourneyRepository

    return JourneyRepository()


def example_path(name: str) -> Path:
    return EXAMPLES / f"{name}.json"


def load_example(name: str):  # type: ignore[no-untyped-def]
    from journey_desktop.domain.journey import Journey

    return Journey.from_json(example_path(name).read_text(encoding="utf-8"))
