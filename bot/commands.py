"""Reading `/coaching VERB ARGS`: the same text works with or without the leading `/coaching`."""

from dataclasses import dataclass
from difflib import get_close_matches

SLASH_COMMAND = "/coaching"


@dataclass(frozen=True)
class ParsedText:
    verb: str  # lower-case first word, "" for an empty message
    args: str  # the rest, as typed
    explicit: bool  # started with /coaching (or came as a slash command): surely a command


def parse(text: str, *, is_command: bool = False) -> ParsedText:
    text = " ".join(text.replace("\u00a0", " ").split(" ")).strip()
    explicit = is_command
    if text.lower() == SLASH_COMMAND or text.lower().startswith(SLASH_COMMAND + " "):
        text, explicit = text[len(SLASH_COMMAND) :].strip(), True
    verb, _, args = text.partition(" ")
    return ParsedText(verb.lower().strip(), args.strip(), explicit)


def suggest(verb: str, verbs: list[str]) -> str | None:
    """The known verb closest to a mistyped one, if any is close."""
    matches = get_close_matches(verb, verbs, n=1, cutoff=0.6)
    return matches[0] if matches else None
