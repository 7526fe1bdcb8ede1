"""One window per data folder: a second launch asks the first to come forward and exits."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtNetwork import QLocalServer, QLocalSocket

ACTIVATE_MESSAGE = b"activate\n"
CONNECT_TIMEOUT_MS = 1000


def server_name(data_dir: Path) -> str:
    """A local-socket name unique to the user and the data folder."""
    digest = hashlib.sha256(str(data_dir.resolve()).encode("utf-8")).hexdigest()[:16]
    user = str(os.getuid()) if hasattr(os, "getuid") else os.environ.get("USERNAME", "user")
    return f"journey-desktop-{user}-{digest}"


def ask_running_instance_to_activate(data_dir: Path) -> bool:
    """True when another instance owns this data folder and was asked to come forward."""
    socket = QLocalSocket()
    socket.connectToServer(server_name(data_dir))
    if not socket.waitForConnected(CONNECT_TIMEOUT_MS):
        return False
    socket.write(ACTIVATE_MESSAGE)
    socket.waitForBytesWritten(CONNECT_TIMEOUT_MS)
    socket.disconnectFromServer()
    return True


class SingleInstanceServer(QObject):
    """Listens for later launches on the same data folder."""

    activation_requested = Signal()

    def __init__(self, data_dir: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._name = server_name(data_dir)
        self._server = QLocalServer(self)
        self._sockets: list[QLocalSocket] = []
        self._server.newConnection.connect(self._on_server_new_connection)

    def listen(self) -> bool:
        """Start listening, clearing a socket file left by a crashed instance."""
        if self._server.listen(self._name):
            return True
        QLocalServer.removeServer(self._name)
        return self._server.listen(self._name)

    def close(self) -> None:
        for socket in self._sockets:
            socket.readyRead.disconnect(self._on_socket_ready_read)
            socket.abort()
        self._sockets.clear()
        self._server.close()

    @Slot()
    def _on_server_new_connection(self) -> None:
        while self._server.hasPendingConnections():
            socket = self._server.nextPendingConnection()
            self._sockets.append(socket)
            socket.readyRead.connect(self._on_socket_ready_read)

    @Slot()
    def _on_socket_ready_read(self) -> None:
        socket = self.sender()
        if not isinstance(socket, QLocalSocket):
            return
        if bytes(socket.readAll().data()).startswith(ACTIVATE_MESSAGE.strip()):
            self.activation_requested.emit()
