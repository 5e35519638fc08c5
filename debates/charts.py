"""A line chart drawn on the server as SVG geometry: the trends page (search) and a member's
activity (debates) both draw through `line_chart`, and `templates/_chart.html` renders it.
Pure: numbers in, coordinates and labels out; no JavaScript needed to read it."""

import math
from dataclasses import dataclass

# Room for the axes' labels, inside the SVG's own coordinates.
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 40
MAX_X_LABELS = 12


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    period: str
    value: float

    @property
    def shown(self) -> str:
        """The value as the point's tooltip gives it: "833.33", "2500"."""
        return f"{self.value:.2f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class Line:
    label: str
    number: int  # 1, 2, ...: its colour and dash come from CSS (chart__line--1...)
    points: list[Point]

    @property
    def path(self) -> str:
        return " ".join(f"{point.x:.1f},{point.y:.1f}" for point in self.points)


@dataclass(frozen=True)
class Tick:
    at: float
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    lines: list[Line]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    left: int = LEFT
    top: int = TOP
    bottom: float = 0  # y of the x axis
    right: float = 0  # x where the plot ends


def line_chart(
    periods: list[str], series: list[tuple[str, list[float]]], width: int = 720, height: int = 300
) -> Chart:
    """Each series' values, one per period, as lines on shared axes from zero to a round top."""
    plot_w, plot_h = width - LEFT - RIGHT, height - TOP - BOTTOM
    peak = max((value for _, values in series for value in values), default=0)
    top = nice_ceiling(peak)
    step = plot_w / max(len(periods) - 1, 1)

    def x(i: int) -> float:
        return LEFT + (i * step if len(periods) > 1 else plot_w / 2)

    def y(value: float) -> float:
        return TOP + plot_h - (value / top * plot_h if top else 0)

    lines = [
        Line(
            label=label,
            number=n,
            points=[
                Point(x(i), y(v), p, v)
                for i, (p, v) in enumerate(zip(periods, values, strict=True))
            ],
        )
        for n, (label, values) in enumerate(series, start=1)
    ]
    every = max(1, math.ceil(len(periods) / MAX_X_LABELS))
    x_ticks = [Tick(x(i), period) for i, period in enumerate(periods) if i % every == 0]
    y_ticks = [Tick(y(top * k / 4), _short(top * k / 4)) for k in range(5)]
    return Chart(width, height, lines, x_ticks, y_ticks, bottom=TOP + plot_h, right=LEFT + plot_w)


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 times a power of ten that is at least `value`."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= value)


def _short(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 or value == int(value) else f"{value:.2g}"
