"""Code blocks of the docs, read from the pages, for tests that run them as
written (so the docs cannot drift from what works)."""

from __future__ import annotations

import re

from tests.servers import ROOT


def section(page: str, heading: str) -> str:
    """The text of ``page`` (a path from the repository's root) from the
    line ``heading`` to the next heading of any level (code blocks'
    ``#`` comments are not headings)."""
    lines = (ROOT / page).read_text().splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if line.rstrip("\n") == heading]
    assert starts, f"{page} has no heading {heading!r}"
    taken, fenced = [], False
    for line in lines[starts[0] + 1 :]:
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and re.match(r"#{1,6} ", line):
            break
        taken.append(line)
    return "".join(taken)


def block(page: str, heading: str, language: str, index: int = 0) -> str:
    """The ``index``-th ``language`` code block under ``heading``."""
    blocks = re.findall(rf"^```{language}\n(.*?)^```", section(page, heading), re.S | re.M)
    assert len(blocks) > index, f"{page}, {heading!r}: {len(blocks)} {language} blocks"
    return blocks[index]
