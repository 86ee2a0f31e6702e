from django.apps import AppConfig


class ExampleConfig(AppConfig):
    name = "example_project"
    verbose_name = "Example project"

    def ready(self) -> None:
        from django_sse.contrib.progress.signals import job_finished
        from django_sse.hooks import register_presence
        from example_project.jobs import tell_the_owner

        job_finished.connect(tell_the_owner, dispatch_uid="demo-job-finished")
        register_presence("demo-feed")  # the feed page shows who reads it
