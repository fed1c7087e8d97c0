"""The shipped program files carry the seeds' facts; a broken file is rejected naming file, key, problem."""

import shutil
from datetime import date
from pathlib import Path

import pytest

from bot.cohorts import calendar_span, cohort_calendar, cohort_in_sentence, cohort_label, work_span
from bot.cycle import dated_phase
from bot.programs import ProgramError, load_programs
from storage.models import Cohort
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
    assert (aahsl.one_to_one.minimum, aahsl.one_to_one.maximum, aahsl.one_to_one.minutes) == (None, 6, 60)
    assert aahsl.one_to_one.phase == "sessions" and aahsl.peer_groups.phase == "peer-groups"
    assert (aahsl.peer_groups.maximum, aahsl.peer_groups.minutes) == (5, 90)
    assert aahsl.assessments == ("DiSC", "Myers-Briggs", "EQi-2.0", "CliftonStrengths", "TKI")
    assert len(aahsl.application.eligibility) == 7
    materials = {m.id: m for m in aahsl.application.materials}
    assert materials["goals_statement"].max_words == 500
    assert materials["additional_letters"].max_count == 2 and not materials["additional_letters"].required
    assert aahsl.announce_accepted and aahsl.check_ins.cadence == "monthly"
    assert [s.id for s in aahsl.surveys] == ["final"] and aahsl.surveys[0].phase == "final-evaluation"


def test_iatul_facts(catalog):
    iatul = catalog.get("iatul-sig-alice")
    assert len(iatul.objectives) == 4 and iatul.guided_role == "partner"
    assert (iatul.coach_hours.min_per_month, iatul.coach_hours.max_per_month) == (2, 5)
    assert iatul.relay and (iatul.one_to_one.minimum, iatul.one_to_one.maximum) == (6, None)


def test_alcts_facts(catalog):
    alcts = catalog.get("alcts-mentoring")
    assert alcts.check_ins.cadence == "quarterly" and alcts.check_ins.months == 3
    assert alcts.application.roles == ("mentor", "mentee")
    assert alcts.one_to_one.counts_hours and alcts.one_to_one.minimum_hours == 2
    assert [s.id for s in alcts.surveys] == ["midway", "final"]
    assert "ALCTS members only" in alcts.application.eligibility[0].rule


def test_network_has_regions(catalog):
    network = catalog.get("mentorship-coordinator-network")
    assert len(network.regions) == 5


def test_a_cohort_calendar_crosses_the_new_year(catalog):
    aahsl = catalog.get("aahsl-coaching-pilot")
    calendar = cohort_calendar(aahsl, date(2024, 9, 1))
    assert work_span(calendar, aahsl) == (date(2024, 9, 1), date(2025, 4, 30))
    assert calendar_span(calendar, "sessions") == (date(2024, 10, 1), date(2025, 4, 30))
    assert calendar_span(calendar, "peer-groups") == (date(2024, 9, 1), date(2025, 3, 31))
    assert calendar_span(calendar, "call") == (date(2024, 7, 1), date(2024, 8, 26))
    assert calendar_span(calendar, "final-evaluation") == (date(2025, 4, 1), date(2025, 4, 30))


# The seeds' calendars, placed at the day each cohort's work begins: (program, --starts, phase, first, last).
SEED_CALENDARS = [
    ("aahsl-coaching-pilot", "2024-09-01", "call", "2024-07-01", "2024-08-26"),
    ("aahsl-coaching-pilot", "2024-09-01", "selection", "2024-08-27", "2024-09-30"),
    ("iatul-sig-alice", "2019-06-01", "call", "2019-04-01", "2019-04-22"),
    ("iatul-sig-alice", "2019-06-01", "partnership", "2019-06-01", "2020-05-31"),
    ("iatul-sig-alice", "2019-06-01", "final-survey", "2020-05-01", "2020-05-31"),
    ("alcts-mentoring", "2017-06-01", "call", "2017-01-16", "2017-03-17"),
    ("alcts-mentoring", "2017-06-01", "notification", "2017-05-12", "2017-05-12"),
    ("alcts-mentoring", "2017-06-01", "orientation", "2017-05-22", "2017-05-26"),
    ("alcts-mentoring", "2017-06-01", "mentoring", "2017-06-01", "2018-04-30"),
    ("alcts-mentoring", "2017-06-01", "midway-survey", "2017-11-01", "2017-11-30"),
    ("alcts-mentoring", "2017-06-01", "final-evaluation", "2018-05-01", "2018-05-31"),
    # A start on another day shifts the whole cycle: phases keep their order and lengths.
    ("alcts-mentoring", "2017-06-05", "call", "2017-01-20", "2017-03-21"),
    ("mentorship-coordinator-network", "2027-11-01", "call", "2027-09-01", "2027-10-15"),
    ("mentorship-coordinator-network", "2027-11-01", "feedback", "2028-06-01", "2028-06-30"),
]


@pytest.mark.parametrize(("program_id", "starts", "phase", "first", "last"), SEED_CALENDARS)
def test_the_seed_calendars_are_placed_from_the_start(catalog, program_id, starts, phase, first, last):
    calendar = cohort_calendar(catalog.get(program_id), date.fromisoformat(starts))
    assert calendar_span(calendar, phase) == (date.fromisoformat(first), date.fromisoformat(last))


def test_the_aahsl_call_closes_at_1159_pm_pacific_for_everyone(catalog):
    calendar = cohort_calendar(catalog.get("aahsl-coaching-pilot"), date(2024, 9, 1))
    call = dated_phase(calendar, "call")
    assert call.deadline.isoformat() == "2024-08-27T07:00:00+00:00"  # 23:59 PDT, the minute included
    assert call.words("Asia/Phnom_Penh").endswith(
        "closing 26 August 2024 at 23:59 Pacific Time, that is 27 August 2024 at 13:59 Phnom Penh time, your time"
    )


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
        ('opens = "10-01"', 'opens = "13-01"', "key 'calendar.phases[4].opens': must be a month-day"),
        ('closes = "04-30 next year"', 'closes = "04-30 later"', "key 'calendar.phases[2].closes': must be a"),
        ('zone = "America/Los_Angeles"', "", "phase 'call' gives a deadline hour without a zone"),
        ('zone = "America/Los_Angeles"', 'zone = "Pacific"', "key 'calendar.phases[0].zone': 'Pacific' is not a"),
        ('phase = "sessions"', 'phase = "coaching"', "key 'one_to_one.phase': 'coaching' is not one of the phases"),
        ('work = "program"', 'work = "year"', "key 'calendar.work': 'year' is not one of the phases"),
        # An evaluation before the work, a window longer than the cycle, phases that contradict each other.
        (
            'opens = "04-01 next year"\ncloses = "04-30 next year"',
            'opens = "04-01"\ncloses = "04-30"',
            "phase 'final-evaluation' (survey 'final') closes before the work begins",
        ),
        ('closes = "03-31 next year"', 'closes = "03-31 next year"', None),
        ('opens = "10-01"', 'opens = "10-01 previous year"', "phase 'sessions' lasts longer than the one-year cycle"),
        ('closes = "08-26"', 'closes = "09-15"', "phase 'call' (the call) must close before the work begins"),
        (
            'opens = "09-01"\ncloses = "03-31 next year"',
            'opens = "09-01"\ncloses = "05-31 next year"',
            "phase 'peer-groups' (peer groups) must lie inside the working period 'program'",
        ),
        ('opens = "08-27"', 'opens = "10-27"', "phase 'selection' closes (2025-09-30) before it opens (2025-10-27)"),
        ('kind = "coaching"', 'kind = "therapy"', "key 'kind': must be one of coaching, mentoring"),
        ("seats = 9", "seats = 9\nseets = 10", "key 'seets': is not a known setting"),
        ('roles = ["participant"]', 'roles = ["dean"]', "key 'application.roles': 'dean' is not one of"),
        ('accept = ["yes"]', 'accept = ["maybe"]', "key 'application.eligibility[0].accept'"),
        ("max_words = 500", "max_words = 0", "key 'application.materials[1].max_words'"),
        ("within_days = 14", 'within_days = "two weeks"', "key 'application.confirmation.within_days': must be a"),
        ("remind_after_days = 7", "remind_after_days = 0", "key 'application.confirmation.remind_after_days'"),
        ("remind_after_days = 7", "remind_after_days = 20", "must be fewer than within_days (14): the reminder"),
        ('asks = "that you can', 'asked = "that you can', "key 'application.confirmation.asked': is not a known"),
        ('asks = "that you can', 'asks = "" # "', "key 'application.confirmation.asks': must be non-empty text"),
        ('id = "aahsl-coaching-pilot"', 'id = "iatul-sig-alice"', "key 'id': 'iatul-sig-alice' is already used"),
        ("seats = 9", "seats = [", "not valid TOML"),
        (
            'name_in_sentence = "the AAHSL',
            'name_in_sentence = "The AAHSL',
            "key 'name_in_sentence': is used inside a sentence: start the article in lower case",
        ),
        ('managers"', 'managers."', "key 'name_in_sentence': is used inside a sentence: end it without punctuation"),
        ('name_in_sentence = "the AAHSL', 'name_in_sentence = 3 # "', "key 'name_in_sentence': must be non-empty"),
        (
            'tag = "AAHSL"',
            'tag = "The AAHSL"',
            "key 'tag': goes before a cohort's name, so it starts without an article",
        ),
        ('tag = "AAHSL"', 'tag = "AAHSL (NNLM)"', "key 'tag': must be at most 20 letters, digits, spaces or - / & ."),
        ('tag = "AAHSL"', 'tag = "AAHSL coaching for managers"', "key 'tag': must be at most 20 letters"),
        ('tag = "AAHSL"', 'tag = "AAHSL:"', "key 'tag': must be at most 20 letters"),
        ('tag = "AAHSL"', 'tag = "alcts"', "key 'tag': 'ALCTS' is already used by"),
        ('tag = "AAHSL"', 'tag = "AAHSL/NNLM"', None),
    ],
)
def test_a_broken_file_names_file_key_and_problem(tmp_path, find, replace, expected):
    folder = _broken_copy(tmp_path, find, replace)
    if expected is None:  # the unchanged line: the shipped file passes
        assert load_programs(folder)
        return
    with pytest.raises(ProgramError) as error:
        load_programs(folder)
    assert any(expected in problem and "aahsl-coaching-pilot.toml" in problem for problem in error.value.problems), (
        error.value.problems
    )


def test_a_cohort_is_named_with_its_programs_tag(catalog):
    aahsl, network = catalog.get("aahsl-coaching-pilot"), catalog.get("mentorship-coordinator-network")
    assert cohort_label(Cohort(program_id=aahsl.id, name="2026-27"), aahsl) == "AAHSL 2026-27"
    assert cohort_label(Cohort(program_id=aahsl.id, name="Demo 2026-27"), aahsl) == "AAHSL Demo 2026-27"
    assert cohort_label(Cohort(program_id=aahsl.id, name="aahsl 2027"), aahsl) == "aahsl 2027"  # never twice
    assert cohort_label(Cohort(program_id=aahsl.id, name="AAHSLX 2027"), aahsl) == "AAHSL AAHSLX 2027"
    northeast = Cohort(program_id=network.id, name="2027-28 Northeast")
    assert cohort_in_sentence(northeast, network) == "the Coordinator network 2027-28 Northeast cohort"
    assert cohort_in_sentence(Cohort(program_id=aahsl.id, name="Cohort 3"), aahsl) == "the AAHSL Cohort 3"
    assert cohort_label(Cohort(program_id="gone-program", name="2026"), None) == "gone-program 2026"


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


def test_applications_keep_their_texts_until_the_cohorts_end_unless_the_file_says(tmp_path, catalog):
    assert {(p.retention.application_texts_from, p.retention.application_texts_days) for p in catalog} == {
        ("cohort_end", 0)
    }
    folder = _broken_copy(tmp_path, "seats = 9", "seats = 9")
    path = folder / "aahsl-coaching-pilot.toml"
    path.write_text(
        path.read_text() + '\n[retention]\napplication_texts_from = "decision"\napplication_texts_days = 14\n'
    )
    rule = load_programs(folder).get("aahsl-coaching-pilot").retention
    assert (rule.application_texts_from, rule.application_texts_days) == ("decision", 14)


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        (
            'application_texts_from = "cohort_start"',
            "key 'retention.application_texts_from': must be one of cohort_end",
        ),
        ('application_texts_from = ""', "key 'retention.application_texts_from': must be non-empty text"),
        ("application_texts_days = -1", "key 'retention.application_texts_days': must be a whole number of at least 0"),
        ("application_texts_days = 2.5", "key 'retention.application_texts_days': must be a whole number"),
        ('application_texts_days = "30"', "key 'retention.application_texts_days': must be a whole number"),
        ("application_texts_days = 3651", "key 'retention.application_texts_days': must be at most 3650 days"),
        ("application_texts_day = 30", "key 'retention.application_texts_day': is not a known setting"),
    ],
)
def test_a_broken_retention_table_names_file_key_and_problem(tmp_path, table, expected):
    folder = _broken_copy(tmp_path, "seats = 9", "seats = 9")
    path = folder / "aahsl-coaching-pilot.toml"
    path.write_text(path.read_text() + f"\n[retention]\n{table}\n")
    with pytest.raises(ProgramError) as error:
        load_programs(folder)
    assert any(expected in problem and "aahsl-coaching-pilot.toml" in problem for problem in error.value.problems), (
        error.value.problems
    )
