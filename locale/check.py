"""Checks Khmer translations: `python locale/check.py [--part PO] [FILE.py ...]`.

With files, the sentences marked in those files (else in the whole code, as babel.cfg says) must each have a
Khmer translation, in the part file given or the catalog, with the same {placeholders}; Latin words left in
a translation (outside `command words`, placeholders and links) are listed to look at again.
"""

import re
import sys
from pathlib import Path

from babel.messages.extract import extract_from_dir, extract_from_file
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
PLACEHOLDER = re.compile(r"\{[^{}]*\}")
LATIN_WORD = re.compile(r"[A-Za-z]{3,}")
KEPT = re.compile(r"`[^`]*`|\{[^{}]*\}|https?://\S+|<[^>]*>")


def marked(files: list[str]) -> dict[object, str]:
    found: dict[object, str] = {}
    if files:
        for name in files:
            for line, message, _comments, _context in extract_from_file("python", name, keywords=KEYWORDS):
                found[message] = f"{name}:{line}"
    else:
        for name, line, message, _comments, _context in extract_from_dir(
            ROOT,
            method_map=[
                ("bot/**.py", "python"),
                ("dialogs/**.py", "python"),
                ("adapters/**.py", "python"),
                ("wiring.py", "python"),
                ("server.py", "python"),
                ("app.py", "python"),
            ],
            keywords=KEYWORDS,
        ):
            found[message] = f"{name}:{line}"
    return found


def main(argv: list[str]) -> int:
    part = None
    if argv[:1] == ["--part"]:
        part, argv = argv[1], argv[2:]
    path = Path(part) if part else ROOT / "locale/km/LC_MESSAGES/messages.po"
    with path.open("rb") as po:
        catalog = read_po(po, locale="km")
    problems = 0
    for message, where in marked(argv).items():
        key = message[0] if isinstance(message, tuple) else message
        entry = catalog.get(key)
        sources = list(message) if isinstance(message, tuple) else [message]
        strings = (
            list(entry.string) if entry and isinstance(entry.string, tuple | list) else [entry.string if entry else ""]
        )
        if not entry or not all(strings):
            print(f"UNTRANSLATED {where}: {key!r}")
            problems += 1
            continue
        wanted = set(PLACEHOLDER.findall(sources[-1])) | set(PLACEHOLDER.findall(sources[0]))
        for string in strings:
            if set(PLACEHOLDER.findall(string)) != wanted:
                print(f"PLACEHOLDERS {where}: {key!r} -> {string!r}")
                problems += 1
            latin = LATIN_WORD.findall(KEPT.sub("", string))
            if latin:
                print(f"LATIN (look again) {where}: {latin} in {string!r}")
    print(f"{problems} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
