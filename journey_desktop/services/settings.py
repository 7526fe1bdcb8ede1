"""Window preferences kept between sessions (QSettings), versioned so old keys can be dropped."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings

SETTINGS_VERSION = 1


class WindowSettings:
    """Geometry, table header state and the last filter of the main window, and where its
    statistics, outbox and forecast windows were last closed.

    Tests and tools pass their own ``QSettings`` (an INI file in a temp folder) so that
    nothing leaks between runs; the application uses the native per-user store.
    """

    GEOMETRY = "main_window/geometry"
    HEADER_STATE = "main_window/journey_table_header"
    SEARCH_TEXT = "main_window/search_text"
    STATUS_FILTER = "main_window/status_filter"
    VERSION = "settings_version"

    def __init__(self, settings: QSettings | None = None) -> None:
        self._settings = settings if settings is not None else QSettings()
        stored = self._settings.value(self.VERSION)
        if stored is not None and _to_int(stored) != SETTINGS_VERSION:
            # Layout of an older version: start from defaults rather than misread it.
            self._settings.clear()
        self._settings.setValue(self.VERSION, SETTINGS_VERSION)

    @classmethod
    def at_path(cls, path: str) -> WindowSettings:
        """Settings in an INI file (for tests, benchmarks and screenshots)."""
        return cls(QSettings(path, QSettings.Format.IniFormat))

    @property
    def qsettings(self) -> QSettings:
        """The underlying store, for other parts of the window that remember things."""
        return self._settings

    def geometry(self) -> QByteArray | None:
        return self._bytes(self.GEOMETRY)

    def set_geometry(self, value: QByteArray) -> None:
        self._settings.setValue(self.GEOMETRY, value)

    def header_state(self) -> QByteArray | None:
        """Column widths and sort order of the journey table."""
        return self._bytes(self.HEADER_STATE)

    def set_header_state(self, value: QByteArray) -> None:
        self._settings.setValue(self.HEADER_STATE, value)

    def view_geometry(self, kind: str) -> QByteArray | None:
        """Where a statistics, outbox or forecast window was last closed."""
        return self._bytes(f"views/{kind}/geometry")

    def set_view_geometry(self, kind: str, value: QByteArray) -> None:
        self._settings.setValue(f"views/{kind}/geometry", value)

    def search_text(self) -> str:
        return str(self._settings.value(self.SEARCH_TEXT, "") or "")

    def status_filter(self) -> str:
        """The status shown last ("" for all statuses)."""
        return str(self._settings.value(self.STATUS_FILTER, "") or "")

    def set_filter(self, search_text: str, status: str) -> None:
        self._settings.setValue(self.SEARCH_TEXT, search_text)
        self._settings.setValue(self.STATUS_FILTER, status)

    def sync(self) -> None:
        self._settings.sync()

    def _bytes(self, key: str) -> QByteArray | None:
        value = self._settings.value(key)
        if isinstance(value, QByteArray) and not value.isEmpty():
            return value
        if isinstance(value, bytes) and value:
            return QByteArray(value)
        return None


def _to_int(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


class DatabaseChoice:
    """Which database the window opens (SPEC §14): the team database chosen with File →
    Connect to team database…, or none (the local file). Only its URL is kept, never a
    password: libpq reads that from ``PGPASSWORD`` or ``~/.pgpass``, or the window asks."""

    TEAM_URL = "database/team_url"

    def __init__(self, settings: QSettings | None = None) -> None:
        self._settings = settings if settings is not None else QSettings()

    def team_url(self) -> str | None:
        value = str(self._settings.value(self.TEAM_URL, "") or "").strip()
        return value or None

    def remember(self, url: str | None) -> None:
        """Remember ``url`` (its password taken out), or the local file for None."""
        from journey_desktop.store.postgres import without_password

        if url:
            self._settings.setValue(self.TEAM_URL, without_password(url))
        else:
            self._settings.remove(self.TEAM_URL)
        self._settings.sync()
