"""Reading gettext catalogs (.po) in tests, without GNU gettext."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?\s+(".*")$')


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False

    @property
    def key(self) -> tuple[str | None, str, str | None]:
        return self.msgctxt, self.msgid, self.msgid_plural


def read_po(path: Path) -> list[Entry]:
    """The entries of a .po file, the header (msgid "") included."""
    entries: list[Entry] = []
    entry, started, target = Entry(), False, None

    def flush() -> None:
        nonlocal entry, started
        if started:
            entries.append(entry)
        entry, started = Entry(), False

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            flush()
            continue
        if line.startswith("#~"):
            entry.obsolete = True
            continue
        if line.startswith("#,"):
            entry.flags |= {flag.strip() for flag in line[2:].split(",")}
            continue
        if line.startswith("#"):
            continue
        if line.startswith('"'):
            value = ast.literal_eval(line)
            if isinstance(target, int):
                entry.msgstr[target] += value
            else:
                setattr(entry, target, getattr(entry, target) + value)
            continue
        match = _KEYWORD.match(line)
        if match is None:
            raise ValueError(f"{path}: cannot read {raw!r}")
        keyword, index, literal = match.groups()
        value = ast.literal_eval(literal)
        started = True
        if keyword == "msgstr":
            target = int(index or 0)
            entry.msgstr[target] = value
        else:
            target = keyword
            setattr(entry, keyword, value)
    flush()
    return entries
