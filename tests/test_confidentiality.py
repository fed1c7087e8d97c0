"""Nothing a person types in free text is written anywhere: not the database file, not the logs."""

import logging
from datetime import UTC, datetime
from pathlib import Path

from bot.demo import seed_demo
from bot.engine import Engine
from storage.db import Database
from tests.conftest import FIXED_NOW, Chat
from wiring import build_registry

MARKER = "ZEBRA-CONFIDENTIAL-7731"


def database_bytes(url: str) -> bytes:
    path = Path(url.split("///", 1)[1])
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))  # the file, its WAL and SHM


async def test_free_text_never_reaches_the_database_file_or_the_logs(sqlite_url, catalog, caplog):
    caplog.set_level(logging.DEBUG)
    db = Database(sqlite_url)
    await seed_demo(db, catalog, FIXED_NOW)
    person = Chat(Engine(db, build_registry(), catalog, clock=lambda: FIXED_NOW), "partner@demo.example")
    said = [
        f"{MARKER} my library's budget was cut",  # not a command
        f"/coaching {MARKER}",
        f"help {MARKER}",
        "timezone",
        f"{MARKER} is where I live",  # an answer to the open question
        f"timezone {MARKER}",
        f"me {MARKER}",
        f"book {MARKER}",  # not a time: refused, and the phrase is not kept
        "book Wednesday 9pm",
        f"sessions move 1 {MARKER}",
        "sessions",
        f"book with {MARKER} tomorrow",
    ]
    for text in said:
        assert await person.say(text)
    await db.dispose()
    assert MARKER.encode() not in database_bytes(sqlite_url)
    assert MARKER not in caplog.text
    assert "turn kind=" in caplog.text  # the log does record that turns happened


async def test_a_rejected_answer_is_not_kept_with_the_open_question(sqlite_url, catalog):
    db = Database(sqlite_url)
    await seed_demo(db, catalog, FIXED_NOW)
    person = Chat(Engine(db, build_registry(), catalog, clock=lambda: FIXED_NOW), "coach@demo.example")
    await person.say("timezone")
    await person.say(f"{MARKER} nowhere")  # rejected answer: the question stays open, the text is not kept
    await db.dispose()
    assert MARKER.encode() not in database_bytes(sqlite_url)


async def test_words_typed_into_a_check_in_are_not_kept(sqlite_url, catalog, caplog):
    """A check-in keeps the button and the number: what someone types about their pairing goes nowhere."""
    caplog.set_level(logging.DEBUG)
    db = Database(sqlite_url)
    await seed_demo(db, catalog, FIXED_NOW)
    engine = Engine(db, build_registry(), catalog, clock=lambda: datetime(2026, 11, 24, 2, 0, tzinfo=UTC))
    person = Chat(engine, "partner@demo.example")
    assert "How is it going" in await person.say("status")
    await person.click("Some difficulties")
    assert "Please answer with a number" in await person.say(f"{MARKER} my coach and I disagree about the budget")
    await person.say(f"1 {MARKER}")
    await person.say("1")
    await db.dispose()
    assert MARKER.encode() not in database_bytes(sqlite_url)
    assert MARKER not in caplog.text
