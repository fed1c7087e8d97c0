"""Coach hours: `log` reads the amount, the category and the day (in the coach's zone); `hours` shows the
months against the program's commitment and corrects or deletes entries; coordinators see each coach's
totals for their own programs only; coaches under the commitment get one reminder on the 25th. Bad input
changes nothing, and nothing typed besides the time, category and day is kept.

The demo IATUL SIG-ALICE cohort (2-5 hours a month) started on 24 September 2026; FIXED_NOW is Monday
23 November 2026, 15:00 UTC: 10:00 for Cora in New York, 15:00 for Lee in London."""

import logging
import shutil
from datetime import UTC, date, datetime, time
from pathlib import Path

from sqlalchemy import select

from bot import jobs
from bot.checkins import first_moment
from bot.demo import running_cohort, seed_demo
from bot.engine import Engine
from bot.identity import get_or_create_person
from bot.programs import load_programs
from storage.db import Database
from storage.models import Cohort, DialogState, HourEntry, Job, Membership, OutboxMessage, Person
from tests.conftest import FIXED_NOW, PROGRAMS_DIR, Chat
from tests.test_confidentiality import MARKER, database_bytes
from wiring import build_registry

CORA, LEE = "coach@demo.example", "coach2@demo.example"
TODAY, YESTERDAY = date(2026, 11, 23), date(2026, 11, 22)  # for Cora, at FIXED_NOW
IATUL = "iatul-sig-alice"
CATEGORIES = ["collating resources", "answering questions", "connecting to experts", "other"]


def at(engine, moment: datetime) -> None:
    engine.clock = lambda: moment


async def rows(db: Database, model, *conditions):  # type: ignore[no-untyped-def]
    async with db.transaction() as session:
        query = select(model).where(*conditions).order_by(*model.__mapper__.primary_key)
        return list((await session.execute(query)).scalars())


async def entries(db: Database) -> list[tuple[str, str, str, date, int]]:
    """Every hour entry as (email, program, category, day, minutes), in the order they were logged."""
    async with db.transaction() as session:
        query = (
            select(Person.email, Cohort.program_id, HourEntry.category, HourEntry.worked_on, HourEntry.minutes)
            .join(Person, Person.id == HourEntry.person_id)
            .join(Cohort, Cohort.id == HourEntry.cohort_id)
            .order_by(HourEntry.id)
        )
        return [tuple(row) for row in (await session.execute(query)).all()]


async def add_member(db: Database, email: str, program_id: str, role: str) -> None:
    """Someone else in a demo cohort: as the application and selection dialogs would have made them."""
    async with db.transaction() as session:
        person = await get_or_create_person(session, email, email.split("@")[0].title(), "Europe/Paris", FIXED_NOW)
        cohort = (await session.execute(running_cohort(program_id))).scalar_one()
        session.add(Membership(cohort_id=cohort.id, person_id=person.id, role=role, created_at=FIXED_NOW))


def labels(person: Chat) -> list[str]:
    return [button.label for button in person.console.buttons]


async def test_log_reads_the_amount_the_category_and_the_day(engine, db, chat):
    cora = chat(CORA)
    typed = [
        ("log 2h resources", ("collating resources", TODAY, 120)),
        ("log 90m answering questions yesterday", ("answering questions", YESTERDAY, 90)),
        ("log 45 minutes other", ("other", TODAY, 45)),
        ("log 2 hours 30 minutes connecting to experts on Friday", ("connecting to experts", date(2026, 11, 20), 150)),
        ("log 1.5 hours connecting experts on 3 November", ("connecting to experts", date(2026, 11, 3), 90)),
        ("log 2h30 questions last Monday", ("answering questions", date(2026, 11, 16), 150)),
        ("/coaching log 1,5h of experts", ("connecting to experts", TODAY, 90)),
    ]
    for text, expected in typed:
        answer = await cora.say(text)
        assert "Logged" in answer, (text, answer)
        assert (await entries(db))[-1] == (CORA, IATUL, *expected)
    assert len(await entries(db)) == len(typed)
    first = await entries(db)
    assert first[0] == (CORA, IATUL, "collating resources", TODAY, 120)
    answer = await cora.say("log 1h other")
    assert "Logged 1h of other on 23 November 2026 for SIG-ALICE coaching." in answer
    assert "November so far: 13h 15m, over the 2-5 hours a month." in answer
    assert "I keep only" not in answer  # nothing was left over
    # Typed in March 2027, "3 March" is that March (past days are read as past, never next year's).
    at(engine, datetime(2027, 3, 10, 15, 0, tzinfo=UTC))
    assert "on 3 March 2027" in await cora.say("log 1.5 hours connecting experts on 3 March")
    assert (await entries(db))[-1] == (CORA, IATUL, "connecting to experts", date(2027, 3, 3), 90)


async def test_the_day_is_the_one_in_the_coachs_own_zone(engine, db, chat):
    at(engine, datetime(2026, 11, 24, 2, 0, tzinfo=UTC))  # 21:00 on the 23rd in New York, 02:00 on the 24th in London
    await chat(CORA).say("log 1h other")
    await chat(LEE).say("log 1h other")
    await chat(LEE).say("log 30m other yesterday")
    assert await entries(db) == [
        (CORA, IATUL, "other", date(2026, 11, 23), 60),
        (LEE, IATUL, "other", date(2026, 11, 24), 60),
        (LEE, IATUL, "other", date(2026, 11, 23), 30),
    ]


async def test_a_missing_or_ambiguous_category_is_asked_with_buttons(engine, db, chat):
    cora = chat(CORA)
    asked = await cora.say("log 1h")
    assert "Which category was it?" in asked and labels(cora) == CATEGORIES
    assert await entries(db) == []  # nothing until the category is known
    question = list(cora.console.buttons)
    assert "Logged 1h of answering questions" in await cora.click("answering questions")
    asked = await cora.say("log 30m resources questions")
    assert "Which was it?" in asked and labels(cora) == ["collating resources", "answering questions"]
    await cora.click("collating resources")
    assert "Which category" in await cora.say("log 20m yesterday")
    assert "Logged 20m of connecting to experts on 22 November 2026" in await cora.say("experts")
    expected = [
        (CORA, IATUL, "answering questions", TODAY, 60),
        (CORA, IATUL, "collating resources", TODAY, 30),
        (CORA, IATUL, "connecting to experts", YESTERDAY, 20),
    ]
    assert await entries(db) == expected
    cora.console.buttons = question  # a second click on the first question's buttons logs nothing
    assert "That question is closed" in await cora.click("other")
    assert await entries(db) == expected
    # An answer that names no single category keeps the question open.
    await cora.say("log 10m")
    assert "Please choose a category" in await cora.say("something else")
    assert await entries(db) == expected
    assert "Logged 10m of other" in await cora.say("other")


async def test_words_left_over_are_dropped_and_the_coach_is_told(engine, db, chat):
    cora = chat(CORA)
    answer = await cora.say("log 1h resources yesterday about the library budget")
    assert "Logged 1h of collating resources on 22 November 2026" in answer
    assert "I keep only the time, category and day." in answer
    answer = await cora.say("log 15m other for the dean")
    assert "Logged 15m of other on 23 November 2026" in answer and "I keep only" in answer
    assert await entries(db) == [
        (CORA, IATUL, "collating resources", YESTERDAY, 60),
        (CORA, IATUL, "other", TODAY, 15),
    ]


async def test_bad_input_gets_a_clear_answer_and_logs_nothing(engine, db, chat):
    cora = chat(CORA)
    await cora.say("log 20h other yesterday")
    before = await entries(db)
    assert before == [(CORA, IATUL, "other", YESTERDAY, 1200)]
    refused = [
        ("log 0h resources", "`0h` is no time at all"),
        ("log 0.001h resources", "is no time at all"),
        ("log -2h resources", "`-2h` is no time at all"),
        ("log 25h resources", "`25h` is more than the 24 hours in one day"),
        ("log 5h other yesterday", "You have logged 20h on 22 November 2026 already; 5h more would be more than"),
        ("log 2h meetings", "SIG-ALICE coaching has no category `meetings`: its categories are collating resources"),
        ("log 2h resources tomorrow", "24 November 2026 is in the future"),
        ("log 2h resources on 1 December 2026", "1 December 2026 is in the future"),
        ("log 2h resources on 3 March", "3 March 2026 is before SIG-ALICE coaching began, on 24 September 2026"),
        ("log lots of resources", "I couldn't read how long it took"),
        ("log 2 resources", "`2` needs a unit: write `2h` for hours or `2m` for minutes"),
        ("log 2h resources on the 99th", "I couldn't read `on the 99th` as a day"),
    ]
    for text, reason in refused:
        answer = await cora.say(text)
        assert reason in answer and "Nothing was logged." in answer, (text, answer)
        assert await entries(db) == before, text
    assert await rows(db, DialogState) == []  # no question was left open either


async def test_only_coaches_in_a_program_that_counts_hours_may_log(engine, db, chat):
    assert "Only a coach or mentor can use `log`" in await chat("partner@demo.example").say("log 2h resources")
    assert "Only a coach or mentor can use `log`" in await chat("coordinator@demo.example").say("log 2h resources")
    assert "Only a coach, coordinator or mentor can use `hours`" in await chat("partner@demo.example").say("hours")
    await add_member(db, "aahsl.coach@demo.example", "aahsl-coaching-pilot", "coach")  # AAHSL counts no hours
    aahsl_coach = chat("aahsl.coach@demo.example")
    answer = await aahsl_coach.say("log 2h resources")
    assert "Coach hours are logged by coaches of SIG-ALICE coaching" in answer and "Nothing was logged." in answer
    assert "Coach hours are logged by coaches of SIG-ALICE coaching" in await aahsl_coach.say("hours")
    assert await entries(db) == []


async def test_hours_shows_each_month_against_the_commitment(engine, db, chat):
    cora, lee = chat(CORA), chat(LEE)
    await cora.say("log 6h other on 28 September")
    await cora.say("log 3h resources on 15 October")
    await cora.say("log 1h questions yesterday")
    await lee.say("log 4h experts yesterday")
    shown = await cora.say("hours")
    assert "Your coach hours: SIG-ALICE Demo 2026-27" in shown
    assert "SIG-ALICE coaching asks 2-5 hours a month outside meetings" in shown
    months = ["November 2026 so far: 1h, under", "October 2026: 3h, within", "September 2026: 6h, over"]
    assert all(month in shown for month in months)
    assert [shown.index(month) for month in months] == sorted(shown.index(month) for month in months)
    assert "Your entries in November 2026" in shown and "1. Sun 22 Nov: 1h of answering questions" in shown
    assert "2." not in shown.split("Your entries", 1)[1]  # September and October are not listed; Lee's 4h neither
    assert labels(cora) == ["Change 1", "Delete 1"]
    assert "4h" not in shown and "Lee" not in shown
    assert "November 2026 so far: 4h, within" in await lee.say("hours")


async def test_an_entry_is_changed_or_deleted_by_typing_or_by_button(engine, db, chat):
    cora, lee = chat(CORA), chat(LEE)
    for text in ("log 1h resources", "log 2h questions yesterday", "log 30m other on Friday"):
        await cora.say(text)
    shown = await cora.say("hours")
    assert "1. Fri 20 Nov: 30m of other" in shown and "3. Mon 23 Nov: 1h of collating resources" in shown
    assert labels(cora) == ["Change 1", "Delete 1", "Change 2", "Delete 2", "Change 3", "Delete 3"]
    answer = await cora.say("hours change 2 1.5h")
    assert "Changed: it is now Sun 22 Nov: 1h 30m of answering questions." in answer
    assert "Changed: it is now Sun 22 Nov: 30m of connecting to experts" in await cora.say(
        "hours change 1 experts yesterday"
    )
    assert "Deleted: Mon 23 Nov: 1h of collating resources." in await cora.say("hours delete 3")
    assert await entries(db) == [
        (CORA, IATUL, "answering questions", YESTERDAY, 90),
        (CORA, IATUL, "connecting to experts", YESTERDAY, 30),
    ]
    # Bad corrections change nothing.
    before = await entries(db)
    for text, reason in [
        ("hours change 9 1h", "You have 2 entries in November"),
        ("hours delete", "You have 2 entries in November"),
        ("hours change 1 0h", "is no time at all"),
        ("hours change 1 25h", "more than the 24 hours"),
        ("hours change 1 24h", "You have logged 30m on 22 November 2026 already"),
        ("hours change 1 tomorrow", "is in the future"),
        ("hours change 1 meetings", "has no category `meetings`"),
        ("hours change 1 resources questions", "could be collating resources or answering questions"),
    ]:
        answer = await cora.say(text)
        assert reason in answer and "Nothing changed." in answer, (text, answer)
        assert await entries(db) == before, text
    # The buttons: another coach's click on them changes nothing; Cora's do.
    await cora.say("hours")
    buttons = list(cora.console.buttons)
    lee.console.buttons = buttons
    assert "That entry is not one of yours" in await lee.click("Delete 1")
    assert await entries(db) == before
    assert "Deleted: Sun 22 Nov: 1h 30m of answering questions." in await cora.click("Delete 1")
    await cora.say("hours")
    assert "What should Sun 22 Nov: 30m of connecting to experts become?" in await cora.click("Change 1")
    assert "is no time at all" in await cora.say("0m")  # the question stays open
    assert "Changed: it is now Sun 22 Nov: 45m of connecting to experts." in await cora.say("45m")
    assert await entries(db) == [(CORA, IATUL, "connecting to experts", YESTERDAY, 45)]
    await cora.say("hours change 1")
    assert "Logged 5m of other" in await cora.say("log 5m other")  # a command while the question is open
    assert await entries(db) == [
        (CORA, IATUL, "connecting to experts", YESTERDAY, 45),
        (CORA, IATUL, "other", TODAY, 5),
    ]


async def test_coordinators_see_each_coachs_totals_for_their_programs_only(engine, db, chat):
    await chat(CORA).say("log 3h resources")
    await chat(CORA).say("log 1h other on 20 October")
    await chat(LEE).say("log 1h other yesterday")
    shown = await chat("coordinator@demo.example").say("hours")
    assert "Coach hours: SIG-ALICE Demo 2026-27" in shown
    assert "against the commitment of 2-5 hours a month" in shown
    assert "Cora Coach: Nov so far 3h (within); Oct 1h (under); Sep 0h (under)" in shown
    assert "Lee Coach: Nov so far 1h (under); Oct 0h (under); Sep 0h (under)" in shown
    assert "resources" not in shown  # totals, not entries
    # A coordinator of another program sees no one's hours; a coach sees only their own.
    await add_member(db, "aahsl.coordinator@demo.example", "aahsl-coaching-pilot", "coordinator")
    other = await chat("aahsl.coordinator@demo.example").say("hours")
    assert "None of the programs you coordinate counts coach hours" in other
    assert "Cora" not in other and "Lee" not in other
    lee = await chat(LEE).say("hours")
    assert "Cora" not in lee and "3h" not in lee and "November 2026 so far: 1h, under" in lee


async def test_a_coach_under_the_commitment_gets_one_reminder_on_the_25th(engine, db, catalog, chat):
    await jobs.plan_all(db, catalog, FIXED_NOW)  # as the server does at start
    [planned] = await rows(db, Job, Job.kind == "hours-reminders")
    assert planned.subject == "month:2026-11"
    assert planned.due_at == first_moment(date(2026, 11, 25), time(9)) == datetime(2026, 11, 24, 19, 0, tzinfo=UTC)
    cora, lee = chat(CORA), chat(LEE)
    await cora.say("log 2h resources")  # within the commitment; Lee has logged nothing
    at(engine, planned.due_at)  # the job runs (any turn runs what is due), for each coach's own 09:00
    assert "gentle reminder" not in await lee.say("status")  # 19:00 in London: not yet
    [reminder] = await rows(db, OutboxMessage, OutboxMessage.kind == "hours-reminder")
    lee_id = (await rows(db, Person, Person.email == LEE))[0].id
    assert (reminder.person_id, reminder.due_at) == (lee_id, datetime(2026, 11, 25, 9, 0, tzinfo=UTC))  # his 09:00
    at(engine, datetime(2026, 11, 25, 9, 30, tzinfo=UTC))
    shown = await lee.say("status")
    assert "A gentle reminder: you have logged no time yet for SIG-ALICE coaching in November" in shown
    assert "Coach hours for November 2026, SIG-ALICE Demo 2026-27" in shown
    at(engine, datetime(2026, 11, 25, 14, 30, tzinfo=UTC))  # 09:30 in New York
    assert "gentle reminder" not in await cora.say("status")
    # Next month's is planned; later turns send nothing more.
    subjects = {job.subject: job.due_at for job in await rows(db, Job, Job.kind == "hours-reminders")}
    assert subjects["month:2026-12"] == first_moment(date(2026, 12, 25), time(9))
    at(engine, datetime(2026, 11, 28, 14, 0, tzinfo=UTC))
    assert "gentle reminder" not in await lee.say("status")
    assert len(await rows(db, OutboxMessage, OutboxMessage.kind == "hours-reminder")) == 1


async def test_a_coach_in_two_programs_that_count_hours_is_asked_which(db, tmp_path: Path):
    folder = tmp_path / "programs"
    shutil.copytree(PROGRAMS_DIR, folder)
    text = (PROGRAMS_DIR / f"{IATUL}.toml").read_text()
    for old, new in [
        (f'id = "{IATUL}"', 'id = "second"'),
        ('name = "IATUL SIG-ALICE Coaching Programme"', 'name = "Second Coaching Programme"'),
        ('short_name = "SIG-ALICE coaching"', 'short_name = "Second coaching"'),
        ('tag = "SIG-ALICE"', 'tag = "Second coaching"'),
        ('"collating resources", "answering questions", "connecting to experts", ', '"mentoring admin", '),
        ('"ការប្រមូលធនធាន", "ការឆ្លើយសំណួរ", "ការភ្ជាប់ទៅអ្នកជំនាញ", ', '"ការងាររដ្ឋបាល", '),  # its Khmer alike
    ]:
        assert old in text
        text = text.replace(old, new)
    (folder / "second.toml").write_text(text)
    catalog = load_programs(folder)
    await seed_demo(db, catalog, FIXED_NOW)
    await add_member(db, CORA, "second", "coach")
    cora = Chat(Engine(db, build_registry(), catalog, clock=lambda: FIXED_NOW), CORA)
    assert "Which were the 1h for?" in await cora.say("log 1h other")
    assert labels(cora) == ["SIG-ALICE Demo 2026-27", "Second coaching Demo 2026-27"]
    assert await entries(db) == []
    assert "Logged 1h of other on 23 November 2026 for Second coaching" in await cora.click("Second coaching")
    assert "Logged 2h of collating resources" in await cora.say("log 2h resources")  # only SIG-ALICE has it
    assert "Logged 30m of mentoring admin" in await cora.say("log 30m admin")  # only the second has it
    await cora.say("log 15m yesterday")
    await cora.click("SIG-ALICE Demo 2026-27")
    assert labels(cora) == CATEGORIES
    await cora.click("other")
    assert await entries(db) == [
        (CORA, "second", "other", TODAY, 60),
        (CORA, IATUL, "collating resources", TODAY, 120),
        (CORA, "second", "mentoring admin", TODAY, 30),
        (CORA, IATUL, "other", YESTERDAY, 15),
    ]
    shown = await cora.say("hours")
    assert (
        "Your coach hours: Second coaching Demo 2026-27"
    ) in shown and "Your coach hours: SIG-ALICE Demo 2026-27" in shown
    assert "(Second coaching)" in shown  # this month's entries say which program each is for


async def test_help_lists_log_and_hours_to_whom_they_are_for(chat):
    coach = await chat(CORA).say("help")
    assert "`log AMOUNT [CATEGORY] [DAY]`" in coach and "`hours [change N AMOUNT | delete N]`" in coach
    partner = await chat("partner@demo.example").say("help")
    assert "`log" not in partner and "`hours" not in partner
    coordinator = await chat("coordinator@demo.example").say("help")
    assert "`hours [change N AMOUNT | delete N]`" in coordinator and "`log" not in coordinator


async def test_words_typed_after_log_never_reach_the_database_file(sqlite_url, catalog, caplog):
    caplog.set_level(logging.DEBUG)
    db = Database(sqlite_url)
    await seed_demo(db, catalog, FIXED_NOW)
    cora = Chat(Engine(db, build_registry(), catalog, clock=lambda: FIXED_NOW), CORA)
    for text in [
        f"log 1h resources yesterday {MARKER} about the budget",
        f"log 1h other {MARKER}",
        f"log 1h {MARKER}",  # refused
        f"log 2h {MARKER.lower()}",  # refused: no such category
        f"log 30m yesterday {MARKER}",  # asks the category: the open question keeps only what was read
        "other",
        f"hours change 1 45m yesterday {MARKER}",
        "hours change 2",
        f"{MARKER}",  # refused: the change question stays open
        f"20m other {MARKER}",
        f"hours {MARKER}",
    ]:
        assert await cora.say(text)
    await db.dispose()
    assert MARKER.encode() not in database_bytes(sqlite_url)
    assert MARKER not in caplog.text
    db = Database(sqlite_url)
    try:
        assert [(e.minutes, e.category) for e in await rows(db, HourEntry)] == [
            (45, "collating resources"),
            (60, "other"),
            (20, "other"),
        ]
    finally:
        await db.dispose()
