"""Coaches set their weekly hours in chat; bookings follow them."""

from sqlalchemy import select

from dialogs.availability import parse_hours
from storage.models import Availability, CoachingSession


def test_hours_are_read_from_days_and_ranges():
    assert parse_hours("Mon-Wed 9-12") == [(0, 540, 720), (1, 540, 720), (2, 540, 720)]
    assert parse_hours("Tue 9-12, Thu 13:30-17") == [(1, 540, 720), (3, 810, 1020)]
    assert parse_hours("weekdays 8am-2pm")[0] == (0, 480, 840)
    assert parse_hours("Sat 9:00 to 11:00") == [(5, 540, 660)]


def test_unreadable_hours_say_what_was_wrong():
    assert "I don't know the days `someday`" in parse_hours("someday 9-12")
    assert "does not give a start before an end" in parse_hours("Mon 17-9")
    assert "I couldn't read `mon nine to five`" in parse_hours("Mon nine to five")


async def test_a_coach_sets_hours_and_a_booking_outside_them_is_refused(chat, db):
    cora = chat("coach@demo.example")
    assert "You have not set your hours" in await cora.say("availability")
    done = await cora.say("availability Tue 9-12, Thu 13:30-17")
    assert "Tuesday: 09:00-12:00" in done and "Thursday: 13:30-17:00" in done and "Eastern Time" in done
    sokha = chat("partner@demo.example")
    refused = await sokha.say("book Wednesday 9pm")  # Wednesday 09:00 in New York: not in Cora's hours now
    assert "outside Cora Coach's hours" in refused
    booked = await sokha.say("book Thursday 9pm")  # Thursday 09:00 in New York: also outside
    assert "outside" in booked
    assert "Booked:" in await sokha.say("book Friday 2am")  # Thursday 14:00-15:00 New York, inside
    async with db.transaction() as session:
        assert len((await session.execute(select(CoachingSession))).scalars().all()) == 1


async def test_bad_hours_change_nothing_and_only_coaches_set_hours(chat, db):
    cora = chat("coach@demo.example")
    await cora.say("availability Mon 9-12")
    assert "Nothing was changed" in await cora.say("availability Mon 12-9")
    async with db.transaction() as session:
        rows = (await session.execute(select(Availability))).scalars().all()
    assert [(r.weekday, r.starts_minute, r.ends_minute) for r in rows] == [(0, 540, 720)]
    assert "Only a coach or mentor can use `availability`" in await chat("partner@demo.example").say("availability")
