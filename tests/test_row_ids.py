"""A number too large for the database, typed or carried by a forged button, names no row: it gets the
clear answer an unknown number gets, never the apology for a fault (on PostgreSQL an integer above
2,147,483,647 would fail the query)."""

import pytest

from adapters.console import ConsoleDirectory
from bot.dialog import row_id
from bot.messages import Inbound

HUGE = ("3000000000", "99999999999999999999")
APOLOGY = "something went wrong"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("1", 1), ("2147483647", 2147483647), ("2147483648", None), ("0", None), ("-1", None), ("١٢", None), ("", None)],
)
def test_a_row_id_is_a_positive_ascii_integer_the_databases_keep(typed, expected):
    assert row_id(typed) == expected


@pytest.mark.parametrize("number", HUGE)
@pytest.mark.parametrize(
    ("email", "typed"),
    [
        ("coordinator@demo.example", "event cancel {}"),
        ("partner@demo.example", "sessions cancel {}"),
        ("coach@demo.example", "hours delete {}"),
        ("coordinator@demo.example", "resources retire {}"),
    ],
)
async def test_typed_numbers_too_large_are_answered(chat, email, typed, number):
    answer = await chat(email).say(typed.format(number))
    assert answer and APOLOGY not in answer.lower()


@pytest.mark.parametrize("number", HUGE)
@pytest.mark.parametrize(
    ("email", "value"),
    [
        ("participant2@demo.example", "confirm:confirm|{}"),
        ("coordinator@demo.example", "review:open|{}"),
        ("coordinator@demo.example", "cohort:calendar|{}"),
        ("participant@demo.example", "survey:start|{}"),
        ("participant@demo.example", "event:join|{}"),
        ("participant@demo.example", "group:join|{}"),
        ("partner@demo.example", "check-in:answer|{}|on_track"),
        ("partner@demo.example", "book:times|{}"),
    ],
)
async def test_forged_buttons_with_numbers_too_large_are_answered(engine, email, value, number):
    inbound = Inbound("console", email, "console", action=value.format(number))
    replies = await engine.handle(inbound, ConsoleDirectory(email))
    text = " ".join(reply.plain_text() for reply in replies).lower()
    assert text and APOLOGY not in text
