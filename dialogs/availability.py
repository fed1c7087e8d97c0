"""`availability [HOURS]` (coaches and mentors): your recurring weekly hours, in your own time zone.

`availability Mon-Fri 9-17`, `availability Tue 9-12, Thu 13:30-17`, `availability weekdays 8am-2pm`;
`availability` alone shows them; `availability clear` goes back to the default (weekdays 9-17).
Sessions are booked only inside these hours.
"""

import re
from datetime import date, time, timedelta

from sqlalchemy import delete, select

from bot.booking import DEFAULT_HOURS
from bot.dialog import Command, Registry, Turn
from bot.i18n import N_, _
from bot.i18n import weekday as weekday_name
from bot.timezones import zone_name
from storage.models import Availability

NAME = "availability"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
A_MONDAY = date(2024, 1, 1)  # weekday names are this Monday's and the six days after it, in the reader's language
GROUPS = {"weekdays": (0, 1, 2, 3, 4), "weekends": (5, 6), "daily": tuple(range(7)), "every day": tuple(range(7))}
CLOCK = r"(\d{1,2})(?::(\d{2}))?\s*(am|pm)?"
SEGMENT = re.compile(rf"^(?P<days>[a-z ,/&-]+?)\s+{CLOCK}\s*(?:-|–|to)\s*{CLOCK}$")
EXAMPLE = N_("`availability Mon-Fri 9-17` or `availability Tue 9-12, Thu 13:30-17`")


async def start(turn: Turn, args: str) -> None:
    typed = args.strip()
    if not typed:
        await _show(turn)
        return
    if typed.lower() == "clear":
        await turn.session.execute(delete(Availability).where(Availability.person_id == turn.person.id))
        turn.say(_("Done: your hours are back to the default, Monday to Friday 09:00-17:00 in your time zone."))
        return
    hours = parse_hours(typed)
    if isinstance(hours, str):
        like = _("Write days and hours like {example}. Nothing was changed.").format(example=_(EXAMPLE))
        turn.say(f"{hours} {like}")
        return
    await turn.session.execute(delete(Availability).where(Availability.person_id == turn.person.id))
    for weekday, start_minute, end_minute in hours:
        turn.session.add(
            Availability(
                person_id=turn.person.id,
                weekday=weekday,
                starts_minute=start_minute,
                ends_minute=end_minute,
                timezone=turn.timezone,
                created_at=turn.now,
            )
        )
    turn.say(
        _("Done: your hours are now, in {zone}:").format(zone=zone_name(turn.timezone)), lines=tuple(_describe(hours))
    )


def parse_hours(typed: str) -> list[tuple[int, int, int]] | str:
    """[(weekday, start minute, end minute)] from "Mon-Fri 9-17, Sat 10-12"; or why it could not be read."""
    found: list[tuple[int, int, int]] = []
    for segment in re.split(r"[;,](?=\s*[a-zA-Z])", typed.lower()):
        match = SEGMENT.match(" ".join(segment.split()))
        if match is None:
            return _("I couldn't read `{typed}`.").format(typed=segment.strip()[:40])
        days = _days(match["days"].strip())
        start, end = _minutes(match[2], match[3], match[4]), _minutes(match[5], match[6], match[7])
        if days is None:
            return _("I don't know the days `{typed}`.").format(typed=match["days"].strip()[:30])
        if start is None or end is None or end <= start:
            return _("`{typed}` does not give a start before an end within one day.").format(typed=segment.strip()[:40])
        found += [(day, start, end) for day in days]
    return sorted(found)


def _days(text: str) -> tuple[int, ...] | None:
    if text in GROUPS:
        return GROUPS[text]
    days: list[int] = []
    for part in re.split(r"\s*(?:/|&|\band\b|\s)\s*", text):
        if not part:
            continue
        if "-" in part:
            first, _dash, last = part.partition("-")
            if first[:3] not in DAYS or last[:3] not in DAYS:
                return None
            a, b = DAYS.index(first[:3]), DAYS.index(last[:3])
            days += list(range(a, b + 1)) if a <= b else [*range(a, 7), *range(0, b + 1)]
        elif part[:3] in DAYS:
            days.append(DAYS.index(part[:3]))
        else:
            return None
    return tuple(sorted(set(days))) or None


def _minutes(hour: str, minute: str | None, meridiem: str | None) -> int | None:
    value, minutes = int(hour), int(minute or 0)
    if meridiem == "pm" and value < 12:
        value += 12
    elif meridiem == "am" and value == 12:
        value = 0
    if value > 24 or minutes > 59 or (value == 24 and minutes):
        return None
    return value * 60 + minutes


def _describe(hours: list[tuple[int, int, int]]) -> list[str]:
    return [
        f"{weekday_name(A_MONDAY + timedelta(days=day))}: {_clock(start)}-{_clock(end)}" for day, start, end in hours
    ]


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


async def _show(turn: Turn) -> None:
    query = select(Availability).where(Availability.person_id == turn.person.id).order_by(Availability.weekday)
    rows = list((await turn.session.execute(query)).scalars())
    if not rows:
        days, start, end = DEFAULT_HOURS
        default = [(day, _of(start), _of(end)) for day in days]
        turn.say(
            _(
                "You have not set your hours, so sessions can be booked Monday to Friday 09:00-17:00 in your zone, "
                "{zone}. Change them with {example}."
            ).format(zone=zone_name(turn.timezone), example=_(EXAMPLE)),
            lines=tuple(_describe(default)),
        )
        return
    zone = rows[0].timezone
    hours = [(r.weekday, r.starts_minute, r.ends_minute) for r in rows]
    turn.say(
        _("Your hours, in {zone}. Change them with {example}.").format(zone=zone_name(zone), example=_(EXAMPLE)),
        lines=tuple(_describe(hours)),
    )


def _of(moment: time) -> int:
    return moment.hour * 60 + moment.minute


def register(registry: Registry) -> None:
    registry.add_command(
        Command(
            NAME,
            N_("the weekly hours when sessions can be booked with you"),
            "availability [HOURS|clear]",
            start,
            roles=frozenset({"coach", "mentor"}),
            serves=lambda program: program.one_to_one is not None,
        )
    )
