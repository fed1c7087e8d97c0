"""A program file's own words in other languages: beside any text setting, `KEY_km` gives its Khmer
(`question_km = "…"`, `objectives_km = ["…", …]` in the same order, a multi-line `after_end_km`).

They are taken out of the file's data before it is read, so the rest of the reader never sees them, and
become {English: Khmer} for bot.i18n.program_words, which shows a Khmer reader the Khmer.
"""

from typing import Any

from bot.i18n import ENGLISH, LANGUAGES

SUFFIXES = {f"_{language}": language for language in LANGUAGES if language != ENGLISH}


def take_translations(data: dict[str, Any]) -> tuple[dict[str, dict[str, str]], list[str]]:
    """Remove every `KEY_km` from `data` (at any depth); returns {language: {English: translation}} and the
    problems found (a translation with no English beside it, or one of another shape)."""
    words: dict[str, dict[str, str]] = {}
    problems: list[str] = []
    _walk(data, "", words, problems)
    return words, problems


def _walk(node: Any, where: str, words: dict[str, dict[str, str]], problems: list[str]) -> None:
    if isinstance(node, list):
        for index, item in enumerate(node):
            _walk(item, f"{where}[{index + 1}]", words, problems)
        return
    if not isinstance(node, dict):
        return
    for key in [key for key in node if isinstance(key, str) and key[-3:] in SUFFIXES]:
        language, english_key = SUFFIXES[key[-3:]], key[:-3]
        translation, english = node.pop(key), node.get(english_key)
        name = f"{where}.{key}" if where else key
        if isinstance(english, str) and isinstance(translation, str) and translation.strip():
            words.setdefault(language, {})[english] = translation
        elif _same_length_texts(english, translation):
            words.setdefault(language, {}).update(zip(english, translation, strict=True))
        elif english is None:
            problems.append(f"key {name!r}: translates {english_key!r}, which is not set beside it")
        else:
            problems.append(f"key {name!r}: must be like {english_key!r} (a text, or a list of as many texts)")
    for key, value in node.items():
        _walk(value, f"{where}.{key}" if where else str(key), words, problems)


def _same_length_texts(english: Any, translation: Any) -> bool:
    return (
        isinstance(english, list)
        and isinstance(translation, list)
        and len(english) == len(translation)
        and all(isinstance(item, str) for item in english + translation)
        and all(item.strip() for item in translation)
    )
