"""The surveys page's charts, drawn on the server as SVG (no script, nothing loaded from elsewhere): the
geometry of horizontal bar charts (NPS from −100 to 100 around a zero line, CSAT from 1 to 5) and of a line
chart over periods. Pure: the page's template writes the elements, each chart with its title and a table
of the same figures for screen readers and text browsers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 560
LABEL_WIDTH = 170
VALUE_WIDTH = 60
ROW = 26
BAR = 16
TOP = 18  # room for the scale's ticks


@dataclass(frozen=True)
class Bar:
    label: str
    text: str  # the value as the page shows it ("—" when there is none)
    y: float  # the row's top
    x: float  # the bar's left
    width: float  # 0 when there is no value
    negative: bool


@dataclass(frozen=True)
class Tick:
    x: float
    text: str


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    plot_left: float
    plot_right: float
    zero_x: float
    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]
    bar_height: int = BAR


def _scale(low: float, high: float) -> tuple[float, float, float]:
    left, right = float(LABEL_WIDTH), float(WIDTH - VALUE_WIDTH)
    return left, right, (right - left) / (high - low)


def bar_chart(
    rows: Sequence[tuple[str, float | None, str]], low: float, high: float, ticks: Sequence[tuple[float, str]]
) -> BarChart:
    """Horizontal bars of ``(label, value, text)`` rows on a scale from ``low`` to ``high``: a bar runs
    from the scale's zero (or its low end when zero is off the scale) to its value."""
    if high <= low:
        raise ValueError("a chart's scale needs its high end above its low end")
    left, right, per_unit = _scale(low, high)
    base = min(max(0.0, low), high)
    zero_x = left + (base - low) * per_unit
    bars = []
    for n, (label, value, text) in enumerate(rows):
        y = TOP + n * ROW
        if value is None:
            bars.append(Bar(label, text, y, zero_x, 0.0, False))
            continue
        clipped = min(max(value, low), high)
        at = left + (clipped - low) * per_unit
        bars.append(Bar(label, text, y, min(at, zero_x), abs(at - zero_x), clipped < base))
    marks = tuple(Tick(left + (min(max(v, low), high) - low) * per_unit, t) for v, t in ticks)
    return BarChart(WIDTH, TOP + max(len(rows), 1) * ROW + 4, left, right, zero_x, tuple(bars), marks)


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str
    text: str


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    plot_left: float
    plot_right: float
    plot_top: float
    plot_bottom: float
    segments: tuple[tuple[Point, ...], ...]  # runs of consecutive periods with a value
    points: tuple[Point, ...]
    ticks: tuple[Tick, ...]  # the value axis (x: its y)
    first: str  # the first period's name
    last: str


LINE_HEIGHT = 180
LINE_LEFT, LINE_RIGHT, LINE_TOP, LINE_BOTTOM = 48.0, float(WIDTH - 12), 12.0, 150.0


def line_chart(
    rows: Sequence[tuple[str, float | None, str]], low: float, high: float, ticks: Sequence[tuple[float, str]]
) -> LineChart:
    """A line over ``(period, value, text)`` rows in order; a period without a value breaks the line."""
    if high <= low:
        raise ValueError("a chart's scale needs its high end above its low end")
    step = (LINE_RIGHT - LINE_LEFT) / max(len(rows) - 1, 1)

    def y_of(value: float) -> float:
        clipped = min(max(value, low), high)
        return LINE_BOTTOM - (clipped - low) * (LINE_BOTTOM - LINE_TOP) / (high - low)

    segments: list[tuple[Point, ...]] = []
    run: list[Point] = []
    points = []
    for n, (label, value, text) in enumerate(rows):
        if value is None:
            if run:
                segments.append(tuple(run))
            run = []
            continue
        point = Point(
            LINE_LEFT + n * step if len(rows) > 1 else (LINE_LEFT + LINE_RIGHT) / 2, y_of(value), label, text
        )
        run.append(point)
        points.append(point)
    if run:
        segments.append(tuple(run))
    return LineChart(
        WIDTH,
        LINE_HEIGHT,
        LINE_LEFT,
        LINE_RIGHT,
        LINE_TOP,
        LINE_BOTTOM,
        tuple(segments),
        tuple(points),
        tuple(Tick(y_of(v), t) for v, t in ticks),
        rows[0][0] if rows else "",
        rows[-1][0] if rows else "",
    )
