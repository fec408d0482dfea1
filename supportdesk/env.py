"""Typed readers for settings that come from the environment.

A wrong value fails at start-up with a message naming the variable, instead of
surfacing later as an odd behaviour deep inside a request.
"""

import os
import re

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as error:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {raw!r}") from error


def env_positive_int(name: str, default: int) -> int:
    value = env_int(name, default)
    if value < 1:
        raise ImproperlyConfigured(f"{name} must be at least 1, got {value}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_percent(name: str, default: int) -> int:
    value = env_int(name, default)
    if not 0 < value <= 100:
        raise ImproperlyConfigured(f"{name} must be a percentage from 1 to 100, got {value}")
    return value


_RATE = re.compile(r"[1-9][0-9]*/(s|sec|second|m|min|minute|h|hour|d|day)")


def env_rate(name: str, default: str) -> str:
    """A request rate such as `240/minute`, as DRF's throttles read it."""
    raw = os.environ.get(name, default).strip()
    if not _RATE.fullmatch(raw):
        raise ImproperlyConfigured(
            f"{name} must be a rate like 240/minute (per second, minute, hour or day), got {raw!r}"
        )
    return raw


def env_fernet_keys(name: str) -> list[str]:
    """A comma-separated list of Fernet keys (32 url-safe base64 bytes each), as
    `cryptography.fernet.Fernet.generate_key()` makes them."""
    from cryptography.fernet import Fernet

    keys = env_list(name, [])
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except ValueError as error:
            raise ImproperlyConfigured(
                f"{name}: key {position} is not a Fernet key (32 url-safe base64-encoded "
                "bytes; make one with `python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'`)"
            ) from error
    return keys
