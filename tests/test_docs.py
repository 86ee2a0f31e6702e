"""The docs agree with the code: generated reference pages are up to date,
and every check id the code can raise is listed."""

import os
import re
import runpy
import shlex
import shutil
import subprocess
import sys
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
    source = "".join(path.read_text() for path in Path(checks.__file__).parent.glob("*.py"))
    raised = set(re.findall(r'id="(django_sse\.[EW]\d{3})"', source))
    listed = set(checks.ENVIRONMENT_CHECKS) | {s.check_id for t in tables().values() for s in t}
    assert raised and raised <= listed
    page = (DOCS / "reference" / "checks.md").read_text()
    assert all(f"`{id_}`" in page for id_ in listed)


def test_a_broken_link_fails_the_docs_build_as_make_docs_runs_it(tmp_path):
    """``make docs`` is strict and shows its warnings (mkdocs' ``-q`` hides
    them from the strict count, so a broken link would pass)."""
    pytest.importorskip("mkdocs")  # the docs stack (make docs) only
    root = DOCS.parent
    recipe = re.search(r"^docs:.*\n\t(.+)$", (root / "Makefile").read_text(), re.M)
    assert recipe is not None
    command = shlex.split(recipe.group(1))
    assert Path(command[0]).name == "mkdocs" and "-q" not in command
    for name in ("docs", "deploy"):
        shutil.copytree(root / name, tmp_path / name)
    for name in ("mkdocs.yml", "CHANGELOG.md"):  # and the files pages include
        shutil.copy(root / name, tmp_path)
    build = [sys.executable, "-m", "mkdocs", *command[1:]]
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(build, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    with open(tmp_path / "docs" / "index.md", "a") as page:
        page.write("\nSee [the missing page](missing.md).\n")
    done = subprocess.run(build, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode != 0 and "missing.md" in done.stderr, done.stderr


def test_the_architecture_page_lists_every_module_of_the_package():
    """The tree on docs/architecture.md is the tree: every module and
    folder of django_sse/ (and every contrib app), and nothing else."""
    page = (DOCS / "architecture.md").read_text()
    tree = page.split("## The package", 1)[1].split("Imports flow", 1)[0]
    core, contrib = tree.split("    django_sse/contrib/", 1)
    # Each line: the names (from column 6), two spaces or more, what they are.
    names = [
        re.split(r"\s{2,}", line[6:])[0] for line in core.splitlines() if re.match(r" {6}\S", line)
    ]
    listed = {name for entry in names for name in re.split(r",\s*", entry)}
    package = DOCS.parent / "django_sse"
    present = {
        entry.name + ("/" if entry.is_dir() else "")
        for entry in package.iterdir()
        if entry.name not in ("__pycache__", "contrib", "py.typed")
    }
    assert listed == present
    apps = set(re.findall(r"^      ([a-z_]+)/", contrib, re.M))
    assert apps == {
        entry.name
        for entry in (package / "contrib").iterdir()
        if entry.is_dir() and entry.name != "__pycache__"
    }
