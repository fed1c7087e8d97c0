"""Report charts rendered for real: matplotlib draws, Pillow reduces, and the PNG is read back with Pillow."""

import asyncio
import base64
import io

import pytest
from PIL import Image as PILImage

from bot.charts import BAR, BASE64_BUDGET, EMPTY_TEXT, TARGET, Bar, Panel, describe, number, render_png, shorten

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
WHITE = (255, 255, 255)


def rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def decoded(data: bytes) -> PILImage.Image:
    picture = PILImage.open(io.BytesIO(data))
    picture.load()
    return picture


def colours_of(data: bytes) -> dict[tuple[int, int, int], int]:
    """Each colour in the picture and how many pixels have it."""
    found = decoded(data).convert("RGB").getcolors(maxcolors=1 << 16)
    assert found is not None
    return {colour: count for count, colour in found}


def chunk_types(data: bytes) -> list[bytes]:
    """The PNG's chunk types, in order."""
    types, at = [], len(PNG_SIGNATURE)
    while at < len(data):
        length = int.from_bytes(data[at : at + 4], "big")
        types.append(data[at + 4 : at + 8])
        at += 12 + length
    return types


def report_panels(bars_each: int = 8) -> list[Panel]:
    """A coordinator's report: sessions against quota, check-ins, coach hours against commitment, surveys."""
    return [
        Panel(
            "Sessions held against quota",
            tuple(Bar(f"Participant with a rather long name {i}", i + 0.5 * (i % 2), 6) for i in range(bars_each)),
            "sessions",
        ),
        Panel("Check-in answers", tuple(Bar(f"Check-in {i}", 3 * i) for i in range(bars_each)), "people"),
        Panel(
            "Coach hours against commitment", tuple(Bar(f"Coach {i}", 2.25 * i, 10) for i in range(bars_each)), "hours"
        ),
        Panel("Survey response rates", tuple(Bar(f"Survey {i}", 11.0 * i, 60) for i in range(bars_each)), "%"),
    ]


def test_a_report_chart_is_a_real_png_with_bars_and_targets():
    data = render_png("AAHSL 2026 cohort", report_panels())
    assert data.startswith(PNG_SIGNATURE)
    picture = decoded(data)
    assert picture.format == "PNG"
    width, height = picture.size
    assert 400 <= width <= 1200 and 600 <= height <= 2400
    colours = colours_of(data)
    assert len(colours) >= 4  # not blank: white, ink, bars, targets and their edges
    assert colours[WHITE] > width * height // 2  # a chart on a white page
    assert colours.get(rgb(BAR), 0) > 1000  # the bars, in their exact colour
    assert colours.get(rgb(TARGET), 0) > 50  # the target markers


def test_a_four_panel_report_stays_within_what_teams_carries_inline():
    data = render_png("AAHSL 2026 cohort", report_panels(8))
    assert len(base64.b64encode(data)) < BASE64_BUDGET * 0.9  # with room to spare
    assert decoded(data).mode == "P"  # a palette image


def test_the_same_input_gives_the_same_bytes_and_no_metadata():
    first = render_png("Cohort", report_panels(3))
    assert render_png("Cohort", report_panels(3)) == first
    types = chunk_types(first)
    assert types[0] == b"IHDR" and types[-1] == b"IEND"
    assert not {b"tEXt", b"iTXt", b"zTXt", b"tIME"} & set(types)
    assert b"matplotlib" not in first and b"Software" not in first


def test_the_chart_grows_taller_with_more_bars_and_keeps_its_width():
    sizes = [decoded(render_png("Cohort", report_panels(count))).size for count in (1, 4, 12)]
    assert sizes[0][0] == sizes[1][0] == sizes[2][0]
    assert sizes[0][1] < sizes[1][1] < sizes[2][1]


def test_an_empty_panel_renders_without_bars():
    data = render_png("New cohort", [Panel("Sessions held against quota", (), "sessions")])
    colours = colours_of(data)
    assert rgb(BAR) not in colours and rgb(TARGET) not in colours
    assert len(colours) >= 2  # its title and the words "no data yet" are drawn
    with_bars = render_png("New cohort", [Panel("Sessions held against quota", (Bar("Pat", 2, 6),), "sessions")])
    assert rgb(BAR) in colours_of(with_bars)


def test_no_panels_at_all_still_gives_a_picture():
    assert decoded(render_png("Nothing to show", [])).size[0] > 0


def test_a_panel_without_targets_draws_no_target_marker():
    data = render_png("Cohort", [Panel("Check-in answers", (Bar("March", 7), Bar("June", 4)), "people")])
    assert rgb(TARGET) not in colours_of(data)
    assert rgb(BAR) in colours_of(data)


def test_long_labels_are_shortened_with_an_ellipsis():
    long = "Participant with a name far longer than any bar label should ever be"
    assert shorten(long).endswith("…") and len(shorten(long)) <= 26
    assert shorten("Pat Participant") == "Pat Participant"
    assert shorten("  spaced\n  out  ") == "spaced out"
    data = render_png("Cohort", [Panel("Sessions", (Bar(long * 3, 4, 6), Bar("", 0)), "sessions")])
    assert decoded(data).size[0] == decoded(render_png("Cohort", report_panels(2))).size[0]


@pytest.mark.parametrize(
    ("value", "unit", "shown"), [(12, "", "12"), (2.5, "hours", "2.5"), (40.0, "%", "40%"), (2.25, "", "2.2")]
)
def test_numbers_are_shown_whole_or_with_one_decimal(value, unit, shown):
    assert number(value, unit) == shown


def test_the_chart_in_words_names_every_bar_value_and_target():
    text = describe(
        "AAHSL 2026",
        [Panel("Sessions", (Bar("Pat", 2, 6), Bar("Sam", 3)), "sessions"), Panel("Surveys", (), "%")],
    )
    assert text == f"AAHSL 2026. Sessions: Pat: 2 / 6 sessions; Sam: 3 sessions. Surveys: {EMPTY_TEXT}"


async def test_charts_rendered_in_threads_at_once_match_one_rendered_alone():
    alone = render_png("Cohort", report_panels(5))
    together = await asyncio.gather(*(asyncio.to_thread(render_png, "Cohort", report_panels(5)) for _ in range(4)))
    assert all(data == alone for data in together)
