"""The docs agree with the code: generated reference pages are up to date,
and every check id the code can raise is listed."""

import re
import runpy
from pathlib import Path

import pytest

from django_sse import checks
from django_sse.conf import tables

DOCS = Path(__file__).resolve().parent.parent / "docs"
reference = runpy.run_path(str(DOCS / "reference.py"))


@pytest.mark.parametrize("name", sorted(reference["PAGES"]))
def test_generated_reference_pages_are_current(name):
    expected = reference["PAGES"][name]()
    assert (DOCS / name).read_text() == expected, (
        f"docs/{name} is stale: run 'DJANGO_SETTINGS_MODULE=tests.settings PYTHONPATH=. "
        "python docs/reference.py'"
    )


def test_every_check_id_in_the_code_is_listed():
    source = Path(checks.__file__).read_text()
    raised = set(re.findall(r'id="(django_sse\.[EW]\d{3})"', source))
    listed = set(checks.ENVIRONMENT_CHECKS) | {s.check_id for t in tables().values() for s in t}
    assert raised and raised <= listed
    page = (DOCS / "reference" / "checks.md").read_text()
    assert all(f"`{id_}`" in page for id_ in listed)
