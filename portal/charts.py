"""Charts drawn on the server as SVG geometry for a template: no JavaScript and no inline
styles, so they render under the Content Security Policy and in any browser. Colours come from
classes in portal.css (``series-0`` …)."""

from dataclasses import dataclass

SERIES_COLOURS = 6  # portal.css defines .series-0 … .series-5


@dataclass
class Bar:
    label: str
    value_text: str
    x: float
    y: float
    width: float
    height: float
    label_x: float
    series: int


@dataclass
class BarChart:
    width: int
    height: int
    baseline: float
    bars: list[Bar]


def bar_chart(
    rows: list[tuple[str, float, str]], *, width: int = 560, height: int = 220
) -> BarChart:
    """Vertical bars for ``rows`` of (label, value, value as shown)."""
    top, bottom, side = 24.0, 36.0, 12.0
    baseline = height - bottom
    most = max((value for _label, value, _text in rows), default=0) or 1
    slot = (width - 2 * side) / max(len(rows), 1)
    bar_width = min(slot * 0.6, 80)
    bars = []
    for i, (label, value, text) in enumerate(rows):
        bar_height = (baseline - top) * value / most
        x = side + i * slot + (slot - bar_width) / 2
        bars.append(
            Bar(
                label=label,
                value_text=text,
                x=round(x, 1),
                y=round(baseline - bar_height, 1),
                width=round(bar_width, 1),
                height=round(bar_height, 1),
                label_x=round(x + bar_width / 2, 1),
                series=i % SERIES_COLOURS,
            )
        )
    return BarChart(width=width, height=height, baseline=baseline, bars=bars)


@dataclass
class Point:
    x: float
    y: float
    text: str


@dataclass
class Line:
    name: str
    series: int
    points: list[Point]

    @property
    def path(self) -> str:
        """An SVG path through the points; a month without a value breaks the line."""
        return " ".join(f"{p.x},{p.y}" for p in self.points)


@dataclass
class Tick:
    position: float
    text: str


@dataclass
class LineChart:
    width: int
    height: int
    left: float
    right: float
    baseline: float
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    lines: list[Line]

    @property
    def empty(self) -> bool:
        return not any(line.points for line in self.lines)


def percent_line_chart(
    x_labels: list[str],
    series: list[tuple[str, list[float | None]]],
    *,
    width: int = 560,
    height: int = 240,
) -> LineChart:
    """Lines of shares (0–1) over ``x_labels``, on a 0–100% axis; None leaves a gap."""
    # Room on the right for half of the last month's label, which is centred on its point.
    left, right, top, bottom = 44.0, width - 40.0, 16.0, height - 32.0
    step = (right - left) / max(len(x_labels) - 1, 1)

    def y_of(value: float) -> float:
        return round(bottom - (bottom - top) * value, 1)

    lines = []
    for i, (name, values) in enumerate(series):
        points = [
            Point(round(left + j * step, 1), y_of(value), f"{value:.0%}")
            for j, value in enumerate(values)
            if value is not None
        ]
        lines.append(Line(name=name, series=i % SERIES_COLOURS, points=points))
    return LineChart(
        width=width,
        height=height,
        left=left,
        right=right,
        baseline=bottom,
        x_ticks=[Tick(round(left + j * step, 1), text) for j, text in enumerate(x_labels)],
        y_ticks=[Tick(y_of(share), f"{share:.0%}") for share in (0, 0.25, 0.5, 0.75, 1)],
        lines=lines,
    )
