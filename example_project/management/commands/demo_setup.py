from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Create the demo users: demo/demo (staff, superuser) and alice/alice; "
        "and this checkout's web push key."
    )

    def web_push_key(self):
        """A VAPID key of this checkout's own, read by the settings."""
        from django.conf import settings

        from django_sse.contrib.notifications import vapid

        path = settings.BASE_DIR / ".vapid-demo.pem"
        if path.exists():
            return
        private, _ = vapid.generate()
        path.touch(mode=0o600)
        path.write_text(private)
        self.stdout.write(f"Made this checkout's web push key in {path.name}.")

    def handle(self, **options):
        from django_sse.contrib.notifications.models import Announcement

        self.web_push_key()

        if not Announcement.objects.exists():
            Announcement.objects.create(
                title="Welcome to the django-sse demo.",
                body="Staff post banners like this one from the admin; they come and go live.",
                url="/admin/sse_notifications/announcement/",
            )
        User = get_user_model()
        # Two more people for "three people comment on your post" to show
        # grouping; they cannot sign in.
        for name in ("bob", "carol"):
            User.objects.get_or_create(username=name, defaults={"password": "!"})
        for username, admin in (("demo", True), ("alice", False)):
            user, created = User.objects.get_or_create(username=username)
            if created:
                user.set_password(username)
                user.is_staff = user.is_superuser = admin
                user.email = f"{username}@django-sse.example"  # emails go to the console
                user.save()
                self.stdout.write(f"Created user {username!r} with password {username!r}.")
