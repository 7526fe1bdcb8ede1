"""``outbox report``, ``report`` and ``stats``' delivery figures (SPEC §7, §15)."""

from __future__ import annotations

import csv
import datetime as dt
import json

import pytest

from journey_desktop.store import close_store, open_store
from journey_desktop.store.delivery_status import database_id
from journey_desktop.store.records import OutboxRecord
from tests.conftest import example_path

pytestmark = pytest.mark.both_databases
# The tick runs tomorrow (always after the activation, which takes the real clock), the
# customers signed up the day before it, and the report comes an hour after the tick.
DAY = dt.date.today() + dt.timedelta(days=1)
SIGNUP = (DAY - dt.timedelta(days=1)).isoformat()
CUSTOMERS = f"customerId,firstName,signupDate,plan\nC1,Ann,{SIGNUP},premium\nC2,Bob,{SIGNUP},free\n"
TICK = f"{DAY.isoformat()}T09:00:00+00:00"
LATER = f"{DAY.isoformat()}T10:00:00Z"


def exported(cli, tmp_path) -> list[dict[str, str]]:
    created = cli("create", str(example_path("welcome-series")))
    assert created.code == 0, created.err
    (tmp_path / "c.csv").write_text(CUSTOMERS, encoding="utf-8")
    assert cli("audience", "import", "1", str(tmp_path / "c.csv")).code == 0
    activated = cli("activate", "1")
    assert activated.code == 0 and "forecast kept: 30 days" in activated.out
    assert cli("tick", "--now", TICK).code == 0
    target = tmp_path / "out.csv"
    assert cli("outbox", "export", "-o", str(target)).code == 0
    return list(csv.DictReader(target.open(encoding="utf-8-sig", newline="")))


def test_outbox_report_prints_counts_and_says_what_was_wrong(cli, tmp_path):
    rows = exported(cli, tmp_path)
    assert [row["entry"] for row in rows] == ["1", "1"]
    first, second = (row["message_id"] for row in rows)
    path = tmp_path / "r.csv"
    path.write_text("message_id,status,timestamp\n"
                    f"{first},clicked,{LATER}\n{second},read,{LATER}\n"
                    f"{first}9999,opened,{LATER}\n", encoding="utf-8")
    result = cli("outbox", "report", str(path))
    assert result.code == 1
    assert result.out == "read: 3\napplied: 1\nduplicates: 0\nunknown: 1\nrejected: 1\n"
    assert "line 3: unknown status 'read'" in result.err
    assert "line 4: no such message in this database" in result.err
    again = cli("outbox", "report", str(path))
    assert again.code == 2 and "applied: 0\nduplicates: 1\n" in again.out
    delivery = cli("stats", "1", "--json").json()["delivery"]
    assert delivery["welcome_email"]["opened"] == 1 and delivery["welcome_email"]["clicked"] == 1
    assert "open rate 100.0 %, CTR 100.0 %" in cli("stats", "1").out
    report = cli("report", "1")
    assert report.code == 0
    lines = list(csv.reader(report.out.splitlines()))
    assert [line[0] for line in lines] == ["customerId", "C1", "C2"]
    assert lines[1][5:9] == ["1", "1", "1", "1"]


def test_a_report_for_another_database_says_so_in_one_line(cli, tmp_path):
    exported(cli, tmp_path)
    path = tmp_path / "r.jsonl"
    path.write_text("\n".join(json.dumps({"message_id": f"feedfacecafe-{n}", "status": "opened",
                                          "timestamp": LATER})
                              for n in (1, 2)), encoding="utf-8")
    result = cli("outbox", "report", str(path))
    assert result.code == 2
    assert result.err == ("journey-desktop: none of the 2 messages is in this database (ids of "
                          "database feedfacecafe): the report is for messages exported from "
                          "another data folder\n")


def test_a_report_for_messages_removed_with_their_journey_says_so(cli, tmp_path):
    ids = [row["message_id"] for row in exported(cli, tmp_path)]
    assert cli("remove", "1", "--yes").code == 0
    path = tmp_path / "r.csv"
    path.write_text("message_id,status,timestamp\n"
                    + "".join(f"{mid},opened,{LATER}\n" for mid in ids), encoding="utf-8")
    result = cli("outbox", "report", str(path))
    assert result.code == 2
    assert result.err == ("journey-desktop: the 2 messages are no longer in this database: "
                          "their ids are this database's, so they were removed (with their "
                          "journey)\n")


def test_a_header_only_report_says_it_has_no_lines(cli, tmp_path):
    exported(cli, tmp_path)
    path = tmp_path / "r.csv"
    path.write_text("message_id,status,timestamp\n", encoding="utf-8")
    result = cli("outbox", "report", str(path))
    assert result.code == 2 and "read: 0\n" in result.out
    assert result.err == "nothing was applied: the report has no lines (a header only)\n"


def test_a_folder_is_named_as_given(cli, tmp_path):
    result = cli("outbox", "report", str(tmp_path))
    assert result.code == 2
    assert result.err == f"journey-desktop: {tmp_path}: is a folder, not a file\n"


def test_one_early_status_is_said_in_the_singular(cli, tmp_path):
    first = exported(cli, tmp_path)[0]["message_id"]
    path = tmp_path / "r.csv"
    path.write_text(f"message_id,status,timestamp\n{first},sent,2001-01-01T00:00:00Z\n",
                    encoding="utf-8")
    result = cli("outbox", "report", str(path))
    assert result.code == 0 and "early: 1\n" in result.out
    assert result.err == ("1 status is timestamped before its message was written (kept, "
                          "flagged): line 2\n")


def test_report_to_a_file_is_excel_ready(cli, tmp_path):
    exported(cli, tmp_path)
    target = tmp_path / "report.csv"
    result = cli("report", "Welcome series", "-o", str(target), "--delimiter", ";")
    assert result.code == 0 and result.err == "rows: 2\n"
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")
    assert target.read_text(encoding="utf-8-sig").splitlines()[0].startswith(
        "customerId;journey;entry")


def test_a_drafts_report_is_refused_as_the_window_refuses_it(cli, tmp_path):
    assert cli("create", str(example_path("welcome-series"))).code == 0
    target = tmp_path / "report.csv"
    result = cli("report", "Welcome series", "-o", str(target))
    assert result.code == 2 and result.out == ""
    assert result.err == ("journey-desktop: journey 'Welcome series' cannot be reported on: "
                          "it is a draft; no customer has entered it yet\n")
    assert not target.exists()


def test_outbox_report_counts_on_either_database(cli, tmp_path, data_dir, store_url):
    """The messages written straight into the outbox, as the evaluator writes them, so the
    command runs on a team database too."""
    assert cli("create", str(example_path("welcome-series"))).code == 0
    open_store(data_dir, url=store_url)
    try:
        ids = [f"{database_id()}-" + str(OutboxRecord.insert(
            journey=1, external_id=ext, entry_number=1, node="welcome_email", channel="email",
            due_at=1, created_at=1).execute()) for ext in ("C1", "C2")]
    finally:
        close_store()
    path = tmp_path / "r.csv"
    path.write_text("message_id,status,timestamp\n"
                    f"{ids[0]},clicked,{LATER}\n{ids[1]},read,{LATER}\n"
                    f"{ids[0]}9999,opened,{LATER}\n{ids[1]},delivered,{LATER}\n"
                    f"{ids[1]},delivered,{LATER}\n", encoding="utf-8")
    result = cli("outbox", "report", str(path))
    assert result.code == 1, result.err
    assert result.out == "read: 5\napplied: 2\nduplicates: 1\nunknown: 1\nrejected: 1\n"
    again = cli("outbox", "report", str(path))
    assert again.code == 2 and "applied: 0\nduplicates: 3\n" in again.out


def test_a_message_keeps_its_id_on_every_export(cli, tmp_path):
    """Exported again (a plain export writes the exported rows too), by journey, and
    beside the messages a later tick wrote (``--new`` then has only those): each row
    keeps the id it was first exported with."""
    first = {(row["customerId"], row["node"], row["entry"]): row["message_id"]
             for row in exported(cli, tmp_path)}
    assert len(set(first.values())) == len(first) == 2

    def export(*options: str) -> dict[tuple[str, str, str], str]:
        target = tmp_path / "again.csv"
        assert cli("outbox", "export", *options, "-o", str(target)).code == 0
        with target.open(encoding="utf-8-sig", newline="") as saved:
            return {(row["customerId"], row["node"], row["entry"]): row["message_id"]
                    for row in csv.DictReader(saved)}

    assert export() == first
    assert export("--journey", "Welcome series") == first
    assert cli("tick", "--now", f"{(DAY + dt.timedelta(days=3)).isoformat()}T09:00:00+00:00"
               ).code == 0
    new = export("--new")
    assert new and not set(new) & set(first) and not set(new.values()) & set(first.values())
    assert export() == {**first, **new}


def test_a_fixed_rejects_file_is_applied_again_as_written(cli, tmp_path):
    """The rejects file keeps the report's cells exactly (a detail starting with a minus
    sign included) before its own line and reason columns: fixed, it is applied again."""
    first, second = (row["message_id"] for row in exported(cli, tmp_path))
    path = tmp_path / "r.csv"
    path.write_text("message_id,status,timestamp,detail\n"
                    f"{first},bounce,{LATER},-5 mailbox full\n"
                    f"{second},opened,{LATER},\n", encoding="utf-8")
    rejects = tmp_path / "rejects.csv"
    assert cli("outbox", "report", str(path), "--rejects", str(rejects)).code == 1
    with rejects.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows == [["line", "reason", "message_id", "status", "timestamp", "detail"],
                    ["2", "unknown status 'bounce' (use sent, delivered, opened, clicked, bounced,"
                     " failed, unsubscribed)", first, "bounce", LATER, "-5 mailbox full"]]
    rows[1][3] = "bounced"
    with rejects.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    again = cli("outbox", "report", str(rejects))
    assert again.code == 0, again.err
    assert again.out.startswith("read: 1\napplied: 1\n")
    assert cli("stats", "1", "--json").json()["delivery"]["welcome_email"]["bounced"] == 1
