"""GET /calendar/{token}.ics: the invitation of a booked session, updated when it moves, cancelled with it."""

import re

from icalendar import Calendar

from bot.demo import seed_demo
from bot.engine import Engine
from storage.db import Database
from tests.conftest import FIXED_NOW, Chat
from tests.server import running_server
from wiring import build_registry


async def test_the_invitation_keeps_its_uid_through_a_move_and_a_cancellation(sqlite_url, catalog):
    db = Database(sqlite_url)
    await seed_demo(db, catalog, FIXED_NOW)
    sokha = Chat(Engine(db, build_registry(), catalog, clock=lambda: FIXED_NOW), "partner@demo.example")
    booked = await sokha.say("book Wednesday 9pm")
    path = re.search(r"/calendar/[\w-]+\.ics", booked)
    assert path is not None
    async with running_server(sqlite_url) as server:

        async def invitation() -> Calendar:
            async with server.http.get(server.url + path.group(0)) as response:
                assert response.status == 200 and response.content_type == "text/calendar"
                return Calendar.from_ical(await response.read())

        first = await invitation()
        await sokha.say("sessions move 1 Thursday 9pm")
        moved = await invitation()
        await sokha.say("sessions cancel 1")
        cancelled = await invitation()
        async with server.http.get(server.url + "/calendar/not-a-token.ics") as response:
            assert response.status == 404
    await db.dispose()

    events = [next(iter(calendar.walk("VEVENT"))) for calendar in (first, moved, cancelled)]
    assert len({str(event["UID"]) for event in events}) == 1
    assert [int(event["SEQUENCE"]) for event in events] == [0, 1, 2]
    assert [str(calendar["METHOD"]) for calendar in (first, moved, cancelled)] == ["REQUEST", "REQUEST", "CANCEL"]
    assert str(events[2]["STATUS"]) == "CANCELLED"
    assert events[0]["DTSTART"].dt.isoformat() == "2026-11-25T14:00:00+00:00"
    assert events[1]["DTSTART"].dt.isoformat() == "2026-11-26T14:00:00+00:00"
    assert str(events[0]["SUMMARY"]) == "Coaching session: Sokha Partner and Cora Coach"
