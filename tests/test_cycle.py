"""Date arithmetic of a program's cycle, as a table: month-days placed across the new year, a cycle shifted
whole, a leap day, deadlines read from other zones and across daylight-saving changes, and windows without
an hour that close when their last day has ended everywhere."""

import shutil
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest

from bot.applications import next_call
from bot.calendar_changes import next_start
from bot.checkins import check_in_dates, overtaken
from bot.cycle import CalendarRules, DatedPhase, PhaseRule, YearDay, parse_year_day
from bot.programs import ProgramError, load_programs
from storage.models import Cohort
from tests.conftest import PROGRAMS_DIR


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("10-01", YearDay(10, 1)),
        ("04-30 next year", YearDay(4, 30, 1)),
        ("11-15 previous year", YearDay(11, 15, -1)),
        ("02-29", YearDay(2, 29)),
        ("02-30", None),
        ("13-01", None),
        ("4-30", None),
        ("04-30 later", None),
    ],
)
def test_month_days_are_read_with_their_year(typed, expected):
    assert parse_year_day(typed) == expected


CYCLE = CalendarRules(
    (
        PhaseRule("call", "Call", YearDay(7, 1), YearDay(8, 26), time(23, 59), "America/Los_Angeles"),
        PhaseRule("work", "Work", YearDay(9, 1), YearDay(4, 30, 1)),
        PhaseRule("leap", "Leap", YearDay(2, 29, 1), YearDay(3, 1, 1)),
    ),
    "work",
)


@pytest.mark.parametrize(
    ("starts", "phase", "opens", "closes"),
    [
        ("2027-09-01", "call", "2027-07-01", "2027-08-26"),
        ("2027-09-01", "work", "2027-09-01", "2028-04-30"),  # across the new year
        ("2027-09-01", "leap", "2028-02-29", "2028-03-01"),  # 2028 is a leap year
        ("2026-09-01", "leap", "2027-02-28", "2027-03-01"),  # 2027 is not: 29 February falls back to the 28th
        ("2027-09-15", "call", "2027-07-15", "2027-09-09"),  # a later start shifts the whole cycle
        ("2027-09-15", "work", "2027-09-15", "2028-05-14"),
        ("2027-12-20", "work", "2027-12-20", "2028-08-18"),  # shifted across the new year
    ],
)
def test_a_cycle_is_placed_from_its_start(starts, phase, opens, closes):
    placed = CYCLE.place(date.fromisoformat(starts))["phases"][phase]
    assert (placed["opens"], placed["closes"]) == (opens, closes)


CALL = DatedPhase("call", "Call", date(2027, 7, 1), date(2027, 8, 26), time(23, 59), "America/Los_Angeles")
WINTER_CALL = DatedPhase("call", "Call", date(2027, 11, 1), date(2027, 12, 31), time(23, 59), "America/New_York")
NO_HOUR = DatedPhase("call", "Call", date(2027, 4, 1), date(2027, 4, 22))


@pytest.mark.parametrize(
    ("phase", "moment", "is_open"),
    [
        (CALL, utc(2027, 7, 1, 6, 59), False),  # 23:59 on 30 June in Los Angeles
        (CALL, utc(2027, 7, 1, 7, 0), True),  # midnight there
        (CALL, utc(2027, 8, 27, 6, 59, 59), True),  # 23:59:59 on 26 August, Pacific daylight time
        (CALL, utc(2027, 8, 27, 7, 0), False),  # midnight: the minute 23:59 is over
        (WINTER_CALL, utc(2028, 1, 1, 4, 59), True),  # 23:59 on 31 December in New York, standard time
        (WINTER_CALL, utc(2028, 1, 1, 5, 0), False),
        (NO_HOUR, utc(2027, 3, 31, 9, 59), False),  # 1 April has not begun anywhere
        (NO_HOUR, utc(2027, 3, 31, 10, 0), True),  # 1 April begins in UTC+14
        (NO_HOUR, utc(2027, 4, 23, 11, 59), True),  # 22 April still runs in UTC-12
        (NO_HOUR, utc(2027, 4, 23, 12, 0), False),
    ],
)
def test_a_window_is_open_between_two_instants(phase, moment, is_open):
    assert phase.is_open(moment) is is_open


@pytest.mark.parametrize(
    ("phase", "reader", "words"),
    [
        (CALL, "America/Los_Angeles", "on 26 August 2027 at 23:59 Pacific Time, your time"),
        (
            CALL,
            "Asia/Phnom_Penh",
            "on 26 August 2027 at 23:59 Pacific Time, that is 27 August 2027 at 13:59 Phnom Penh time, your time",
        ),
        (
            CALL,
            "Pacific/Auckland",
            "on 26 August 2027 at 23:59 Pacific Time, that is 27 August 2027 at 18:59 Auckland time, your time",
        ),
        (
            CALL,
            "Pacific/Honolulu",
            "on 26 August 2027 at 23:59 Pacific Time, that is 26 August 2027 at 20:59 Honolulu time, your time",
        ),
        (
            WINTER_CALL,
            "Europe/London",
            "on 31 December 2027 at 23:59 Eastern Time, that is 1 January 2028 at 04:59 London time, your time",
        ),
        (NO_HOUR, "Asia/Phnom_Penh", "at the end of 22 April 2027"),
        (NO_HOUR, None, "at the end of 22 April 2027"),
        (CALL, None, "on 26 August 2027 at 23:59 Pacific Time"),
    ],
)
def test_a_deadline_reads_the_same_instant_in_each_zone(phase, reader, words):
    assert phase.closing(reader) == words


def cohort(starts: date, ends: date) -> Cohort:
    return Cohort(id=1, program_id="p", name="c", starts_on=starts, ends_on=ends, calendar={})


@pytest.mark.parametrize(
    ("starts", "ends", "months", "expected"),
    [
        # Monthly from a start on the 31st: the days that exist, across the new year and February.
        (
            date(2027, 10, 31),
            date(2028, 3, 31),
            1,
            ["2027-11-28", "2027-12-28", "2028-01-28", "2028-02-28", "2028-03-28"],
        ),
        (date(2027, 6, 1), date(2028, 4, 30), 3, ["2027-09-01", "2027-12-01", "2028-03-01"]),
        (date(2027, 11, 1), date(2028, 8, 31), 3, ["2028-02-01", "2028-05-01", "2028-08-01"]),
    ],
)
def test_check_ins_fall_inside_the_working_period(catalog, starts, ends, months, expected):
    program = catalog.get("alcts-mentoring" if months == 3 else "iatul-sig-alice")
    assert [day.isoformat() for day in check_in_dates(cohort(starts, ends), program)] == expected


@pytest.mark.parametrize(
    ("day", "now", "dropped"),
    [
        (date(2027, 9, 1), utc(2027, 9, 3), False),  # late but the next (1 December) is far: it still goes
        (date(2027, 9, 1), utc(2027, 11, 30, 18, 59), False),
        (date(2027, 9, 1), utc(2027, 11, 30, 19, 0), True),  # 1 December's has come due somewhere: dropped
        (date(2028, 3, 1), utc(2028, 5, 1), False),  # the last one, late, inside the work plus a day
        (date(2028, 3, 1), utc(2028, 5, 2, 1), True),  # after the work's end
    ],
)
def test_a_check_in_that_could_not_go_out_is_dropped_once_the_next_is_due(catalog, day, now, dropped):
    alcts = cohort(date(2027, 6, 1), date(2028, 4, 30))
    assert overtaken(alcts, catalog.get("alcts-mentoring"), day, now) is dropped


def _network_with_a_january_west(tmp_path: Path, starts: str) -> Path:
    folder = tmp_path / "programs"
    shutil.copytree(PROGRAMS_DIR, folder)
    path = folder / "mentorship-coordinator-network.toml"
    text = path.read_text()
    assert 'name = "West"\n' in text
    path.write_text(text.replace('name = "West"\n', f'name = "West"\nstarts = "{starts}"\n'))
    return folder


async def test_a_region_runs_its_own_cycle_as_its_file_says(tmp_path, db):
    catalog = load_programs(_network_with_a_january_west(tmp_path, "01-15"))
    network = catalog.get("mentorship-coordinator-network")
    west = next(region for region in network.regions if region.id == "west")
    northeast = next(region for region in network.regions if region.id == "northeast")
    assert west.starts == YearDay(1, 15) and northeast.starts is None
    async with db.transaction() as session:
        # `cohort new network West`: the West's next cycle begins on 15 January, the Northeast's on 1 November.
        assert await next_start(session, network, west, date(2027, 3, 1)) == date(2028, 1, 15)
        assert await next_start(session, network, northeast, date(2027, 3, 1)) == date(2027, 11, 1)
        # A closed call names the first call really coming in any region: the West's (its whole cycle shifted
        # to begin on 15 January 2028), before the other regions' next September.
        call = await next_call(session, network, utc(2027, 10, 20))
    assert (call.opens, call.closes) == (date(2027, 11, 15), date(2027, 12, 29))


def test_a_region_start_in_another_year_is_refused(tmp_path):
    with pytest.raises(ProgramError) as error:
        load_programs(_network_with_a_january_west(tmp_path, "01-15 next year"))
    assert any("key 'regions[4].starts': is the month-day the region's work begins" in p for p in error.value.problems)
