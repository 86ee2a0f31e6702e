"""A page for the browser tests: the bell, an extra subscription, and a
strict Content-Security-Policy with a per-request nonce."""

import secrets

from django.shortcuts import render


def page(request):
    nonce = secrets.token_urlsafe(16)
    response = render(
        request, "page.html", {"csp_nonce": nonce, "extra": request.GET.get("extra", "")}
    )
    response["Content-Security-Policy"] = (
        f"default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self'; "
        "connect-src 'self'; img-src 'self'"
    )
    return response


def progress_page(request, job_id):
    return render(request, "progress_page.html", {"job_id": job_id})
