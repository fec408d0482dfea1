"""System checks for what a production deployment must set."""

from collections.abc import Sequence

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register

SHARED_CACHE_BACKENDS = frozenset(
    {
        "django.core.cache.backends.redis.RedisCache",
        "django_redis.cache.RedisCache",
        "supportdesk.cache_guard.FailOpenRedisCache",
    }
)


@register(Tags.caches, deploy=True)
def check_shared_cache(app_configs: Sequence[AppConfig] | None, **kwargs: object) -> list:
    """Rate limits (API throttles, password resets) count in the cache: a production
    deployment runs several web processes, on several machines when it scales out, so the
    cache must be one Redis they all share."""
    if settings.DEBUG or settings.CACHES["default"]["BACKEND"] in SHARED_CACHE_BACKENDS:
        return []
    errors: list[CheckMessage] = [
        Error(
            "Neither CACHE_URL nor REDIS_URL is set: production needs a shared Redis "
            "cache, or each web process keeps its own rate-limit counters.",
            hint="Set REDIS_URL (e.g. redis://redis:6379/0), or CACHE_URL for a cache "
            "apart from the broker.",
            id="supportdesk.E001",
        )
    ]
    return errors
