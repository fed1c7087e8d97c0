"""`report` (coordinators): a cohort's figures in chat with a chart; `report survey`: a survey's results.

Only cohorts the person coordinates (a regional coordinator: their region's). Survey results come
aggregated per question, and any group under five answers is hidden (bot/surveys.py); the anonymous
answers can be downloaded as CSV through a short-lived link.
"""

import asyncio
import secrets
from datetime import timedelta

from bot import ending, reports, surveys
from bot.charts import DRAWN_IN, render_png
from bot.cohorts import cohort_label, has_members
from bot.dialog import Command, Registry, Turn, button, row_id
from bot.i18n import N_, _, ngettext, program_words, role_word, short_day_month_year, speaking
from bot.messages import Image
from bot.programs import Program, Survey
from bot.surveys import MIN_GROUP, QuestionResult, Tally
from bot.timezones import today_in
from storage.models import Cohort, ExportLink

NAME = "report"
RECENT = timedelta(days=90)  # cohorts that ended this long ago still have a report to read
LINK_LIFETIME = timedelta(minutes=30)
TEXTS_SHOWN = 10  # short text answers shown in chat; all of them are in the CSV


async def report(turn: Turn, args: str) -> None:
    wanted = args.strip().lower()
    if wanted not in ("", "survey", "surveys"):
        turn.say(_("Type `report` for a cohort's figures, or `report survey` for survey results."))
        return
    cohorts = await _coordinated_cohorts(turn)
    if not cohorts:
        turn.say(_("You do not coordinate a running cohort, so there is no report for you to see."))
        return
    if wanted:
        await _pick_survey(turn, cohorts)
    elif len(cohorts) == 1:
        await _cohort_report(turn, *cohorts[0])
    else:
        turn.say(
            _("Which cohort?"),
            buttons=tuple(
                button(NAME, _cohort_button(cohort, program, turn), f"cohort|{cohort.id}")
                for cohort, program in cohorts
            ),
        )


async def _coordinated_cohorts(turn: Turn) -> list[tuple[Cohort, Program]]:
    today = today_in(turn.now, turn.timezone)
    return await turn.coordinated_cohorts(Cohort.ends_on >= today - RECENT, has_members())


def _cohort_button(cohort: Cohort, program: Program, turn: Turn) -> str:
    """The cohort's label, marked "(ended)" when it has ended."""
    label = cohort_label(cohort, program)
    if ending.has_ended(cohort, program, turn.now):
        return _("{cohort} (ended)").format(cohort=label)
    return label


class ReportDialog:
    name = NAME

    async def on_action(self, turn: Turn, value: str) -> None:
        step, _sep, rest = value.partition("|")
        cohort_id, _sep, survey_id = rest.partition("|")
        found = await _own_cohort(turn, cohort_id)
        if found is None:
            return
        cohort, program = found
        if step == "cohort":
            await _cohort_report(turn, cohort, program)
            return
        survey = next((s for s in program.surveys if s.id == survey_id), None)
        if survey is None:
            turn.say(_("That survey is no longer part of the program."))
        elif step == "survey":
            await _survey_results(turn, cohort, program, survey)
        elif step == "csv":
            await _csv_link(turn, cohort, program, survey)

    async def on_text(self, turn: Turn, text: str) -> None:
        turn.finish()


async def _own_cohort(turn: Turn, cohort_id: str) -> tuple[Cohort, Program] | None:
    given_id = row_id(cohort_id)
    cohort = await turn.session.get(Cohort, given_id) if given_id is not None else None
    program = turn.programs.get(cohort.program_id) if cohort else None
    if cohort is None or program is None or not turn.roles.coordinates_cohort(cohort):
        turn.say(_("Reports are for the coordinators of a cohort, and you do not coordinate that one."))
        return None
    return cohort, program


# The cohort's figures


async def _cohort_report(turn: Turn, cohort: Cohort, program: Program) -> None:
    figures = await reports.cohort_report(turn.session, cohort, program, turn.now)
    panels = reports.chart_panels(figures)
    image = None
    if panels:
        with speaking(DRAWN_IN):  # the picture's words in a language the charts can draw (bot/charts.py)
            title = cohort_label(cohort, program)
            png = await asyncio.to_thread(render_png, title, reports.chart_panels(figures))
        alt = _("Chart of {panels}").format(panels=", ".join(panel.title.lower() for panel in panels))
        image = Image(f"report-{program.id}-{cohort.id}-{turn.now:%Y-%m-%d}.png", png, alt)
    label = cohort_label(cohort, program)
    if ending.has_ended(cohort, program, turn.now):
        when = _("{ended}; final figures.").format(ended=ending.ended_words(cohort, program))
        title = _("Final report: {cohort}").format(cohort=label)
    else:
        when = _("Figures on {date}.").format(date=short_day_month_year(turn.now))
        title = _("Report: {cohort}").format(cohort=label)
    turn.say(
        f"{when} " + _("Numbers only: nothing anyone said is kept. Type `report survey` for survey results."),
        title=title,
        lines=tuple(reports.report_lines(figures)),
        image=image,
    )


# Survey results


async def _pick_survey(turn: Turn, cohorts: list[tuple[Cohort, Program]]) -> None:
    today = today_in(turn.now, turn.timezone)
    opened = [
        (cohort, program, survey)
        for cohort, program in cohorts
        for survey in program.surveys
        if surveys.survey_dates(cohort, survey)[0] <= today
    ]
    if not opened:
        turn.say(_("None of your cohorts' surveys has opened yet, so there are no results."))
    elif len(opened) == 1:
        await _survey_results(turn, *opened[0])
    else:
        turn.say(
            _("Which survey?"),
            buttons=tuple(
                button(
                    NAME,
                    f"{program_words(survey.title)}, {cohort_label(cohort, program)}",
                    f"survey|{cohort.id}|{survey.id}",
                )
                for cohort, program, survey in opened
            ),
        )


async def _survey_results(turn: Turn, cohort: Cohort, program: Program, survey: Survey) -> None:
    rate = next(r for r in await surveys.response_rates(turn.session, cohort, program) if r.survey.id == survey.id)
    results = await surveys.question_results(turn.session, cohort, survey)
    lines = []
    for number, result in enumerate(results, 1):
        lines.append(f"*{number}. {program_words(result.question.text)}* {_summary(result)}")
        lines.extend(_texts(result))
    shown = any(not result.hidden for result in results)
    answered = _("{finished} of {invited} people answered ({percent}%), {started} part way.").format(
        finished=rate.finished, invited=rate.invited, percent=rate.percent, started=rate.started
    )
    hidden = _("Answers are anonymous; any question with fewer than {minimum} answers is hidden.").format(
        minimum=MIN_GROUP
    )
    download = button(NAME, _("Download the answers (CSV)"), f"csv|{cohort.id}|{survey.id}")
    turn.say(
        f"{answered} {hidden}",
        title=f"{program_words(survey.title)}: {cohort_label(cohort, program)}",
        lines=tuple(lines),
        buttons=(download,) if shown else (),
    )


def _summary(result: QuestionResult) -> str:
    if result.hidden:
        return _("— hidden")
    text = _tally_text(result.total, result.question.kind, result.question.options)
    if not result.by_role:
        return text
    by_role = "; ".join(
        f"{role_word(role, 2)} {_tally_text(tally, result.question.kind, result.question.options)}"
        for role, tally in sorted(result.by_role.items())
    )
    return _("{answers}. By role: {by_role}").format(answers=text, by_role=by_role)


def _tally_text(tally: Tally, kind: str, options: tuple[str, ...]) -> str:
    count = tally.respondents
    if kind == "scale":
        spread = ", ".join(f"{value}: {tally.counts.get(value, 0)}" for value in surveys.SCALE)
        return ngettext(
            "average {mean} of 5 from {count} answer ({spread})",
            "average {mean} of 5 from {count} answers ({spread})",
            count,
        ).format(mean=f"{tally.mean:.1f}", count=count, spread=spread)
    if kind in ("single", "multiple"):
        counts = ", ".join(f"{program_words(option)} {tally.counts.get(option, 0)}" for option in options)
        return ngettext("{counts} ({count} answer)", "{counts} ({count} answers)", count).format(
            counts=counts, count=count
        )
    return ngettext("{count} answer", "{count} answers", count).format(count=count)


def _texts(result: QuestionResult) -> list[str]:
    if result.hidden or result.question.kind != "text":
        return []
    texts = sorted(result.total.texts, key=str.lower)
    shown = [f"“{text}”" for text in texts[:TEXTS_SHOWN]]
    if len(texts) > TEXTS_SHOWN:
        shown.append(_("… and {count} more in the CSV").format(count=len(texts) - TEXTS_SHOWN))
    return shown


async def _csv_link(turn: Turn, cohort: Cohort, program: Program, survey: Survey) -> None:
    token = secrets.token_urlsafe(32)
    turn.session.add(
        ExportLink(
            token=token,
            person_id=turn.person.id,
            cohort_id=cohort.id,
            survey_id=survey.id,
            expires_at=turn.now + LINK_LIFETIME,
            created_at=turn.now,
        )
    )
    minutes = int(LINK_LIFETIME.total_seconds() // 60)
    turn.say(
        _(
            "Here are the anonymous answers to “{title}” as a spreadsheet (CSV), one row per answer, questions "
            "under {minimum} answers left out. The link works for {minutes} minutes; keep it to yourself:\n{link}"
        ).format(
            title=program_words(survey.title),
            minimum=MIN_GROUP,
            minutes=minutes,
            link=f"{turn.public_url}/exports/{token}.csv",
        )
    )


def register(registry: Registry) -> None:
    registry.add_command(
        Command(
            "report",
            N_("a cohort's figures with a chart; `report survey` for survey results"),
            "report [survey]",
            report,
            roles=frozenset({"coordinator"}),
        )
    )
    registry.add_dialog(ReportDialog())
