"""No text the assistant writes puts parentheses inside parentheses (issue 16 point 5): a tour of the verbs
for every demo person, through the engine at FIXED_NOW, and each answer checked."""

import pytest

PEOPLE = [
    "coordinator@demo.example",
    "northeast@demo.example",
    "west@demo.example",
    "coach@demo.example",
    "coach2@demo.example",
    "participant@demo.example",
    "participant2@demo.example",
    "partner@demo.example",
    "partner2@demo.example",
]
VERBS = [
    "help", "status", "me", "profile", "partner", "programs", "sessions", "book", "book Wednesday 9pm", "sessions",
    "availability", "events", "resources", "hours", "apply", "confirm", "announce status", "report", "review",
    "match", "pair", "cohort calendar", "group", "network", "checkin", "survey", "timezone Phnom Penh", "me",
    "book tomorrow", "hello there",
]  # fmt: skip


def nested_at(text: str) -> int | None:
    """Where a "(" opens inside another "(", or None."""
    depth = 0
    for place, character in enumerate(text):
        if character == "(":
            if depth:
                return place
            depth += 1
        elif character == ")":
            depth = max(depth - 1, 0)
    return None


def test_the_checker_finds_nesting():
    assert nested_at("Booked (Tue (Eastern))") == 12
    assert nested_at("a (b) and (c)") is None


@pytest.mark.parametrize("email", PEOPLE)
async def test_no_answer_nests_parentheses(chat, db, email):
    person = chat(email)
    for verb in VERBS:
        answer = await person.say(verb)
        place = nested_at(answer)
        assert place is None, f"{email} `{verb}`: {answer[max(0, place - 80) : place + 40]!r}"
