"""Benchmark: what reading typed times costs (bot/when.py parse_time over dateparser).

    .venv/bin/python bench/parse_time.py [--calls 1000]

Measures with time.perf_counter, in one fresh process:
  (a) the time to import dateparser;
  (b) the first parse_time() call (dateparser loads its English data then), as warm_up() would pay it;
  (c) the median of CALLS later parse_time() calls over a mix of phrases in several zones;
  (d) an unparseable string's cost (a few different ones): the median of parse_time() (languages=['en'])
      against dateparser.parse called directly with the same settings and no languages (it then tries every
      language it knows, and its first such call loads them all, shown on its own line);
  (e) the same for a person who reads Khmer: the first call (dateparser's Khmer data loads then), the median
      of Khmer phrases, and of Khmer words that name no time.
It prints figures only; it never fails on timing.
"""

import argparse
import importlib
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # a Monday
ZONES = ("America/Chicago", "America/New_York", "America/Los_Angeles", "Europe/London", "Asia/Phnom_Penh")
PHRASES = (
    "next Tuesday 3pm",
    "tomorrow at 10",
    "Friday 9:30",
    "3 March 14:00",
    "in 2 hours",
    "at 3",
    "3/4 10am",
    "tomorrow",
    "noon",
    "next Monday",
)
UNPARSEABLE = ("blah blah", "no idea sorry", "whenever works for you", "qwerty zxcv")
# A Khmer reader's phrases (bot/khmer_dates.py rewrites them; dateparser then reads English and Khmer).
KHMER_PHRASES = (
    "ថ្ងៃអង្គារក្រោយ ម៉ោង៣រសៀល",
    "ស្អែក ម៉ោង ១០ ព្រឹក",
    "ថ្ងៃទី៨ ខែធ្នូ ម៉ោង 15:00",
    "ថ្ងៃសុក្រ ម៉ោង ៩ កន្លះ ព្រឹក",
    "ម៉ោង ២ រសៀល ថ្ងៃពុធ",
)
KHMER_UNPARSEABLE = ("សួស្តី", "មិនដឹងទេ", "ពេលណាក៏បាន")


def timed(call: Callable[[], object]) -> float:
    """Seconds one call takes."""
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def median_ms(calls: list[Callable[[], object]]) -> float:
    return statistics.median(timed(call) for call in calls) * 1000


def without_languages(text: str, zone: str) -> object:
    """dateparser.parse with parse_time's settings but no languages (it then tries every language it knows)."""
    import dateparser

    base = NOW.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    settings = {
        "RELATIVE_BASE": base,
        "TIMEZONE": zone,
        "RETURN_AS_TIMEZONE_AWARE": True,
        "PREFER_DATES_FROM": "future",
    }
    return dateparser.parse(text, settings=settings)


def show(label: str, milliseconds: float) -> None:
    print(f"{label:<58}{milliseconds:9.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--calls", type=int, default=1000)
    calls = parser.parse_args().calls

    import_ms = timed(lambda: importlib.import_module("dateparser")) * 1000
    from bot.when import parse_time

    first_ms = timed(lambda: parse_time(PHRASES[0], ZONES[0], NOW)) * 1000
    mix = [(PHRASES[i % len(PHRASES)], ZONES[i % len(ZONES)]) for i in range(calls)]
    later_ms = median_ms([lambda text=text, zone=zone: parse_time(text, zone, NOW) for text, zone in mix])
    bad = [UNPARSEABLE[i % len(UNPARSEABLE)] for i in range(40)]
    en_ms = median_ms([lambda text=text: parse_time(text, ZONES[0], NOW) for text in bad])
    any_first_ms = timed(lambda: without_languages(bad[0], ZONES[0])) * 1000
    any_ms = median_ms([lambda text=text: without_languages(text, ZONES[0]) for text in bad[:12]])
    khmer_first_ms, khmer_ms, khmer_bad_ms = khmer_figures(calls)

    print(f"dateparser {sys.modules['dateparser'].__version__}, Python {sys.version.split()[0]}")
    show("import dateparser", import_ms)
    show("first parse_time() call", first_ms)
    show(f"later parse_time() calls, median of {calls} (phrase mix)", later_ms)
    show("unparseable, parse_time() languages=['en'], median of 40", en_ms)
    show("unparseable, dateparser no languages, first call", any_first_ms)
    show("unparseable, dateparser no languages, median of 12 later", any_ms)
    show("a Khmer reader: first parse_time() call", khmer_first_ms)
    show(f"a Khmer reader: later calls, median of {calls} (Khmer phrases)", khmer_ms)
    show("a Khmer reader: Khmer words naming no time, median of 30", khmer_bad_ms)


def khmer_figures(calls: int) -> tuple[float, float, float]:
    from bot.i18n import KHMER, speaking
    from bot.when import parse_time

    zone = "Asia/Phnom_Penh"
    with speaking(KHMER):
        first_ms = timed(lambda: parse_time(KHMER_PHRASES[0], zone, NOW)) * 1000
        phrases = [KHMER_PHRASES[i % len(KHMER_PHRASES)] for i in range(calls)]
        later_ms = median_ms([lambda text=text: parse_time(text, zone, NOW) for text in phrases])
        bad = [KHMER_UNPARSEABLE[i % len(KHMER_UNPARSEABLE)] for i in range(30)]
        bad_ms = median_ms([lambda text=text: parse_time(text, zone, NOW) for text in bad])
    return first_ms, later_ms, bad_ms


if __name__ == "__main__":
    main()
