"""`help`: what this person may do, by their roles in their programs."""

from bot.cohorts import label_of
from bot.dialog import Command, Registry, Turn
from bot.i18n import N_, _, role_word
from bot.messages import each_of
from dialogs import help_me


async def show_help(turn: Turn, args: str) -> None:
    topic = args.strip().lower()
    if topic.split()[:1] == ["me"]:
        await help_me.start(turn, topic)
        return
    commands = turn.registry.commands_for(turn.roles, turn.programs)
    if topic:
        match = next((c for c in commands if c.verb == topic), None)
        if match is None:
            turn.say(_("There is no command `{verb}` you can use. Type `help` for the list.").format(verb=topic[:40]))
            return
        turn.say(f"`{match.usage}`: {_(match.summary)}")
        return
    who = _describe_roles(turn)
    lines = tuple(f"`{c.usage}`: {_(c.summary)}" for c in sorted(commands, key=lambda c: c.verb))
    if any(entry.role != "coordinator" for entry in turn.roles.in_cohorts):
        lines += (_("`help me`: tell your program's coordinators at once that you would like help"),)
    turn.say(
        who
        + "\n"
        + _(
            "Here is what you can do. In Slack start with `/coaching`; in Teams or a direct "
            "message just type the words."
        ),
        title=_("What I can do for you"),
        lines=lines,
    )


def _describe_roles(turn: Turn) -> str:
    names = []
    for entry in turn.roles.in_cohorts:
        program = turn.programs.get(entry.program_id)
        cohort = label_of(entry.cohort_name, program, entry.program_id)
        names.append(_("{role} in {cohort}").format(role=role_word(entry.role), cohort=cohort))
    for program_id in sorted(
        turn.roles.coordinator_of - {e.program_id for e in turn.roles.in_cohorts if e.role == "coordinator"}
    ):
        program = turn.programs.get(program_id)
        label = program.short_name if program else program_id
        regions = sorted(
            r.name for r in (program.regions if program else ()) if r.id in turn.roles.regions_in(program_id)
        )
        if regions and not turn.roles.coordinates_all(program_id):
            names.append(_("{regions} coordinator of {program}").format(regions=each_of(regions), program=label))
        else:
            names.append(_("coordinator of {program}").format(program=label))
    if not names:
        return _("Hi {name}. You are not in a program yet.").format(name=turn.person.display_name)
    return _("Hi {name}. You are {roles}.").format(name=turn.person.display_name, roles="; ".join(names))


def register(registry: Registry) -> None:
    help_me.register(registry)
    registry.add_command(
        Command(
            "help",
            N_("show this list, or `help VERB` for one command; `help me` reaches your coordinators"),
            "help [VERB]",
            show_help,
            keeps_dialog=True,
            reads_only=True,
        )
    )
