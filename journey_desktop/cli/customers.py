"""Customer base commands: ``customers show`` and ``customers import`` (SPEC §4, §7)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from journey_desktop.cli.context import EXIT_NO, EXIT_OK, CliContext, CliError
from journey_desktop.cli.customers_import import add_import_command
from journey_desktop.domain import engine
from journey_desktop.store.customers import (
    CustomerBase,
    CustomerProfile,
    CustomerTimeline,
    Membership,
    MessageItem,
    RunItem,
)
from journey_desktop.store.events import StoredEvent


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = commands.add_parser("customers", help="the customer base shared by every journey")
    sub = p.add_subparsers(dest="customers_command", metavar="COMMAND", required=True)
    add_import_command(sub)
    q = sub.add_parser(
        "show",
        help="a customer's fields, journeys, events, runs and messages",
        description="Show one customer: the profile's fields, the journeys whose audience "
        "holds them, then their events, runs and messages in time order. Exit 1 for an "
        "unknown ID, 2 for an empty one.",
    )
    q.add_argument("customer_id", metavar="ID")
    q.add_argument("--json", action="store_true", help="machine-readable output")
    q.set_defaults(handler=cmd_show)


def cmd_show(ctx: CliContext, args: argparse.Namespace) -> int:
    external_id = args.customer_id.strip()
    if not external_id:
        raise CliError("the customer ID is empty")
    ctx.open()
    base = CustomerBase()
    profile = base.profile(external_id)
    memberships = base.memberships(external_id)
    timeline = base.timeline(external_id)
    if profile is None:
        if not (timeline.events or timeline.runs or timeline.messages or memberships):
            raise CliError(f"no customer with ID {external_id!r}", EXIT_NO)
        # Known by their events alone (SPEC §11: events need no profile): no fields.
        profile = CustomerProfile(external_id, {}, 0, 0)
    if args.json:
        ctx.print(json.dumps(customer_json(profile, memberships, timeline), indent=2,
                             ensure_ascii=False))
    else:
        _print_text(ctx, profile, memberships, timeline)
    return EXIT_OK


def _iso(ts: int | None) -> str | None:
    return None if ts is None else engine.local_datetime(int(ts)).isoformat()


# Control characters written as escapes: one listing line per field or message, whatever
# a value holds (a CR or line break kept from a quoted CSV cell would break the listing,
# and a bare CR would write over its own line on a terminal).
_ONE_LINE = {code: f"\\x{code:02x}" for code in range(32)} | {
    9: "\\t", 10: "\\n", 13: "\\r", 127: "\\x7f"}


def _one_line(text: str) -> str:
    return text.translate(_ONE_LINE)


def _when(ts: int | None) -> str:
    return engine.local_time_text(ts)


def customer_json(profile: CustomerProfile, memberships: list[Membership],
                  timeline: CustomerTimeline) -> dict[str, Any]:
    """The ``customers show --json`` object of SPEC §7, with the runs, messages and events
    (in time order: name, occurred_at in ISO 8601, properties)."""
    return {
        "id": profile.external_id,
        "fields": dict(profile.fields),
        "journeys": [
            {"id": m.journey_id, "name": m.name, "entries": m.entries, "status": m.status,
             "next_check_at": _iso(m.next_check_at)}
            for m in memberships
        ],
        "runs": [
            {"journey": r.journey_id, "journey_name": r.journey, "entry": r.entry_number,
             "state": r.state, "end_reason": r.end_reason, "started_at": _iso(r.started_at),
             "ended_at": _iso(r.ended_at)}
            for r in timeline.runs
        ],
        "messages": [
            {"journey": m.journey_id, "journey_name": m.journey, "entry": m.entry_number,
             "node": m.node, "channel": m.channel, "title": m.title, "due_at": _iso(m.due_at)}
            for m in timeline.messages
        ],
        "events": [
            {"name": e.name, "occurred_at": _iso(e.occurred_at), "properties": e.properties}
            for e in timeline.events
        ],
    }


def _print_text(ctx: CliContext, profile: CustomerProfile, memberships: list[Membership],
                timeline: CustomerTimeline) -> None:
    ctx.print(f"customer {profile.external_id}")
    if profile.created_at:
        ctx.print(f"  first imported {_when(profile.created_at)}, "
                  f"last updated {_when(profile.updated_at)}")
    else:
        ctx.print("  no profile: known by their events only")
    ctx.print("fields:")
    if not profile.fields:
        ctx.print("  (none)")
    width = max((len(name) for name in profile.fields), default=0)
    for name, value in profile.fields.items():
        ctx.print(f"  {_one_line(name).ljust(width)}  {_one_line(engine.field_text(value))}")
    ctx.print("journeys:")
    if not memberships:
        ctx.print("  (in no journey's audience)")
    for m in memberships:
        when = m.first_check or (_when(m.next_check_at) if m.next_check_at is not None else "")
        check = f", next check {when}" if when else ""
        ctx.print(f"  {m.journey_id}  {m.name} ({m.status}), entries: {m.entries}{check}")
    ctx.print("timeline:")
    items = timeline.with_events()
    if not items:
        ctx.print("  (no events, runs or messages yet)")
    for item in items:
        if isinstance(item, StoredEvent):
            shown = json.dumps(item.properties, ensure_ascii=False) if item.properties else ""
            ctx.print(f"  {_when(item.at)}  event {item.name} {shown}".rstrip())
        elif isinstance(item, RunItem):
            end = (f", ended {_when(item.ended_at)} ({item.end_reason or item.state})"
                   if item.ended_at is not None else f", {item.state.replace('_', ' ')}")
            ctx.print(f"  {_when(item.at)}  {item.journey}  entry {item.entry_number} "
                      f"started{end}")
        elif isinstance(item, MessageItem):
            title = f": {_one_line(item.title)}" if item.title else ""
            ctx.print(f"  {_when(item.at)}  {item.journey}  entry {item.entry_number} "
                      f"{item.channel} at {item.node}{title}")
