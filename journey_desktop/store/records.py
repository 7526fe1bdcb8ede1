"""Peewee records: the tables of the one local database. Times are UTC Unix seconds."""

from __future__ import annotations

from peewee import (
    SQL,
    AutoField,
    CompositeKey,
    ForeignKeyField,
    IntegerField,
    Model,
    NodeList,
    SqliteDatabase,
    TextField,
)

from journey_desktop.domain.lifecycle import IN_PROGRESS
from journey_desktop.store.db import database


class AutoIncrementField(AutoField):
    """An id never given twice: SQLite's AUTOINCREMENT; a PostgreSQL sequence never goes
    back by itself."""

    def ddl(self, ctx: object) -> NodeList:
        nodes = super().ddl(ctx)
        database = self.model._meta.database
        if isinstance(getattr(database, "obj", database), SqliteDatabase):
            return NodeList((nodes, SQL("AUTOINCREMENT")))
        return nodes


class BaseRecord(Model):
    class Meta:
        database = database
        legacy_table_names = False


class SchemaVersionRecord(BaseRecord):
    version = IntegerField(primary_key=True)
    applied_at = IntegerField()

    class Meta:
        table_name = "schema_version"


class SettingRecord(BaseRecord):
    """Preferences shared by the window and the command line (tick interval, ...)."""

    key = TextField(primary_key=True)
    value = TextField()

    class Meta:
        table_name = "setting"


class JourneyRecord(BaseRecord):
    id = AutoField()
    name = TextField()
    name_key = TextField(unique=True)  # casefolded name: uniqueness ignores case
    description = TextField(default="")
    status = TextField(default="draft", index=True)  # draft | active | deactivated
    definition = TextField()  # the journey file (JSON), activation options included
    audience_columns = TextField(default="{}")  # JSON: column -> type, from the last import
    # csv | all: the definition's, for the SQL that needs it
    audience = TextField(default="csv", constraints=[SQL("DEFAULT 'csv'")])
    created_at = IntegerField()
    updated_at = IntegerField()
    activated_at = IntegerField(null=True)
    deactivated_at = IntegerField(null=True)
    # Several editors (SPEC §14): +1 on every saved change, and who made the last one (the
    # database user on a team database, the login name on a SQLite file; '' before 13).
    version = IntegerField(default=1, constraints=[SQL("DEFAULT 1")])
    updated_by = TextField(default="", constraints=[SQL("DEFAULT ''")])

    class Meta:
        table_name = "journey"


class ProfileRecord(BaseRecord):
    """One customer of the whole database (SPEC §4): the same person in every journey.

    ``fields`` is a JSON object of typed values (numbers, ISO dates, text); a field that is
    not set is absent. Keyed on the ID itself, without a rowid, so an import writes one
    B-tree entry per profile. ``import_id`` is the last import that named the customer, which
    is how an import counts what it added and updated without a second pass over the file.
    """

    external_id = TextField(primary_key=True)
    fields = TextField(default="{}")
    created_at = IntegerField()
    updated_at = IntegerField()
    import_id = IntegerField(null=True)

    class Meta:
        table_name = "profile"
        without_rowid = True


class MemberRecord(BaseRecord):
    """A customer's membership of one journey's audience, with the per-journey state."""

    journey = ForeignKeyField(JourneyRecord, on_delete="CASCADE", backref="members", index=False)
    external_id = TextField()
    entries = IntegerField(default=0)
    first_check_at = IntegerField(null=True)  # anchor of the re-check rhythm
    next_check_at = IntegerField(null=True)  # NULL: never checked again
    imported_at = IntegerField()
    import_id = IntegerField(null=True)  # the last import that named the customer

    class Meta:
        table_name = "member"
        primary_key = CompositeKey("journey", "external_id")
        without_rowid = True


# Who is due for a check: only members that will be checked again are in it, so a run
# that ends a customer's checks removes one entry instead of moving it.
MemberRecord.add_index(
    MemberRecord.index(
        MemberRecord.journey, MemberRecord.next_check_at,
        name="member_journey_id_next_check_at",
    ).where(MemberRecord.next_check_at.is_null(False))
)


class RunRecord(BaseRecord):
    """One pass of one customer through a journey (entry number N).

    AUTOINCREMENT: a run id is never given twice, even after a journey's runs are deleted,
    so a goal mark (``goal_mark.run_id``: the runs above it are new) never passes over a
    new run."""

    id = AutoIncrementField()
    journey = ForeignKeyField(JourneyRecord, on_delete="CASCADE", backref="runs", index=False)
    external_id = TextField()
    entry_number = IntegerField()
    state = TextField(default=IN_PROGRESS)  # IN_PROGRESS | COMPLETED | STOPPED
    node = TextField()  # the node the run is at (waiting in, or about to run)
    due_at = IntegerField(null=True)  # when the node falls due; NULL once ended
    started_at = IntegerField()
    ended_at = IntegerField(null=True)
    end_reason = TextField(null=True)  # exit | deactivated | left_audience | ...
    path = TextField(default="")  # the nodes reached, "node@time " each: the run's trace
    event_seq = IntegerField(null=True)  # the event that started the run (SPEC §11)
    matched_seq = IntegerField(null=True)  # the last event a wait_event matched
    wait_since = IntegerField(null=True)  # when the run began waiting at its wait_event

    class Meta:
        table_name = "run"
        indexes = (
            (("journey", "external_id", "entry_number"), True),
            (("journey", "state", "due_at"), False),
        )


class NodeVisitRecord(BaseRecord):
    """How many runs reached each node: the per-node counts shown on the canvas.

    Kept as counters written in the same transaction that moves the runs on (exact, and
    cheap at a million customers); the per-run trace is ``RunRecord.path``.
    """

    journey = ForeignKeyField(JourneyRecord, on_delete="CASCADE", index=False)
    node = TextField()
    visits = IntegerField(default=0)

    class Meta:
        table_name = "node_visit"
        primary_key = CompositeKey("journey", "node")
        without_rowid = True


class OutboxRecord(BaseRecord):
    """One message written by the evaluator; the unique key makes each send happen once.

    AUTOINCREMENT: the id is the second half of the message_id (SPEC §15), which must never
    be given to another message, even after a journey's messages are deleted."""

    id = AutoIncrementField()
    journey = ForeignKeyField(JourneyRecord, on_delete="CASCADE", backref="messages", index=False)
    external_id = TextField()
    entry_number = IntegerField()
    node = TextField()
    channel = TextField()
    title = TextField(default="")  # push/in-app title, email subject, WhatsApp template
    body = TextField(default="")
    url = TextField(default="")
    extra = TextField(default="{}")  # other rendered fields (from_name, ...), JSON
    due_at = IntegerField()
    created_at = IntegerField()
    exported_at = IntegerField(null=True)
    status = TextField(default="ready")  # ready | held | suppressed | exported (SPEC §13)
    send_at = IntegerField(null=True)  # when it may go: due_at moved by quiet hours, rate
    reason = TextField(null=True)  # why a suppressed message was not written

    class Meta:
        table_name = "outbox"
        indexes = (
            (("journey", "external_id", "entry_number", "node"), True),
            (("journey", "due_at"), False),
            (("external_id", "send_at"), False),  # a customer's messages, for the caps
        )


# Held messages, found by when they may go: the tick makes them ready (SPEC §13).
OutboxRecord.add_index(
    OutboxRecord.index(OutboxRecord.journey, OutboxRecord.send_at,
                       name="outbox_held_journey_id_send_at")
    .where(OutboxRecord.status == "held")
)
# Suppressed messages per journey and reason, for the statistics.
OutboxRecord.add_index(
    OutboxRecord.index(OutboxRecord.journey, OutboxRecord.reason,
                       name="outbox_suppressed_journey_id_reason")
    .where(OutboxRecord.status == "suppressed")
)


class RateSlotRecord(BaseRecord):
    """Messages given each minute, per channel (``any`` for all), for the rate limits."""

    channel = TextField()
    minute = IntegerField()  # UTC seconds // 60
    used = IntegerField()

    class Meta:
        table_name = "rate_slot"
        primary_key = CompositeKey("channel", "minute")
        without_rowid = True


class EventRecord(BaseRecord):
    """A customer event (SPEC §11), shared by every journey, keyed by the customer ID.

    ``seq`` is the import order: the evaluator takes new events by seq (past a watermark),
    never by their timestamps, so a late file is never skipped. AUTOINCREMENT: a seq is never
    given twice, even after the newest events are deleted, so no watermark can pass over a
    new event. ``event_key`` is the messageId or a hash of the content (``events_file``): an
    event is stored once. ``properties`` is its JSON object, stored only here.

    Indexes, for the evaluator's questions: new events are a range of seq (the rowid: no
    index); a customer's events by name and time, on (external_id, name, occurred_at). No
    (name, seq) index: "new events of this name" is answered by the seq range, whose cost
    follows the new events already, and that index added a quarter to an import's time.
    """

    seq = AutoIncrementField()
    event_key = TextField(unique=True)
    external_id = TextField()
    name = TextField()
    occurred_at = IntegerField()  # the event's own timestamp, UTC seconds
    properties = TextField(default="{}")
    imported_at = IntegerField()
    import_id = IntegerField()
    # A delivery report's event (SPEC §15): the message's step on the ladder before it, so
    # that ``message_clicked`` from step 2 also stands for ``message_opened`` (NULL: any
    # other event). See ``domain.delivery.ladder_event``.
    ladder_from = IntegerField(null=True)

    class Meta:
        table_name = "event"
        # A customer's events by name and time (waits, history, the timeline).
        indexes = ((("external_id", "name", "occurred_at"), False),)


class EventMarkRecord(BaseRecord):
    """A journey's import-order watermark: the events up to ``seq`` are in its queue or
    were taken (set at activation, so older events never start anything)."""

    journey = ForeignKeyField(JourneyRecord, on_delete="CASCADE", primary_key=True)
    seq = IntegerField()

    class Meta:
        table_name = "event_mark"


class EventQueueRecord(BaseRecord):
    """Events a journey has still to take: ``kind`` 'e' may start a run, 'w' may end a wait.

    Kept until due: an event whose timestamp is after the tick's ``now`` waits here for the
    first tick at or after it, so the watermark can pass it without dropping it."""

    journey = ForeignKeyField(JourneyRecord, on_delete="CASCADE", index=False)
    kind = TextField()
    seq = IntegerField()
    external_id = TextField()
    name = TextField()
    # When it falls due: the event's timestamp, or 0 for an entry event already due when
    # queued (its timestamp is the event's).
    occurred_at = IntegerField()

    class Meta:
        table_name = "event_queue"
        primary_key = CompositeKey("journey", "kind", "seq")
        without_rowid = True
        indexes = ((("journey", "kind", "occurred_at"), False),)


class WaitTimeoutRecord(BaseRecord):
    """A wait for an event that timed out: an event of its window imported later is late."""

    journey = ForeignKeyField(JourneyRecord, on_delete="CASCADE", index=False)
    external_id = TextField()
    entry_number = IntegerField()
    node = TextField()
    since = IntegerField()
    deadline = IntegerField()

    class Meta:
        table_name = "wait_timeout"
        primary_key = CompositeKey("journey", "external_id", "entry_number", "node")
        without_rowid = True


class WaitEventCountRecord(BaseRecord):
    """Per wait_event node: runs that matched, timed out, and events that came too late."""

    journey = ForeignKeyField(JourneyRecord, on_delete="CASCADE", index=False)
    node = TextField()
    matched = IntegerField(default=0)
    timed_out = IntegerField(default=0)
    late = IntegerField(default=0)

    class Meta:
        table_name = "wait_event_count"
        primary_key = CompositeKey("journey", "node")
        without_rowid = True


class MessageCountRecord(BaseRecord):
    """Messages written per message node (and its channel): kept by the evaluator in the
    transaction that writes them, so statistics read a few rows, not the outbox."""

    journey = ForeignKeyField(JourneyRecord, on_delete="CASCADE", index=False)
    node = TextField()
    channel = TextField()
    written = IntegerField(default=0)

    class Meta:
        table_name = "message_count"
        primary_key = CompositeKey("journey", "node", "channel")
        without_rowid = True


class DeliveryRecord(BaseRecord):
    """What the delivery reports said of one message (SPEC §15), one row per message.

    ``level`` is its furthest step on the ladder (sent 1 … clicked 4, 0 none) and only
    grows; each ``<status>_at`` is when it first reached that status (a click sets the
    open, delivery and send it implies, when they were not set yet); bounced, failed and
    unsubscribed are apart. ``early``: a status came with a timestamp before the message
    was written (kept, and flagged); ``line``, ``detail``: the last line that moved it.
    """

    outbox = ForeignKeyField(OutboxRecord, on_delete="CASCADE", primary_key=True)
    level = IntegerField(default=0)
    sent_at = IntegerField(null=True)
    delivered_at = IntegerField(null=True)
    opened_at = IntegerField(null=True)
    clicked_at = IntegerField(null=True)
    bounced_at = IntegerField(null=True)
    failed_at = IntegerField(null=True)
    unsubscribed_at = IntegerField(null=True)
    detail = TextField(default="")
    early = IntegerField(default=0)
    line = IntegerField()
    imported_at = IntegerField()
    import_id = IntegerField()

    class Meta:
        table_name = "delivery"


class DeliveryCountRecord(BaseRecord):
    """Report lines that moved a message, per node, channel, status given, the step the
    message stood at before (``prior``: a line from step 1 to clicked counts as delivered,
    opened and clicked) and quarter hour (UTC start): kept in the transaction of each
    report import, so statistics read a few rows, not millions. Quarter hours, because
    every time zone's day starts on one."""

    journey = ForeignKeyField(JourneyRecord, on_delete="CASCADE", index=False)
    node = TextField()
    channel = TextField()
    status = TextField()
    prior = IntegerField(default=0)
    bucket = IntegerField()
    count = IntegerField(default=0)

    class Meta:
        table_name = "delivery_count"
        primary_key = CompositeKey("journey", "node", "channel", "status", "prior", "bucket")
        without_rowid = True


class ForecastDayRecord(BaseRecord):
    """The forecast made when the journey was activated, per local day (plan against
    actual, SPEC §15): kept as it was made, replaced only by a new activation."""

    journey = ForeignKeyField(JourneyRecord, on_delete="CASCADE", index=False)
    day = TextField()  # ISO date
    entered = IntegerField(default=0)
    messages = IntegerField(default=0)
    made_at = IntegerField()

    class Meta:
        table_name = "forecast_day"
        primary_key = CompositeKey("journey", "day")
        without_rowid = True


class ConversionRecord(BaseRecord):
    """A run that reached the journey's goal (SPEC §12), once: the earliest goal event of
    its window. Kept when the run ends, so conversions after an exit count. The customer
    and entry number are copied from the run, so results join the branch a run took."""

    run = ForeignKeyField(RunRecord, on_delete="CASCADE", primary_key=True)
    journey = ForeignKeyField(JourneyRecord, on_delete="CASCADE", index=False)
    external_id = TextField()
    entry_number = IntegerField()
    started_at = IntegerField()  # the run's entry: whether its window closed is read here
    converted_at = IntegerField()
    event_seq = IntegerField()

    class Meta:
        table_name = "conversion"
        indexes = ((("journey", "started_at"), False),)


class GoalMarkRecord(BaseRecord):
    """How far the goal and exit rules have looked: events up to ``seq`` against every run,
    runs up to ``run_id`` against the events before them. New events and new runs only.

    The exit rules on fields looked at the profiles written by imports up to ``profiles``
    (``sqlite_bulk.profiles_written``) on the local day ``fields_day`` (an ordinal); NULL
    until they first looked at every run in progress."""

    journey = ForeignKeyField(JourneyRecord, on_delete="CASCADE", primary_key=True)
    seq = IntegerField()
    run_id = IntegerField()
    profiles = IntegerField(null=True)
    fields_day = IntegerField(null=True)

    class Meta:
        table_name = "goal_mark"


class RunBranchRecord(BaseRecord):
    """The branch each run took at a split of a journey with a goal, with the run's
    entry time and whether it converted, so A/B results are one pass over this table."""

    journey = ForeignKeyField(JourneyRecord, on_delete="CASCADE", index=False)
    node = TextField()
    branch = IntegerField()
    started_at = IntegerField()
    external_id = TextField()
    entry_number = IntegerField()
    converted = IntegerField(default=0)

    class Meta:
        table_name = "run_branch"
        primary_key = CompositeKey("journey", "node", "branch", "started_at", "external_id",
                                   "entry_number")
        without_rowid = True
        indexes = ((("journey", "external_id", "entry_number", "node"), True),)


class EvaluatorLockRecord(BaseRecord):
    """Which process runs the evaluator on this database (one at a time)."""

    name = TextField(primary_key=True)
    holder = TextField()  # "pid@host"
    pid = IntegerField()
    host = TextField()
    acquired_at = IntegerField()
    heartbeat_at = IntegerField()

    class Meta:
        table_name = "evaluator_lock"


ALL_RECORDS: list[type[BaseRecord]] = [
    SchemaVersionRecord,
    SettingRecord,
    JourneyRecord,
    ProfileRecord,
    MemberRecord,
    RunRecord,
    NodeVisitRecord,
    OutboxRecord,
    RateSlotRecord,
    EventRecord,
    EventMarkRecord,
    EventQueueRecord,
    WaitTimeoutRecord,
    WaitEventCountRecord,
    MessageCountRecord,
    DeliveryRecord,
    DeliveryCountRecord,
    ForecastDayRecord,
    EvaluatorLockRecord,
    ConversionRecord,
    GoalMarkRecord,
    RunBranchRecord,
]
