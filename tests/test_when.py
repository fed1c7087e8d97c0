"""bot/when.py: typed times read in the speaker's zone, preferring the future, with ambiguity flagged."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.when import ParsedTime, parse_time

MONDAY = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # Monday 09:00 in Chicago, 22:00 in Phnom Penh
CHICAGO = "America/Chicago"
NEW_YORK = "America/New_York"


def parse(text: str, zone: str = CHICAGO, now: datetime = MONDAY, **kwargs: int) -> ParsedTime:
    parsed = parse_time(text, zone, now, **kwargs)
    assert parsed is not None, text
    return parsed


def local(parsed: ParsedTime, zone: str = CHICAGO) -> str:
    return f"{parsed.at.astimezone(ZoneInfo(zone)):%a %Y-%m-%d %H:%M}"


def test_next_weekday_is_the_first_one_after_today() -> None:
    # dateparser 1.5 reads "next Tuesday" on a Monday as the coming Tuesday (tomorrow, 24 November), not the
    # Tuesday of the following week; every answer states the weekday and date back (booking.local()), so the
    # person can see it.
    parsed = parse("next Tuesday 3pm")
    assert parsed.at == datetime(2026, 11, 24, 21, 0, tzinfo=UTC)
    assert not parsed.ambiguous and parsed.why is None
    # "next Monday" typed on a Monday is a week later, not today.
    assert local(parse("next Monday 10am")) == "Mon 2026-11-30 10:00"


def test_the_result_is_utc_aware() -> None:
    parsed = parse("3 March 14:00")
    assert parsed.at.tzinfo is UTC
    assert parsed.at == datetime(2027, 3, 3, 20, 0, tzinfo=UTC)


def test_a_bare_weekday_is_the_next_one_not_the_last_one() -> None:
    saturday = datetime(2026, 11, 28, 18, 0, tzinfo=UTC)
    parsed = parse("Friday 10:00", now=saturday)
    assert local(parsed) == "Fri 2026-12-04 10:00"
    assert parsed.at > saturday and not parsed.ambiguous


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("Asia/Phnom_Penh", datetime(2026, 11, 24, 3, 0, tzinfo=UTC)),  # UTC+7, no DST
        ("America/Los_Angeles", datetime(2026, 11, 24, 18, 0, tzinfo=UTC)),  # UTC-8 in November
    ],
)
def test_the_time_is_read_in_the_speakers_zone(zone: str, expected: datetime) -> None:
    assert parse("tomorrow 10am", zone=zone).at == expected


def test_tomorrow_is_counted_from_the_speakers_date() -> None:
    # 18:00 UTC Monday is already 01:00 Tuesday in Phnom Penh, so "tomorrow" is Wednesday there.
    evening = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)
    assert local(parse("tomorrow 10am", zone="Asia/Phnom_Penh", now=evening), "Asia/Phnom_Penh") == (
        "Wed 2026-11-25 10:00"
    )
    assert local(parse("tomorrow 10am", zone="America/Los_Angeles", now=evening), "America/Los_Angeles") == (
        "Tue 2026-11-24 10:00"
    )


def test_daylight_saving_start_is_taken_into_account() -> None:
    # New York moves from UTC-5 to UTC-4 on Sunday 14 March 2027.
    friday = datetime(2027, 3, 12, 15, 0, tzinfo=UTC)
    assert parse("next Monday 9am", zone=NEW_YORK, now=friday).at == datetime(2027, 3, 15, 13, 0, tzinfo=UTC)
    assert parse("Friday 9am", zone=NEW_YORK, now=datetime(2027, 3, 5, 15, 0, tzinfo=UTC)).at == (
        datetime(2027, 3, 12, 14, 0, tzinfo=UTC)
    )
    # The default hour is placed on the day itself, after the change.
    assert parse("Sunday", zone=NEW_YORK, now=friday).at == datetime(2027, 3, 14, 13, 0, tzinfo=UTC)


def test_in_hours_is_elapsed_time_across_daylight_saving_end() -> None:
    # 05:30 UTC on 7 November 2027 is 01:30 EDT; clocks go back at 06:00 UTC. Two hours later is 07:30 UTC
    # (02:30 EST); adding two hours to the wall clock would give 08:30 UTC.
    before_change = datetime(2027, 11, 7, 5, 30, tzinfo=UTC)
    parsed = parse("in 2 hours", zone=NEW_YORK, now=before_change)
    assert parsed.at == datetime(2027, 11, 7, 7, 30, tzinfo=UTC)
    assert not parsed.ambiguous


@pytest.mark.parametrize(
    ("text", "elapsed"),
    [("in 2 hours", timedelta(hours=2)), ("in an hour", timedelta(hours=1)), ("in 90 minutes", timedelta(minutes=90))],
)
def test_in_n_hours_or_minutes_counts_from_now(text: str, elapsed: timedelta) -> None:
    parsed = parse(text)
    assert parsed.at == MONDAY + elapsed
    assert not parsed.ambiguous


def test_no_time_of_day_takes_the_default_hour_and_asks() -> None:
    parsed = parse("tomorrow")
    assert local(parsed) == "Tue 2026-11-24 09:00"
    assert parsed.ambiguous
    assert parsed.why == "You didn't say a time, so I took 9:00."


@pytest.mark.parametrize(
    ("text", "expected"), [("next Tuesday", "Tue 2026-11-24 14:00"), ("3 March", "Wed 2027-03-03 14:00")]
)
def test_default_hour_can_be_chosen(text: str, expected: str) -> None:
    parsed = parse(text, default_hour=14)
    assert local(parsed) == expected
    assert parsed.ambiguous and parsed.why == "You didn't say a time, so I took 14:00."


@pytest.mark.parametrize(
    ("text", "expected", "typed"),
    [
        ("at 3", "Mon 2026-11-23 15:00", "3:00"),
        ("Friday 3:30", "Fri 2026-11-27 15:30", "3:30"),
        ("Friday 3", "Fri 2026-11-27 15:00", "3:00"),
        ("tomorrow at 7", "Tue 2026-11-24 19:00", "7:00"),
    ],
)
def test_an_early_hour_without_am_pm_is_taken_as_afternoon_and_asks(text: str, expected: str, typed: str) -> None:
    parsed = parse(text)
    assert local(parsed) == expected
    assert parsed.ambiguous
    assert parsed.why == f"{typed} could be morning or afternoon; I took {expected[-5:]}."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15:00", "Mon 2026-11-23 15:00"),
        ("3pm", "Mon 2026-11-23 15:00"),
        ("3 pm", "Mon 2026-11-23 15:00"),
        ("3 p.m.", "Mon 2026-11-23 15:00"),
        ("3:30am", "Mon 2026-11-23 03:30"),
        ("at 03:00", "Mon 2026-11-23 03:00"),
        ("Tuesday 15h", "Tue 2026-11-24 15:00"),
        ("10h30", "Mon 2026-11-23 10:30"),
        ("noon", "Mon 2026-11-23 12:00"),
        ("midnight", "Tue 2026-11-24 00:00"),
        ("tomorrow morning", "Tue 2026-11-24 09:00"),
        ("tomorrow evening", "Tue 2026-11-24 18:00"),
        ("tomorrow at 10", "Tue 2026-11-24 10:00"),
        ("Friday 9:30", "Fri 2026-11-27 09:30"),
        ("Friday at 8", "Fri 2026-11-27 08:00"),
        ("at 12", "Mon 2026-11-23 12:00"),
        ("3 March 14:00", "Wed 2027-03-03 14:00"),
    ],
)
def test_clear_times_are_not_ambiguous(text: str, expected: str) -> None:
    parsed = parse(text)
    assert local(parsed) == expected
    assert not parsed.ambiguous and parsed.why is None


def test_a_numeric_day_and_month_names_both_readings() -> None:
    parsed = parse("3/4 10am")
    assert parsed.at == datetime(2027, 3, 4, 16, 0, tzinfo=UTC)  # dateparser reads month/day
    assert parsed.ambiguous
    assert parsed.why == "3/4 could be 4 March or 3 April; I took 4 March."


def test_a_numeric_date_and_no_time_gives_both_reasons() -> None:
    parsed = parse("03/04")
    assert parsed.why == ("You didn't say a time, so I took 9:00. 03/04 could be 4 March or 3 April; I took 4 March.")


@pytest.mark.parametrize(
    ("text", "expected"), [("13/04 10:00", "Tue 2027-04-13 10:00"), ("12/25 10:00", "Fri 2026-12-25 10:00")]
)
def test_a_numeric_date_with_only_one_reading_is_not_ambiguous(text: str, expected: str) -> None:
    parsed = parse(text)
    assert local(parsed) == expected
    assert not parsed.ambiguous


@pytest.mark.parametrize(
    ("text", "now", "expected"),
    [
        ("yesterday 3pm", MONDAY, "Sun 2026-11-22 15:00"),
        ("today 9am", datetime(2026, 11, 23, 21, 0, tzinfo=UTC), "Mon 2026-11-23 09:00"),  # typed at 15:00
    ],
)
def test_a_past_time_is_returned_as_read(text: str, now: datetime, expected: str) -> None:
    parsed = parse(text, now=now)
    assert local(parsed) == expected
    assert parsed.at < now
    assert not parsed.ambiguous


@pytest.mark.parametrize("text", ["blah blah", "", "   "])
def test_unreadable_text_is_none(text: str) -> None:
    assert parse_time(text, CHICAGO, MONDAY) is None


def test_now_must_be_aware() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse_time("tomorrow 10am", CHICAGO, datetime(2026, 11, 23, 15, 0))
