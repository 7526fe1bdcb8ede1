"""File → Connect to team database… (SPEC §14): a URL, or its parts, tried before use.

The dialog only chooses: the window's composition root opens the chosen database. A
password typed here is handed to libpq for this session (``PGPASSWORD``) and never kept.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from journey_desktop.store import try_team_database
from journey_desktop.store.errors import RepositoryError
from journey_desktop.store.postgres import (
    ADDRESS_EXPECTED,
    build_url,
    database_url,
    describe_url,
    is_database_url,
    url_parts,
    use_password,
    without_password,
)
from journey_desktop.ui.common.colours import ERROR_COLOR, GO_COLOR
from journey_desktop.ui.common.formatting import sentence

TITLE = "Connect to team database"
DEFAULT_PORT = 5432


class _Trial(QObject):
    """One try of a team database on a thread of its own: a server that does not answer
    takes up to the connect timeout, and the dialog must not freeze meanwhile."""

    done = Signal(int, str, bool)  # the try's number, the line to show, usable or not

    def __init__(self, number: int, url: str) -> None:
        super().__init__()
        self.number = number
        self.url = url

    def start(self) -> None:
        threading.Thread(target=self._run, name="team-database-trial", daemon=True).start()

    def _run(self) -> None:
        try:
            text, ok = try_team_database(self.url), True
        except RepositoryError as exc:
            text, ok = sentence(exc), False
        except Exception as exc:  # an unforeseen failure is still said, never a freeze
            text, ok = f"The team database cannot be used: {exc}", False
        self.done.emit(self.number, text, ok)


class ConnectDialog(QDialog):
    """Asks for a team database. Accepted: ``chosen_url()`` is the URL to open, or None
    when the user chose the local file."""

    def __init__(self, current_url: str | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("connect_dialog")
        self.setWindowTitle(TITLE)
        self.setMinimumWidth(560)
        self._chosen: str | None = None
        self._trials = 0
        self._trying: tuple[int, str, bool] | None = None  # number, URL, then connect
        layout = QVBoxLayout(self)

        intro = QLabel(
            "A team shares one PostgreSQL database. Paste its address, or fill in its parts. "
            "The password is not stored: it is used for this session only (or comes from "
            "PGPASSWORD or ~/.pgpass)."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)

        self.url_edit = QLineEdit(without_password(current_url) if current_url else "")
        self.url_edit.setObjectName("connect_url")
        self.url_edit.setPlaceholderText("postgresql://user@host:5432/journeys")
        form = QFormLayout()
        form.addRow("Address (URL):", self.url_edit)
        layout.addLayout(form)

        parts = QGroupBox("Or its parts")
        parts_form = QFormLayout(parts)
        self.host_edit = QLineEdit()
        self.host_edit.setObjectName("connect_host")
        self.host_edit.setPlaceholderText("db.example.com")
        self.port_spin = QSpinBox()
        self.port_spin.setObjectName("connect_port")
        self.port_spin.setRange(1, 65535)
        self.port_spin.setValue(DEFAULT_PORT)
        self.database_edit = QLineEdit()
        self.database_edit.setObjectName("connect_database")
        self.database_edit.setPlaceholderText("journeys")
        self.user_edit = QLineEdit()
        self.user_edit.setObjectName("connect_user")
        parts_form.addRow("Server:", self.host_edit)
        parts_form.addRow("Port:", self.port_spin)
        parts_form.addRow("Database:", self.database_edit)
        parts_form.addRow("User:", self.user_edit)
        layout.addWidget(parts)

        self.password_edit = QLineEdit()
        self.password_edit.setObjectName("connect_password")
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.setPlaceholderText("from PGPASSWORD or ~/.pgpass if left empty")
        password_form = QFormLayout()
        password_form.addRow("Password:", self.password_edit)
        layout.addLayout(password_form)

        self.result_label = QLabel("")
        self.result_label.setObjectName("connect_result")
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.result_label)

        buttons = QDialogButtonBox()
        self.test_button = QPushButton("Test connection")
        self.test_button.setObjectName("connect_test_button")
        self.connect_button = QPushButton("Connect")
        self.connect_button.setObjectName("connect_button")
        self.connect_button.setDefault(True)
        self.local_button = QPushButton("Use the local file")
        self.local_button.setObjectName("connect_local_button")
        self.local_button.setToolTip("Go back to the SQLite file in the data folder")
        buttons.addButton(self.test_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.local_button, QDialogButtonBox.ButtonRole.ResetRole)
        buttons.addButton(self.connect_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

        for edit in (self.host_edit, self.database_edit, self.user_edit):
            edit.textEdited.connect(self._on_parts_edited)
        self.port_spin.valueChanged.connect(self._on_parts_edited)
        self.url_edit.textChanged.connect(self._on_url_changed)
        self.test_button.clicked.connect(self._on_test_button_clicked)
        self.connect_button.clicked.connect(self._on_connect_button_clicked)
        self.local_button.clicked.connect(self._on_local_button_clicked)
        self._on_url_changed()

    def chosen_url(self) -> str | None:
        return self._chosen

    def url(self) -> str:
        return self.url_edit.text().strip()

    @Slot()
    def _on_parts_edited(self) -> None:
        host, database = self.host_edit.text().strip(), self.database_edit.text().strip()
        if host or database:
            self.url_edit.setText(build_url(host, self.port_spin.value(), database,
                                            self.user_edit.text().strip()))

    def _show_parts(self) -> None:
        """The URL's server, port, database and user in their fields."""
        parts = url_parts(self.url())
        for edit, key in ((self.host_edit, "host"), (self.database_edit, "dbname"),
                          (self.user_edit, "user")):
            if edit.text() != parts.get(key, ""):
                edit.setText(parts.get(key, ""))
        port = parts.get("port", "")
        self.port_spin.blockSignals(True)
        self.port_spin.setValue(int(port) if port.isdigit() else DEFAULT_PORT)
        self.port_spin.blockSignals(False)

    @Slot()
    def _on_url_changed(self) -> None:
        self._show_parts()
        valid = is_database_url(self.url())
        self.test_button.setEnabled(valid)
        self.connect_button.setEnabled(valid)
        tip = "" if valid else sentence(f"enter {ADDRESS_EXPECTED}")
        self.test_button.setToolTip(tip)
        self.connect_button.setToolTip(tip)

    def _use_password(self) -> None:
        """A password typed here (or in the URL) goes to libpq for this session only."""
        use_password(self.password_edit.text())

    def test(self, *, then_connect: bool = False) -> None:
        """Try the database on a thread, changing nothing; the line below says what was
        found, and with ``then_connect`` a usable database is chosen. The dialog stays
        responsive meanwhile (Cancel and "Use the local file" work)."""
        self._use_password()
        self._trials += 1
        trial = _Trial(self._trials, self.url())
        trial.done.connect(self._on_trial_done)  # queued: the dialog lives on the GUI thread
        self._trying = (trial.number, trial.url, then_connect)
        self.test_button.setEnabled(False)
        self.connect_button.setEnabled(False)
        self.result_label.setText("Trying the database…")
        self.result_label.setStyleSheet("")
        trial.start()

    @Slot(int, str, bool)
    def _on_trial_done(self, number: int, text: str, ok: bool) -> None:
        if self._trying is None or self._trying[0] != number:  # overtaken by a newer try
            return
        _number, url, then_connect = self._trying
        self._trying = None
        self.result_label.setText(text)
        self.result_label.setStyleSheet(f"color: {GO_COLOR if ok else ERROR_COLOR};")
        valid = is_database_url(self.url())
        self.test_button.setEnabled(valid)
        self.connect_button.setEnabled(valid)
        if ok and then_connect:
            self._chosen = database_url(url)
            self.accept()

    @Slot()
    def _on_test_button_clicked(self) -> None:
        self.test()

    @Slot()
    def _on_connect_button_clicked(self) -> None:
        self.test(then_connect=True)

    @Slot()
    def _on_local_button_clicked(self) -> None:
        self._chosen = None
        self.accept()


def database_words(url: str | None) -> str:
    """The open database as the title and status bar name it."""
    return f"team database {describe_url(without_password(url))}" if url else "local file"
