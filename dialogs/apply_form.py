"""The application as one form (a Slack modal, a Teams dialog): every question not answered yet, at once.

It is the conversation of dialogs/apply.py, not a copy of it: the form starts that dialog where the
application stands and gives it each answer when it asks the question, so every rule (eligibility,
word limits, links) is checked by the same code as in chat. Files cannot travel in a form: a file
material takes a link, or is left for the chat, where the dialog then asks for it.
"""

from collections.abc import Callable

from bot.applications import Step, is_answered, role_choices, steps
from bot.dialog import button
from bot.i18n import N_, _, program_words
from bot.messages import Button, Form, FormField
from bot.program_rules import EligibilityQuestion, Material, Question
from bot.programs import Program
from storage.models import Application

TITLE = N_("Your application")  # Slack allows 24 characters
OFFER = N_("Answer in a form")
FIELD_CHARACTERS = 3000  # the most a Slack text box takes
AVERAGE_WORD = 7  # characters an English word takes with its space and punctuation, about


def offer(name: str, application_id: int) -> Button:
    """The button that opens the form; in chat the questions go on one at a time."""
    return Button(_(OFFER), f"{name}:form|{application_id}", opens_form=True)


def form_of(name: str, application: Application, program: Program, role_label: Callable[[str], str]) -> Form:
    """The questions still open, in the order the dialog asks them."""
    fields = tuple(
        _field(name, application, program, step, role_label)
        for step in steps(program, application.roles)
        if not is_answered(application, step)
    )
    return Form(title=_(TITLE), start=f"{name}:resume|{application.id}", fields=fields, submit=_("Save answers"))


def _field(
    name: str, application: Application, program: Program, step: Step, role_label: Callable[[str], str]
) -> FormField:
    value = f"{application.id}|{step.key}"
    only_for = _only_for(step, application, role_label)
    if step.kind == "role":
        choices = tuple(
            button(name, role_label(choice), f"answer|{value}|{i}") for i, choice in enumerate(role_choices(program))
        )
        return FormField(step.key, _("Applying as"), "choice", choices=choices)
    item = step.item
    if isinstance(item, EligibilityQuestion | Question) and item.choices:
        choices = tuple(
            button(name, program_words(choice).capitalize(), f"answer|{value}|{i}")
            for i, choice in enumerate(item.choices)
        )
        question = program_words(item.question)
        return FormField(step.key, question, "choice", choices=choices, hint=only_for, optional=bool(only_for))
    if isinstance(item, EligibilityQuestion | Question):
        return FormField(
            step.key, program_words(item.question), "text", hint=only_for, optional=bool(only_for), max_length=2000
        )
    assert isinstance(item, Material)
    optional = not item.required or bool(only_for)
    if item.kind == "text":
        limit = _("At most {count} words.").format(count=item.max_words) if item.max_words else None
        if item.max_words and item.max_words * AVERAGE_WORD > FIELD_CHARACTERS:
            longer = _("If yours is longer than this box takes, paste it in our chat instead.")
            limit = f"{limit} {longer}"
        hint = " ".join(part for part in (limit, only_for) if part) or None
        label = program_words(item.label)
        return FormField(step.key, label, "long_text", optional=optional, hint=hint, max_length=FIELD_CHARACTERS)
    hint = _("A link to the file. Or leave this empty and attach the file in our chat afterwards.")
    return FormField(
        step.key, program_words(item.label), "link", optional=True, hint=f"{hint} {only_for or ''}".strip(), then="done"
    )


def _only_for(step: Step, application: Application, role_label: Callable[[str], str]) -> str | None:
    """Said of a question asked of some roles only, while the applicant has not chosen their role."""
    item = step.item
    roles = getattr(item, "roles", ())
    if application.roles or not roles:
        return None
    return _("Only if you apply as {roles}.").format(roles=_(" or ").join(role_label(role).lower() for role in roles))
