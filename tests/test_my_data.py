"""`my data`: the export holds every row that names the person, table by table, and nothing of anyone else's
beyond a partner's name; it validates against its JSON Schema, leaves out keys (tokens) and anonymous survey
answers (and says why), and the readable summary names cohorts by their label."""

import json
import re
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from sqlalchemy import func, or_, select

from bot.privacy.export import personal_data, personal_holdings
from bot.privacy.holdings import BY_TABLE
from bot.privacy.summary import readable_summary
from bot.programs import ProgramCatalog
from storage.db import Database
from storage.models import (
    Base,
    CoachingSession,
    DataExportLink,
    ExportLink,
    GroupSession,
    Pair,
    Person,
)
from tests.conftest import FIXED_NOW
from tests.test_forget import engine  # noqa: F401 (the demo with the final evaluation open)
from tests.test_quiet_buttons import click_as
from tests.test_surveys import AAHSL, answer_final, cohort_of

SCHEMA = json.loads((Path(__file__).parent.parent / "bot" / "privacy" / "export_schema.json").read_text())
PAT, SOKHA, CORA, CASEY = (
    "participant@demo.example",
    "partner@demo.example",
    "coach@demo.example",
    "coordinator@demo.example",
)
DANA = "participant2@demo.example"
MARKER = "survey-comment-marker-91c2"


async def export_of(db: Database, catalog: ProgramCatalog, email: str) -> tuple[Person, dict[str, Any]]:
    async with db.transaction() as session:
        person = (await session.execute(select(Person).where(Person.email == email))).scalar_one()
        return person, await personal_data(session, person, catalog, FIXED_NOW)


async def rows_in_database(db: Database, person_id: int) -> dict[str, int]:
    """Counted here, apart from the export's own queries: each table's rows naming the person."""
    counts = {}
    async with db.transaction() as session:
        pairs = select(Pair.id).where(or_(Pair.guide_id == person_id, Pair.guided_id == person_id))
        for holding in personal_holdings():
            table = Base.metadata.tables[holding.table]
            conditions = [table.c[name] == person_id for name in holding.person_columns]
            if holding.pair_column:
                conditions.append(table.c[holding.pair_column].in_(pairs))
            query = select(func.count()).select_from(table).where(or_(*conditions))
            counts[holding.table] = (await session.execute(query)).scalar_one()
    return counts


@pytest.mark.parametrize("email", [PAT, SOKHA, CORA, CASEY])
async def test_the_export_holds_exactly_the_rows_naming_the_person(chat, db, catalog, email):
    person = chat(email)
    await person.say("pause until 2027-01-10")  # notices to partners and coordinators
    await person.say("my data")  # a download link of their own
    await chat(DANA).say("my data")  # someone else's link, which must not appear
    found, data = await export_of(db, catalog, email)
    problems = [
        error.message for error in Draft202012Validator(SCHEMA, format_checker=FormatChecker()).iter_errors(data)
    ]
    assert problems == []
    assert set(data["tables"]) == {holding.table for holding in personal_holdings()}
    expected = await rows_in_database(db, found.id)
    assert {table: len(entry["rows"]) for table, entry in data["tables"].items()} == expected
    assert expected["persons"] == 1 and expected["accounts"] == 1 and expected["data_export_links"] == 1
    for table, entry in data["tables"].items():
        columns = set(Base.metadata.tables[table].c.keys())
        for row in entry["rows"]:
            assert set(row) <= columns - set(BY_TABLE[table].secret_columns), table  # no token, no key to a file
        assert entry["what"] == BY_TABLE[table].what and entry["kept"] == BY_TABLE[table].kept
    dumped = json.dumps(data)
    others = {PAT, SOKHA, CORA, CASEY, DANA} - {email}
    assert not [other for other in others if other in dumped]  # nobody else's email, only a partner's name
    assert email in dumped


async def test_anonymous_survey_answers_are_not_theirs_to_retrieve_and_it_says_so(chat, db, catalog):
    await answer_final(chat(PAT), "4", text=MARKER)
    _, data = await export_of(db, catalog, PAT)
    assert MARKER not in json.dumps(data)
    assert "nobody, not even the assistant, can tell which answers are yours" in data["anonymous_survey_answers"]
    invitations = data["tables"]["survey_invitations"]["rows"]
    assert invitations and invitations[0]["finished"] is True  # that they answered, not what


async def test_the_summary_is_plain_words_with_cohort_labels(chat, db, catalog):
    shown = await chat(PAT).say("my data")
    assert "You: Pat Participant, participant@demo.example, Pacific Time; you write from the terminal." in shown
    assert "participant in AAHSL Demo 2026-27" in shown
    assert "with Cora Coach in AAHSL Demo 2026-27, active" in shown
    assert "The links work for 15 minutes" in shown
    links = re.findall(r"http://localhost:3978/my-data/([A-Za-z0-9_-]+)\.(json|txt)", shown)
    assert {kind for _, kind in links} == {"json", "txt"} and len({token for token, _ in links}) == 1
    _, data = await export_of(db, catalog, PAT)
    assert readable_summary(data)[-1].startswith("Your survey answers are not included")


async def test_my_anything_else_is_answered_and_makes_no_link(chat, db):
    shown = await chat(PAT).say("my stuff")
    assert "I don't know `my stuff`. Type `my data`" in shown
    async with db.transaction() as session:
        assert (await session.execute(select(func.count()).select_from(DataExportLink))).scalar_one() == 0


async def test_keys_to_files_are_left_out_and_a_session_is_there_without_its_calendar_token(engine, chat, db, catalog):  # noqa: F811
    assert "Booked:" in await chat(SOKHA).say("book Wednesday 9pm")  # with Cora
    await chat(SOKHA).say("my data")
    aahsl = await cohort_of(db, AAHSL)
    assert "keep it to yourself" in await click_as(engine, CASEY, f"report:csv|{aahsl.id}|final")
    await chat(CASEY).say("my data")
    async with db.transaction() as session:
        keys = [
            *(await session.execute(select(CoachingSession.calendar_token))).scalars(),
            *(await session.execute(select(GroupSession.calendar_token))).scalars(),
            *(await session.execute(select(ExportLink.token))).scalars(),
            *(await session.execute(select(DataExportLink.token))).scalars(),
        ]
    assert len(keys) >= 4
    sokha, data = await export_of(db, catalog, SOKHA)
    [booked] = data["tables"]["coaching_sessions"]["rows"]
    assert booked["booked_by_id"] == sokha.id and booked["status"] == "booked" and "calendar_token" not in booked
    assert "1 booked" in "\n".join(readable_summary(data))
    _, coach = await export_of(db, catalog, CORA)
    assert [row["booked_by_id"] for row in coach["tables"]["coaching_sessions"]["rows"]] == ["Sokha Partner"]
    assert "/calendar/(left out).ics" in json.dumps(coach["tables"]["outbox"]["rows"])  # told, without the key
    _, coordinator = await export_of(db, catalog, CASEY)
    assert len(coordinator["tables"]["export_links"]["rows"]) == 1
    for exported in (data, coach, coordinator):
        for table, entry in exported["tables"].items():
            dumped = json.dumps(entry["rows"])
            assert [key for key in keys if key in dumped] == [], table


async def test_help_lists_my_data_for_everyone(chat):
    for email in (SOKHA, CASEY, "newcomer@example.org"):
        assert "`my data`: see and download what I hold about you" in await chat(email).say("help"), email
    assert await chat(PAT).say("my") == "Type `my data` to see what I hold about you and download it."


async def test_a_partner_writing_my_in_a_sentence_writes_to_their_coach(chat, db):
    shown = await chat(SOKHA).say("My library got new funding!")
    assert "your message to Cora Coach" in shown  # the relay took it (Cora has no Slack or Teams in this test)
    assert "my data" not in shown
    async with db.transaction() as session:
        assert (await session.execute(select(func.count()).select_from(DataExportLink))).scalar_one() == 0
