"""A combo box bound to one value of what a panel edits (a node, or the journey's rules)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtWidgets import QComboBox

Target = TypeVar("Target")


def bound_combo(
    name: str,
    items: list[tuple[str, Any]],
    get: Callable[[Target], Any],
    put: Callable[[Target, Any], None],
    text: str,
    edit: Callable[[Callable[[Target], None], str], None],
    refreshers: list[Callable[[Target], None]],
) -> QComboBox:
    """A combo of ``(label, data)`` items: picking one edits through ``edit`` (one undo step
    named ``text``); the refresher added to ``refreshers`` shows the value ``get`` reads."""
    combo = QComboBox()
    combo.setObjectName(name)
    for label, data in items:
        combo.addItem(label, data)

    def changed(_index: int) -> None:
        value = combo.currentData()
        edit(lambda target: put(target, value), text)

    combo.currentIndexChanged.connect(changed)

    def refresh(target: Target) -> None:
        index = combo.findData(get(target))
        if index >= 0 and index != combo.currentIndex():
            combo.setCurrentIndex(index)

    refreshers.append(refresh)
    return combo
