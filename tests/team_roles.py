"""The README's roles on the tests' PostgreSQL (SPEC §14): its SQL blocks, run as written,
and URLs that connect as the editor or the viewer."""

from __future__ import annotations

import re

import psycopg

from tests.conftest import ROOT

OWNER = "journey_owner"
EDITOR = "journey_editor"
VIEWER = "journey_viewer"
TEAM_DATABASE = "journeys"
PASSWORD = "change me"


def readme_sql(first_line: str) -> str:
    """The README's ```sql block that starts with ``first_line``, exactly as written."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sql\n(.*?)```", readme, flags=re.DOTALL)
    found = [block for block in blocks if block.startswith(first_line)]
    assert len(found) == 1, f"README.md has no single sql block starting {first_line!r}"
    return found[0]


def create_roles(server_url: str) -> bool:
    """The README's roles and database, once per server, one statement at a time (CREATE
    DATABASE runs on its own); False when they were there already."""
    with psycopg.connect(server_url, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (OWNER,)).fetchone():
            return False
        for statement in readme_sql("CREATE ROLE journey_owner").split(";"):
            if statement.strip():
                conn.execute(statement)
    return True


def grant_roles(database_url: str) -> None:
    """The README's roles (created once per server) and their grants in this database, run
    as the owner of its tables (here the server's administrator, who made them)."""
    create_roles(database_url)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(readme_sql("-- editor role"))
        conn.execute(readme_sql("-- viewer role"))


def as_role(database_url: str, role: str) -> str:
    """``database_url`` connecting as ``role`` (with the README's password)."""
    scheme, rest = database_url.split("://", 1)
    where = rest.split("@", 1)[1]
    return f"{scheme}://{role}:{PASSWORD.replace(' ', '%20')}@{where}"
