from django.apps import AppConfig


class ShopConfig(AppConfig):
    """The docs' examples' app: its topics ``doc:*`` have presence."""

    name = "tests.shop"

    def ready(self) -> None:
        from django_sse.hooks import register_presence

        register_presence("doc:*")
