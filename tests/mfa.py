"""Second-step helpers for tests: the current code of a user's authenticator app, computed
with allauth's own TOTP functions (the product has no TOTP code of its own)."""

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)
from allauth.mfa.utils import decrypt


def totp_secret(user: object) -> str:
    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    return decrypt(authenticator.data["secret"])


def totp_code(secret: str, *, periods_ahead: int = 0) -> str:
    """The code an authenticator app shows now (or that many 30-second periods later)."""
    window = list(yield_hotp_counters_from_time())  # now, with MFA_TOTP_TOLERANCE either side
    counter = window[len(window) // 2] + periods_ahead
    return format_hotp_value(hotp_value(secret, counter))


def staff_sign_in(page: object, user: object) -> None:
    """In a browser: the admin's sign-in, password then the code of the authenticator app
    staff have (tests/factories.py)."""
    from tests.factories import PASSWORD

    page.goto("/admin/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Code").fill(totp_code(totp_secret(user)))
    page.get_by_role("button", name="Sign in").click()
