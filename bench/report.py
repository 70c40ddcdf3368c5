"""Results of a run: per case, both servers' figures and the ratio harborpy / CNCF, as Markdown."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

SERVERS = ("cncf", "harborpy")
LABELS = {"cncf": "CNCF registry", "harborpy": "harborpy"}


@dataclass
class Figure:
    """One server's result for one case: the reported value and the samples it comes from."""

    samples: list[float] = field(default_factory=list)
    second_samples: list[float] = field(default_factory=list)  # shown after a slash (p99 beside p50)
    cpu: list[float] = field(default_factory=list)  # the server's CPU time per unit of work
    shown: str = ""  # the cell text, when the value alone does not tell enough
    error: str = ""
    details: list[str] = field(default_factory=list)

    @property
    def value(self) -> float | None:
        return statistics.median(self.samples) if self.samples else None

    @property
    def second(self) -> float | None:
        return statistics.median(self.second_samples) if self.second_samples else None

    @property
    def cpu_value(self) -> float | None:
        return statistics.median(self.cpu) if self.cpu else None


@dataclass
class Case:
    key: str
    title: str
    unit: str
    higher_is_better: bool = True
    min_ratio: float | None = None  # target: harborpy / CNCF at least this
    max_harborpy: float | None = None  # target: harborpy's own value below this
    stat: str = "median"
    cpu_unit: str = ""  # unit of Figure.cpu, e.g. "CPU ms / request"
    figures: dict[str, Figure] = field(default_factory=lambda: {s: Figure() for s in SERVERS})

    def ratio(self) -> float | None:
        ours, theirs = self.figures["harborpy"].value, self.figures["cncf"].value
        if ours is None or theirs is None or theirs <= 0:
            return None
        return ours / theirs

    def second_ratio(self) -> float | None:
        ours, theirs = self.figures["harborpy"].second, self.figures["cncf"].second
        if ours is None or theirs is None or theirs <= 0:
            return None
        return ours / theirs

    def target_text(self) -> str:
        if self.min_ratio is not None:
            ratio = self.ratio()
            verdict = "?" if ratio is None else ("met" if ratio >= self.min_ratio else "**not met**")
            return f"≥ {self.min_ratio:g}× ({verdict})"
        if self.max_harborpy is not None:
            value = self.figures["harborpy"].value
            verdict = "?" if value is None else ("met" if value < self.max_harborpy else "**not met**")
            return f"< {self.max_harborpy:g} {self.unit} ({verdict})"
        return ""


def _number(value: float | None) -> str:
    if value is None:
        return "—"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _cell(figure: Figure) -> str:
    if figure.error:
        return "ERROR"
    if figure.shown:
        return figure.shown
    text = _number(figure.value)
    if figure.second is not None:
        text += f" / {_number(figure.second)}"
    return text


def _ratio_cell(case: Case) -> str:
    ratio = case.ratio()
    if ratio is None:
        return "—"
    text = f"{ratio:.2f}×"
    if (second := case.second_ratio()) is not None:
        text += f" / {second:.2f}×"
    return text


def table(cases: list[Case]) -> str:
    lines = [
        "| case | unit | CNCF registry | harborpy | harborpy / CNCF | target (issue) |",
        "|---|---|---:|---:|---:|---|",
    ]
    for case in cases:
        unit = case.unit + ("" if case.higher_is_better else ", lower is better")
        lines.append(
            f"| {case.title} | {unit} | {_cell(case.figures['cncf'])} | {_cell(case.figures['harborpy'])} "
            f"| {_ratio_cell(case)} | {case.target_text()} |"
        )
    return "\n".join(lines)


def cpu_table(cases: list[Case]) -> str:
    """Server CPU time per unit of work: less sensitive than rates to what else the machine runs."""
    lines = [
        "| case | server CPU per | CNCF registry | harborpy | harborpy / CNCF |",
        "|---|---|---:|---:|---:|",
    ]
    for case in cases:
        if not case.cpu_unit:
            continue
        theirs, ours = case.figures["cncf"].cpu_value, case.figures["harborpy"].cpu_value
        ratio = f"{ours / theirs:.2f}×" if ours is not None and theirs else "—"
        lines.append(f"| {case.title} | {case.cpu_unit} | {_number(theirs)} | {_number(ours)} | {ratio} |")
    return "\n".join(lines)


def details(cases: list[Case]) -> str:
    """Every sample and side figure, per case and server, and every error in full."""
    lines = []
    for case in cases:
        if case.key.endswith("-latency"):
            continue  # shown with its request-rate case
        lines.append(f"- **{case.title}** ({case.stat} of the samples shown)")
        for server in SERVERS:
            figure = case.figures[server]
            samples = ", ".join(_number(s) for s in figure.samples) or "—"
            extra = "; ".join(figure.details)
            lines.append(f"  - {LABELS[server]}: samples [{samples}]" + (f"; {extra}" if extra else ""))
            if figure.error:
                lines.append(f"  - {LABELS[server]} ERROR:\n\n```text\n{figure.error}\n```\n")
    return "\n".join(lines)


def errors(cases: list[Case]) -> list[str]:
    return [
        f"{case.title} / {LABELS[server]}: {case.figures[server].error.splitlines()[0]}"
        for case in cases
        for server in SERVERS
        if case.figures[server].error
    ]
