"""A message's preview for one customer, rendered as the evaluator will render it.

The customer's profile is read in a job (never on the GUI thread); the message is rendered
with ``engine.render_message``, the reference the evaluator's SQL is tested against, so the
preview shows what the outbox will hold: placeholders, defaults and built-ins included.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from journey_desktop.domain.engine import RunContext, render_message
from journey_desktop.domain.journey import Node
from journey_desktop.store.customers import CustomerBase
from journey_desktop.ui.common.colours import MUTED_COLOR
from journey_desktop.ui.common.jobs import run_job


@dataclass(frozen=True)
class PreviewCustomer:
    """What a preview needs of one customer: their fields and their next entry's number."""

    external_id: str
    fields: dict[str, Any]
    entry_number: int


def load_customer(_control: object, journey_id: int | None,
                  external_id: str) -> PreviewCustomer | None:
    """The customer named (a random member for ""), or None when there is no such one."""
    base = CustomerBase()
    if not external_id:
        if journey_id is None:
            return None
        external_id = base.random_member(journey_id) or ""
    profile = base.profile(external_id) if external_id else None
    if profile is None:
        return None
    entries = base.entries(journey_id, external_id) if journey_id is not None else 0
    return PreviewCustomer(profile.external_id, profile.fields, entries + 1)


class MessagePreview(QFrame):
    """"Preview for" a customer ID or a random member, and the rendered message."""

    def __init__(self, journey_id: int | None, node: Callable[[], Node | None],
                 journey_name: Callable[[], str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("message_preview_box")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._journey_id = journey_id
        self._node = node
        self._journey_name = journey_name
        self._customer: PreviewCustomer | None = None
        self.id_edit = QLineEdit()
        self.id_edit.setObjectName("preview_customer_edit")
        self.id_edit.setPlaceholderText("customer ID")
        self.random_button = QPushButton("Random member")
        self.random_button.setObjectName("preview_random_button")
        self.random_button.setEnabled(journey_id is not None)
        self.preview = QLabel()
        self.preview.setObjectName("message_preview")
        self.preview.setWordWrap(True)
        self.preview.setTextFormat(Qt.TextFormat.RichText)
        self.preview.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.note = QLabel("Choose a customer to see the message as they will receive it.")
        self.note.setObjectName("message_preview_note")
        self.note.setWordWrap(True)
        self.note.setStyleSheet(f"color: {MUTED_COLOR};")
        row = QHBoxLayout()
        row.addWidget(QLabel("Preview for"))
        row.addWidget(self.id_edit, 1)
        row.addWidget(self.random_button)
        column = QVBoxLayout(self)
        column.addLayout(row)
        column.addWidget(self.preview)
        column.addWidget(self.note)
        self.preview.hide()
        self.id_edit.returnPressed.connect(self._on_id_edit_return_pressed)
        self.random_button.clicked.connect(self._on_random_button_clicked)

    def load(self, external_id: str) -> None:
        """Read the customer ("" for a random member) in a job, then show the preview."""
        self.note.setText("Reading the customer…")
        self.random_button.setEnabled(False)
        run_job(load_customer, self._on_customer_loaded, self._on_customer_failed,
                self._journey_id, external_id.strip())

    def show_message(self) -> None:
        """Render again for the customer shown (the message was edited)."""
        node = self._node()
        customer = self._customer
        if node is None or customer is None:
            return
        run = RunContext(customer.external_id, self._journey_name(), customer.entry_number)
        message = render_message(node, customer.fields, run)
        parts = []
        if message.title:
            parts.append(f"<b>{_text(message.title)}</b>")
        if message.body:
            parts.append(_text(message.body))
        if message.url:
            parts.append(f"<span style='color:{MUTED_COLOR}'>{_text(message.url)}</span>")
        self.preview.setText("<br>".join(parts) or "<i>(nothing to show)</i>")
        self.preview.show()

    @Slot()
    def _on_id_edit_return_pressed(self) -> None:
        if self.id_edit.text().strip():
            self.load(self.id_edit.text())

    @Slot()
    def _on_random_button_clicked(self) -> None:
        self.load("")

    def _on_customer_loaded(self, customer: PreviewCustomer | None) -> None:
        self.random_button.setEnabled(self._journey_id is not None)
        if customer is None:
            wanted = self.id_edit.text().strip()
            self.note.setText(f"No customer with the ID “{wanted}”." if wanted
                              else "No customers yet: import an audience or customers first.")
            return
        self._customer = customer
        self.id_edit.setText(customer.external_id)
        entry = ("their first entry" if customer.entry_number == 1
                 else f"their entry number {customer.entry_number}")
        self.note.setText(f"As the evaluator will write it for {customer.external_id}, "
                          f"on {entry}.")
        self.show_message()

    def _on_customer_failed(self, message: str) -> None:
        self.random_button.setEnabled(self._journey_id is not None)
        self.note.setText(f"Cannot read the customer: {message}")


def _text(text: str) -> str:
    return html.escape(text).replace("\n", "<br>")
