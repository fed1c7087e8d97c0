"""Time-zone names: validation, friendly look-up by city, and local-time formatting."""

from datetime import date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

DEFAULT_TIMEZONE = "UTC"


def is_valid_timezone(name: str | None) -> bool:
    if not name or name != name.strip() or ".." in name or name.startswith("/"):
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder of zones ("Pacific")
        return False
    return True


@cache
def _zones_by_city() -> dict[str, str]:
    zones: dict[str, str] = {}
    for zone in sorted(available_timezones()):
        if "/" in zone and not zone.startswith(("Etc/", "SystemV/")):
            zones.setdefault(zone.rsplit("/", 1)[1].replace("_", " ").lower(), zone)
    return zones


def find_timezone(typed: str) -> str | None:
    """An IANA zone from "Asia/Phnom_Penh", "asia/phnom_penh" or a city like "Phnom Penh"."""
    typed = " ".join(typed.split())
    if is_valid_timezone(typed):
        return typed
    canonical = {zone.lower(): zone for zone in available_timezones()}
    if typed.lower().replace(" ", "_") in canonical:
        return canonical[typed.lower().replace(" ", "_")]
    return _zones_by_city().get(typed.lower().replace("_", " "))


def local_time(moment: datetime, zone: str) -> str:
    """ "Mon 23 Nov, 14:05 (America/Chicago)" — the weekday always shown, 24-hour clock."""
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local:%a %d %b, %H:%M} ({zone})"


def long_date(day: date) -> str:
    """ "26 August 2027" """
    return f"{day.day} {day:%B %Y}"


def date_span(first: date, last: date) -> str:
    """ "1 July to 26 August 2027", or with both years when they differ; one day is one date."""
    if first == last:
        return long_date(first)
    start = f"{first.day} {first:%B}" if first.year == last.year else long_date(first)
    return f"{start} to {long_date(last)}"


def today_in(moment: datetime, zone: str) -> date:
    return moment.astimezone(ZoneInfo(zone)).date()


def deadline_words(deadline: datetime, phase_zone: str | None, reader_zone: str | None) -> str:
    """A deadline is one instant for everyone: shown in the reader's zone and, when it differs, in the zone
    it was set in ("26 August 2027 at 23:59 (America/Los_Angeles), that is 27 August 2027 at 01:59 your
    time (America/Chicago)"). With no reader (the command line), in its own zone only."""
    last_minute = deadline - timedelta(minutes=1)
    theirs_zone = phase_zone or "UTC"
    theirs = last_minute.astimezone(ZoneInfo(theirs_zone))
    own = f"{long_date(theirs.date())} at {theirs:%H:%M} ({theirs_zone})"
    if reader_zone is None:
        return own
    mine = last_minute.astimezone(ZoneInfo(reader_zone))
    yours = f"{long_date(mine.date())} at {mine:%H:%M} your time ({reader_zone})"
    return yours if phase_zone in (None, reader_zone) else f"{own}, that is {yours}"
