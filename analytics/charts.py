"""Charts drawn on the server as SVG: no script, nothing from elsewhere, and the page's
Content-Security-Policy needs no exception. Each chart has a table of the same figures under
it (the accessible and exportable form).

    chart_of(series) → Chart: a line per run of days with data (a day without data breaks
                       the line, so "no data" never reads as a dip to 0)
"""

from __future__ import annotations

from dataclasses import dataclass

from .selectors import Series

WIDTH, HEIGHT, PAD = 600, 160, 4


@dataclass(frozen=True)
class Chart:
    series: Series
    lines: list[str]  # "x,y x,y …" per run of days with data
    dots: list[tuple[float, float]]  # single days with data (a run of one)
    top: float  # the value at the top edge
    first_label: str
    last_label: str
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def rows(self) -> list[tuple]:
        return list(zip(self.series.days, self.series.values, strict=True))

    @property
    def empty(self) -> bool:
        return not self.lines and not self.dots


def _nice_top(value: float, unit: str) -> float:
    if unit == "rate":
        return 1.0
    if value <= 0:
        return 1.0
    step = 10 ** (len(str(int(value))) - 1)
    return float(((int(value) // step) + 1) * step)


def chart_of(series: Series) -> Chart:
    known = [v for v in series.values if v is not None]
    top = _nice_top(max(known) if known else 0, series.unit)
    count = len(series.values)
    span = max(count - 1, 1)

    def point(index: int, value: float) -> tuple[float, float]:
        x = PAD + (WIDTH - 2 * PAD) * index / span
        y = HEIGHT - PAD - (HEIGHT - 2 * PAD) * (value / top)
        return round(x, 1), round(y, 1)

    lines, dots, run = [], [], []
    for index, value in enumerate([*series.values, None]):
        if value is not None:
            run.append(point(index, value))
            continue
        if len(run) > 1:
            lines.append(" ".join(f"{x},{y}" for x, y in run))
        elif run:
            dots.append(run[0])
        run = []
    days = series.days
    return Chart(series, lines, dots, top, f"{days[0]:%-d %b}" if days else "",
                 f"{days[-1]:%-d %b %Y}" if days else "")
