from django.apps import AppConfig


class ExampleConfig(AppConfig):
    name = "example_project"
    verbose_name = "Example project"
