from django.apps import AppConfig


class SupportDeskConfig(AppConfig):
    """The shared kernel as an app, so that its system checks are registered."""

    name = "supportdesk"
    verbose_name = "SupportDesk"

    def ready(self) -> None:
        from supportdesk import checks  # noqa: F401 - registers the checks
