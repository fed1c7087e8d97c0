"""`language`: see and change the language I write to you in, English or Khmer.

`language` asks (a button per language); `language km` or `language en` (also `khmer`, `english`,
`ខ្មែរ`) sets it at once. A question left open stays open and is asked again in the new language, so a
half-done application or booking goes on where it was.
"""

from bot import i18n
from bot.dialog import Command, Registry, Turn, button
from bot.i18n import ENGLISH, KHMER, LANGUAGE_NAMES, N_, _, language_typed

NAME = "language"
IN_A_SENTENCE = {ENGLISH: N_("English"), KHMER: N_("Khmer")}  # "I write to you in ___."
NOW_IN = {
    ENGLISH: N_("Done: I write to you in English from now on. Type `language km` to change back to Khmer."),
    KHMER: N_("Done: I write to you in Khmer from now on. Type `language en` to change back to English."),
}


async def start(turn: Turn, args: str) -> None:
    if args.strip():
        await _set(turn, args)
        return
    buttons = tuple(button(NAME, LANGUAGE_NAMES[code], code) for code in i18n.LANGUAGES)
    text = _("I write to you in {language}. Pick the language you would like, or type `language en` or `language km`.")
    # Only when no other question is open: this one would replace it.
    if turn.active is None:
        turn.ask(NAME, "language", text.format(language=_(IN_A_SENTENCE[turn.person.language])), buttons=buttons)
    else:
        turn.say(text.format(language=_(IN_A_SENTENCE[turn.person.language])), buttons=buttons)


class LanguageDialog:
    name = NAME

    async def on_text(self, turn: Turn, text: str) -> None:
        await _set(turn, text)

    async def on_action(self, turn: Turn, value: str) -> None:
        await _set(turn, value)


async def _set(turn: Turn, typed: str) -> None:
    language = language_typed(typed)
    if language is None:
        turn.say(
            _(
                "I can write in English (`language en`) or Khmer (`language km`), not `{typed}`. Nothing was changed."
            ).format(typed=typed.strip()[:40])
        )
        return
    turn.person.language, turn.person.language_chosen = language, True
    i18n.switch_to(language)
    if turn.active is not None and turn.active.dialog == NAME:
        turn.finish()
    turn.say(_(NOW_IN[language]))
    await _ask_again(turn)


async def _ask_again(turn: Turn) -> None:
    """The question left open, asked again in the new language (the dialog keeps its answers so far)."""
    if turn.active is None:
        return
    dialog = turn.registry.dialog(turn.active.dialog)
    ask_again = getattr(dialog, "ask_again", None)
    if ask_again is not None:
        await ask_again(turn)
    else:
        turn.say(_("Your open question is still waiting for your answer."))


def register(registry: Registry) -> None:
    registry.add_command(
        Command(
            NAME,
            N_("see or change the language I write to you in (English or Khmer)"),
            "language [en|km]",
            start,
            keeps_dialog=True,
        )
    )
    registry.add_dialog(LanguageDialog())
