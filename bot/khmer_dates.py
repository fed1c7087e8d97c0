"""Khmer times as people type them ("ថ្ងៃអង្គារក្រោយ ម៉ោង៣រសៀល"), rewritten in the English words bot.when
reads ("next tuesday at 3 pm"), so one reader handles both languages the same way.

dateparser's Khmer data knows month names and a few words ("ថ្ងៃស្អែក"), but not the way a time of day is
said (ម៉ោង ៣ រសៀល: "hour 3, afternoon"), "next" after the weekday, Khmer digits, or text written without
spaces between words, as Khmer usually is. The words here are replaced wherever they appear, longest first.
"""

import re

KHMER_LETTERS = re.compile(r"[\u1780-\u17ff]")
KHMER_DIGITS = str.maketrans("០១២៣៤៥៦៧៨៩", "0123456789")

# Longest first, so "ថ្ងៃស្អែក" is read before "ថ្ងៃ" and "ខានស្អែក" before "ស្អែក".
WORDS = {
    "ខានស្អែក": "day after tomorrow",
    "ថ្ងៃស្អែក": "tomorrow",
    "ស្អែក": "tomorrow",
    "ថ្ងៃនេះ": "today",
    "ល្ងាចនេះ": "today evening",
    "យប់នេះ": "tonight",
    "ព្រឹកនេះ": "today morning",
    "ថ្ងៃត្រង់": "noon",
    "អាធ្រាត្រ": "midnight",
    "ថ្ងៃចន្ទ": "monday",
    "ថ្ងៃច័ន្ទ": "monday",
    "ថ្ងៃអង្គារ": "tuesday",
    "ថ្ងៃពុធ": "wednesday",
    "ថ្ងៃព្រហស្បតិ៍": "thursday",
    "ថ្ងៃព្រហស្បត្តិ៍": "thursday",
    "ថ្ងៃសុក្រ": "friday",
    "ថ្ងៃសៅរ៍": "saturday",
    "ថ្ងៃអាទិត្យ": "sunday",
    "ច័ន្ទ": "monday",
    "ចន្ទ": "monday",
    "អង្គារ": "tuesday",
    "ពុធ": "wednesday",
    "ព្រហស្បតិ៍": "thursday",
    "ព្រហស្បត្តិ៍": "thursday",
    "សុក្រ": "friday",
    "សៅរ៍": "saturday",
    "សប្តាហ៍ក្រោយ": "next week",
    "សប្ដាហ៍ក្រោយ": "next week",
    "អាទិត្យក្រោយ": "next week",
    "មករា": "january",
    "កុម្ភៈ": "february",
    "កុម្ភះ": "february",
    "មីនា": "march",
    "មេសា": "april",
    "ឧសភា": "may",
    "មិថុនា": "june",
    "កក្កដា": "july",
    "សីហា": "august",
    "កញ្ញា": "september",
    "តុលា": "october",
    "វិច្ឆិកា": "november",
    "ធ្នូ": "december",
    "រហូតដល់": " until ",
    "ដល់": " to ",
    "ពី": " from ",
    "កន្លះ": ":30",
    "ម៉ោង": " at ",
    "នាទី": " minutes",
    "ព្រឹក": " am",
    "រសៀល": " pm",
    "ល្ងាច": " pm",
    "យប់": " pm",
    "ក្រោយ": " next",
    "បន្ទាប់": " next",
    "ខាងមុខ": " next",
    "ខែ": " ",
    "ឆ្នាំ": " ",
    "ថ្ងៃទី": " ",
    "ទី": " ",
    "ថ្ងៃ": " ",
    "នៅ": " ",
    "វេលា": " ",
}
_BY_LENGTH = sorted(WORDS, key=len, reverse=True)
_PATTERN = re.compile("|".join(re.escape(word) for word in _BY_LENGTH))
_DAY_THEN_NEXT = re.compile(
    r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday|week)\s+next\b", re.IGNORECASE
)
_HALF_HOUR = re.compile(r"\b(\d{1,2})\s*:30")
_AT_HOUR_MERIDIEM = re.compile(r"\bat\s+(\d{1,2}(?::\d{2})?)\s+(am|pm)\b")


def has_khmer(text: str) -> bool:
    return KHMER_LETTERS.search(text) is not None


def from_khmer(text: str) -> str:
    """The English words for a Khmer time; text with no Khmer letters only has its Khmer digits replaced."""
    text = text.translate(KHMER_DIGITS)
    if not has_khmer(text):
        return text
    english = _PATTERN.sub(lambda match: f" {WORDS[match[0]]} ", text)
    english = " ".join(english.replace("\u200b", " ").split())
    english = _DAY_THEN_NEXT.sub(lambda match: f"next {match[1]}", english)
    english = _HALF_HOUR.sub(lambda match: f"{match[1]}:30", english)
    return _AT_HOUR_MERIDIEM.sub(lambda match: f"at {match[1]}{match[2]}", english)
