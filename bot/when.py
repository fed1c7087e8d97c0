"""Reading a time a person typed ("next Tuesday 3pm", "tomorrow at 10", "3 March 14:00", "in 2 hours") as a
UTC-aware datetime, in the speaker's IANA time zone, preferring the future.

dateparser does the reading, called as PLATFORM_NOTES.md says: a naive RELATIVE_BASE in the speaker's local
time, TIMEZONE=zone, RETURN_AS_TIMEZONE_AWARE, PREFER_DATES_FROM='future', languages=['en']. That puts
wall-clock times on the right side of daylight-saving changes. Two things are done around it:

- A clock time is found here first and handed to dateparser in 24-hour form ("at 3" -> "15:00",
  "10h30" -> "10:30"), because dateparser reads "at 3" as March and drops the 10 in "tomorrow at 10".
- "in N hours" / "in N minutes" alone is added to `now` as elapsed time; dateparser adds it to the wall
  clock, which is an hour off across a daylight-saving change.

What dateparser makes of the words (checked on 1.5):
- "next Tuesday" is the first Tuesday after today: typed on Monday 23 November it is Tuesday 24 November,
  the same as "Tuesday" or "this Tuesday"; "next Monday" typed on a Monday is a week later. Callers
  state the weekday and date back (booking.local()) so the person can see which day was taken.
- A bare weekday or date ("Friday 10:00", "3 March") is the next one to come, never the last one.
- A clock time with no day ("at 3", "15:00") is today, even if that has passed.

The result is ambiguous (the person should confirm; `why` says why in one sentence) when:
- The text has no time of day ("next Tuesday", "3 March", "tomorrow"): default_hour:00 local is used.
- An hour from 1 to 7 is written without am/pm and not in 24-hour form ("at 3", "Friday 3:30"): it is read
  as afternoon (15:00, 15:30). "15:00", "03:00", "15h", "3pm", "3 pm", "3:30am", "noon" and "midnight" are
  not ambiguous, and 8 to 12 without am/pm is morning or noon, not ambiguous.
- A date is purely numeric with both numbers 12 or less and different ("3/4", "03/04"): it could be
  month/day or day/month; dateparser reads month/day.
A result in the past ("yesterday 3pm", "today 9am" typed at 15:00) is returned as read, not marked
ambiguous for that; the caller refuses past times.
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import dateparser

from bot.i18n import KHMER, _, day_month, reading, speaking
from bot.khmer_dates import from_khmer

LANGUAGES = ["en"]
KHMER_LANGUAGES = ["en", "km"]  # a Khmer reader's words are rewritten in English first; dateparser's own Khmer after

_DAYS = "today|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_NOT_HOUR = r"\s*(?:st|nd|rd|th)\b|\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"  # 3rd, 3 March
# (pattern, kind), tried in order; the first valid match is the time of day.
# kind "meridiem": 3pm, 3:30 am, 3 p.m.; "24h": 15h, 10h30; "plain": 15:00, 3:30, 3 o'clock, at 3, Friday 3.
_CLOCKS = (
    (re.compile(r"\b(?P<hour>\d{1,2})(?:[:.](?P<minute>\d{2}))?\s*(?P<meridiem>[ap])\.?m\b\.?", re.I), "meridiem"),
    (re.compile(r"\b(?P<hour>\d{1,2}):(?P<minute>\d{2})\b"), "plain"),
    (re.compile(r"(?<!in )\b(?P<hour>\d{1,2})h(?P<minute>\d{2})?\b", re.I), "24h"),
    (re.compile(r"\b(?P<hour>\d{1,2})\s*o'?clock\b", re.I), "plain"),
    (re.compile(rf"(?:\bat|@|\b(?:{_DAYS})\s)\s*(?P<hour>\d{{1,2}})(?![\d:/.]|{_NOT_HOUR})", re.I), "plain"),
)
_TIME_WORDS = re.compile(
    r"\b(?:noon|midnight|morning|afternoon|evening|tonight|now|hours?|hrs?|minutes?|mins?)\b", re.I
)
_DURATION = re.compile(r"in\s+(?P<count>\d+|an?|one)\s*(?P<unit>hours?|hrs?|h|minutes?|mins?)", re.I)
_NUMERIC_DATE = re.compile(r"\b(?P<first>\d{1,2})/(?P<second>\d{1,2})(?:/\d{2,4})?\b")


@dataclass(frozen=True)
class ParsedTime:
    at: datetime  # UTC-aware
    ambiguous: bool  # the person should confirm
    why: str | None  # one short sentence for the person when ambiguous


@dataclass(frozen=True)
class _Clock:
    start: int  # where the hour starts: "at"/"Friday" before it stay in the text
    end: int
    hour: int  # 0-23, as taken
    minute: int
    guessed: bool  # an hour 1-7 without am/pm, taken as afternoon
    typed: str  # "3:00" for "at 3", for the why


def parse_time(text: str, zone: str, now: datetime, *, default_hour: int = 9) -> ParsedTime | None:
    """None when dateparser can't read it. `now` must be time-zone aware."""
    if now.tzinfo is None:
        raise ValueError("now must be time-zone aware")
    text = " ".join(text.split())
    if reading() == KHMER:
        text = from_khmer(text)
    if not text:
        return None
    if (elapsed := _duration(text)) is not None:
        return ParsedTime(now.astimezone(UTC) + elapsed, ambiguous=False, why=None)
    clock = _find_clock(text)
    parsed = _dateparse(_with_24_hour_clock(text, clock), zone, now)
    if parsed is None:
        return None
    local = parsed.astimezone(ZoneInfo(zone))
    whys: list[str] = []
    if clock is None and not _TIME_WORDS.search(text):
        local = local.replace(hour=default_hour, minute=0, second=0, microsecond=0)
        whys.append(_("You didn't say a time, so I took {clock}.").format(clock=f"{default_hour}:00"))
    elif clock is not None and clock.guessed:
        whys.append(
            _("{typed} could be morning or afternoon; I took {clock}.").format(
                typed=clock.typed, clock=f"{clock.hour:02d}:{clock.minute:02d}"
            )
        )
    if why := _numeric_date_why(text, local.date()):
        whys.append(why)
    return ParsedTime(local.astimezone(UTC), ambiguous=bool(whys), why=" ".join(whys) or None)


def warm_up() -> None:
    """dateparser's first parse is slow (about 0.2 s), and its first with Khmer too; call this once at start."""
    parse_time("tomorrow at 9am", "UTC", datetime.now(UTC))
    with speaking(KHMER):
        parse_time("ស្អែក ម៉ោង ៩ ព្រឹក", "UTC", datetime.now(UTC))


def _dateparse(text: str, zone: str, now: datetime) -> datetime | None:
    base = now.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    settings = {
        "RELATIVE_BASE": base,
        "TIMEZONE": zone,
        "RETURN_AS_TIMEZONE_AWARE": True,
        "PREFER_DATES_FROM": "future",
    }
    languages = KHMER_LANGUAGES if reading() == KHMER else LANGUAGES
    return dateparser.parse(text, languages=languages, settings=settings)


def _duration(text: str) -> timedelta | None:
    """ "in 2 hours", "in an hour", "in 90 minutes" (the whole text) as elapsed time."""
    match = _DURATION.fullmatch(text)
    if match is None:
        return None
    count = int(match["count"]) if match["count"].isdigit() else 1
    hours = match["unit"].lower().startswith("h")
    return timedelta(hours=count) if hours else timedelta(minutes=count)


def _find_clock(text: str) -> _Clock | None:
    for pattern, kind in _CLOCKS:
        for match in pattern.finditer(text):
            if clock := _clock_from(match, kind):
                return clock
    return None


def _clock_from(match: re.Match[str], kind: str) -> _Clock | None:
    hour, minute = int(match["hour"]), int(match.groupdict().get("minute") or 0)
    if minute > 59:
        return None
    if kind == "meridiem":
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if match["meridiem"].lower() == "p" else 0)
        return _Clock(match.start("hour"), match.end(), hour, minute, guessed=False, typed=match[0])
    if hour > 23:
        return None
    guessed = kind == "plain" and not match["hour"].startswith("0") and 1 <= hour <= 7
    taken = hour + 12 if guessed else hour
    return _Clock(match.start("hour"), match.end(), taken, minute, guessed, typed=f"{hour}:{minute:02d}")


def _with_24_hour_clock(text: str, clock: _Clock | None) -> str:
    if clock is None:
        return text
    return f"{text[: clock.start]}{clock.hour:02d}:{clock.minute:02d}{text[clock.end :]}"


def _numeric_date_why(text: str, taken: date) -> str | None:
    """ "3/4 could be 4 March or 3 April; I took 4 March." when both readings are dates."""
    match = _NUMERIC_DATE.search(text)
    if match is None:
        return None
    first, second = int(match["first"]), int(match["second"])
    if first == second or not (1 <= first <= 12 and 1 <= second <= 12):
        return None
    readings = {(first, second): _day_month(first, second), (second, first): _day_month(second, first)}
    took = readings.get((taken.month, taken.day))
    if took is None:  # dateparser used another part of the text for the date
        return None
    month_day, day_month = readings.values()
    return _("{typed} could be {first} or {second}; I took {taken}.").format(
        typed=match[0], first=month_day, second=day_month, taken=took
    )


def _day_month(month: int, day: int) -> str:
    return day_month(date(2000, month, day))
