"""Which sentences of the code have no translation yet, and which translations do not fit their sentence.

`python app.py translations` prints this; tests/test_i18n.py asserts that nothing is missing. The sentences
are found as `make translations` finds them (Babel's extractor, keywords `_`, `N_`, `ngettext`, the files
babel.cfg names); a missing translation falls back to English, so nothing breaks, but a Khmer reader
would see English.
"""

import re
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir

from bot.i18n import read_catalog

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS: dict[str, tuple[int, ...] | None] = {"_": None, "N_": None, "ngettext": (1, 2)}
METHODS = [(pattern, "python") for pattern in ("bot/**.py", "dialogs/**.py", "adapters/**.py", "wiring.py")]
PLACEHOLDER = re.compile(r"\{[^{}]*\}")
LATIN_WORD = re.compile(r"[A-Za-z]{3,}")
# Kept in Latin letters in any language: command words and examples in backticks, places, links.
KEPT_AS_TYPED = re.compile(r"`[^`]*`|\{[^{}]*\}|https?://\S*")


@dataclass(frozen=True)
class Sentence:
    msgid: str | tuple[str, str]
    where: str  # "dialogs/book.py:42"

    @property
    def key(self) -> str:
        return self.msgid[0] if isinstance(self.msgid, tuple) else self.msgid


@dataclass(frozen=True)
class Problem:
    kind: str  # "untranslated" | "placeholders"
    sentence: Sentence
    translation: str = ""

    def __str__(self) -> str:
        shown = f" -> {self.translation!r}" if self.translation else ""
        return f"{self.kind} {self.sentence.where}: {self.sentence.key!r}{shown}"


def marked_sentences(root: Path = ROOT) -> list[Sentence]:
    """Every sentence the code marks for translation, once, where it first appears."""
    found: dict[str | tuple[str, str], Sentence] = {}
    for name, line, message, _comments, _context in extract_from_dir(root, METHODS, keywords=KEYWORDS):
        msgid = (message[0], message[1]) if isinstance(message, tuple) else message
        found.setdefault(msgid, Sentence(msgid, f"{name}:{line}"))
    return list(found.values())


def problems(language: str, sentences: list[Sentence], catalog: Catalog | None = None) -> list[Problem]:
    """What a reader of `language` would miss: sentences with no translation, or with other placeholders."""
    catalog = catalog if catalog is not None else read_catalog(language)
    found: list[Problem] = []
    for sentence in sentences:
        entry = catalog.get(sentence.key)
        strings = _strings(entry.string) if entry is not None and not entry.fuzzy else []
        if not strings or not all(strings):
            found.append(Problem("untranslated", sentence))
            continue
        sources = sentence.msgid if isinstance(sentence.msgid, tuple) else (sentence.msgid,)
        wanted = {name for source in sources for name in PLACEHOLDER.findall(source)}
        found.extend(
            Problem("placeholders", sentence, string)
            for string in strings
            if set(PLACEHOLDER.findall(string)) != wanted
        )
    return found


def latin_words(translation: str) -> list[str]:
    """Words in Latin letters left in a translation, outside command words, places and links."""
    return LATIN_WORD.findall(KEPT_AS_TYPED.sub("", translation))


def _strings(string: object) -> list[str]:
    if isinstance(string, tuple | list):
        return [str(part) for part in string]
    return [str(string)] if string else []


def report(language: str) -> tuple[int, list[str]]:
    """The number of sentences, and a line per problem (`python app.py translations`)."""
    sentences = marked_sentences()
    return len(sentences), [str(problem) for problem in problems(language, sentences)]
