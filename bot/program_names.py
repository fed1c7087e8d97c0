"""How a program file names its program in running text and before a cohort's name, each checked: a name
that reads wrong in a sentence is refused when the program is loaded, not shown to people."""

import re

from bot.program_table import Table

TAG_PATTERN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9 &/.-]{0,18}[A-Za-z0-9])?$")


def in_sentence(t: Table) -> str:
    """`name_in_sentence`: how "Welcome to ___." names the program; "the " and the name when not given."""
    name = t.text("name")
    if "name_in_sentence" not in t.data:
        return f"the {name}"
    words = t.text("name_in_sentence")
    if words[:1].isupper() and words.split()[0] in ("The", "A", "An"):
        t.problem("name_in_sentence", f"is used inside a sentence: start the article in lower case, got {words!r}")
    elif words[-1:] in ".!?:;,":
        t.problem("name_in_sentence", f"is used inside a sentence: end it without punctuation, got {words!r}")
    elif len(words) > 120 or "\n" in words:
        t.problem("name_in_sentence", "must be one line of at most 120 characters")
    return words


def tag(t: Table) -> str:
    """`tag`: the few letters that name the program before a cohort's name ("AAHSL" in "AAHSL 2026-27");
    the `short_name` when not given."""
    if "tag" not in t.data:
        return t.text("short_name")
    words = t.text("tag")
    if words and words.split()[0].lower() in ("the", "a", "an"):
        t.problem("tag", f"goes before a cohort's name, so it starts without an article, got {words!r}")
    elif words and not TAG_PATTERN.match(words):
        t.problem(
            "tag",
            "must be at most 20 letters, digits, spaces or - / & . (no brackets), "
            f"starting and ending with a letter or digit, got {words!r}",
        )
    return words
