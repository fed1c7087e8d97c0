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
from bot.pairs import PairInfo, pairings_of
from bot.program_rules import GUIDE_ROLES
from storage.models import Application, Cohort, Pair, Person

NAME = "materials"
NOT_YOURS = (
    "I can show a coach only the applications of the participants matched to them, in programs that share "
    "them. Type `partner` to see your pairings."
)


async def start(turn: Turn, args: str) -> None:
    shared = [info for info in await _guiding(turn) if info.program.share_application]
    wanted = " ".join(args.split()).casefold()
    if wanted:
        shared = [info for info in shared if _names(info, wanted)]
    if not shared:
        turn.say(
            NOT_YOURS
            if not wanted
            else f"None of the participants matched to you is `{args.strip()[:60]}`. {NOT_YOURS}"
        )
        return
    if len(shared) == 1:
        await _show(turn, shared[0].pair.id)
        return
    buttons = tuple(button(NAME, f"See {i.guided.display_name}'s application", f"show|{i.pair.id}") for i in shared)
    turn.say("Whose application would you like to read?", buttons=buttons)


class MaterialsDialog:
    name = NAME

    async def on_text(self, turn: Turn, text: str) -> None:
        turn.say("Please use the buttons above, or type `materials`.")

    async def on_action(self, turn: Turn, value: str) -> None:
        action, _, pair_id = value.partition("|")
        found = row_id(pair_id)
        if action != "show" or found is None:
            turn.say(NOT_YOURS)
            return
        await _show(turn, found)


async def _show(turn: Turn, pair_id: int) -> None:
    pair = await turn.session.get(Pair, pair_id)
    if pair is None or pair.guide_id != turn.person.id:
        turn.say(NOT_YOURS)
        return
    cohort = await turn.session.get_one(Cohort, pair.cohort_id)
    program = turn.programs.get(cohort.program_id)
    participant = await turn.session.get_one(Person, pair.guided_id)
    if program is None or not program.share_application:
        short = program.short_name if program else cohort.program_id
        turn.say(f"In the {short}, applications are not shared with coaches or mentors.")
        return
    if pair.status != "active":
        turn.say(
            f"Your pairing with {participant.display_name} has ended: their application is no longer shared with you."
        )
        return
    query = select(Application).where(
        Application.cohort_id == cohort.id, Application.person_id == participant.id, Application.status == "accepted"
    )
    application = (await turn.session.execute(query)).scalars().first()
    if application is None:
        turn.say(
            f"{participant.display_name} joined {cohort_in_sentence(cohort, program)} without applying: "
            "there is no application to show."
        )
        return
    turn.say(
        "Shared with you as their coach, for your work together only. Please keep it confidential.",
        title=f"{participant.display_name}'s application to {cohort_label(cohort, program)}",
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
            "read the application of a participant matched to you, where the program shares it",
            "materials [NAME]",
            start,
            roles=frozenset(GUIDE_ROLES),
            serves=lambda program: program.share_application,
        )
    )
    registry.add_dialog(MaterialsDialog())
