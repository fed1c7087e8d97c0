"""A resource added in one form (a Slack modal, a Teams dialog): title, link, kind, stages and topics.

The form starts `resources add` and gives each answer when dialogs/resources.py asks for it, so a link
is checked (its scheme, a duplicate in the library) exactly as when it is typed in chat.
"""

from bot.dialog import button
from bot.i18n import N_, _, program_words
from bot.messages import Button, Form, FormField
from bot.resources import ResourceRules

OFFER = N_("Use a form")


def offer(name: str, program_id: str) -> Button:
    return Button(_(OFFER), f"{name}:form|{program_id}", opens_form=True)


def form_of(name: str, program_id: str, rules: ResourceRules) -> Form:
    kinds = tuple(button(name, program_words(kind), f"kind|{i}") for i, kind in enumerate(rules.kinds))
    fields = (
        FormField("title", _("Title, as people will see it"), max_length=200),
        FormField("url", _("Link"), "link", hint=_("It starts with https:// (or http://).")),
        FormField("kind", _("Kind of resource"), "choice", choices=kinds),
        _names_field("stages", _("Career stages it is for"), rules.career_stages),
        _names_field("topics", _("Topics"), rules.topics),
    )
    return Form(title=_("Add a resource"), start=f"{name}:add|{program_id}", fields=fields, submit=_("Add"))


def _names_field(step: str, label: str, names: tuple[str, ...]) -> FormField:
    """Several of a list, typed as in chat: one or more of the names, comma separated, or `all`."""
    hint = _("One or more of: {names}; or all.").format(names=", ".join(names))
    return FormField(step, label, hint=hint[:150], initial="all", max_length=500)
