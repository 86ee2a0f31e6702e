"""Every Python and Django-template block of the README and the docs, run
as written (Sybil collects them: the root ``conftest.py``).

- A block that is a settings file (``# settings.py`` on its first line, or
  only assignments to upper-case names) runs on top of a new project's
  settings; then each ``DJANGO_SSE_*`` it sets must be a known setting with
  a valid value, and each app it adds must import.
- A block that names a file covered by a test of its own (the deployment
  guide's ``asgi.py``: ``tests/test_entry_points.py``) is left to it.
- Any other Python block runs in the page's namespace (blocks of a page
  share it, top to bottom), against the test database; top-level ``await``
  runs on an event loop. Hidden set-up a page needs is in HTML comments
  beside the block (``<!-- invisible-code-block: python -->``), and a
  block that cannot run here says why (``<!-- skip: next "..." -->``).
- A Django template block is rendered with a request, the page's names as
  its context.

Each block is a test of its own, against the test database (the root
``conftest.py`` marks them so it is made); a page's blocks share its rows
as they share its names, and the tables are emptied after the page.
"""

from __future__ import annotations

import ast
import asyncio
import importlib
import inspect
import os
import re
import textwrap
import traceback
from pathlib import Path
from typing import Any

from django.http import HttpRequest
from sybil import Sybil
from sybil.parsers.markdown import (
    ClearNamespaceParser,
    CodeBlockParser,
    SkipParser,
)

ROOT = Path(__file__).resolve().parent.parent
COVERED_ELSEWHERE = {
    "yourproject/asgi.py": "tests/test_entry_points.py",
    "tests/test_orders.py": "tests/core/test_testing.py",
}
# The environment the settings blocks read (a real key: the check validates it).
SETTINGS_ENVIRONMENT = {"VAPID_PRIVATE_KEY": "generated"}


def _file_named(source: str) -> str | None:
    match = re.match(r"# ([\w./-]+\.py)\b", source)
    return match.group(1) if match else None


def _is_settings(source: str) -> bool:
    name = _file_named(source)
    if name is not None:
        return name.endswith("settings.py")
    assigns = False
    for node in ast.parse(source).body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            continue
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        else:
            return False
        if not all(isinstance(t, ast.Name) and t.id.isupper() for t in targets):
            return False
        assigns = True
    return assigns


def new_project_settings() -> dict[str, Any]:
    """The settings ``startproject`` writes (Django's own template), which
    the docs' settings blocks add to."""
    import django
    from django.conf import settings

    template = Path(django.__file__).parent / "conf/project_template/project_name/settings.py-tpl"
    source = template.read_text()
    for name, value in {"project_name": "mysite", "secret_key": "x" * 50}.items():
        source = source.replace("{{ " + name + " }}", value)
    source = re.sub(r"\{\{ \w+ \}\}", "", source)  # versions in comments
    namespace: dict[str, Any] = {"__file__": str(Path(settings.BASE_DIR) / "mysite/settings.py")}
    exec(compile(source, "settings.py-tpl", "exec"), namespace)
    return namespace


def _vapid_key() -> str:
    from django_sse.contrib.notifications.vapid import generate

    return generate()[0]


def _run_settings(source: str) -> None:
    from django_sse.conf import tables

    known = {s.name: s for table in tables().values() for s in table}
    environment = {
        k: _vapid_key() if v == "generated" else v for k, v in SETTINGS_ENVIRONMENT.items()
    }
    saved = {k: os.environ.get(k) for k in environment}
    os.environ.update(environment)
    try:
        namespace = new_project_settings()
        exec(compile(source, "settings.py", "exec"), namespace)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    for name, value in namespace.items():
        if name.startswith("DJANGO_SSE_"):
            assert name in known, f"{name} is not a django-sse setting"
            problem = known[name].validate(value)
            assert problem is None, f"{name} = {value!r}: {problem}"
    for app in namespace["INSTALLED_APPS"]:
        if isinstance(app, str):
            importlib.import_module(app.removesuffix(".apps"))


async def _then_stop_the_hub(block: Any) -> None:
    """An async block, then this loop's hub stopped (with its connections)
    if the block started one, as the server would at shutdown."""
    from django_sse.hubs import stop_hub

    try:
        await block
    finally:
        await stop_hub()


def _run_python(source: str, namespace: dict[str, Any], where: str) -> None:
    # Sybil puts pytest's ``request`` fixture back into the namespace before
    # each block; a page's own ``request`` (a view's, ``a_request()``) wins.
    if "_view_request" in namespace:
        namespace["request"] = namespace["_view_request"]
    code = compile(source, where, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    with namespace["django_db_blocker"].unblock():
        if code.co_flags & inspect.CO_COROUTINE:
            asyncio.run(_then_stop_the_hub(eval(code, namespace)))
        else:
            exec(code, namespace)
    if isinstance(namespace.get("request"), HttpRequest):
        namespace["_view_request"] = namespace["request"]


def _failing_clearly(evaluate: Any) -> Any:
    """The block's own error, as the failure's text (Sybil reports a text
    an evaluator returns; its traceback filter cannot cut a traceback of
    code run with exec)."""

    def run(example: Any) -> str | None:
        try:
            evaluate(example)
        except Exception:
            return traceback.format_exc(limit=-4)
        return None

    return run


@_failing_clearly
def evaluate_python(example: Any) -> None:
    source = textwrap.dedent(example.parsed)
    named = _file_named(source)
    if named in COVERED_ELSEWHERE:
        return  # run, as written, by the test named in COVERED_ELSEWHERE
    if _is_settings(source):
        _run_settings(source)
        return
    where = f"{example.path}, line {example.line}"
    namespace = example.namespace
    if named and named.endswith("urls.py"):
        namespace.setdefault("urlpatterns", [])
    _run_python(source, namespace, where)


@_failing_clearly
def evaluate_template(example: Any) -> None:
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.sessions.backends.db import SessionStore
    from django.template import RequestContext, Template
    from django.test import RequestFactory

    namespace = example.namespace
    request = RequestFactory().get("/")
    request.user = namespace.get("user") or AnonymousUser()
    request.session = SessionStore()
    names = {k: v for k, v in namespace.items() if not k.startswith("_") and k != "request"}
    with namespace["django_db_blocker"].unblock():
        Template(example.parsed).render(RequestContext(request, names))


def flush_the_database(namespace: dict[str, Any]) -> None:
    """After a page: no job left beating, asgiref's shared thread's
    connection closed (the test database can be dropped), tables empty."""
    from django.core.management import call_command

    from tests import cleanup

    cleanup.forget_running_jobs()
    cleanup.close_sync_thread_connections()
    blocker = namespace.get("django_db_blocker")
    if blocker is not None:
        with blocker.unblock():
            call_command("flush", interactive=False, verbosity=0)


def a_request(username: str = "ada") -> Any:
    """A GET request of a signed-in user (saved), for blocks written as
    the body of a view (``request.user``)."""
    from django.contrib.auth import get_user_model
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user, _ = get_user_model().objects.get_or_create(username=username)
    return request


sybil = Sybil(
    parsers=[
        CodeBlockParser(language="python", evaluator=evaluate_python),
        CodeBlockParser(language="django", evaluator=evaluate_template),
        SkipParser(),
        ClearNamespaceParser(),
    ],
    patterns=["README.md", "docs/*.md", "docs/guides/*.md"],
    path=str(ROOT),
    fixtures=["django_db_setup", "django_db_blocker"],
    teardown=flush_the_database,
)
