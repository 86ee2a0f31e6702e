"""Writes docs/reference/settings.md and checks.md from the code's tables.

    DJANGO_SETTINGS_MODULE=tests.settings python docs/reference.py

``tests/test_docs.py`` fails when the committed pages and the code differ.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
APPS = {
    "django_sse": "the core (`django_sse`)",
    "sse_notifications": "`django_sse.contrib.notifications`",
    "sse_progress": "`django_sse.contrib.progress`",
    "sse_dashboards": "`django_sse.contrib.dashboards`",
}


def _cell(value: object) -> str:
    return f"`{value!r}`".replace("|", "\\|")


def settings_page() -> str:
    from django_sse.conf import tables

    lines = [
        "# Settings",
        "",
        "Generated from the settings tables in the code (`docs/reference.py`). Every",
        "value is checked by `manage.py check`; a bad one is an error with the id below.",
    ]
    for label, table in tables().items():
        lines += ["", f"## {APPS[label]}", ""]
        lines += ["| Setting | Type | Default | Meaning | Check |", "|---|---|---|---|---|"]
        for s in table:
            doc = s.doc.replace("|", "\\|")
            lines.append(f"| `{s.name}` | {s.type} | {_cell(s.default)} | {doc} | `{s.check_id}` |")
    return "\n".join(lines) + "\n"


def checks_page() -> str:
    from django_sse.checks import ENVIRONMENT_CHECKS
    from django_sse.conf import tables

    rows = [(id_, what) for id_, what in ENVIRONMENT_CHECKS.items()]
    for table in tables().values():
        # A value no rule accepts makes each rule say what it asks for.
        rows += [(s.check_id, f"`{s.name}` {s.validate(object())}") for s in table]
    lines = [
        "# System checks",
        "",
        "Generated from the code (`docs/reference.py`). Each id names one rule and is",
        "never reused. Silence one with `SILENCED_SYSTEM_CHECKS` if you must.",
        "",
        "| Id | Reports |",
        "|---|---|",
    ]
    lines += [f"| `{id_}` | {what} |" for id_, what in sorted(rows)]
    return "\n".join(lines) + "\n"


PAGES = {"reference/settings.md": settings_page, "reference/checks.md": checks_page}


if __name__ == "__main__":
    import django

    django.setup()
    for name, page in PAGES.items():
        (HERE / name).write_text(page())
        print("wrote", name)
