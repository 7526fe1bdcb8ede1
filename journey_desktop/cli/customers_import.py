"""``customers import``: a CSV file into the customer base alone (SPEC §4, §7)."""

from __future__ import annotations

import argparse

from journey_desktop.cli.audience import (
    add_customer_file_options,
    add_file_options,
    check_outputs,
    import_file,
)
from journey_desktop.cli.context import CliContext
from journey_desktop.store.audience import AudienceStore


def add_import_command(customers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``import`` to the ``customers`` group."""
    q = customers.add_parser(
        "import",
        help="import customers from a CSV file into the customer base",
        description="Add or update customers' profiles from a CSV file in one transaction; "
        "fields not in the file are kept, no journey's audience changes except those for "
        "everyone. Prints the counts; exit 1 when some rows were rejected, 2 when nothing "
        "could be imported.",
    )
    q.add_argument("file", metavar="FILE.csv")
    add_file_options(q)
    add_customer_file_options(q)
    q.set_defaults(handler=import_customers, writes=True)


def import_customers(ctx: CliContext, args: argparse.Namespace) -> int:
    store = AudienceStore(ctx.open())
    check_outputs(ctx, args)  # refused before anything is imported
    return import_file(ctx, args, store.import_profiles, unchanged="the customer base is unchanged")
