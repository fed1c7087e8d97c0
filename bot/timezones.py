"""Time-zone names: validation, friendly look-up by city, the names people read, and local-time formatting."""

from datetime import date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel.core import get_global
from babel.dates import get_timezone_location, get_timezone_name

from bot.i18n import (
    ENGLISH,
    _,
    clock,
    day_month,
    day_month_year,
    reading,
    short_date,
    short_month,
    short_weekday,
    weekday,
)

DEFAULT_TIMEZONE = "UTC"
# Where people name their clock by its region ("9:00 Eastern Time"): a country split into several clocks
# that English speakers call by CLDR's generic names. Elsewhere people say a city's time ("Phnom Penh time").
REGIONAL_CLOCKS = frozenset({"US", "CA", "AU"})
NIGHT_STARTS, NIGHT_ENDS = 22, 7  # hours of a night, in the person's own zone
UTC_NAMES = frozenset({"UTC", "Etc/UTC", "Etc/UCT", "Etc/GMT", "Etc/Universal", "Etc/Zulu", "GMT", "UCT", "Universal"})


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


def zone_name(zone: str) -> str:
    """The name a person reads for an IANA zone, in their language: "Eastern Time", "Australian Eastern Time"
    in the countries of REGIONAL_CLOCKS (CLDR's generic metazone name), "Phnom Penh time" or "London time"
    elsewhere (CLDR's city), "UTC" for UTC and its aliases, and the id itself for a zone with no city."""
    return _zone_name(zone, reading())


@cache
def _zone_name(zone: str, language: str) -> str:
    if zone in UTC_NAMES:
        return "UTC"
    if "/" not in zone or zone.startswith("Etc/"):
        return zone
    if get_global("zone_territories").get(zone) in REGIONAL_CLOCKS:
        regional = get_timezone_name(zone, "long", zone_variant="generic", locale=language)
        if language != ENGLISH or (regional.endswith(" Time") and "(" not in regional):
            return regional
    city = get_timezone_location(zone, locale=language, return_city=True)
    return _("{city} time").format(city=city)


def zone_city(zone: str) -> str | None:
    """ "Phnom Penh", "New York": where a zone's clock is read; None for UTC and zones with no city."""
    if zone in UTC_NAMES or "/" not in zone or zone.startswith("Etc/"):
        return None
    return get_timezone_location(zone, locale=reading(), return_city=True)


def is_night(moment: datetime, zone: str) -> bool:
    """22:00 to 07:00 in `zone`: when a person is not expected to answer."""
    hour = moment.astimezone(ZoneInfo(zone)).hour
    return hour >= NIGHT_STARTS or hour < NIGHT_ENDS


def zone_short(zone: str) -> str:
    """ "Eastern", "Phnom Penh", "UTC": the zone's name where space is short (a button)."""
    if reading() != ENGLISH:
        return zone_city(zone) or zone_name(zone)
    name = zone_name(zone)
    return name.removesuffix(" Time").removesuffix(" time")


def local_time(moment: datetime, zone: str) -> str:
    """ "Mon 23 Nov, 14:05 Central Time" — the weekday always shown, 24-hour clock."""
    local = moment.astimezone(ZoneInfo(zone))
    return _("{weekday} {date}, {clock} {zone}").format(
        weekday=short_weekday(local),
        date=short_date(local),
        clock=clock(local),
        zone=zone_name(zone),
    )


def long_date(day: date) -> str:
    """ "26 August 2027" """
    return day_month_year(day)


def date_span(first: date, last: date) -> str:
    """ "1 July to 26 August 2027", or with both years when they differ; one day is one date."""
    if first == last:
        return long_date(first)
    start = day_month(first) if first.year == last.year else long_date(first)
    return _("{first} to {last}").format(first=start, last=long_date(last))


def today_in(moment: datetime, zone: str) -> date:
    return moment.astimezone(ZoneInfo(zone)).date()


def deadline_words(deadline: datetime, phase_zone: str | None, reader_zone: str | None) -> str:
    """A deadline is one instant for everyone: shown in the reader's zone and, when it differs, in the zone
    it was set in ("26 August 2027 at 23:59 Pacific Time, that is 27 August 2027 at 01:59 Central Time,
    your time"). With no reader (the command line), in its own zone only."""
    last_minute = deadline - timedelta(minutes=1)
    theirs_zone = phase_zone or "UTC"
    theirs = last_minute.astimezone(ZoneInfo(theirs_zone))
    own = _("{date} at {clock} {zone}").format(
        date=long_date(theirs.date()), clock=clock(theirs), zone=zone_name(theirs_zone)
    )
    if reader_zone is None:
        return own
    mine = last_minute.astimezone(ZoneInfo(reader_zone))
    yours = _("{date} at {clock} {zone}, your time").format(
        date=long_date(mine.date()), clock=clock(mine), zone=zone_name(reader_zone)
    )
    return (
        yours if phase_zone in (None, reader_zone) else _("{theirs}, that is {yours}").format(theirs=own, yours=yours)
    )


BUTTON_TEXT_LIMIT = 75  # Slack's limit for a button's text; Teams shows the same label


def two_clocks(moment: datetime, zone: str, other_zone: str) -> str:
    """A free time as both people read it, for a button: "Tue 8 Dec, 9:00 Eastern · 21:00 Phnom Penh", the
    other's weekday added when their day differs, and one clock when both keep the same time."""
    mine, theirs = moment.astimezone(ZoneInfo(zone)), moment.astimezone(ZoneInfo(other_zone))
    own = _("{weekday} {day} {month}, {clock} {zone}").format(
        weekday=short_weekday(mine), day=mine.day, month=short_month(mine), clock=_clock(mine), zone=zone_short(zone)
    )
    if zone_short(zone) == zone_short(other_zone) and mine.utcoffset() == theirs.utcoffset():
        return own
    day = f"{short_weekday(theirs)} " if theirs.date() != mine.date() else ""
    both = _("{mine} · {day}{clock} {zone}").format(
        mine=own, day=day, clock=_clock(theirs), zone=zone_short(other_zone)
    )
    if len(both) <= BUTTON_TEXT_LIMIT:
        return both
    return _("{mine} · {day}{clock} theirs").format(mine=own, day=day, clock=_clock(theirs))


def for_both(moment: datetime, zone: str, other_zone: str, other: str) -> str:
    """A session's time in a sentence, for the reader and the other person: "Wednesday 25 November, 21:00
    Phnom Penh time for you and 09:00 Eastern Time for Cora Coach"; "... for you both" in one zone."""
    mine, theirs = moment.astimezone(ZoneInfo(zone)), moment.astimezone(ZoneInfo(other_zone))
    own = _("{weekday} {date}, {clock} {zone}").format(
        weekday=weekday(mine), date=day_month(mine), clock=clock(mine), zone=zone_name(zone)
    )
    if zone_name(zone) == zone_name(other_zone) and mine.utcoffset() == theirs.utcoffset():
        return _("{time} for you both").format(time=own)
    if theirs.date() != mine.date():
        their_time = _("{weekday} {date}, {clock} {zone}").format(
            weekday=weekday(theirs), date=day_month(theirs), clock=clock(theirs), zone=zone_name(other_zone)
        )
    else:
        their_time = _("{clock} {zone}").format(clock=clock(theirs), zone=zone_name(other_zone))
    return _("{time} for you and {their_time} for {other}").format(time=own, their_time=their_time, other=other)


def _clock(local: datetime) -> str:
    return f"{local.hour}:{local:%M}"
