from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in


class SupportDeskConfig(AppConfig):
    """The shared kernel as an app, so that its system checks are registered."""

    name = "supportdesk"
    verbose_name = "SupportDesk"

    def ready(self) -> None:
        from supportdesk import checks  # noqa: F401 - registers the checks
        from supportdesk.sessions import session_stamp_sign_in

        # The one place a session's sign-in time is written (see supportdesk/sessions.py).
        user_logged_in.connect(session_stamp_sign_in, dispatch_uid="supportdesk.session_stamp")
