"""The names people read for time zones (issue 16 point 5): one rule in bot/timezones.py `zone_name`."""

from datetime import UTC, datetime, timedelta

import pytest

from bot.timezones import (
    BUTTON_TEXT_LIMIT,
    deadline_words,
    for_both,
    is_night,
    local_time,
    two_clocks,
    zone_city,
    zone_name,
    zone_short,
)

PEOPLES_ZONES = [  # the zones of programs/*.toml, bot/demo.py, seeds/ and the tests
    ("America/New_York", "Eastern Time"),
    ("America/Chicago", "Central Time"),
    ("America/Denver", "Mountain Time"),
    ("America/Los_Angeles", "Pacific Time"),
    ("America/Detroit", "Eastern Time"),  # a US zone that is not the region's main city
    ("America/Toronto", "Eastern Time"),
    ("Pacific/Honolulu", "Honolulu time"),  # CLDR has no generic name for Hawaii: the city
    ("Australia/Sydney", "Australian Eastern Time"),
    ("Asia/Phnom_Penh", "Phnom Penh time"),  # not "Indochina Time", which a Cambodian reader does not say
    ("Asia/Bangkok", "Bangkok time"),
    ("Asia/Ho_Chi_Minh", "Ho Chi Minh City time"),
    ("Europe/London", "London time"),
    ("Europe/Paris", "Paris time"),
    ("Africa/Lagos", "Lagos time"),
    ("Pacific/Auckland", "Auckland time"),
    ("UTC", "UTC"),
    ("Etc/UTC", "UTC"),
    ("EST5EDT", "EST5EDT"),  # no city to name: the id itself
]


@pytest.mark.parametrize(("zone", "name"), PEOPLES_ZONES)
def test_each_zone_reads_as_people_say_it(zone, name):
    assert zone_name(zone) == name


def test_the_short_name_drops_the_word_time():
    assert [zone_short(z) for z in ("America/New_York", "Asia/Phnom_Penh", "UTC")] == ["Eastern", "Phnom Penh", "UTC"]


def test_times_and_deadlines_use_the_names_without_parentheses():
    moment = datetime(2026, 12, 8, 14, 0, tzinfo=UTC)
    assert local_time(moment, "Asia/Phnom_Penh") == "Tue 08 Dec, 21:00 Phnom Penh time"
    words = deadline_words(moment, "America/Los_Angeles", "Asia/Phnom_Penh")
    assert words == "8 December 2026 at 05:59 Pacific Time, that is 8 December 2026 at 20:59 Phnom Penh time, your time"
    assert "(" not in words


def test_a_free_time_button_shows_both_clocks_and_one_when_they_agree():
    moment = datetime(2026, 12, 8, 14, 0, tzinfo=UTC)
    assert two_clocks(moment, "America/New_York", "Asia/Phnom_Penh") == "Tue 8 Dec, 9:00 Eastern · 21:00 Phnom Penh"
    late = datetime(2026, 12, 8, 23, 30, tzinfo=UTC)  # already Wednesday in Phnom Penh
    assert two_clocks(late, "America/New_York", "Asia/Phnom_Penh") == "Tue 8 Dec, 18:30 Eastern · Wed 6:30 Phnom Penh"
    assert two_clocks(moment, "America/Detroit", "America/New_York") == "Tue 8 Dec, 9:00 Eastern"


def test_every_pair_of_zones_fits_a_button():
    far = ["America/Argentina/ComodRivadavia", "Australia/Broken_Hill", "America/North_Dakota/New_Salem"]
    for zone in far:
        for other in far:
            assert len(two_clocks(datetime(2026, 12, 8, 23, 30, tzinfo=UTC), zone, other)) <= BUTTON_TEXT_LIMIT


def test_a_session_in_a_sentence_names_both_times():
    moment = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)
    assert for_both(moment, "Asia/Phnom_Penh", "America/New_York", "Cora") == (
        "Wednesday 25 November, 21:00 Phnom Penh time for you and 09:00 Eastern Time for Cora"
    )
    late = datetime(2026, 11, 25, 23, 0, tzinfo=UTC)
    assert for_both(late, "Asia/Phnom_Penh", "America/New_York", "Cora") == (
        "Thursday 26 November, 06:00 Phnom Penh time for you and Wednesday 25 November, 18:00 Eastern Time for Cora"
    )
    assert for_both(moment, "Europe/London", "Europe/London", "Cora").endswith("14:00 London time for you both")


@pytest.mark.parametrize(("hour", "night"), [(6, True), (7, False), (21, False), (22, True), (23, True), (0, True)])
def test_night_is_from_22_to_7_in_the_persons_own_zone(hour, night):
    moment = datetime(2026, 11, 23, hour, 40, tzinfo=UTC) - timedelta(hours=7)  # Phnom Penh is UTC+7
    assert is_night(moment, "Asia/Phnom_Penh") is night


def test_the_city_of_a_zone_names_where_its_clock_is_read():
    assert [zone_city(z) for z in ("Asia/Phnom_Penh", "America/New_York", "UTC")] == ["Phnom Penh", "New York", None]
