"""The tick's part of SPEC §13: quiet hours, frequency caps and rate limits, set-based.

The messages a node is about to write are staged in ``temp.jd_pol`` (customer, entry,
due time, the customer's zone name), in the batch's transaction; a few statements over
that table give each its ``send_at`` and status, in the order exit rules (done before any
message of the tick) → quiet hours → caps → rate limit; the outbox insert then takes them
from there. Caps count the customer's messages already written, by every journey that
obeys caps, on the (external_id, send_at) index, plus the ones staged before it in the same
statement (a rank per customer), all inside the batch's transaction: journeys are ticked
one after another, so one tick never exceeds a cap. Rate limits fill minutes in due order
from a small slot table. Zone arithmetic runs in Python (``domain.policy``) through
registered functions cached per (time, zone).
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from dataclasses import dataclass, field
from functools import lru_cache

from journey_desktop.domain import policy as rules
from journey_desktop.domain.goals import ExitRule
from journey_desktop.domain.lifecycle import DEACTIVATED, END_EXIT_RULE
from journey_desktop.domain.policy import HELD, READY, SUPPRESSED, Cap, Policy, PolicyError
from journey_desktop.store import evaluator_goals, sqlite_sql
from journey_desktop.store.policy import read_policy_text

log = logging.getLogger(__name__)

_CAL_UNITS = {rules.CALENDAR_DAY: 0, rules.CALENDAR_WEEK: 1}


@dataclass
class PolicyTick:
    """The policy one tick applies, read once at its start."""

    policy: Policy
    optouts: tuple[int, ...]  # journeys that opted out of caps
    zones: rules.ZoneBook
    invalid_zone_messages: int = 0
    seen_invalid: set[str] = field(default_factory=set)

    def applies(self, channel: str, obeys_caps: bool) -> bool:
        return bool(self.policy.quiet_for(channel) or self.policy.rate_for(channel)
                    or (obeys_caps and self.caps_for(channel)))

    def caps_for(self, channel: str) -> list[Cap]:
        return [cap for cap in self.policy.caps if cap.applies_to(channel)]


@dataclass
class Staged:
    """What the policy did to the messages of one node."""

    held: int = 0
    suppressed: dict[str, int] = field(default_factory=dict)


def start_tick(conn: sqlite3.Connection, tz: dt.tzinfo | None, last_text: str | None
               ) -> tuple[PolicyTick | None, str | None]:
    """The stored policy, its functions registered on ``conn``; None when it is empty.
    Returns the policy's text too, so the caller logs a change once."""
    text = read_policy_text(conn)
    if text != last_text:
        log.info("messaging policy in force from this tick: %s", text or "none")
    try:
        policy = Policy.from_json(text)
    except PolicyError as exc:
        log.error("the stored messaging policy cannot be read (%s): no policy applies", exc)
        return None, text
    if policy.empty:
        return None, text
    optouts = tuple(int(row[0]) for row in conn.execute(
        "SELECT id FROM journey WHERE json_extract(definition, '$.policy.caps') = 0"))
    state = PolicyTick(policy, optouts, rules.ZoneBook(fallback=tz))
    _register(conn, state.zones)
    conn.execute(
        "CREATE TEMP TABLE IF NOT EXISTS jd_pol (ext TEXT NOT NULL,"
        " entry_number INTEGER NOT NULL, due INTEGER NOT NULL, zone TEXT,"
        " send_at INTEGER NOT NULL, status TEXT NOT NULL, reason TEXT,"
        " k INTEGER NOT NULL DEFAULT 1, r INTEGER, PRIMARY KEY (ext, entry_number))")
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS jd_slot (lo INTEGER NOT NULL,"
                 " hi INTEGER NOT NULL, minute INTEGER NOT NULL)")
    return state, text


def _register(conn: sqlite3.Connection, zones: rules.ZoneBook) -> None:
    @lru_cache(maxsize=65_536)
    def quiet_end(due: int, zone: str | None, start: int, end: int) -> int:
        quiet = rules.QuietHours(int(start), int(end))
        return rules.quiet_end(int(due), quiet, zones.zone(zone))

    @lru_cache(maxsize=65_536)
    def calendar(ts: int, zone: str | None, unit: int, bound: int) -> int:
        name = rules.CALENDAR_WEEK if unit else rules.CALENDAR_DAY
        return rules.calendar_bounds(int(ts), name, zones.zone(zone))[int(bound)]

    @lru_cache(maxsize=4096)
    def zone_bad(zone: str | None) -> int:
        return int(bool(zone) and rules.zone_named(str(zone)) is None)

    conn.create_function("jd_quiet_end", 4, quiet_end, deterministic=True)
    conn.create_function("jd_calendar", 4, calendar, deterministic=True)
    conn.create_function("jd_zone_bad", 1, zone_bad, deterministic=True)


def stage(conn: sqlite3.Connection, state: PolicyTick, journey_id: int, node_id: str,
          channel: str, obeys_caps: bool, source: str, source_params: list[object],
          now: int) -> Staged:
    """Fill ``temp.jd_pol`` with the node's messages not written yet, each with its
    ``send_at``, status and reason."""
    policy = state.policy
    conn.execute("DELETE FROM temp.jd_pol")
    zone_sql, zone_params = "NULL", list[object]()
    if policy.timezone_field:
        zone_sql, found = sqlite_sql.field_text_sql("p.fields", policy.timezone_field)
        zone_params = list(found)
    conn.execute(
        "INSERT OR IGNORE INTO temp.jd_pol (ext, entry_number, due, zone, send_at, status)"
        f" SELECT w.ext, w.entry_number, w.due, {zone_sql}, w.due, ?"
        f" FROM ({source}) AS w LEFT JOIN profile p ON p.external_id = w.ext"
        " WHERE NOT EXISTS (SELECT 1 FROM outbox o WHERE o.journey_id = ?"
        " AND o.external_id = w.ext AND o.entry_number = w.entry_number AND o.node = ?)",
        (*zone_params, READY, *source_params, journey_id, node_id))
    if policy.timezone_field:
        (bad,) = conn.execute(
            "SELECT count(*) FROM temp.jd_pol WHERE jd_zone_bad(zone)").fetchone()
        if bad:
            state.invalid_zone_messages += int(bad)
            names = {str(row[0]) for row in conn.execute(
                "SELECT DISTINCT zone FROM temp.jd_pol WHERE jd_zone_bad(zone) LIMIT 20")}
            state.seen_invalid |= names
    done = Staged()
    quiet = policy.quiet_for(channel)
    if quiet is not None:
        moved = "jd_quiet_end(due, zone, ?, ?)"
        if quiet.action == rules.SKIP:
            conn.execute(f"UPDATE temp.jd_pol SET status = ?, reason = ? WHERE {moved} <> due",
                         (SUPPRESSED, rules.REASON_QUIET, quiet.start, quiet.end))
        else:
            conn.execute(f"UPDATE temp.jd_pol SET send_at = {moved}", (quiet.start, quiet.end))
    caps = state.caps_for(channel) if obeys_caps else []
    if caps:
        _apply_caps(conn, state, caps, channel)
    for limit in policy.rate_for(channel):
        _apply_rate(conn, limit, channel, now)
    conn.execute("UPDATE temp.jd_pol SET status = ? WHERE status = ? AND send_at > ?",
                 (HELD, READY, now))
    for status, reason, count in conn.execute(
            "SELECT status, reason, count(*) FROM temp.jd_pol WHERE status <> ?"
            " GROUP BY status, reason", (READY,)):
        if status == HELD:
            done.held += int(count)
        else:
            done.suppressed[str(reason)] = done.suppressed.get(str(reason), 0) + int(count)
    return done


def cap_reason(cap: Cap) -> str:
    return f"cap {cap.text()}"


def _apply_caps(conn: sqlite3.Connection, state: PolicyTick, caps: list[Cap],
                channel: str) -> None:
    """Suppress what would take a customer over a cap: the messages already written by the
    journeys that obey caps, plus those before it among the staged ones."""
    (repeated,) = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM temp.jd_pol GROUP BY ext HAVING count(*) > 1)"
    ).fetchone()
    if repeated:
        conn.execute(
            "UPDATE temp.jd_pol SET k = o.k FROM (SELECT ext AS e, entry_number AS n,"
            " row_number() OVER (PARTITION BY ext ORDER BY send_at, entry_number) AS k"
            " FROM temp.jd_pol) AS o WHERE temp.jd_pol.ext = o.e"
            " AND temp.jd_pol.entry_number = o.n")
    optouts = ""
    if state.optouts:
        optouts = f" AND o.journey_id NOT IN ({', '.join(str(j) for j in state.optouts)})"
    for cap in caps:
        channel_sql = "" if cap.channel == rules.ANY else " AND o.channel = ?"
        channel_params = [] if cap.channel == rules.ANY else [channel]
        if cap.calendar:
            unit = _CAL_UNITS[cap.calendar]
            window = (f"o.send_at >= jd_calendar(temp.jd_pol.send_at, temp.jd_pol.zone, {unit}, 0)"
                      f" AND o.send_at < jd_calendar(temp.jd_pol.send_at, temp.jd_pol.zone,"
                      f" {unit}, 1)")
        else:
            # Within ``per`` on either side: held messages may lie ahead of this one.
            window = (f"o.send_at > temp.jd_pol.send_at - {int(cap.seconds)}"
                      f" AND o.send_at < temp.jd_pol.send_at + {int(cap.seconds)}")
        conn.execute(
            "UPDATE temp.jd_pol SET status = ?, reason = ? WHERE status <> ? AND k + ("
            "SELECT count(*) FROM outbox o WHERE o.external_id = temp.jd_pol.ext"
            f" AND {window} AND o.status <> ?{channel_sql}{optouts}) > ?",
            (SUPPRESSED, cap_reason(cap), SUPPRESSED, SUPPRESSED, *channel_params, cap.max))


def slot_ranges(groups: list[tuple[int, int]], free: dict[int, int], per_minute: int
                ) -> list[tuple[int, int, int]]:
    """Minutes for ranked messages: ``groups`` are (first minute, how many) in rank order;
    ``free`` the minutes already partly used. Returns (first rank, last rank, minute)."""
    ranges: list[tuple[int, int, int]] = []
    rank = 1
    cursor = 0
    for minute, count in groups:
        cursor = max(cursor, minute)
        left = count
        while left > 0:
            room = free.get(cursor, per_minute)
            if room <= 0:
                cursor += 1
                continue
            take = min(room, left)
            ranges.append((rank, rank + take - 1, cursor))
            free[cursor] = room - take
            rank += take
            left -= take
    return ranges


def _apply_rate(conn: sqlite3.Connection, limit: rules.RateLimit, channel: str,
                now: int) -> None:
    """Spread the staged messages over minutes with room, in due order."""
    key = channel if limit.channel == channel else rules.ANY
    base = f"max(send_at, {int(now)})"
    groups = [(int(m), int(c)) for m, c in conn.execute(
        f"SELECT {base} / 60 AS m, count(*) FROM temp.jd_pol WHERE status <> ?"
        " GROUP BY m ORDER BY m", (SUPPRESSED,))]
    if not groups:
        return
    free = {int(m): limit.per_minute - int(used) for m, used in conn.execute(
        "SELECT minute, used FROM rate_slot WHERE channel = ? AND minute >= ?",
        (key, groups[0][0]))}
    ranges = slot_ranges(groups, free, limit.per_minute)
    conn.execute("DELETE FROM temp.jd_slot")
    conn.executemany("INSERT INTO temp.jd_slot (lo, hi, minute) VALUES (?, ?, ?)", ranges)
    conn.execute(
        "UPDATE temp.jd_pol SET r = o.r FROM (SELECT ext AS e, entry_number AS n,"
        f" row_number() OVER (ORDER BY {base}, due, ext, entry_number) AS r"
        " FROM temp.jd_pol WHERE status <> ?) AS o"
        " WHERE temp.jd_pol.ext = o.e AND temp.jd_pol.entry_number = o.n", (SUPPRESSED,))
    conn.execute(
        "UPDATE temp.jd_pol SET send_at = max(send_at, s.minute * 60) FROM temp.jd_slot s"
        " WHERE temp.jd_pol.status <> ? AND temp.jd_pol.r BETWEEN s.lo AND s.hi",
        (SUPPRESSED,))
    conn.executemany(
        "INSERT INTO rate_slot (channel, minute, used) VALUES (?, ?, ?) ON CONFLICT"
        " (channel, minute) DO UPDATE SET used = used + excluded.used",
        [(key, minute, hi - lo + 1) for lo, hi, minute in ranges])
    conn.execute("DELETE FROM rate_slot WHERE channel = ? AND minute < ?",
                 (key, int(now) // 60 - 60 * 24))


# --- held messages released -------------------------------------------------------------


def _exit_sql(exits: list[ExitRule], now: int) -> tuple[str, list[object]]:
    """Whether the run ``r`` of a held message meets an exit rule at ``now``."""
    parts = [f"r.end_reason = '{END_EXIT_RULE}'"]
    params: list[object] = []
    for rule in exits:
        if rule.fields is not None:
            match_sql, match_params = sqlite_sql.filter_sql(
                rule.fields, "p.fields", f"jd_local_day({int(now)})")
            parts.append("EXISTS (SELECT 1 FROM profile p WHERE p.external_id ="
                         f" r.external_id AND {match_sql})")
            params += match_params
        elif rule.event:
            match_sql, match_params = evaluator_goals.property_filter(rule.filter, "e")
            parts.append(
                "EXISTS (SELECT 1 FROM event e WHERE e.external_id = r.external_id"
                " AND e.name = ? AND e.occurred_at > r.started_at AND e.occurred_at <= ?"
                f" AND {match_sql})")
            params += [rule.event, int(now), *match_params]
    return " OR ".join(parts), params


def release(conn: sqlite3.Connection, journey_id: int, exits: list[ExitRule],
            now: int) -> tuple[int, int]:
    """The journey's held messages whose time came: ready, or suppressed when their run
    meets an exit rule now (SPEC §13). Returns (ready, suppressed)."""
    exit_sql, params = _exit_sql(exits, now)
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS jd_rel (id INTEGER PRIMARY KEY)")
    conn.execute("DELETE FROM temp.jd_rel")
    stopped = int(conn.execute(
        "INSERT INTO temp.jd_rel (id) SELECT o.id FROM outbox o JOIN run r"
        " ON r.journey_id = o.journey_id AND r.external_id = o.external_id"
        " AND r.entry_number = o.entry_number WHERE o.status = 'held' AND o.send_at <= ?"
        f" AND o.journey_id = ? AND ({exit_sql})",
        (int(now), journey_id, *params)).rowcount)
    if stopped:
        conn.execute(
            "UPDATE message_count SET written = written - s.n FROM (SELECT node AS nd,"
            " channel AS ch, count(*) AS n FROM outbox WHERE id IN (SELECT id FROM"
            " temp.jd_rel) GROUP BY 1, 2) AS s WHERE message_count.journey_id = ?"
            " AND message_count.node = s.nd AND message_count.channel = s.ch", (journey_id,))
        conn.execute("UPDATE outbox SET status = ?, reason = ? WHERE id IN"
                     " (SELECT id FROM temp.jd_rel)", (SUPPRESSED, rules.REASON_EXIT_RULE))
    ready = int(conn.execute(
        "UPDATE outbox SET status = ? WHERE status = 'held' AND send_at <= ? AND journey_id = ?",
        (READY, int(now), journey_id)).rowcount)
    return ready, stopped


def suppress_deactivated(conn: sqlite3.Connection) -> int:
    """Held messages of deactivated journeys never go out (SPEC §1: no further messages)."""
    rows = [(int(j), str(n), str(c), int(k)) for j, n, c, k in conn.execute(
        "SELECT journey_id, node, channel, count(*) FROM outbox WHERE status = 'held'"
        " AND journey_id IN (SELECT id FROM journey WHERE status = ?)"
        " GROUP BY 1, 2, 3", (DEACTIVATED,))]
    if not rows:
        return 0
    conn.execute(
        "UPDATE outbox SET status = ?, reason = ? WHERE status = 'held'"
        " AND journey_id IN (SELECT id FROM journey WHERE status = ?)",
        (SUPPRESSED, rules.REASON_DEACTIVATED, DEACTIVATED))
    conn.executemany(
        "UPDATE message_count SET written = written - ? WHERE journey_id = ? AND node = ?"
        " AND channel = ?", [(k, j, n, c) for j, n, c, k in rows])
    return sum(k for *_, k in rows)
