from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create the demo users: demo/demo (staff, superuser) and alice/alice."

    def handle(self, **options):
        User = get_user_model()
        for username, admin in (("demo", True), ("alice", False)):
            user, created = User.objects.get_or_create(username=username)
            if created:
                user.set_password(username)
                user.is_staff = user.is_superuser = admin
                user.save()
                self.stdout.write(f"Created user {username!r} with password {username!r}.")
