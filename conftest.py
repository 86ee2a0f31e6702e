"""The code blocks of README.md and docs/, collected as tests (Sybil; how
each kind of block runs: tests/doc_snippets.py). A page's blocks share
its names, so they run in one process, in order: ``make test`` runs them
without xdist (``pytest README.md docs``)."""

import pytest
from sybil.integration.pytest import SybilItem

from tests.doc_snippets import sybil

pytest_collect_file = sybil.pytest()


def pytest_itemcollected(item: pytest.Item) -> None:
    if isinstance(item, SybilItem):
        # A block may use the database: the mark has pytest-django make the
        # test database; tests/doc_snippets.py unblocks it and empties it
        # after each page.
        item.add_marker(pytest.mark.django_db(transaction=True))
