"""Memory and CPU of a server's process tree, read from /proc (Linux only).

A server here is a process and all its descendants: the CNCF registry is one process, harborpy
is the gunicorn master and its workers. RSS is summed over the tree, which counts pages shared
between processes (the interpreter's text, say) once per process; PSS, which divides shared
pages between their users, is recorded beside it as the fairer figure for a multi-process server.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

_PAGE = os.sysconf("SC_PAGE_SIZE")
_TICKS = os.sysconf("SC_CLK_TCK")
MiB = 1024 * 1024


def _children(pid: int) -> list[int]:
    children: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            try:
                children.extend(int(c) for c in (task / "children").read_text().split())
            except (FileNotFoundError, ProcessLookupError):
                continue
    except (FileNotFoundError, ProcessLookupError):
        pass
    return children


def tree_pids(root: int) -> list[int]:
    """`root` and its descendants that are alive now."""
    pids, todo = [], [root]
    while todo:
        pid = todo.pop()
        if Path(f"/proc/{pid}").exists():
            pids.append(pid)
            todo.extend(_children(pid))
    return pids


def _rss(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * _PAGE
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0


def _pss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return 0


def tree_cpu_seconds(root: int) -> float:
    """User + system CPU seconds of the live processes of the tree (a dead worker's time is lost)."""
    total = 0
    for pid in tree_pids(root):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / _TICKS


@dataclass(frozen=True)
class Sample:
    at: float  # time.monotonic()
    rss: int
    pss: int
    processes: int


class TreeSampler(threading.Thread):
    """Samples a process tree's summed RSS and PSS every `interval` seconds until stopped."""

    def __init__(self, root: int, interval: float = 0.1) -> None:
        super().__init__(daemon=True, name=f"rss-{root}")
        self.root = root
        self.interval = interval
        self.samples: list[Sample] = []
        self._stop_event = threading.Event()

    def sample(self) -> Sample:
        pids = tree_pids(self.root)
        return Sample(time.monotonic(), sum(map(_rss, pids)), sum(map(_pss, pids)), len(pids))

    def run(self) -> None:
        while not self._stop_event.is_set():
            s = self.sample()
            if s.processes:
                self.samples.append(s)
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=5)

    def between(self, start: float, end: float) -> list[Sample]:
        return [s for s in self.samples if start <= s.at <= end]

    def peak(self, start: float = 0.0, end: float = float("inf")) -> Sample | None:
        window = self.between(start, end)
        return max(window, key=lambda s: s.rss) if window else None

    def peak_pss(self, start: float = 0.0, end: float = float("inf")) -> int:
        return max((s.pss for s in self.between(start, end)), default=0)
