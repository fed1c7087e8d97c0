"""Reading a date a coordinator typed ("2027-01-31", "31 January 2027", "Jan 31"), for calendars, pauses and
reopened applications; CalendarError carries the sentence that says why a date or a calendar change cannot
be used."""

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.i18n import KHMER, N_, _, reading
from bot.khmer_dates import from_khmer
from bot.when import parse_time


class CalendarError(Exception):
    """A date, or a change to a cohort's calendar, that cannot be used, with the sentence that says why."""


_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_YEAR = r"\d{4}"
DATE_PHRASE = re.compile(
    rf"^(?:from\s+|until\s+)?(?P<date>\d{{4}}-\d{{2}}-\d{{2}}"
    rf"|(?:{_DAY}\s+(?:of\s+)?{_MONTH}|{_MONTH}\s+{_DAY})(?:,?\s+(?P<year>{_YEAR}))?)(?![\w-])"
    r"(?:\s*(?:to|until|-|–)(?=\s|$))?\s*",
    re.IGNORECASE,
)
DATE_EXAMPLES = N_("`2027-01-31` or `31 January 2027`")


def read_date(text: str, zone: str, now: datetime, *, near: date | None = None) -> tuple[date | None, str]:
    """The date that `text` starts with ("2027-01-31", "31 January 2027", "Jan 31"), and the text after it
    (with a "to" that follows). A date without a year is the one nearest `near` (else the next to come).
    (None, text) when it starts with no date; CalendarError for a date that does not exist."""
    text = " ".join((from_khmer(text) if reading() == KHMER else text).split())
    match = DATE_PHRASE.match(text)
    if match is None:
        return None, text
    typed = match["date"]
    if typed[:4].isdigit():
        try:
            return date.fromisoformat(typed), text[match.end() :]
        except ValueError:
            raise CalendarError(
                _("`{typed}` is not a day of the calendar: write dates like {examples}.").format(
                    typed=typed, examples=_(DATE_EXAMPLES)
                )
            ) from None
    parsed = parse_time(typed, zone, now)
    if parsed is None:
        raise CalendarError(
            _("I couldn't read `{typed}` as a date: write dates like {examples}.").format(
                typed=typed[:40], examples=_(DATE_EXAMPLES)
            )
        )
    day = parsed.at.astimezone(ZoneInfo(zone)).date()
    if near is not None and match["year"] is None:
        day = min((_in_year(day, day.year + years) for years in (-1, 0, 1)), key=lambda d: abs(d - near))
    return day, text[match.end() :]


def _in_year(day: date, year: int) -> date:
    return day.replace(year=year, day=28) if (day.month, day.day) == (2, 29) else day.replace(year=year)
