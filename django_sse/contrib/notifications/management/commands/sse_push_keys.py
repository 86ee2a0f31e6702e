from django.core.management.base import BaseCommand

from django_sse.contrib.notifications import vapid


class Command(BaseCommand):
    help = (
        "Make a VAPID key pair for web push: prints the private key for "
        "DJANGO_SSE_PUSH_VAPID_PRIVATE_KEY (keep it secret, e.g. in the environment) "
        "and the public key browsers subscribe with."
    )

    def handle(self, **options):
        private, public = vapid.generate()
        self.stdout.write("DJANGO_SSE_PUSH_VAPID_PRIVATE_KEY (keep it secret):")
        self.stdout.write(private)
        self.stdout.write(f"Public key (sent to browsers by {{% sse_push_button %}}): {public}")
