"""The shipped program files carry the seeds' facts; a broken file is rejected naming file, key, problem."""

import shutil
from datetime import date
from pathlib import Path

import pytest

from bot.cohorts import cohort_calendar, cohort_dates
from bot.programs import MonthDay, ProgramError, load_programs
from tests.conftest import PROGRAMS_DIR


def test_four_seed_programs_ship(catalog):
    assert {p.id for p in catalog} == {
        "aahsl-coaching-pilot",
        "iatul-sig-alice",
        "alcts-mentoring",
        "mentorship-coordinator-network",
    }


def test_aahsl_pilot_facts(catalog):
    aahsl = catalog.get("aahsl-coaching-pilot")
    assert aahsl.seats == 9
    assert (aahsl.one_to_one.count, aahsl.one_to_one.minutes) == (6, 60)
    assert (aahsl.one_to_one.window.opens, aahsl.one_to_one.window.closes) == (MonthDay(10, 1), MonthDay(4, 30))
    assert (aahsl.peer_groups.count, aahsl.peer_groups.minutes) == (5, 90)
    assert (aahsl.peer_groups.window.opens, aahsl.peer_groups.window.closes) == (MonthDay(9, 1), MonthDay(3, 31))
    assert aahsl.assessments == ("DiSC", "Myers-Briggs", "EQi-2.0", "CliftonStrengths", "TKI")
    assert len(aahsl.application.eligibility) == 7
    materials = {m.id: m for m in aahsl.application.materials}
    assert materials["goals_statement"].max_words == 500
    assert materials["additional_letters"].max_count == 2 and not materials["additional_letters"].required
    assert aahsl.announce_accepted and aahsl.check_ins.cadence == "monthly"
    assert [s.id for s in aahsl.surveys] == ["final"] and aahsl.surveys[0].window.opens == MonthDay(4, 1)


def test_iatul_facts(catalog):
    iatul = catalog.get("iatul-sig-alice")
    assert len(iatul.objectives) == 4 and iatul.guided_role == "partner"
    assert (iatul.coach_hours.min_per_month, iatul.coach_hours.max_per_month) == (2, 5)
    assert iatul.relay and iatul.one_to_one.count == 6 and iatul.term_months == 12


def test_alcts_facts(catalog):
    alcts = catalog.get("alcts-mentoring")
    assert alcts.check_ins.cadence == "quarterly" and alcts.check_ins.months == 3
    assert alcts.application.roles == ("mentor", "mentee")
    assert alcts.one_to_one.count is None and alcts.one_to_one.minimum_hours == 2
    assert [s.id for s in alcts.surveys] == ["midway", "final"]
    assert "ALCTS members only" in alcts.application.eligibility[0].rule


def test_network_has_regions(catalog):
    network = catalog.get("mentorship-coordinator-network")
    assert len(network.regions) == 5


def test_a_cohort_calendar_crosses_the_new_year(catalog):
    aahsl = catalog.get("aahsl-coaching-pilot")
    starts_on, ends_on = cohort_dates(aahsl, date(2024, 6, 1))
    assert (starts_on, ends_on) == (date(2024, 7, 1), date(2025, 4, 30))
    calendar = cohort_calendar(aahsl, starts_on)
    assert calendar["one_to_one"] == ["2024-10-01", "2025-04-30"]
    assert calendar["peer_groups"] == ["2024-09-01", "2025-03-31"]
    assert calendar["application"] == ["2024-07-01", "2024-08-26"]


def _broken_copy(tmp_path: Path, find: str, replace: str) -> Path:
    folder = tmp_path / "programs"
    shutil.copytree(PROGRAMS_DIR, folder)
    path = folder / "aahsl-coaching-pilot.toml"
    text = path.read_text()
    assert find in text
    path.write_text(text.replace(find, replace, 1))
    return folder


@pytest.mark.parametrize(
    ("find", "replace", "expected"),
    [
        ("seats = 9", 'seats = "nine"', "key 'seats': must be a whole number of at least 1, got 'nine'"),
        ("minutes = 60", "minutes = 5", "key 'one_to_one.minutes': must be a whole number of at least 15"),
        ('opens = "10-01"', 'opens = "13-01"', "key 'one_to_one.window.opens': must be a month-day"),
        ('kind = "coaching"', 'kind = "therapy"', "key 'kind': must be one of coaching, mentoring"),
        ("seats = 9", "seats = 9\nseets = 10", "key 'seets': is not a known setting"),
        ('roles = ["participant"]', 'roles = ["dean"]', "key 'application.roles': 'dean' is not one of"),
        ('accept = ["yes"]', 'accept = ["maybe"]', "key 'application.eligibility[0].accept'"),
        ("max_words = 500", "max_words = 0", "key 'application.materials[1].max_words'"),
        ('id = "aahsl-coaching-pilot"', 'id = "iatul-sig-alice"', "key 'id': 'iatul-sig-alice' is already used"),
        ("seats = 9", "seats = [", "not valid TOML"),
    ],
)
def test_a_broken_file_names_file_key_and_problem(tmp_path, find, replace, expected):
    folder = _broken_copy(tmp_path, find, replace)
    with pytest.raises(ProgramError) as error:
        load_programs(folder)
    assert any(expected in problem and "aahsl-coaching-pilot.toml" in problem for problem in error.value.problems), (
        error.value.problems
    )


def test_an_empty_folder_is_rejected(tmp_path):
    with pytest.raises(ProgramError, match="holds no program files"):
        load_programs(tmp_path)


def test_the_network_has_a_resource_library_and_other_programs_none(catalog):
    library = catalog.get("mentorship-coordinator-network").resources
    assert library.kinds == ("toolkit", "guide", "training", "link")
    network = catalog.get("mentorship-coordinator-network")
    career_stage = next(q for q in network.application.questions if q.id == "career_stage")
    assert library.career_stages == career_stage.choices  # the stages applicants choose from
    assert {"leadership", "mentoring practice", "research and publishing"} <= set(library.topics)
    assert [p.id for p in catalog if p.resources is not None] == ["mentorship-coordinator-network"]


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ('kinds = ["toolkit"]\ncareer_stages = ["early career"]', "key 'resources.topics': is missing"),
        (
            'kinds = ["toolkit"]\ncareer_stages = ["early career"]\ntopics = ["Early career"]',
            "key 'resources.topics': 'Early career' is also in career_stages",
        ),
        (
            'kinds = ["toolkit", "toolkit"]\ncareer_stages = ["a"]\ntopics = ["b"]',
            "key 'resources.kinds': lists a name",
        ),
        ('kinds = ["all"]\ncareer_stages = ["a"]\ntopics = ["b, c"]', "key 'resources.kinds': 'all' must be a short"),
        ('kinds = ["guide"]\ncareer_stages = ["a"]\ntopics = ["b, c"]', "key 'resources.topics': 'b, c' must be a"),
        ('kinds = ["guide"]\ncareer_stages = ["a"]\ntopics = ["b"]\ntags = []', "key 'resources.tags': is not a known"),
    ],
)
def test_a_broken_resources_table_names_file_key_and_problem(tmp_path, table, expected):
    folder = _broken_copy(tmp_path, "seats = 9", "seats = 9")
    path = folder / "aahsl-coaching-pilot.toml"
    path.write_text(path.read_text() + f"\n[resources]\n{table}\n")
    with pytest.raises(ProgramError) as error:
        load_programs(folder)
    assert any(expected in problem and "aahsl-coaching-pilot.toml" in problem for problem in error.value.problems), (
        error.value.problems
    )
