"""Every dialog that asks or tells the user something goes through here, so that tests
replace these functions instead of clicking native dialogs."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QCheckBox, QFileDialog, QInputDialog, QLineEdit, QMessageBox, QWidget


def ask_open_file(parent: QWidget | None, title: str, directory: str,
                  name_filter: str) -> str | None:
    path, _ = QFileDialog.getOpenFileName(parent, title, directory, name_filter)
    return path or None


def ask_save_file(parent: QWidget | None, title: str, directory: str,
                  name_filter: str) -> str | None:
    path, _ = QFileDialog.getSaveFileName(parent, title, directory, name_filter)
    return path or None


def ask_save_file_as(parent: QWidget | None, title: str, directory: str,
                     name_filters: Sequence[str], selected: str = "") -> tuple[str, str] | None:
    """A file to write and the filter picked with it, for files that can be written in
    several forms (the filter names the form)."""
    path, chosen = QFileDialog.getSaveFileName(parent, title, directory,
                                               ";;".join(name_filters), selected)
    return (path, chosen or selected) if path else None


def confirm(parent: QWidget | None, title: str, text: str, *, action: str = "OK",
            destructive: bool = False) -> bool:
    """Ask a yes/no question; the default button is the safe one."""
    box = QMessageBox(QMessageBox.Icon.Warning if destructive else QMessageBox.Icon.Question,
                      title, text, parent=parent)
    accept = box.addButton(action, QMessageBox.ButtonRole.AcceptRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel)
    box.exec()
    return box.clickedButton() is accept


def ask_password(parent: QWidget | None, title: str, label: str) -> str | None:
    """A password, typed hidden; None when cancelled."""
    text, ok = QInputDialog.getText(parent, title, label, QLineEdit.EchoMode.Password)
    return text if ok else None


def inform(parent: QWidget | None, title: str, text: str) -> None:
    QMessageBox.information(parent, title, text)


def show_error(parent: QWidget | None, title: str, text: str) -> None:
    QMessageBox.warning(parent, title, text)


def confirm_with_option(parent: QWidget | None, title: str, text: str, option: str, *,
                        action: str = "OK", checked: bool = False) -> tuple[bool, bool]:
    """Ask a yes/no question with one checkbox; returns (accepted, checkbox ticked)."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=parent)
    checkbox = QCheckBox(option)
    checkbox.setChecked(checked)
    box.setCheckBox(checkbox)
    accept = box.addButton(action, QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(accept)
    box.exec()
    return box.clickedButton() is accept, checkbox.isChecked()


def about(parent: QWidget | None, title: str, text: str) -> None:
    QMessageBox.about(parent, title, text)


def ask_save_changes(parent: QWidget | None, title: str, text: str) -> str:
    """Save, discard or cancel before closing; returns "save", "discard" or "cancel"."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, parent=parent)
    box.setStandardButtons(
        QMessageBox.StandardButton.Save
        | QMessageBox.StandardButton.Discard
        | QMessageBox.StandardButton.Cancel
    )
    box.setDefaultButton(QMessageBox.StandardButton.Save)
    box.exec()
    answer = box.standardButton(box.clickedButton())
    if answer == QMessageBox.StandardButton.Save:
        return "save"
    if answer == QMessageBox.StandardButton.Discard:
        return "discard"
    return "cancel"


CONFLICT_RELOAD = "reload"
CONFLICT_COPY = "copy"
CONFLICT_CANCEL = "cancel"


def conflict_box(parent: QWidget | None, title: str, text: str) -> QMessageBox:
    """The save conflict's question (SPEC §14): Reload, Save as copy or Cancel."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, parent=parent)
    box.setObjectName("conflict_dialog")
    box.setInformativeText(
        "Reload discards your unsaved changes and shows theirs. Save as copy keeps both: "
        "yours become a new draft, and this window shows theirs.")
    reload_button = box.addButton("Reload", QMessageBox.ButtonRole.DestructiveRole)
    reload_button.setObjectName("conflict_reload_button")
    copy_button = box.addButton("Save as copy", QMessageBox.ButtonRole.AcceptRole)
    copy_button.setObjectName("conflict_copy_button")
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(copy_button)
    return box


def ask_conflict(parent: QWidget | None, title: str, text: str) -> str:
    """Someone saved the journey first: "reload", "copy" or "cancel"."""
    box = conflict_box(parent, title, text)
    box.exec()
    name = box.clickedButton().objectName() if box.clickedButton() is not None else ""
    return {"conflict_reload_button": CONFLICT_RELOAD,
            "conflict_copy_button": CONFLICT_COPY}.get(name, CONFLICT_CANCEL)
