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


# The shell blocks of the README and the docs, line by line. What a line
# does is run here when it is safe (a management command), checked against
# the project when it installs (an extra of pyproject.toml, installed in
# this stack), or run as written by the test named here.
SHELL_COVERED = {
    "cd /path/to/django-sse/clients/js && npm pack": "tests/test_js_client.py",
    "cd /path/to/your-app && npm install /path/to/django-sse/clients/js/django-sse-hub-0.1.0.tgz": (
        "tests/test_js_client.py"
    ),
    "rm -rf /run/django-sse-metrics && mkdir -p /run/django-sse-metrics": (
        "tests/test_entry_points.py"
    ),
    "export PROMETHEUS_MULTIPROC_DIR=/run/django-sse-metrics": "tests/test_entry_points.py",
    "gunicorn yourproject.asgi:application -k uvicorn_worker.UvicornWorker -w 4": (
        "tests/test_entry_points.py"
    ),
}


def shell_lines() -> list[tuple[str, str]]:
    pages = [DOCS.parent / "README.md", *sorted(DOCS.rglob("*.md"))]
    lines = []
    for page in pages:
        for block in re.findall(r"^```(?:sh|bash)\n(.*?)^```", page.read_text(), re.S | re.M):
            for line in block.splitlines():
                command = re.sub(r"(^|\s+)#.*$", "", line).strip()
                if command:
                    lines.append((page.name, command))
    return lines


def test_every_shell_line_of_the_docs_is_run_or_checked():
    import importlib.metadata
    import tomllib

    from django.core.management import get_commands

    project = tomllib.loads((DOCS.parent / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    seen = set()
    for page, command in shell_lines():
        seen.add(command)
        if command in SHELL_COVERED:
            continue
        words = shlex.split(command)
        if words[:2] == ["pip", "install"]:
            [requirement] = words[2:]
            name, wanted = re.fullmatch(r"([\w-]+)\[([\w,]+)\]", requirement).groups()
            assert name == project["name"], (page, command)
            for extra in wanted.split(","):
                assert extra in extras, (page, command)
                for needed in extras[extra]:
                    distribution = re.match(r"[\w-]+", needed)[0]
                    importlib.metadata.distribution(distribution)  # installed in this stack
        elif words[:2] == ["python", "manage.py"]:
            assert words[2] in get_commands(), (page, command)
        else:
            raise AssertionError(f"{page}: nothing runs or checks `{command}`")
    assert seen >= set(SHELL_COVERED), set(SHELL_COVERED) - seen  # no stale entries


@pytest.mark.django_db
def test_the_management_commands_the_docs_show_run_here():
    """As the shell runs them, in this project, against the test database."""
    import io

    from django.core.management import call_command

    ran = []
    for _, command in shell_lines():
        words = shlex.split(command)
        if words[:2] == ["python", "manage.py"]:
            call_command(*words[2:], stdout=io.StringIO(), stderr=io.StringIO())
            ran.append(words[2])
    assert {"sse_send_emails", "sse_push_keys"} <= set(ran), ran
