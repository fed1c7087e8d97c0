"""Calendar invitations (.ics) for booked, moved and cancelled sessions.

One session is one calendar event for its whole life: its UID comes from the session's id, so a reschedule
sent with a higher SEQUENCE updates the event people already have, and a cancellation (METHOD:CANCEL)
removes it. An invite carries only what the caller puts in it, a neutral summary and description, the
times and the addresses, never anything said in the session. This module only builds bytes; serving or
attaching them is the caller's job.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where an invitation is written: icalendar costs a cold start about 0.1 s
    from icalendar import vCalAddress

PRODID = "-//Coaching Assistant//Session invites//EN"
DEFAULT_DOMAIN = "coaching-assistant"

_KIND = re.compile(r"[a-z][a-z0-9-]*")
_DOMAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]*")
_EMAIL = re.compile(r"[^@\s:;,]+@[^@\s:;,]+")


@dataclass(frozen=True)
class Invite:
    uid: str  # stable for the session's whole life, see session_uid
    sequence: int  # 0 when booked, +1 on each change
    starts_at: datetime  # timezone-aware; written in UTC
    ends_at: datetime
    summary: str  # neutral, e.g. "Coaching session: Pat Participant and Cora Coach"
    description: str  # neutral, e.g. the program's short name
    organizer_email: str
    attendee_emails: tuple[str, ...]
    cancelled: bool = False

    def __post_init__(self) -> None:
        if not self.uid.strip():
            raise ValueError("an invite needs a UID")
        if self.sequence < 0:
            raise ValueError("SEQUENCE starts at 0")
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise ValueError("invite times must be timezone-aware")
        if self.ends_at <= self.starts_at:
            raise ValueError("an invite must end after it starts")
        if not self.attendee_emails:
            raise ValueError("an invite needs at least one attendee")
        for email in (self.organizer_email, *self.attendee_emails):
            if not _EMAIL.fullmatch(email):
                raise ValueError(f"not an email address: {email!r}")


def session_uid(kind: str, session_id: int, domain: str = DEFAULT_DOMAIN) -> str:
    """The UID of one session's event, e.g. session_uid("session", 42) -> "session-42@coaching-assistant"."""
    if not _KIND.fullmatch(kind):
        raise ValueError(f"kind must be lowercase letters, digits and hyphens: {kind!r}")
    if session_id < 1:
        raise ValueError(f"session ids are positive: {session_id}")
    if not _DOMAIN.fullmatch(domain):
        raise ValueError(f"not a domain: {domain!r}")
    return f"{kind}-{session_id}@{domain}"


def _utc(moment: datetime) -> datetime:
    # icalendar writes a non-UTC offset as a TZID with no VTIMEZONE and drops microseconds silently;
    # writing whole seconds in UTC keeps what a calendar shows equal to what we stored.
    if moment.tzinfo is None:
        raise ValueError("times must be timezone-aware")
    return moment.astimezone(UTC).replace(microsecond=0)


def _address(email: str) -> "vCalAddress":
    from icalendar import vCalAddress

    return vCalAddress(f"mailto:{email}")


def ics_bytes(invite: Invite, *, now: datetime) -> bytes:
    """A whole VCALENDAR with one VEVENT: METHOD:REQUEST for a booking or change, METHOD:CANCEL to cancel."""
    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if invite.cancelled else "REQUEST")

    event = Event()
    event.add("uid", invite.uid)
    event.add("sequence", invite.sequence)
    event.add("dtstamp", _utc(now))
    event.add("dtstart", _utc(invite.starts_at))
    event.add("dtend", _utc(invite.ends_at))
    event.add("summary", invite.summary)
    event.add("description", invite.description)
    event.add("organizer", _address(invite.organizer_email))
    for email in invite.attendee_emails:
        attendee = _address(email)
        attendee.params["ROLE"] = "REQ-PARTICIPANT"
        attendee.params["PARTSTAT"] = "NEEDS-ACTION"
        event.add("attendee", attendee)
    event.add("status", "CANCELLED" if invite.cancelled else "CONFIRMED")

    calendar.add_component(event)
    return calendar.to_ical()


def file_name(invite: Invite) -> str:
    """A neutral attachment name from the start's UTC date, e.g. "coaching-session-2026-12-01.ics"."""
    return f"coaching-session-{_utc(invite.starts_at):%Y-%m-%d}.ics"
