"""Journey files from the window: open one (or an example) as a new draft, export one.
Reading and writing are the domain's, shared with the command line."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QMenu, QWidget

from journey_desktop.domain.journey import JourneyFileError
from journey_desktop.domain.journey_file import (
    file_stem,
    read_journey_file,
    with_suffix,
    write_journey_file,
)
from journey_desktop.paths import resource_path
from journey_desktop.store.output_path import DatabaseOutputError, check_output_path
from journey_desktop.store.repository import RepositoryError
from journey_desktop.ui import prompts
from journey_desktop.ui.main.base import MainWindowBase

OPEN_TITLE = "Open journey file"
EXPORT_TITLE = "Export journey file"
FILE_FILTER = "Journey files (*.json)"


def example_title(path: Path) -> str:
    """An example's journey name, for the menu (its file name if it cannot be read)."""
    try:
        name = json.loads(path.read_text(encoding="utf-8")).get("name")
    except (OSError, ValueError, AttributeError):
        name = None
    return str(name) if name else path.stem.replace("-", " ").capitalize()


class FileActionsMixin(MainWindowBase):
    """Open journey file, the examples, Export journey file."""

    def create_example_menu(self, parent: QWidget) -> QMenu:
        menu = QMenu("Open &example", parent)
        menu.setObjectName("example_menu")
        for path in sorted(resource_path("examples").glob("*.json")):
            action = menu.addAction(example_title(path))
            action.setObjectName(f"example_{path.stem}")
            action.setData(str(path))
            action.triggered.connect(partial(self._on_example_chosen, str(path)))
        return menu

    @Slot()
    def _on_open_file_triggered(self) -> None:
        path = prompts.ask_open_file(self, OPEN_TITLE, str(Path.home()),
                                     f"{FILE_FILTER};;All files (*)")
        if path:
            self.create_from_file(Path(path))

    @Slot(str)
    def _on_example_chosen(self, path: str) -> None:
        self.create_from_file(Path(path))

    def create_from_file(self, path: Path) -> int | None:
        """A new draft from a journey file; problems are shown in words. Returns its id."""
        try:
            journey = read_journey_file(path)
            journey_id = self.repository.create(journey)
        except (JourneyFileError, RepositoryError) as exc:
            self.show_refusal(OPEN_TITLE, exc)
            return None
        self.reveal(journey_id)
        self.say(f"Created the draft “{journey.name.strip()}” from {path.name}.")
        return journey_id

    @Slot()
    def _on_export_file_triggered(self) -> None:
        summary = self.selected_journey()
        if summary is None:
            return
        with self.refusals(EXPORT_TITLE):
            stored = self.repository.get(summary.id)
            suggested = Path.home() / with_suffix(file_stem(stored.journey.name))
            path = prompts.ask_save_file(self, EXPORT_TITLE, str(suggested), FILE_FILTER)
            if not path:
                return
            target = with_suffix(path)
            try:
                check_output_path(target)
                write_journey_file(target, stored.journey)
            except DatabaseOutputError as exc:
                self.show_refusal(EXPORT_TITLE, f"Nothing was written: {exc}")
                return
            except JourneyFileError as exc:
                self.show_refusal(EXPORT_TITLE, exc)
                return
            self.say(f"Exported “{summary.name}” to {target}.")
