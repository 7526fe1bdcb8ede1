"""Journey Desktop: plan, validate and run customer journeys offline."""

import sys

__version__ = "0.1.0"
APP_NAME = "Journey Desktop"

# The store speaks to SQLite through the standard library's ``sqlite3``: its connection
# type, its limits and its errors (``store.errors``). peewee takes the ``pysqlite3`` package
# instead whenever it can import one of a newer SQLite, so an environment that happens to
# hold it (or a bundle built on a machine that does) would hand the store another driver's
# connections. The package is hidden before peewee is first imported.
if "peewee" not in sys.modules:
    sys.modules.setdefault("pysqlite3", None)  # type: ignore[arg-type]
