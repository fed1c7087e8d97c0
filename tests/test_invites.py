"""Calendar invitations: one event per session, updated by SEQUENCE, cancelled by METHOD:CANCEL, and
holding nothing beyond the fields the caller gave."""

from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from icalendar import Calendar, Event

from bot.invites import Invite, file_name, ics_bytes, session_uid

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
END = START + timedelta(minutes=45)
BOOKED = Invite(
    uid=session_uid("session", 42),
    sequence=0,
    starts_at=START,
    ends_at=END,
    summary="Coaching session: Pat Participant and Cora Coach",
    description="Leadership Circle",
    organizer_email="cora@example.org",
    attendee_emails=("pat@example.org", "cora@example.org"),
)


def parse(invite: Invite, now: datetime = NOW) -> tuple[Calendar, Event]:
    calendar = Calendar.from_ical(ics_bytes(invite, now=now))
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return calendar, events[0]


def test_a_booking_is_a_confirmed_request_at_the_given_utc_instants() -> None:
    calendar, event = parse(BOOKED)
    raw = ics_bytes(BOOKED, now=NOW).decode()

    assert calendar["METHOD"] == "REQUEST"
    assert calendar["VERSION"] == "2.0"
    assert calendar["PRODID"]
    assert event["UID"] == "session-42@coaching-assistant"
    assert event["SEQUENCE"] == 0
    assert event["STATUS"] == "CONFIRMED"
    assert event.decoded("DTSTART") == START
    assert event.decoded("DTEND") == END
    assert event.decoded("DTSTAMP") == NOW
    assert "DTSTART:20261201T090000Z\r\n" in raw
    assert "DTEND:20261201T094500Z\r\n" in raw


def test_reschedule_and_cancel_update_the_same_event() -> None:
    moved = replace(BOOKED, sequence=1, starts_at=START + timedelta(days=2), ends_at=END + timedelta(days=2))
    cancelled = replace(moved, sequence=2, cancelled=True)
    later = NOW + timedelta(hours=1)

    versions = [parse(BOOKED), parse(moved, later), parse(cancelled, later + timedelta(hours=1))]

    assert {event["UID"] for _, event in versions} == {"session-42@coaching-assistant"}
    assert [int(event["SEQUENCE"]) for _, event in versions] == [0, 1, 2]
    assert [str(calendar["METHOD"]) for calendar, _ in versions] == ["REQUEST", "REQUEST", "CANCEL"]
    assert [str(event["STATUS"]) for _, event in versions] == ["CONFIRMED", "CONFIRMED", "CANCELLED"]
    assert versions[1][1].decoded("DTSTART") == datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    assert versions[2][1].decoded("DTSTAMP") == later + timedelta(hours=1)


def test_organizer_and_every_attendee_are_listed_as_required_participants() -> None:
    _, event = parse(BOOKED)

    attendees = event["ATTENDEE"]
    assert [str(a) for a in attendees] == ["mailto:pat@example.org", "mailto:cora@example.org"]
    for attendee in attendees:
        assert attendee.params["ROLE"] == "REQ-PARTICIPANT"
        assert attendee.params["PARTSTAT"] == "NEEDS-ACTION"
    assert str(event["ORGANIZER"]) == "mailto:cora@example.org"


def test_an_invite_holds_only_the_fields_it_was_given() -> None:
    calendar, event = parse(BOOKED)

    assert set(calendar.keys()) == {"PRODID", "VERSION", "METHOD"}
    assert [component.name for component in calendar.subcomponents] == ["VEVENT"]
    assert event.subcomponents == []
    assert set(event.keys()) == {
        "UID",
        "SEQUENCE",
        "DTSTAMP",
        "DTSTART",
        "DTEND",
        "SUMMARY",
        "DESCRIPTION",
        "ORGANIZER",
        "ATTENDEE",
        "STATUS",
    }
    assert event["SUMMARY"] == BOOKED.summary
    assert event["DESCRIPTION"] == BOOKED.description


def test_every_free_text_line_comes_from_the_summary_or_description() -> None:
    # Whatever a session was about cannot leak in: the only text in the file is what the caller passed.
    raw = ics_bytes(BOOKED, now=NOW).decode()
    lines = raw.replace("\r\n ", "").split("\r\n")
    text = {line.split(":", 1)[0]: line.split(":", 1)[1] for line in lines if line.startswith(("SUMMARY", "DESC"))}

    assert text == {"SUMMARY": BOOKED.summary, "DESCRIPTION": BOOKED.description}
    names = Counter(line.split(":", 1)[0].split(";", 1)[0] for line in lines if line)
    assert names == Counter(
        {"BEGIN": 2, "END": 2, "ATTENDEE": 2}
        | dict.fromkeys(["PRODID", "VERSION", "METHOD", "UID", "SEQUENCE", "DTSTAMP", "DTSTART", "DTEND"], 1)
        | dict.fromkeys(["SUMMARY", "DESCRIPTION", "ORGANIZER", "STATUS"], 1)
    )


def test_text_with_ical_special_characters_round_trips() -> None:
    awkward = replace(BOOKED, summary="Coaching session: Ng, Wei; and O'Brien\\Ann", description="Line one\nline two")
    raw = ics_bytes(awkward, now=NOW)
    _, event = parse(awkward)

    assert event["SUMMARY"] == awkward.summary
    assert event["DESCRIPTION"] == awkward.description
    assert b"Line one\nline" not in raw  # escaped, not written as a bare line break


def test_times_in_other_zones_are_written_in_utc_to_the_second() -> None:
    paris = timezone(timedelta(hours=1))
    local = replace(
        BOOKED,
        starts_at=datetime(2026, 12, 1, 10, 0, 0, 500_000, tzinfo=paris),
        ends_at=datetime(2026, 12, 1, 10, 45, tzinfo=paris),
    )
    raw = ics_bytes(local, now=NOW.astimezone(paris)).decode()
    _, event = parse(local)

    assert "DTSTART:20261201T090000Z\r\n" in raw
    assert "DTSTAMP:20261123T150000Z\r\n" in raw
    assert "TZID" not in raw
    assert event.decoded("DTSTART") == START
    assert event.decoded("DTEND") == END


@pytest.mark.parametrize(
    "changes",
    [
        {"starts_at": datetime(2026, 12, 1, 9, 0)},
        {"ends_at": START},
        {"ends_at": START - timedelta(minutes=1)},
        {"sequence": -1},
        {"uid": " "},
        {"attendee_emails": ()},
        {"attendee_emails": ("pat@example.org\r\nX-EVIL:1",)},
        {"organizer_email": "cora"},
    ],
)
def test_bad_invites_are_refused(changes: dict) -> None:
    with pytest.raises(ValueError):
        replace(BOOKED, **changes)


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError):
        ics_bytes(BOOKED, now=datetime(2026, 11, 23, 15, 0))


def test_session_uid_is_stable_and_checked() -> None:
    assert session_uid("session", 42) == session_uid("session", 42) == "session-42@coaching-assistant"
    assert session_uid("group-session", 7, "coach.example.org") == "group-session-7@coach.example.org"
    assert session_uid("session", 42) != session_uid("group-session", 42)
    for kind, session_id, domain in [("Session", 1, "x"), ("session", 0, "x"), ("session", 1, "a b"), ("", 1, "x")]:
        with pytest.raises(ValueError):
            session_uid(kind, session_id, domain)


def test_file_name_is_neutral_and_dated_in_utc() -> None:
    assert file_name(BOOKED) == "coaching-session-2026-12-01.ics"
    late = datetime(2026, 12, 1, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert file_name(replace(BOOKED, starts_at=late, ends_at=late + timedelta(hours=1))) == (
        "coaching-session-2026-12-02.ics"
    )
