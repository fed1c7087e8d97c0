"""Retention by rule (bot/privacy/retention.py), through a real program year on a controlled clock: the daily
housekeeping forgets idle dialogs, empties the texts of applications that ended without a place at the
program's retention point, and prunes expired links, old messages and done jobs; a second run changes
nothing. On SQLite and PostgreSQL."""

import shutil
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

from adapters.console import ConsoleDirectory
from bot import jobs
from bot.messages import Inbound
from bot.privacy import retention
from bot.programs import ProgramCatalog, load_programs
from bot.scheduler import Scheduler, schedule
from storage.db import Database
from storage.models import (
    Application,
    Base,
    DataExportLink,
    DialogState,
    ExportLink,
    Job,
    OutboxMessage,
    Person,
    SlackOAuthState,
)
from tests.conftest import PROGRAMS_DIR, Chat
from tests.test_apply import AAHSL_YES_NO
from tests.year import Year, utc

LA, CHICAGO = "America/Los_Angeles", "America/Chicago"
CALL_OPEN = utc(2027, 7, 2, 16)  # the AAHSL 2027-28 call runs from 1 July to 26 August 2027
STARTS = date(2027, 9, 1)  # its work ends on 30 April 2028
REMOVED = "its answers and materials were removed under the program's retention rule"


async def apply_with(chat: Chat, statement: str) -> None:
    """A whole AAHSL application, submitted, whose goals statement is `statement`."""
    await chat.say("apply aahsl")
    for answer in AAHSL_YES_NO:
        await chat.click(answer)
    await chat.say("https://files.example.org/cover-letter.pdf")
    await chat.say(statement)
    await chat.say("https://files.example.org/cv.pdf")
    await chat.say("https://files.example.org/support.pdf")
    await chat.click("Skip")
    assert "Submitted!" in await chat.click("Submit")


async def decide(chair: Chat, name: str, decision: str) -> str:
    await chair.say("review aahsl")
    await chair.click(f"{name}:")
    await chair.click(decision)
    return await chair.click("Send without a note")


async def click_as(year: Year, email: str, value: str) -> str:
    """A click on a button value, as if the person had kept the message that showed it."""
    inbound = Inbound("console", email, "console", action=value)
    return "\n".join(reply.plain_text() for reply in await year.engine.handle(inbound, ConsoleDirectory(email)))


async def where_found(db: Database, marker: str) -> list[str]:
    """The tables holding `marker` anywhere in a row."""
    found = []
    async with db.transaction() as session:
        for table in Base.metadata.sorted_tables:
            for row in (await session.execute(select(table))).all():
                if marker in repr(tuple(row)):
                    found.append(table.name)
    return found


async def application_of(db: Database, email: str) -> Application:
    async with db.transaction() as session:
        query = select(Application).join(Person, Person.id == Application.person_id).where(Person.email == email)
        return (await session.execute(query)).scalar_one()


async def everything(db: Database) -> dict[str, list[str]]:
    """Every row of every table but the jobs (the housekeeping marks itself done and plans the next)."""
    async with db.transaction() as session:
        return {
            table.name: sorted(repr(tuple(row)) for row in (await session.execute(select(table))).all())
            for table in Base.metadata.sorted_tables
            if table.name != "jobs"
        }


async def year_with_housekeeping(db: Database, catalog: ProgramCatalog, now: datetime) -> Year:
    year = Year(db, catalog, now)
    async with db.transaction() as session:
        await jobs.plan_pruning(session, now, now)  # as `serve` plans it at start
    return year


async def test_a_declined_applications_texts_are_removed_at_the_cohorts_end_an_accepted_ones_stay(db, catalog):
    year = await year_with_housekeeping(db, catalog, CALL_OPEN)
    cohort = await year.cohort("aahsl-coaching-pilot", STARTS)
    chair = await year.person("chair@aahsl.example", "Chris Chair", CHICAGO, cohort, "coordinator")
    avery = await year.person("avery@library.example", "Avery Accepted", LA)
    dale = await year.person("dale@library.example", "Dale Declined", LA)
    await apply_with(avery, "KEEP-7f3a I want to lead a team and learnt to listen.")
    await apply_with(dale, "GONE-91c2 I want to lead a team and chaired our caucus.")
    await year.walk_to(utc(2027, 8, 30, 15))
    assert "Avery Accepted is accepted" in await decide(chair, "Avery Accepted", "Accept")
    assert "declined" in await decide(chair, "Dale Declined", "Decline")
    declined = await application_of(db, "dale@library.example")

    # The last day of the work: the declined statement is still held, as the program says.
    await year.walk_to(utc(2028, 4, 30, 12))
    assert await where_found(db, "GONE-91c2") == ["applications"]
    assert REMOVED not in await dale.say("status")

    # The morning after, the housekeeping has run: only the texts went, the row and its counts stay.
    await year.walk_to(utc(2028, 5, 1, 4))
    assert await where_found(db, "GONE-91c2") == []
    assert await where_found(db, "KEEP-7f3a") == ["applications"]
    emptied = await application_of(db, "dale@library.example")
    assert (emptied.answers, emptied.materials) == ({}, {})
    assert (emptied.status, emptied.roles, emptied.submitted_at, emptied.decided_at, emptied.updated_at) == (
        declined.status,
        declined.roles,
        declined.submitted_at,
        declined.decided_at,
        declined.updated_at,
    )
    told = await dale.say("status")
    assert f"application declined; {REMOVED} (at the cohort's end)" in told
    assert REMOVED not in await avery.say("status")
    ended = await click_as(year, "chair@aahsl.example", f"review:open|{declined.id}")  # the cohort is read-only
    assert "The AAHSL 2027-28 cohort ended on 30 April 2028" in ended and "Nothing was changed." in ended

    # Another run changes nothing.
    before = await everything(db)
    async with db.transaction() as session:
        await schedule(session, jobs.PRUNE, "again", year.now, year.now)
    assert await year.scheduler.run_due() == 1
    assert await everything(db) == before


def catalog_with(tmp_path: Path, retention_table: str) -> ProgramCatalog:
    folder = tmp_path / "programs"
    shutil.copytree(PROGRAMS_DIR, folder)
    path = folder / "aahsl-coaching-pilot.toml"
    path.write_text(path.read_text() + f"\n[retention]\n{retention_table}\n")
    return load_programs(folder)


async def test_a_program_may_remove_them_14_days_after_the_decision(db, tmp_path):
    catalog = catalog_with(tmp_path, 'application_texts_from = "decision"\napplication_texts_days = 14')
    year = await year_with_housekeeping(db, catalog, CALL_OPEN)
    cohort = await year.cohort("aahsl-coaching-pilot", STARTS)
    chair = await year.person("chair@aahsl.example", "Chris Chair", CHICAGO, cohort, "coordinator")
    dale = await year.person("dale@library.example", "Dale Declined", LA)
    wren = await year.person("wren@library.example", "Wren Withdrawn", LA)
    await apply_with(dale, "GONE-5e1d I want to lead a team.")
    await apply_with(wren, "GONE-0b7c I want to lead a team too.")
    await year.walk_to(utc(2027, 8, 2, 15))
    assert "declined" in await decide(chair, "Dale Declined", "Decline")
    await year.walk_to(utc(2027, 8, 9, 15))  # Wren withdraws a week later: her 14 days count from then
    await wren.say("withdraw")
    assert "is withdrawn" in await wren.click("Yes, withdraw")

    await year.walk_to(utc(2027, 8, 16, 12))  # 13 days and 21 hours after the decision
    assert await where_found(db, "GONE-5e1d") == ["applications"]
    await year.walk_to(utc(2027, 8, 17, 4))  # the first housekeeping 14 days after it
    assert await where_found(db, "GONE-5e1d") == []
    assert await where_found(db, "GONE-0b7c") == ["applications"]
    assert f"{REMOVED} (14 days after the decision)" in await dale.say("status")
    declined = await application_of(db, "dale@library.example")
    opened = await click_as(year, "chair@aahsl.example", f"review:open|{declined.id}")  # a message kept from before
    assert "That application is declined, so there is nothing to decide. Its answers and materials were " in opened
    assert "removed under the program's retention rule (14 days after the decision). Nothing was changed." in opened
    await year.walk_to(utc(2027, 8, 24, 4))
    assert await where_found(db, "GONE-0b7c") == []
    assert f"application withdrawn; {REMOVED} (14 days after the decision)" in await wren.say("status")
    assert "Let's apply to" in await wren.say("apply aahsl")  # the call is still open: a new application


async def dialog_state_of(db: Database, email: str) -> DialogState | None:
    async with db.transaction() as session:
        query = select(DialogState).join(Person, Person.id == DialogState.person_id).where(Person.email == email)
        return (await session.execute(query)).scalar_one_or_none()


async def test_a_dialog_left_idle_for_31_days_is_forgotten_one_touched_29_days_ago_stays(db, catalog):
    year = await year_with_housekeeping(db, catalog, CALL_OPEN)
    await year.cohort("aahsl-coaching-pilot", STARTS)
    idle = await year.person("idle@library.example", "Ida Idle", LA)
    busy = await year.person("busy@library.example", "Bo Busy", LA)
    await idle.say("apply aahsl")
    await idle.click("Yes")  # the first answer is kept in the application, the dialog waits for the second
    await year.walk_to(CALL_OPEN + timedelta(days=2))
    await busy.say("apply aahsl")
    assert await dialog_state_of(db, "idle@library.example") is not None

    await year.walk_to(CALL_OPEN + timedelta(days=31, hours=12))  # past the housekeeping of day 31
    assert await dialog_state_of(db, "idle@library.example") is None
    assert await dialog_state_of(db, "busy@library.example") is not None  # idle for 29 days and a half

    # Ida comes back: her "Yes" answers no question any more; `apply` goes on with her draft.
    assert "I don't know `yes`. Type `help` to see what you can do." in await idle.say("Yes")
    assert "Let's apply" not in (back := await idle.say("apply aahsl"))
    assert "Welcome back: here is your AAHSL coaching pilot application where you left it." in back
    assert "(2 of 12)" in back


async def test_links_old_messages_and_done_jobs_are_pruned_in_batches_and_recent_ones_kept(db, catalog):
    now = utc(2027, 3, 10, 3)
    year = Year(db, catalog, now)
    cohort = await year.cohort("aahsl-coaching-pilot", STARTS)
    await year.person("kim@library.example", "Kim Keeper", LA, cohort, "coordinator")
    async with db.transaction() as session:
        kim = (await session.execute(select(Person.id).where(Person.email == "kim@library.example"))).scalar_one()
        session.add_all(
            [
                ExportLink(token="old-csv", person_id=kim, cohort_id=cohort.id, survey_id="final",
                           expires_at=now - timedelta(days=1, minutes=1), created_at=now - timedelta(days=2)),
                ExportLink(token="new-csv", person_id=kim, cohort_id=cohort.id, survey_id="final",
                           expires_at=now - timedelta(hours=23), created_at=now - timedelta(days=1)),
                DataExportLink(token="old-data", person_id=kim, expires_at=now - timedelta(days=2), created_at=now),
                DataExportLink(token="new-data", person_id=kim, expires_at=now + timedelta(minutes=5), created_at=now),
                SlackOAuthState(state="old-state", expires_at=now - timedelta(seconds=1)),
                SlackOAuthState(state="new-state", expires_at=now + timedelta(minutes=9)),
                DialogState(key="console:old", person_id=kim, dialog="help", step="x", expects="text", data={},
                            updated_at=now - timedelta(days=8)),
                DialogState(key="console:new", person_id=kim, dialog="help", step="x", expects="text", data={},
                            updated_at=now - timedelta(days=6)),
            ]
        )  # fmt: skip

        def message(ref: str, status: str, age: timedelta) -> dict[str, object]:
            sent_at = now - age if status == "sent" else None
            row = {"person_id": kim, "kind": "announcement", "reply": {"text": ref}, "status": status, "ref": ref}
            return row | {"attempts": 1, "due_at": now - age, "sent_at": sent_at, "created_at": now - age}

        old_sent = [message(f"announcement:{n}", "sent", timedelta(days=31)) for n in range(1200)]
        await session.execute(insert(OutboxMessage), old_sent)
        await session.execute(
            insert(OutboxMessage),
            [
                message("recent-sent", "sent", timedelta(days=29)),
                message("old-failed", "failed", timedelta(days=91)),
                message("recent-failed", "failed", timedelta(days=89)),
                message("long-pending", "pending", timedelta(days=200)),
                message(f"unreached:{kim}", "sent", timedelta(days=120)),  # told once: kept, or told again
            ],
        )
        for subject, age in (("old", 91), ("recent", 89)):
            done = now - timedelta(days=age)
            session.add(Job(kind="hours-reminder", subject=subject, status="done", due_at=done, done_at=done,
                            attempts=0, created_at=done))  # fmt: skip
        await jobs.plan_pruning(session, now, now)

    scheduler = Scheduler(db, catalog, jobs.ALL, lambda: now, dialog_idle_days=7)
    await scheduler.run_due()

    async with db.transaction() as session:
        assert list((await session.execute(select(ExportLink.token))).scalars()) == ["new-csv"]
        assert list((await session.execute(select(DataExportLink.token))).scalars()) == ["new-data"]
        assert list((await session.execute(select(SlackOAuthState.state))).scalars()) == ["new-state"]
        assert list((await session.execute(select(DialogState.key))).scalars()) == ["console:new"]
        refs = (await session.execute(select(OutboxMessage.ref).order_by(OutboxMessage.ref))).scalars()
        assert list(refs) == ["long-pending", "recent-failed", "recent-sent", f"unreached:{kim}"]
        kept_jobs = select(Job.subject).where(Job.kind == "hours-reminder")
        assert list((await session.execute(kept_jobs)).scalars()) == ["recent"]
        # 1,200 old messages and a few more rows: the daily job and two follow-ups, at most 500 rows each.
        follow_ups = select(func.count()).where(Job.kind == retention.MORE, Job.status == "done")
        assert (await session.execute(follow_ups)).scalar_one() == 2
        tomorrow = select(Job.due_at).where(Job.kind == jobs.PRUNE, Job.status == "pending")
        assert list((await session.execute(tomorrow)).scalars()) == [utc(2027, 3, 11, 3)]

    before = await everything(db)
    async with db.transaction() as session:
        await schedule(session, jobs.PRUNE, "again", now, now)
    assert await scheduler.run_due() == 1
    assert await everything(db) == before
