"""Matching: the compatibility score and its reasons, and the optimal assignment against the greedy baseline."""

import random
from collections import Counter
from dataclasses import replace
from datetime import date

import pytest

from bot.matching import (
    Candidate,
    Guide,
    MatchResult,
    compatibility,
    greedy,
    overlap_hours,
    propose,
    stems,
)

ON = date(2026, 7, 1)
JULY, DECEMBER = date(2026, 7, 15), date(2026, 12, 15)
MARCH_GAP = date(2026, 3, 20)  # the US is on summer time, the UK not yet
LONDON, NEW_YORK, PHNOM_PENH = "Europe/London", "America/New_York", "Asia/Phnom_Penh"
TOPICS = ("collections", "advocacy", "facilities", "metadata", "cataloguing", "budgeting", "leadership", "outreach")
ZONES = (LONDON, NEW_YORK, PHNOM_PENH, "America/Chicago", "America/Los_Angeles")
STAGES = (None, "student", "early career", "mid career", "senior", "late career")


def candidate(key: int, text: str, zone: str = LONDON, stage: str | None = None, name: str = "") -> Candidate:
    return Candidate(key, name or f"Candidate {key}", text, zone, stage)


def guide(key: int, text: str, capacity: int = 1, zone: str = LONDON, stage: str | None = None) -> Guide:
    return Guide(key, f"Guide {key}", text, zone, capacity, stage)


def pairs(result: MatchResult) -> set[tuple[int, int]]:
    return {(proposal.candidate.key, proposal.guide.key) for proposal in result.proposals}


def cohort(seed: int, candidates: int = 30, guides: int = 6) -> tuple[list[Candidate], list[Guide]]:
    rng = random.Random(seed)

    def text() -> str:
        return " ".join(rng.sample(TOPICS, rng.randint(1, 4)))

    people = [candidate(key, text(), rng.choice(ZONES), rng.choice(STAGES)) for key in range(candidates)]
    coaches = [
        guide(100 + key, text(), rng.randint(0, 4), rng.choice(ZONES), rng.choice(STAGES)) for key in range(guides)
    ]
    return people, coaches


# The score and its reasons


def test_stems_drop_stopwords_and_short_words_and_unify_plurals() -> None:
    found = stems("I want to learn about Collections, collecting and the collection; HR; digital archives, archiving")

    assert list(found) == ["collect", "digital", "archiv"]
    assert found["collect"] == "collections"  # the first word as written, for the reasons


def test_reasons_name_up_to_three_shared_words_as_the_candidate_wrote_them() -> None:
    person = candidate(1, "Outreach, collections, advocacy and budgeting; metadata")
    coach = guide(2, "budgeting, metadata, advocacy, collection, outreach")

    _, reasons = compatibility(person, coach, ON)

    assert reasons[0] == "shared interests: outreach, collections, advocacy"


def test_no_shared_words_give_no_interest_points() -> None:
    score, reasons = compatibility(candidate(1, "leadership"), guide(2, "metadata"), ON)

    assert reasons[0] == "no shared interests"
    assert score == 30.0  # only the full working day in common


def test_interest_points_are_the_share_of_the_candidates_words_counting_at_most_five() -> None:
    coach = guide(9, " ".join(TOPICS))
    two_of_four = candidate(1, "collections advocacy painting sculpture")
    five_of_eight = candidate(2, " ".join([*TOPICS[:5], "painting", "sculpture", "pottery"]))

    assert compatibility(two_of_four, coach, ON)[0] == pytest.approx(50 * 2 / 4 + 30)
    assert compatibility(five_of_eight, coach, ON)[0] == pytest.approx(50 + 30)


def test_a_perfect_pair_scores_100_with_four_reasons() -> None:
    person = replace(candidate(1, "metadata", stage="student"), languages=("Khmer", "English"))
    coach = replace(guide(2, "metadata", stage="senior"), languages=("english", "khmer"))

    score, reasons = compatibility(person, coach, ON)

    assert score == 100.0
    assert reasons == (
        "shared interests: metadata",
        "10 working hours overlap between London time and London time",
        "both work in Khmer and English",
        "more senior career stage",
    )


@pytest.mark.parametrize(
    ("candidate_languages", "guide_languages", "points", "reason"),
    [
        (("Khmer",), ("English", "KHMER"), 10.0, "both work in Khmer"),
        (("French",), ("English",), 0.0, "no language in common"),
        ((), ("English",), 0.0, None),  # the candidate said none: neutral, no reason
        (("English",), (), 0.0, None),
    ],
)
def test_a_shared_language_earns_ten_points_and_an_unstated_one_is_neutral(
    candidate_languages: tuple[str, ...], guide_languages: tuple[str, ...], points: float, reason: str | None
) -> None:
    person = replace(candidate(1, "x"), languages=candidate_languages)
    coach = replace(guide(2, "y"), languages=guide_languages)

    score, reasons = compatibility(person, coach, ON)

    assert score == 30.0 + points
    assert reasons[2:] == ((reason,) if reason else ())


@pytest.mark.parametrize(
    ("candidate_stage", "guide_stage", "points"),
    [
        ("student", "early career", 10.0),
        ("Early-Career", "late career", 10.0),
        ("senior", "senior", 0.0),
        ("late career", "mid career", 0.0),
        (None, "senior", 0.0),
        ("student", None, 0.0),
        ("student", "astronaut", 0.0),
    ],
)
def test_career_stage_counts_only_for_a_more_senior_guide(
    candidate_stage: str | None, guide_stage: str | None, points: float
) -> None:
    score, reasons = compatibility(candidate(1, "x", stage=candidate_stage), guide(2, "y", stage=guide_stage), ON)

    assert score == 30.0 + points
    assert ("more senior career stage" in reasons) is (points > 0)


# Working hours and daylight saving time


@pytest.mark.parametrize(
    ("zone", "other", "on", "hours"),
    [
        # London 08-18 BST = 07-17 UTC, Phnom Penh 08-18 ICT = 01-11 UTC: 4 h; in winter GMT = 08-18 UTC: 3 h.
        (LONDON, PHNOM_PENH, JULY, 4.0),
        (LONDON, PHNOM_PENH, DECEMBER, 3.0),
        # New York 08-18 EDT = 12-22 UTC (EST 13-23 UTC) never meets Phnom Penh's 01-11 UTC.
        (NEW_YORK, PHNOM_PENH, JULY, 0.0),
        (NEW_YORK, PHNOM_PENH, DECEMBER, 0.0),
        # Both change clocks, so London and New York stay 5 h apart (5 h in common)...
        (LONDON, NEW_YORK, JULY, 5.0),
        (LONDON, NEW_YORK, DECEMBER, 5.0),
        # ...except between the US and the UK changes, when they are 4 h apart.
        (LONDON, NEW_YORK, MARCH_GAP, 6.0),
        # Across the date line: Los Angeles 08-18 PST = 16-02 UTC meets Phnom Penh's next day 01-11 UTC.
        ("America/Los_Angeles", PHNOM_PENH, DECEMBER, 1.0),
        (PHNOM_PENH, "America/Los_Angeles", DECEMBER, 1.0),
        (PHNOM_PENH, PHNOM_PENH, DECEMBER, 10.0),
    ],
)
def test_working_hours_in_common_follow_daylight_saving_time(zone: str, other: str, on: date, hours: float) -> None:
    assert overlap_hours(zone, other, on) == hours


def test_the_time_zone_reason_and_points_follow_the_date() -> None:
    person = candidate(1, "x", zone=PHNOM_PENH)
    coach = guide(2, "y", zone=LONDON)

    july_score, july_reasons = compatibility(person, coach, JULY)
    december_score, december_reasons = compatibility(person, coach, DECEMBER)

    assert july_reasons[1] == "4 working hours overlap between London time and Phnom Penh time"
    assert december_reasons[1] == "3 working hours overlap between London time and Phnom Penh time"
    assert july_score - december_score == pytest.approx(3.0)


def test_no_working_hours_in_common_is_said_plainly() -> None:
    score, reasons = compatibility(candidate(1, "x", zone=PHNOM_PENH), guide(2, "y", zone=NEW_YORK), JULY)

    assert reasons[1] == "no working hours in common between Eastern Time and Phnom Penh time"
    assert score == 0.0


# The assignment


def contested() -> tuple[list[Candidate], list[Guide]]:
    """Ann likes X a little more than Y; Bob only fits X. First come, first served, Ann takes X."""
    people = [candidate(1, "collections advocacy outreach", name="Ann"), candidate(2, "metadata", name="Bob")]
    return people, [guide(10, "collections advocacy outreach metadata"), guide(11, "collections advocacy")]


def test_the_optimal_assignment_beats_first_come_first_served() -> None:
    people, coaches = contested()

    best, baseline = propose(people, coaches, ON), greedy(people, coaches, ON)

    assert pairs(baseline) == {(1, 10), (2, 11)}
    assert pairs(best) == {(1, 11), (2, 10)}
    assert best.total_score == pytest.approx(round(50 * 2 / 3 + 30, 2) + 80)
    assert baseline.total_score == pytest.approx(80 + 30)
    assert best.total_score > baseline.total_score


@pytest.mark.parametrize("seed", range(8))
def test_the_optimal_assignment_is_never_worse_and_never_overfills(seed: int) -> None:
    people, coaches = cohort(seed)

    best, baseline = propose(people, coaches, ON), greedy(people, coaches, ON)

    assert best.total_score >= baseline.total_score - 1e-9
    assert len(best.proposals) == len(baseline.proposals) == min(len(people), sum(g.capacity for g in coaches))
    places = {coach.key: coach.capacity for coach in coaches}
    for result in (best, baseline):
        taken = Counter(proposal.guide.key for proposal in result.proposals)
        assert all(taken[key] <= places[key] for key in taken)
        assert len(result.proposals) + len(result.unmatched) == len(people)
        assert result.total_score == pytest.approx(sum(proposal.score for proposal in result.proposals))


def test_proposals_carry_their_real_score_and_are_sorted_by_name() -> None:
    people = [candidate(3, "metadata", name="Zoe"), candidate(1, "budgeting", name="Adam")]
    coaches = [guide(10, "metadata budgeting", capacity=2)]

    result = propose(people, coaches, ON)

    assert [proposal.candidate.name for proposal in result.proposals] == ["Adam", "Zoe"]
    for proposal in result.proposals:
        assert (proposal.score, proposal.reasons) == compatibility(proposal.candidate, proposal.guide, ON)
        assert not proposal.pinned


def test_the_overflow_beyond_capacity_is_unmatched() -> None:
    people = [candidate(1, "metadata"), candidate(2, "leadership"), candidate(3, "metadata outreach")]
    coaches = [guide(10, "metadata outreach", capacity=2), guide(11, "leadership", capacity=0)]

    result = propose(people, coaches, ON)

    assert pairs(result) == {(1, 10), (3, 10)}
    assert [person.key for person in result.unmatched] == [2]


def test_nobody_is_matched_with_themselves() -> None:
    both = 7  # applied as mentee and mentor
    people = [candidate(both, "metadata cataloguing")]
    coaches = [guide(both, "metadata cataloguing"), guide(8, "budgeting")]

    assert pairs(propose(people, coaches, ON)) == {(both, 8)}
    assert pairs(greedy(people, coaches, ON)) == {(both, 8)}
    assert propose(people, coaches[:1], ON).unmatched == (people[0],)


def test_excluded_pairs_are_never_proposed() -> None:
    people = [candidate(1, "metadata"), candidate(2, "outreach")]
    coaches = [guide(10, "metadata"), guide(11, "leadership")]

    result = propose(people, coaches, ON, excluded={(1, 10)})

    assert (1, 10) not in pairs(result)
    assert pairs(result) == {(1, 11), (2, 10)}


def test_a_candidate_whose_only_guide_is_excluded_stays_unmatched() -> None:
    people = [candidate(1, "metadata"), candidate(2, "metadata")]
    coaches = [guide(10, "metadata", capacity=2)]

    result = propose(people, coaches, ON, excluded=[(2, 10)])

    assert pairs(result) == {(1, 10)}
    assert [person.key for person in result.unmatched] == [2]


def test_matching_more_people_comes_before_a_higher_total() -> None:
    people = [candidate(1, "metadata"), candidate(2, "budgeting", zone=PHNOM_PENH)]
    coaches = [guide(10, "metadata"), guide(11, "leadership", zone=NEW_YORK)]

    result = propose(people, coaches, JULY, excluded={(2, 11)})

    # Ann alone with guide 10 would score 80; both matched score 15 + 12, and nobody is left out.
    assert pairs(result) == {(1, 11), (2, 10)}
    assert result.total_score == pytest.approx(15 + 12)
    assert result.unmatched == ()


def test_pinned_pairs_are_kept_and_use_up_places() -> None:
    people = [candidate(1, "metadata", name="Ann"), candidate(2, "metadata", name="Bob"), candidate(3, "x")]
    coaches = [guide(10, "metadata", capacity=1), guide(11, "leadership", capacity=1)]

    result = propose(people, coaches, ON, pinned={(2, 11)})

    assert pairs(result) == {(1, 10), (2, 11)}
    pinned = next(proposal for proposal in result.proposals if proposal.pinned)
    assert (pinned.candidate.key, pinned.guide.key) == (2, 11)
    assert (pinned.score, pinned.reasons) == compatibility(people[1], coaches[1], ON)
    assert [person.key for person in result.unmatched] == [3]
    assert result.total_score == pytest.approx(sum(proposal.score for proposal in result.proposals))


def test_a_pin_on_a_full_guide_is_kept_and_leaves_no_place() -> None:
    people = [candidate(1, "metadata"), candidate(2, "metadata")]
    coaches = [guide(10, "metadata", capacity=0)]

    result = propose(people, coaches, ON, pinned=[(1, 10)])

    assert pairs(result) == {(1, 10)}
    assert [person.key for person in result.unmatched] == [2]


@pytest.mark.parametrize(
    ("pinned", "excluded"),
    [
        ({(1, 99)}, set()),  # unknown guide
        ({(99, 10)}, set()),  # unknown candidate
        ({(1, 10), (1, 11)}, set()),  # one candidate, two guides
        ({(10, 10)}, set()),  # themselves
        ({(1, 10)}, {(1, 10)}),  # both pinned and excluded
    ],
)
def test_impossible_pins_are_refused(pinned: set[tuple[int, int]], excluded: set[tuple[int, int]]) -> None:
    people = [candidate(1, "metadata"), candidate(10, "metadata")]
    coaches = [guide(10, "metadata"), guide(11, "leadership")]

    with pytest.raises(ValueError):
        propose(people, coaches, ON, pinned=pinned, excluded=excluded)


def test_the_same_person_twice_in_one_list_is_refused() -> None:
    with pytest.raises(ValueError):
        propose([candidate(1, "a"), candidate(1, "b")], [guide(10, "a")], ON)


@pytest.mark.parametrize(
    ("people", "coaches", "unmatched"),
    [
        ([], [], 0),
        ([], [guide(10, "metadata")], 0),
        ([candidate(1, "metadata")], [], 1),
        ([candidate(1, "metadata"), candidate(2, "x")], [guide(10, "metadata", capacity=0)], 2),
    ],
)
def test_empty_inputs_give_an_empty_match(people: list[Candidate], coaches: list[Guide], unmatched: int) -> None:
    for result in (propose(people, coaches, ON), greedy(people, coaches, ON)):
        assert result.proposals == ()
        assert len(result.unmatched) == unmatched
        assert result.total_score == 0.0


def test_the_same_input_gives_the_same_proposals() -> None:
    people, coaches = cohort(seed=42)

    assert propose(people, coaches, ON) == propose(list(people), list(coaches), ON)


@pytest.mark.parametrize("seed", range(5))
def test_the_score_table_the_assignment_uses_equals_each_pairs_compatibility(seed: int) -> None:
    from bot.matching import _score_table, _traits

    rng = random.Random(seed)
    people, coaches = cohort(seed, candidates=40, guides=12)
    languages = ("English", "Khmer", "french", "Spanish")
    people = [replace(p, languages=tuple(rng.sample(languages, rng.randint(0, 2)))) for p in people]
    coaches = [
        replace(c, languages=tuple(name.upper() for name in rng.sample(languages, rng.randint(0, 2)))) for c in coaches
    ]
    people.append(candidate(999, "", PHNOM_PENH))  # wrote nothing: no interests to share
    table = _score_table([_traits(p) for p in people], [_traits(c) for c in coaches], ON)
    for row, person in enumerate(people):
        for column, coach in enumerate(coaches):
            assert table[row][column] == pytest.approx(compatibility(person, coach, ON)[0], abs=0.006)
