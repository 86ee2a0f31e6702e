"""The demo's notification types (found by the notifications app)."""

from django.utils.translation import gettext_lazy as _

from django_sse.contrib.notifications.types import register_type

register_type(
    "comment",
    _("Comments on your posts"),
    title=_("{actors} commented on your post"),
    channels=("inapp", "push", "email"),
)
register_type(
    "report",
    _("Your reports"),
    title=_("{label} {outcome}"),
    channels=("inapp", "push"),
)
register_type(
    "security",
    _("Security notices"),
    title=_("{title}"),
    level="warning",
    channels=("inapp", "email"),
    required=True,
)
