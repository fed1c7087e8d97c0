"""Server-rendered bar charts for reports: one small PNG, panels stacked, targets marked.

matplotlib's object-oriented API on the Agg canvas, never pyplot: no display, no global figure state.
It is imported when the first chart is drawn, not at start. Rendering is sync CPU work (about a tenth of
a second): callers run `render_png` in `asyncio.to_thread`.

The PNG is kept small because Teams carries it inline, base64 in the message. Microsoft documents the
bot message limit (about 100 KB today, 40 KB and 28 KB in earlier versions of the page) as excluding
base64 images, yet Teams engineers have cited ~28 KB as the practical ceiling for inline images, and the
Bot Framework caps a whole activity at 256 KB. So: a modest DPI, and a palette image of a dozen colours
(white-to-colour ramps of the few colours we draw with, which also keeps the bars' colours exact),
which keeps a four-panel chart of eight bars each near 21 KB once base64-encoded.

A chart's words are drawn in English (DRAWN_IN): matplotlib has no Khmer font here, and it lays out text
glyph by glyph, without the shaping Khmer's stacked consonants need. The chart's description, its alt
text, is in the reader's language.
"""

import io
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.i18n import ENGLISH, N_, _

if TYPE_CHECKING:  # imported when a chart is drawn: matplotlib costs a cold start about 0.4 s (issue 15)
    from matplotlib.axes import Axes
    from PIL import Image as PILImage

WIDTH = 7.0  # inches
DPI = 80  # 560 pixels wide: sharp enough in a chat, small as a file
BAR_HEIGHT = 0.3  # inches per bar
PANEL_EXTRA = 0.85  # inches per panel for its title, value axis and margins
TITLE_HEIGHT = 0.45  # inches for the chart's title
LABEL_CHARS = 26  # longer bar labels are cut, with an ellipsis
BASE64_BUDGET = 28_000  # characters: what a chart must stay under once base64-encoded (see above)

BAR = "#2f7f9f"
TARGET = "#c0392b"
INK = "#222222"
MUTED = "#777777"  # on the INK ramp, so it needs no colour of its own
EMPTY_TEXT = N_("no data yet")
DRAWN_IN = ENGLISH  # the language of the words in a chart's picture (see above)
# (colour, blended from, steps): anti-aliased edges need a few shades between white and each colour.
RAMPS = ((INK, "#ffffff", 6), (BAR, "#ffffff", 3), (TARGET, "#ffffff", 3), (TARGET, BAR, 3))

# matplotlib keeps process-wide caches (fonts, text layout) that are not documented as thread-safe;
# rendering is CPU-bound under the GIL anyway, so one chart at a time costs nothing.
_lock = threading.Lock()


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    target: float | None = None  # drawn as a marker (a quota, a commitment)


@dataclass(frozen=True)
class Panel:
    title: str
    bars: tuple[Bar, ...]
    unit: str = ""  # the value axis label: "sessions", "hours", "%", "people"


def shorten(label: str, limit: int = LABEL_CHARS) -> str:
    """A label that fits beside its bar: cut at `limit` characters, ending in an ellipsis."""
    label = " ".join(label.split())
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def number(value: float, unit: str = "") -> str:
    """12, 2.5 or 40%: whole numbers without decimals, others with one."""
    shown = f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"
    return f"{shown}%" if unit == "%" else shown


def _bar_text(bar: Bar, unit: str) -> str:
    if bar.target is None:
        return number(bar.value, unit)
    return f"{number(bar.value, unit)} / {number(bar.target, unit)}"


def _draw_panel(ax: "Axes", panel: Panel) -> None:
    from matplotlib.lines import Line2D

    ax.set_title(panel.title, loc="left", fontsize=11, color=INK, fontweight="bold")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if not panel.bars:
        ax.text(0.5, 0.5, _(EMPTY_TEXT), transform=ax.transAxes, ha="center", va="center", color=MUTED, fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
        return
    rows = list(range(len(panel.bars)))
    values = [bar.value for bar in panel.bars]
    ax.barh(rows, values, height=0.6, color=BAR)
    targets = [(bar.target, row) for row, bar in zip(rows, panel.bars, strict=True) if bar.target is not None]
    if targets:
        ax.scatter(
            [t for t, _row in targets], [r for _target, r in targets], marker="|", s=260, linewidths=2.5, color=TARGET
        )
        ax.legend(
            handles=[Line2D([], [], color=TARGET, marker="|", linestyle="", markersize=12, markeredgewidth=2.5)],
            labels=[_("target")],
            loc="lower right",
            bbox_to_anchor=(1.0, 1.0),
            frameon=False,
            fontsize=8,
            borderaxespad=0.1,
        )
    top = max([*values, *(t for t, _row in targets), 0.0]) or 1.0
    ax.set_xlim(0, top * 1.22)  # room for the value printed at the end of the longest bar
    for row, bar in zip(rows, panel.bars, strict=True):
        end = max(bar.value, bar.target or 0.0)
        ax.text(end + top * 0.02, row, _bar_text(bar, panel.unit), va="center", fontsize=8, color=INK)
    ax.set_yticks(rows, [shorten(bar.label) for bar in panel.bars], fontsize=9, color=INK)
    ax.set_ylim(len(rows) - 0.5, -0.5)  # the first bar on top
    ax.tick_params(axis="y", length=0)
    ax.tick_params(axis="x", labelsize=8, colors=MUTED)
    if panel.unit:
        ax.set_xlabel(panel.unit, fontsize=8, color=MUTED)


def render_png(title: str, panels: Sequence[Panel]) -> bytes:
    """One PNG: the panels stacked vertically, each a horizontal bar chart with its targets marked.

    Sync CPU work: call it as `await asyncio.to_thread(render_png, title, panels)`. The same input gives
    the same bytes (no timestamps or software tags in the file).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from PIL import Image as PILImage

    shown = list(panels) or [Panel("", ())]
    rows = [max(len(panel.bars), 1) for panel in shown]
    height = TITLE_HEIGHT + sum(PANEL_EXTRA + BAR_HEIGHT * count for count in rows)
    with _lock:
        figure = Figure(figsize=(WIDTH, height), dpi=DPI, facecolor="white", layout="constrained")
        canvas = FigureCanvasAgg(figure)
        figure.suptitle(title, fontsize=13, color=INK, fontweight="bold", x=0.02, ha="left")
        axes = figure.subplots(len(shown), 1, squeeze=False, gridspec_kw={"height_ratios": rows})
        for ax, panel in zip(axes[:, 0], shown, strict=True):
            _draw_panel(ax, panel)
        canvas.draw()
        width, pixels_high = canvas.get_width_height()
        rgba = bytes(canvas.buffer_rgba())
    picture = PILImage.frombytes("RGBA", (width, pixels_high), rgba).convert("RGB")
    reduced = picture.quantize(palette=_palette(), dither=PILImage.Dither.NONE)
    out = io.BytesIO()
    reduced.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _palette() -> "PILImage.Image":
    """A palette image holding the ramps between white and each colour we draw with (and no others)."""
    from PIL import Image as PILImage

    colours: dict[tuple[int, ...], None] = {}
    for colour, base, steps in RAMPS:
        start, end = _rgb(base), _rgb(colour)
        for step in range(steps):
            colours[tuple(round(a + (b - a) * step / (steps - 1)) for a, b in zip(start, end, strict=True))] = None
    flat = [channel for colour in colours for channel in colour]
    palette = PILImage.new("P", (1, 1))
    palette.putpalette(flat + flat[:3] * (256 - len(colours)))  # padded with white: 8-bit rows pack best
    return palette


def describe(title: str, panels: Sequence[Panel]) -> str:
    """The chart in words, for alt text: each panel's bars with their values and targets."""
    parts = [title]
    for panel in panels:
        unit = f" {panel.unit}" if panel.unit and panel.unit != "%" else ""
        bars = "; ".join(f"{bar.label}: {_bar_text(bar, panel.unit)}{unit}" for bar in panel.bars)
        parts.append(f"{panel.title}: {bars or _(EMPTY_TEXT)}")
    return ". ".join(parts)
