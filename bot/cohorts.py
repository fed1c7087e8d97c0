"""Turning a program's month-day calendar into a cohort's real dates."""

from datetime import date, timedelta
from typing import Any

from bot.programs import Program, Window


def add_months(start: date, months: int) -> date:
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, 28)) if start.day > 28 else date(year, month, start.day)


def _span(window: Window | None, starts_on: date) -> list[str] | None:
    if window is None:
        return None
    opens, closes = window.dates(starts_on)
    return [opens.isoformat(), closes.isoformat()]


def cohort_dates(program: Program, first_day: date) -> tuple[date, date]:
    """A cohort starting on the program's `year_starts` on or after `first_day`, for its term."""
    starts_on = program.year_starts.on_or_after(first_day)
    return starts_on, add_months(starts_on, program.term_months) - timedelta(days=1)


def cohort_calendar(program: Program, starts_on: date) -> dict[str, Any]:
    """Every window of the program as ISO dates, anchored at the cohort's start."""
    return {
        "application": _span(program.application.window, starts_on),
        "one_to_one": _span(program.one_to_one.window if program.one_to_one else None, starts_on),
        "peer_groups": _span(program.peer_groups.window if program.peer_groups else None, starts_on),
        "surveys": {survey.id: _span(survey.window, starts_on) for survey in program.surveys},
    }


def calendar_span(calendar: dict[str, Any] | None, key: str) -> tuple[date, date] | None:
    """A window of a cohort's calendar ("application", "one_to_one", "peer_groups") as dates, if it has one."""
    span = (calendar or {}).get(key)
    return (date.fromisoformat(span[0]), date.fromisoformat(span[1])) if span else None
