"""The tick's part of SPEC §13: quiet hours, frequency caps and rate limits, set-based.

The messages a node is about to write are staged in ``temp.jd_pol`` (customer, entry,
due time, the customer's zone name), in the batch's transaction; a few statements over
that table give each its ``send_at`` and status, in the order exit rules (done before any
message of the tick) → quiet hours → caps → rate limit; the outbox insert then takes them
from there. Caps count the customer's messages already written, by every journey that
obeys caps, on the (external_id, send_at) index, plus the ones staged before it in the same
statement (a rank per customer), all inside the batch's transaction: journeys are ticked
one after another, so one tick never exceeds a cap. When nothing the caps count lies
within reach of the batch's customers' due times, that look-up is skipped.
Rate limits fill minutes in due order from a small slot table. Zone arithmetic runs in
Python (``domain.policy``) through registered functions cached per (time, zone).
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
# A calendar day or week as one number (start << SPAN_BITS | length in seconds), so the
# one-pass insert calls Python once per message and unit, not once per bound.
SPAN_BITS = 20
MERGED_CAPS = 3  # up to three caps share one index probe (SPAN_BITS bits of count each)


@dataclass
class Staged:
    """What the policy did to the messages of one node."""

    held: int = 0
    suppressed: dict[str, int] = field(default_factory=dict)


@dataclass
class PolicyTick:
    """The policy one tick applies, read once at its start."""

    policy: Policy
    optouts: tuple[int, ...]  # journeys that opted out of caps
    zones: rules.ZoneBook
    invalid_zone_messages: int = 0
    seen_invalid: set[str] = field(default_factory=set)
    noted: Staged = field(default_factory=lambda: Staged())  # by ``jd_policy_note``

    def applies(self, channel: str, obeys_caps: bool) -> bool:
        return bool(self.policy.quiet_for(channel) or self.policy.rate_for(channel)
                    or (obeys_caps and self.caps_for(channel)))

    def caps_for(self, channel: str) -> list[Cap]:
        return [cap for cap in self.policy.caps if cap.applies_to(channel)]


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
    _register(conn, state)
    conn.execute(
        "CREATE TEMP TABLE IF NOT EXISTS jd_pol (ext TEXT NOT NULL,"
        " entry_number INTEGER NOT NULL, due INTEGER NOT NULL, zone TEXT,"
        " send_at INTEGER NOT NULL, status TEXT NOT NULL, reason TEXT,"
        " k INTEGER NOT NULL DEFAULT 1, r INTEGER, PRIMARY KEY (ext, entry_number))")
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS jd_slot (lo INTEGER NOT NULL,"
                 " hi INTEGER NOT NULL, minute INTEGER NOT NULL)")
    return state, text


def _register(conn: sqlite3.Connection, state: PolicyTick) -> None:
    zones = state.zones

    @lru_cache(maxsize=65_536)
    def quiet_end(due: int, zone: str | None, start: int, end: int) -> int:
        quiet = rules.QuietHours(int(start), int(end))
        return rules.quiet_end(int(due), quiet, zones.zone(zone))

    @lru_cache(maxsize=65_536)
    def calendar(ts: int, zone: str | None, unit: int, bound: int) -> int:
        name = rules.CALENDAR_WEEK if unit else rules.CALENDAR_DAY
        return rules.calendar_bounds(int(ts), name, zones.zone(zone))[int(bound)]

    def note(status: str, reason: str | None) -> str:
        """Counts a held or suppressed message as the outbox insert writes it."""
        if status == HELD:
            state.noted.held += 1
        else:
            why = str(reason)
            state.noted.suppressed[why] = state.noted.suppressed.get(why, 0) + 1
        return status

    conn.create_function("jd_policy_note", 2, note)
    conn.create_function("jd_quiet_end", 4, quiet_end, deterministic=True)
    @lru_cache(maxsize=65_536)
    def calendar_span(ts: int, zone: str | None, unit: int) -> int:
        start, end = calendar(ts, zone, unit, 0), calendar(ts, zone, unit, 1)
        return (start << SPAN_BITS) | (end - start)

    conn.create_function("jd_calendar", 4, calendar, deterministic=True)
    conn.create_function("jd_calendar_span", 3, calendar_span, deterministic=True)


def _zone_sql(policy: Policy) -> tuple[str, list[object]]:
    """The customer's zone name from their profile ``p``, or NULL (the computer's)."""
    if not policy.timezone_field:
        return "NULL", []
    sql, params = sqlite_sql.field_value_sql("p.fields", policy.timezone_field)
    return sql, list(params)


def _verdict_sql(state: PolicyTick, channel: str, obeys_caps: bool, inner: str,
                 probe: bool = True) -> tuple[str, list[object]]:
    """The rows of ``inner`` (``ext``, ``entry_number``, ``due``, ``zone``, …) with their
    ``send_at`` and ``reason`` (NULL unless suppressed) after quiet hours and caps, in that
    order (SPEC §13). Each level is computed once per row (``limit_once``); the parameters
    returned come before ``inner``'s own. Without ``probe`` (nothing the caps count is within
    reach: ``_caps_within_reach``) no message can be over a cap and the outbox is not read;
    the calendar spans are still computed without quiet hours, so bad zones are still met."""
    quiet = state.policy.quiet_for(channel)
    moved = "due" if quiet is None else f"jd_quiet_end(due, zone, {quiet.start}, {quiet.end})"
    skip = quiet is not None and quiet.action == rules.SKIP
    whens: list[str] = []
    params: list[object] = []
    if skip:
        whens.append(f"WHEN q <> due THEN '{rules.REASON_QUIET}'")
    caps = state.caps_for(channel) if obeys_caps else []
    spanned = caps if probe or quiet is None else []
    if not probe:
        caps = []
    counted, counted_params = "", list[object]()
    if 2 <= len(caps) <= MERGED_CAPS:
        counted, counted_params = _caps_counted_sql(state, caps, channel)
        for i, cap in enumerate(caps):
            whens.append(f"WHEN ((counted >> {i * SPAN_BITS}) & {(1 << SPAN_BITS) - 1}) + 1"
                         f" > {cap.max} THEN ?")
            params.append(cap_reason(cap))
    else:
        for cap in caps:
            sql, more = _over_cap_sql(state, cap, channel, "q", "zone", "ext", "1", spans=True)
            whens.append(f"WHEN {sql} THEN ?")
            params += [*more, cap_reason(cap)]
    reason = f"CASE {' '.join(whens)} END" if whens else "NULL"
    units = sorted({_CAL_UNITS[cap.calendar] for cap in spanned if cap.calendar})
    spans = "".join(f", jd_calendar_span(q, zone, {unit}) AS span{unit}" for unit in units)
    once = sqlite_sql.limit_once()
    levels = f"SELECT *, {moved} AS q FROM ({inner}) {once}"
    if spans:  # a level only when there are spans: each one copies every row
        levels = f"SELECT *{spans} FROM ({levels}) {once}"
    if counted:
        levels = f"SELECT *, {counted} AS counted FROM ({levels}) {once}"
    return (f"SELECT *, {'due' if skip else 'q'} AS send_at, {reason} AS reason FROM ("
            f"{levels}) {once}", [*params, *counted_params])


def _caps_counted_sql(state: PolicyTick, caps: list[Cap], channel: str
                      ) -> tuple[str, list[object]]:
    """One index probe for several caps: the customer's messages in the union of their
    windows, counted per cap into one number (SPAN_BITS bits a cap)."""
    parts: list[str] = []
    lows: list[str] = []
    highs: list[str] = []
    params: list[object] = []
    for i, cap in enumerate(caps):
        window = _cap_window(cap, "q", "zone", spans=True)
        if cap.channel != rules.ANY:
            window += " AND o.channel = ?"
            params.append(channel)
        parts.append(f"(coalesce(sum({window}), 0) << {i * SPAN_BITS})")
        if cap.calendar:
            span = f"span{_CAL_UNITS[cap.calendar]}"
            lows.append(f"({span} >> {SPAN_BITS})")
            highs.append(f"({span} >> {SPAN_BITS}) + ({span} & {(1 << SPAN_BITS) - 1}) - 1")
        else:
            lows.append(f"q - {int(cap.seconds) - 1}")
            highs.append(f"q + {int(cap.seconds) - 1}")
    return (f"(SELECT {' + '.join(parts)} FROM outbox o WHERE o.external_id = ext"
            f" AND o.send_at BETWEEN min({', '.join(lows)}) AND max({', '.join(highs)})"
            f" AND o.status <> '{SUPPRESSED}'{_optouts_sql(state)})", params)


# How far from its due time a message's cap windows can reach: a quiet window's end is
# within a day (and a DST shift) of it, a calendar day or week holds it.
_QUIET_REACH = 2 * 86_400
_CAL_REACH = {rules.CALENDAR_DAY: 2 * 86_400, rules.CALENDAR_WEEK: 9 * 86_400}


def _caps_within_reach(conn: sqlite3.Connection, state: PolicyTick, channel: str,
                       obeys_caps: bool, source: str, source_params: list[object]) -> bool:
    """Whether any of the batch's customers has a message the caps count near enough to
    their due time to be in one of its cap windows; when none has, nobody can be over a cap
    (a cap is at least 1 and a statement writes one message per customer and node), so the
    insert neither looks the caps up per message nor copies its rows first. One probe per
    customer on the outbox's (external_id, send_at) index, stopping at the first found."""
    caps = state.caps_for(channel) if obeys_caps else []
    if not caps:
        return False
    reach = _QUIET_REACH + max(_CAL_REACH[cap.calendar] if cap.calendar else int(cap.seconds)
                               for cap in caps)
    channel_sql, params = "", list[object]()
    if all(cap.channel != rules.ANY for cap in caps):
        channel_sql = " AND o.channel = ?"
        params.append(channel)
    return bool(conn.execute(
        f"SELECT EXISTS (SELECT 1 FROM ({source}) AS w CROSS JOIN outbox o"
        f" ON o.external_id = w.ext AND o.send_at BETWEEN w.due - {reach} AND w.due + {reach}"
        f" WHERE o.status <> '{SUPPRESSED}'{channel_sql}{_optouts_sql(state)})",
        [*source_params, *params]).fetchone()[0])


def _status_sql(now: int, note: bool) -> str:
    """A message's status from its reason and send_at; ``note`` counts the held and the
    suppressed as they are written (``jd_policy_note``)."""
    suppressed, held = (f"jd_policy_note('{SUPPRESSED}', reason)",
                        f"jd_policy_note('{HELD}', NULL)") if note else (
        f"'{SUPPRESSED}'", f"'{HELD}'")
    return (f"CASE WHEN reason IS NOT NULL THEN {suppressed} WHEN send_at > {int(now)}"
            f" THEN {held} ELSE '{READY}' END")


def _count_invalid_zones(conn: sqlite3.Connection, state: PolicyTick, rows_sql: str,
                         params: list[object]) -> None:
    """Messages whose customer's zone name is no zone (met by the zone functions so far)."""
    if not state.zones.invalid:
        return
    names = sorted(state.zones.invalid)
    marks = ", ".join("?" for _ in names)
    (bad,) = conn.execute(f"SELECT count(*) FROM ({rows_sql}) WHERE zone IN ({marks})",
                          (*params, *names)).fetchone()
    state.invalid_zone_messages += int(bad)
    state.seen_invalid |= set(names)


def _customers_sql(source: str, zone_sql: str, columns: str = "") -> str:
    return (f"SELECT w.ext AS ext, w.entry_number AS entry_number,{columns} w.due AS due,"
            f" {zone_sql} AS zone FROM ({source}) AS w"
            f" LEFT JOIN profile p ON p.external_id = w.ext {sqlite_sql.limit_once()}")


def stage(conn: sqlite3.Connection, state: PolicyTick, channel: str, obeys_caps: bool,
          source: str, source_params: list[object], now: int) -> Staged:
    """Fill ``temp.jd_pol`` with the node's messages, each with its ``send_at``, status and
    reason: quiet hours and caps as they are staged, then the rate limit over them all."""
    policy = state.policy
    conn.execute("DELETE FROM temp.jd_pol")
    zone_sql, zone_params = _zone_sql(policy)
    inner = _customers_sql(source, zone_sql)
    verdict, params = _verdict_sql(state, channel, obeys_caps, inner)
    conn.execute(
        "INSERT OR IGNORE INTO temp.jd_pol (ext, entry_number, due, zone, send_at, status,"
        f" reason) SELECT ext, entry_number, due, zone, send_at, {_status_sql(now, False)},"
        f" reason FROM ({verdict})", (*params, *zone_params, *source_params))
    _count_invalid_zones(conn, state, "SELECT zone FROM temp.jd_pol", [])
    caps = state.caps_for(channel) if obeys_caps else []
    if caps:
        _apply_caps_in_batch(conn, state, caps, channel)
    rates = policy.rate_for(channel)
    for limit in rates:
        _apply_rate(conn, limit, channel, now)
    if rates:
        conn.execute("UPDATE temp.jd_pol SET status = ? WHERE status = ? AND send_at > ?",
                     (HELD, READY, now))
    done = Staged()
    for status, why, count in conn.execute(
            "SELECT status, reason, count(*) FROM temp.jd_pol WHERE status <> ?"
            " GROUP BY status, reason", (READY,)):
        if status == HELD:
            done.held += int(count)
        else:
            done.suppressed[str(why)] = done.suppressed.get(str(why), 0) + int(count)
    return done


def staged_first(state: PolicyTick, channel: str) -> bool:
    """Whether the node's messages are staged first (a rate limit ranks them all); else
    the outbox insert itself applies quiet hours and caps in one pass."""
    return bool(state.policy.rate_for(channel))


def insert_in_one_pass(conn: sqlite3.Connection, state: PolicyTick, channel: str,
                       obeys_caps: bool, head: tuple[str, list[object]],
                       rendered: tuple[list[str], list[object]],
                       source: tuple[str, list[object]], keep: str, now: int
                       ) -> tuple[int, Staged]:
    """The outbox insert with quiet hours and caps applied as it goes (no staging).

    ``head`` is the INSERT up to its SELECT, which this adds ``title, body, url, extra,
    due_at, created_at, send_at, status, reason`` to; ``rendered`` the four rendered
    columns over ``w`` (the ``source`` rows) and ``p`` (their profile); ``keep`` filters the
    rendered rows. The caps read the outbox while it is written: SQLite materialises the
    rows first, which is right because a node writes at most one message per customer per
    statement (one run in progress per customer and journey)."""
    zone_sql, zone_params = _zone_sql(state.policy)
    columns, render_params = rendered
    named = "".join(f" {sql} AS {name}," for sql, name in zip(
        columns, ("title", "body", "url", "extra"), strict=True))
    probe = _caps_within_reach(conn, state, channel, obeys_caps, *source)
    verdict, params = _verdict_sql(state, channel, obeys_caps,
                                   _customers_sql(source[0], zone_sql, named), probe)
    state.noted = Staged()
    inserted = int(conn.execute(
        f"{head[0]} title, body, url, extra, due, {int(now)}, send_at,"
        f" {_status_sql(now, True)}, reason FROM ({verdict}) WHERE {keep}"
        " ON CONFLICT DO NOTHING",
        (*head[1], *params, *render_params, *zone_params, *source[1])).rowcount)
    _count_invalid_zones(conn, state, _customers_sql(source[0], zone_sql),
                         [*zone_params, *source[1]])
    return inserted, state.noted


def cap_reason(cap: Cap) -> str:
    return f"cap {cap.text()}"


def _optouts_sql(state: PolicyTick) -> str:
    """Leave out the messages of the journeys that opted out of caps."""
    if not state.optouts:
        return ""
    return f" AND o.journey_id NOT IN ({', '.join(str(j) for j in state.optouts)})"


def _cap_window(cap: Cap, at: str, zone: str, spans: bool) -> str:
    """Whether the outbox row ``o`` lies in ``cap``'s window around ``at``."""
    if cap.calendar and spans:  # the row's ``span<unit>`` column
        span = f"span{_CAL_UNITS[cap.calendar]}"
        return (f"o.send_at >= ({span} >> {SPAN_BITS}) AND o.send_at < ({span} >> {SPAN_BITS})"
                f" + ({span} & {(1 << SPAN_BITS) - 1})")
    if cap.calendar:
        unit = _CAL_UNITS[cap.calendar]
        return (f"o.send_at >= jd_calendar({at}, {zone}, {unit}, 0)"
                f" AND o.send_at < jd_calendar({at}, {zone}, {unit}, 1)")
    # Within ``per`` on either side: held messages may lie ahead of this one.
    return (f"o.send_at > {at} - {int(cap.seconds)}"
            f" AND o.send_at < {at} + {int(cap.seconds)}")


def _over_cap_sql(state: PolicyTick, cap: Cap, channel: str, at: str, zone: str, ext: str,
                  rank: str, spans: bool = False) -> tuple[str, list[object]]:
    """Whether a message of ``ext`` at ``at`` would take them over ``cap``: the messages
    already written by the journeys that obey caps, plus ``rank`` (itself and those before
    it among the staged ones)."""
    channel_sql = "" if cap.channel == rules.ANY else " AND o.channel = ?"
    params: list[object] = [] if cap.channel == rules.ANY else [channel]
    optouts = _optouts_sql(state)
    window = _cap_window(cap, at, zone, spans)
    # Counting stops at the cap: a customer with a long history costs no more than that.
    return (f"{rank} + (SELECT count(*) FROM (SELECT 1 FROM outbox o WHERE o.external_id ="
            f" {ext} AND {window} AND o.status <> '{SUPPRESSED}'{channel_sql}{optouts}"
            f" LIMIT {cap.max})) > {cap.max}", params)


def _apply_caps_in_batch(conn: sqlite3.Connection, state: PolicyTick, caps: list[Cap],
                         channel: str) -> None:
    """A customer staged more than once (rare: several runs at one node): the later ones
    count the earlier ones too."""
    (repeated,) = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM temp.jd_pol GROUP BY ext HAVING count(*) > 1)"
    ).fetchone()
    if not repeated:
        return
    conn.execute(
        "UPDATE temp.jd_pol SET k = o.k FROM (SELECT ext AS e, entry_number AS n,"
        " row_number() OVER (PARTITION BY ext ORDER BY send_at, entry_number) AS k"
        " FROM temp.jd_pol) AS o WHERE temp.jd_pol.ext = o.e"
        " AND temp.jd_pol.entry_number = o.n")
    for cap in caps:
        sql, params = _over_cap_sql(state, cap, channel, "temp.jd_pol.send_at",
                                    "temp.jd_pol.zone", "temp.jd_pol.ext", "temp.jd_pol.k")
        conn.execute(f"UPDATE temp.jd_pol SET status = ?, reason = ? WHERE k > 1"
                     f" AND status <> ? AND {sql}",
                     (SUPPRESSED, cap_reason(cap), SUPPRESSED, *params))


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
            named, named_params = sqlite_sql.event_named("e", rule.event)
            parts.append(
                "EXISTS (SELECT 1 FROM event e WHERE e.external_id = r.external_id"
                f" AND {named} AND e.occurred_at > r.started_at AND e.occurred_at <= ?"
                f" AND {match_sql})")
            params += [*named_params, int(now), *match_params]
    return " OR ".join(parts), params


def held_due(conn: sqlite3.Connection, journey_id: int, now: int) -> bool:
    """Whether the journey has held messages whose time came (a read, before any write)."""
    return bool(conn.execute(
        "SELECT EXISTS (SELECT 1 FROM outbox WHERE status = 'held' AND journey_id = ?"
        " AND send_at <= ?)", (journey_id, int(now))).fetchone()[0])


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
