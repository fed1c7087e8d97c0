"""`materials [NAME]`: a coach reads the application of a participant matched to them, where the program
shares it (`[matching] share_application`; AAHSL: "All application materials submitted will be shared with
the contracted professional coaches").

Only the coach of an active pair sees it, and only that participant's accepted application in that cohort:
another coach, a participant, a pair that ended or a program that does not share applications get a
refusal, never the content. `partner` offers a button per pair ("See NAME's application").
"""

from sqlalchemy import select

from bot.applications import answer_lines
from bot.cohorts import cohort_in_sentence, cohort_label
from bot.dialog import Command, Registry, Turn, button, row_id
from bot.i18n import N_, _
from bot.pairs import PairInfo, pairings_of
from bot.program_rules import GUIDE_ROLES
from storage.models import Application, Cohort, Pair, Person

NAME = "materials"
NOT_YOURS = N_(
    "I can show a coach only the applications of the participants matched to them, in programs that share "
    "them. Type `partner` to see your pairings."
)


async def start(turn: Turn, args: str) -> None:
    shared = [info for info in await _guiding(turn) if info.program.share_application]
    wanted = " ".join(args.split()).casefold()
    if wanted:
        shared = [info for info in shared if _names(info, wanted)]
    if not shared:
        none = _("None of the participants matched to you is `{name}`.").format(name=args.strip()[:60])
        turn.say(_(NOT_YOURS) if not wanted else f"{none} {_(NOT_YOURS)}")
        return
    if len(shared) == 1:
        await _show(turn, shared[0].pair.id)
        return
    buttons = tuple(
        button(NAME, _("See {name}'s application").format(name=i.guided.display_name), f"show|{i.pair.id}")
        for i in shared
    )
    turn.say(_("Whose application would you like to read?"), buttons=buttons)


class MaterialsDialog:
    name = NAME

    async def on_text(self, turn: Turn, text: str) -> None:
        turn.say(_("Please use the buttons above, or type `materials`."))

    async def on_action(self, turn: Turn, value: str) -> None:
        action, _sep, pair_id = value.partition("|")
        found = row_id(pair_id)
        if action != "show" or found is None:
            turn.say(_(NOT_YOURS))
            return
        await _show(turn, found)


async def _show(turn: Turn, pair_id: int) -> None:
    pair = await turn.session.get(Pair, pair_id)
    if pair is None or pair.guide_id != turn.person.id:
        turn.say(_(NOT_YOURS))
        return
    cohort = await turn.session.get_one(Cohort, pair.cohort_id)
    program = turn.programs.get(cohort.program_id)
    participant = await turn.session.get_one(Person, pair.guided_id)
    if program is None or not program.share_application:
        short = program.short_name if program else cohort.program_id
        turn.say(_("In the {program}, applications are not shared with coaches or mentors.").format(program=short))
        return
    if pair.status != "active":
        turn.say(
            _("Your pairing with {name} has ended: their application is no longer shared with you.").format(
                name=participant.display_name
            )
        )
        return
    query = select(Application).where(
        Application.cohort_id == cohort.id, Application.person_id == participant.id, Application.status == "accepted"
    )
    application = (await turn.session.execute(query)).scalars().first()
    if application is None:
        turn.say(
            _("{name} joined {cohort} without applying: there is no application to show.").format(
                name=participant.display_name, cohort=cohort_in_sentence(cohort, program)
            )
        )
        return
    turn.say(
        _("Shared with you as their coach, for your work together only. Please keep it confidential."),
        title=_("{name}'s application to {cohort}").format(
            name=participant.display_name, cohort=cohort_label(cohort, program)
        ),
        lines=tuple(answer_lines(application, program)),
    )


async def _guiding(turn: Turn) -> list[PairInfo]:
    pairs = await pairings_of(turn.session, turn.person.id, turn.programs, active_only=True)
    return [info for info in pairs if info.pair.guide_id == turn.person.id]


def _names(info: PairInfo, wanted: str) -> bool:
    return wanted in info.guided.display_name.casefold() or wanted == info.guided.email.casefold()


def register(registry: Registry) -> None:
    registry.add_command(
        Command(
            NAME,
            N_("read the application of a participant matched to you, where the program shares it"),
            "materials [NAME]",
            start,
            roles=frozenset(GUIDE_ROLES),
            serves=lambda program: program.share_application,
        )
    )
    registry.add_dialog(MaterialsDialog())
