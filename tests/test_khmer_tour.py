"""Every message in Khmer: the render tour of tests/test_render_limits.py again, with every demo person
reading Khmer. Each reply the tour meets (answers, buttons, forms, what the scheduler sends weeks ahead,
each person's App Home) must be written without English, apart from names (people's, programs', cohorts',
platforms'), command words and examples in backticks, links, and what the tour itself typed; and must still
fit Slack's and Teams' limits, since a Khmer sentence is longer than its English.

SQLite only, as the English tour: the words are the same whatever the database.
"""

import re
import tomllib
from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy import select, update

from adapters.slack.home import home_view
from bot import home
from bot.demo import DEMO_PEOPLE, seed_demo
from bot.engine import Engine
from bot.i18n import KHMER
from bot.messages import Inbound, Reply
from bot.programs import ProgramCatalog
from bot.translation_check import latin_words
from dialogs.timezone import COMMON_ZONES
from storage.db import Database
from storage.models import Cohort, Person, Resource
from tests.conftest import FIXED_NOW
from tests.test_render_limits import (
    SAMPLES,
    TYPED_ANSWER,
    Failures,
    Shown,
    check_turn,
    modal_builders,
    scheduled_replies,
    tour_all,
)
from wiring import build_registry

# Words in Latin letters a Khmer text may hold: platforms, formats and the like, which Khmer writes so too.
KEPT_WORDS = {"Slack", "Teams", "UTC", "CSV", "PDF", "JSON", "ICS", "URL", "OneDrive", "DiSC", "EQi", "TKI"}


async def names_in(db: Database, catalog: ProgramCatalog) -> set[str]:
    """Every word the messages may quote as it is: names (people's, with their emails, programs', cohorts',
    regions'), resources' titles as coordinators wrote them, the zones people pick by their IANA ids, what
    the tour typed, and the texts of the program files that give no Khmer (only SIG-ALICE, whose partners
    read Khmer, does: its texts must be Khmer)."""
    names = [name for person in DEMO_PEOPLE for name in (person.name, person.email)]
    for program in catalog:
        names += [program.name, program.short_name, program.tag, program.organisation, program.contact]
        names += [program.in_sentence, *(region.name for region in program.regions), *program.assessments]
        if not program.translations:
            names += list(texts_in(tomllib.loads(program.source.read_text(encoding="utf-8"))))
    names += list(COMMON_ZONES)
    async with db.transaction() as session:
        names += list((await session.scalars(select(Cohort.name))).all())
        names += list((await session.scalars(select(Resource.title))).all())  # what coordinators wrote
    typed = [TYPED_ANSWER, *SAMPLES.values()]
    return {word for text in [*names, *typed] if isinstance(text, str) for word in re.findall(r"[A-Za-z]+", text)}


def texts_in(data: object) -> Iterator[str]:
    """Every text of a program file's data."""
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for value in data.values():
            yield from texts_in(value)
    elif isinstance(data, list):
        for value in data:
            yield from texts_in(value)


def texts_of(reply: Reply) -> Iterator[str]:
    yield from (reply.title or "", reply.text, *reply.lines)
    yield from (button.label for button in reply.buttons)
    if reply.form is not None:
        yield reply.form.title
        for field in reply.form.fields:
            yield from (field.label, field.hint or "", *(choice.label for choice in field.choices))


def view_texts(view: object) -> Iterator[str]:
    """The texts of a Slack view (an App Home): every "text" string in its blocks."""
    if isinstance(view, dict):
        for key, value in view.items():
            if key == "text" and isinstance(value, str):
                yield value
            else:
                yield from view_texts(value)
    elif isinstance(view, list):
        for item in view:
            yield from view_texts(item)


def english_in(texts: Iterator[str], allowed: set[str]) -> list[str]:
    left = [word for text in texts for word in latin_words(text)]
    return [word for word in left if word not in allowed and word not in KEPT_WORDS]


def replies_texts(replies: list[Reply]) -> Iterator[str]:
    for reply in replies:
        yield from texts_of(reply)


@pytest.fixture
async def khmer_engine(sqlite_url: str, catalog: ProgramCatalog) -> AsyncIterator[Engine]:
    db = Database(sqlite_url)
    await seed_demo(db, catalog, FIXED_NOW)
    async with db.transaction() as session:
        await session.execute(update(Person).values(language=KHMER))
    yield Engine(db, build_registry(), catalog, clock=lambda: FIXED_NOW)
    await db.dispose()


async def test_every_message_the_tour_meets_is_khmer_and_within_the_platforms_limits(
    khmer_engine: Engine, catalog: ProgramCatalog
) -> None:
    tour = await tour_all(khmer_engine, leaving_out=frozenset({"language"}))  # `language en` would end it
    allowed = await names_in(khmer_engine.db, catalog)
    failures, modals, english = Failures(), modal_builders(), list[str]()
    for shown in tour.shown:
        check_turn(shown, failures, modals)
        if found := english_in(replies_texts(shown.replies), allowed):
            english.append(f"{shown.who} | {shown.what} | {sorted(set(found))}")
    outbox = await scheduled_replies(khmer_engine.db, catalog)
    for number, (kind, reply) in enumerate(outbox):
        check_turn(Shown(f"outbox row {number}", kind, [reply]), failures, modals)
        if found := english_in(texts_of(reply), allowed):
            english.append(f"outbox {kind} | {sorted(set(found))}")
    for account, email in tour.directory.emails.items():
        inbound = Inbound("slack", account, f"D{account[-5:]}")
        view = await home.open_home(khmer_engine.db, catalog, inbound, tour.directory, FIXED_NOW)
        failures.slack("home", home_view(view), f"{email} | App Home")
        if found := english_in(view_texts(home_view(view)), allowed):
            english.append(f"{email} | App Home | {sorted(set(found))}")

    assert len(tour.shown) > 1000 and len(outbox) > 20
    not_khmer = [
        f"{shown.who} | {shown.what}" for shown in tour.shown if any(r.language != KHMER for r in shown.replies)
    ]
    assert not not_khmer, not_khmer[:20]
    assert not english, "\n".join([f"{len(english)} turns with English:", *english[:60]])
    assert not failures.found, "\n".join([f"{len(failures.found)} problems:", *failures.found[:40]])
