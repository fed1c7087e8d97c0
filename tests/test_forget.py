"""`forget me` and a coordinator's `forget EMAIL`: after a confirmation nothing names the person any more
(email, name, ids, the texts they wrote), what others rely on stays under a nameless stand-in, an active
pairing ends with the partner and coordinators told without the name; coordinators are refused until they
hand over, and a coordinator may only have someone forgotten who has left their program."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.demo import running_cohort, seed_demo
from bot.engine import Engine
from bot.programs import ProgramCatalog
from bot.surveys import response_rates
from storage.db import Database
from storage.models import Application, Base, Cohort, Membership, Pair, Person, SurveyInvitation
from tests.conftest import FIXED_NOW
from tests.test_checkins import at, rows
from tests.test_quiet_pairs import messages
from wiring import build_registry

PAT, DANA, CORA, CASEY = (
    "participant@demo.example",
    "participant2@demo.example",
    "coach@demo.example",
    "coordinator@demo.example",
)
NORA = "northeast@demo.example"
AAHSL = "aahsl-coaching-pilot"
MARKER = "my-goals-marker-7f3a"


@pytest.fixture
async def engine(db: Database, catalog: ProgramCatalog) -> Engine:
    """The demo at FIXED_NOW with the AAHSL pilot's final evaluation open."""
    await seed_demo(db, catalog, FIXED_NOW, open_survey=True)
    return Engine(db, build_registry(), catalog, clock=lambda: FIXED_NOW)


async def person(db: Database, email: str) -> Person | None:
    async with db.transaction() as session:
        return (await session.execute(select(Person).where(Person.email == email))).scalar_one_or_none()


async def dump(db: Database) -> str:
    """Every row of every table as text, to search for what must be gone."""
    async with db.transaction() as session:
        tables = {
            table.name: [list(row) for row in (await session.execute(table.select())).all()]
            for table in Base.metadata.sorted_tables
        }
    return json.dumps(tables, default=str)


def sqlite_bytes(db: Database) -> bytes:
    """The SQLite database file and its write-ahead log, as bytes (nothing on PostgreSQL)."""
    if not db.is_sqlite:
        return b""
    path = Path(str(db.url.database))
    return b"".join(file.read_bytes() for file in (path, path.with_name(path.name + "-wal")) if file.exists())


async def rows_naming(db: Database, person_id: int) -> dict[str, int]:
    """For every column that holds a persons.id, how many rows hold this one."""
    found = {}
    async with db.transaction() as session:
        for table in Base.metadata.sorted_tables:
            for column in table.columns:
                if any(key.target_fullname == "persons.id" for key in column.foreign_keys) or (
                    table.name == "persons" and column.name == "id"
                ):
                    count = (await session.execute(select(func.count()).where(column == person_id))).scalar_one()
                    if count:
                        found[f"{table.name}.{column.name}"] = count
    return found


async def add_withdrawn_application(db: Database, email: str, marker: str) -> None:
    """An application to next year's cohort with a goals statement holding `marker` (test data)."""
    async with db.transaction() as session:
        owner = (await session.execute(select(Person).where(Person.email == email))).scalar_one()
        cohorts = (await session.execute(select(Cohort).where(Cohort.program_id == AAHSL))).scalars().all()
        later = max(cohorts, key=lambda c: c.starts_on)
        session.add(
            Application(
                cohort_id=later.id,
                person_id=owner.id,
                status="submitted",
                roles=["participant"],
                answers={"goals": f"I want to grow. {marker}"},
                materials={},
                submitted_at=FIXED_NOW,
                created_at=FIXED_NOW,
                updated_at=FIXED_NOW,
            )
        )


async def test_forget_me_leaves_nothing_that_names_the_person(chat, db):
    await add_withdrawn_application(db, PAT, MARKER)
    pat = await person(db, PAT)
    assert pat is not None and MARKER in await dump(db)
    assert not db.is_sqlite or MARKER.encode() in sqlite_bytes(db)  # so the search of the file below can fail
    cora_pairs_before = len(await rows(db, Pair, Pair.guide_id == (await person(db, CORA)).id))
    pat_chat = chat(PAT)
    assert "You are away until" in await pat_chat.say("pause until 2027-01-10")  # Cora and Casey are told
    assert any("Pat Participant is away" in text for text in await messages(db, CORA, "away"))
    shown = await pat_chat.say("forget me")
    assert "This deletes, for good" in shown and "Cora Coach in the AAHSL Demo 2026-27 cohort ends" in shown
    assert "my data" in shown  # a copy first, if they want one
    done = await pat_chat.click("Forget me")
    assert "Done: I have deleted what I held about you" in done
    # Nothing names Pat: no email, name, account id or text of theirs, and no column holds their id.
    everything = await dump(db)
    for trace in (PAT, "Pat Participant", MARKER):
        assert trace not in everything, trace
    assert await rows_naming(db, pat.id) == {}
    for trace in (PAT, "Pat Participant", MARKER):
        assert trace.encode() not in sqlite_bytes(db), trace  # not in free pages or the log either
    # Cora's pairings stay, ended, with a stand-in that names nobody.
    cora = await person(db, CORA)
    cora_pairs = await rows(db, Pair, Pair.guide_id == cora.id)
    assert len(cora_pairs) == cora_pairs_before
    stand_ins = await rows(db, Person, Person.forgotten_at.is_not(None))
    assert len(stand_ins) == 1 and stand_ins[0].display_name == "a former member"
    with_stand_in = [p for p in cora_pairs if p.guided_id == stand_ins[0].id]
    assert len(with_stand_in) == 3 and {p.status for p in with_stand_in} == {"ended"}
    assert {p.end_reason for p in with_stand_in} == {"left_program"}
    # The application is kept as a count: withdrawn, its texts gone.
    kept = await rows(db, Application, Application.person_id == stand_ins[0].id)
    assert [(a.status, a.answers) for a in kept] == [("withdrawn", {})]
    # Cora and the coordinators are told, without Pat's name.
    told_cora = await messages(db, CORA, "forgotten")
    assert any("Your participant has left the AAHSL Demo 2026-27 cohort" in text for text in told_cora)
    told_casey = await messages(db, CASEY, "forgotten")
    assert any("The pairing of Cora Coach in the AAHSL Demo 2026-27 cohort has ended" in text for text in told_casey)


async def test_writing_again_after_forget_me_starts_afresh(chat, db):
    pat = await person(db, PAT)
    pat_chat = chat(PAT)
    await pat_chat.say("forget me")
    await pat_chat.click("Forget me")
    shown = await chat(PAT).say("status")
    again = await person(db, PAT)
    assert again is not None and again.id != pat.id
    assert "Cora" not in shown  # no pairing, no application: a new person


async def test_keep_my_data_changes_nothing(chat, db):
    pat_chat = chat(PAT)
    await pat_chat.say("help")  # the first turn makes Pat's account in the terminal
    before = await dump(db)
    await pat_chat.say("forget me")
    assert "Nothing changed" in await pat_chat.click("Keep my data")
    assert await person(db, PAT) is not None
    assert await rows(db, Person, Person.forgotten_at.is_not(None)) == []
    assert (await dump(db)) == before


async def test_an_open_survey_is_named_and_its_response_rate_holds(chat, db, catalog):
    pat_chat = chat(PAT)
    assert "Final evaluation" in await pat_chat.say("survey")  # started, not finished
    await pat_chat.say("cancel")
    async with db.transaction() as session:
        cohort = (await session.execute(running_cohort(AAHSL))).scalar_one()
        before = await response_rates(session, cohort, catalog.get(AAHSL))
    assert before[0].invited > 0
    shown = await pat_chat.say("forget me")
    assert "The survey “Final evaluation of the coaching program" in shown and "answer it first" in shown
    await pat_chat.click("Forget me")
    async with db.transaction() as session:
        after = await response_rates(session, cohort, catalog.get(AAHSL))
    assert [(r.invited, r.finished) for r in after] == [(r.invited, r.finished) for r in before]
    stand_in = (await rows(db, Person, Person.forgotten_at.is_not(None)))[0]
    invitations = await rows(db, SurveyInvitation, SurveyInvitation.person_id == stand_in.id)
    assert invitations and all(i.reminders >= 2 for i in invitations)  # no reminder goes to nobody


@pytest.mark.parametrize(
    ("email", "words"),
    [
        (CASEY, "You are the only coordinator of the AAHSL Demo 2026-27 cohort"),
        (NORA, "Hand over to another coordinator first"),
    ],
)
async def test_a_coordinator_is_asked_to_hand_over_first(chat, db, email, words):
    coordinator = chat(email)
    await coordinator.say("help")
    before = await dump(db)
    shown = await coordinator.say("forget me")
    assert words in shown and "Nothing changed" in shown
    assert "Forget me" not in [b for b in shown.splitlines() if b.strip().startswith("[")]
    assert await dump(db) == before


async def test_a_coordinator_forgets_someone_only_once_they_have_left(chat, db, engine):
    casey = chat(CASEY)
    shown = await casey.say(f"forget {DANA}")
    assert "Dana Participant is still in the AAHSL Demo 2026-27 cohort, which runs until 23 May 2027" in shown
    assert "only they can ask to be forgotten" in shown and "Nothing changed" in shown
    assert "has an active pairing in the AAHSL Demo 2026-27 cohort: if they have left, end it first" in (
        await casey.say(f"forget {PAT}")
    )
    assert "Only coordinators" in await chat(PAT).say(f"forget {DANA}")
    assert "I know nobody with the email nobody@example.org" in await casey.say("forget nobody@example.org")
    assert "never been in a cohort you coordinate" in await chat(NORA).say(f"forget {DANA}")
    assert "type `forget me`" in await casey.say(f"forget {CASEY}")
    assert await person(db, DANA) is not None
    # After the cohort's end Dana has left: Casey may have her forgotten.
    async with db.transaction() as session:
        cohort = (await session.execute(running_cohort(AAHSL))).scalar_one()
    at(engine, datetime.combine(cohort.ends_on + timedelta(days=2), datetime.min.time(), UTC))
    shown = await casey.say(f"forget {DANA.upper()}")
    assert "Dana Participant (participant2@demo.example), who has left your program" in shown
    dana = await person(db, DANA)
    assert "I have deleted what I held about Dana Participant" in await casey.click("Forget Dana")
    assert await person(db, DANA) is None
    assert await rows_naming(db, dana.id) == {}
    assert "Dana Participant" not in await dump(db)
    # A second time: she is unknown now.
    assert "I know nobody with the email" in await casey.say(f"forget {DANA}")


async def test_a_coordinator_cannot_have_another_coordinator_forgotten(chat, db):
    async with db.transaction() as session:
        cohort = (await session.execute(running_cohort(AAHSL))).scalar_one()
        dana = (await session.execute(select(Person).where(Person.email == DANA))).scalar_one()
        session.add(Membership(cohort_id=cohort.id, person_id=dana.id, role="coordinator", created_at=FIXED_NOW))
    shown = await chat(CASEY).say(f"forget {DANA}")
    assert "Dana Participant coordinates a program: a coordinator's records stay while they coordinate." in shown
    assert await person(db, DANA) is not None


async def test_forget_without_me_explains_and_changes_nothing(chat, db):
    pat, casey = chat(PAT), chat(CASEY)
    await pat.say("help")
    await casey.say("help")
    before = await dump(db)
    shown = await pat.say("forget")
    assert "Type `forget me`" in shown and "`forget EMAIL`" not in shown
    assert "`forget EMAIL`" in await casey.say("forget everything")
    assert await dump(db) == before


async def test_a_partner_writing_forget_in_a_sentence_writes_to_their_coach(chat, db):
    shown = await chat("partner@demo.example").say("Forget about Tuesday, I am ill")
    assert "your message to Cora Coach" in shown  # the relay took it (Cora has no Slack or Teams in this test)
    assert "forget me" not in shown and await rows(db, Person, Person.forgotten_at.is_not(None)) == []
