"""A tenant's environments: which flags are on where, and the records fulfilled
requests keep up to date (flag states, the IP allowlist)."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from supportdesk.types import AnyUser
from tenants.access import tenants_for
from tenants.models import Environment, EnvironmentFlag, EnvironmentKind, ProductFlag


def environments_of(user: AnyUser, tenant_id: int) -> QuerySet[Environment]:
    """The tenant's active environments, if the user may act for it."""
    return Environment.objects.filter(
        tenant__in=tenants_for(user), tenant_id=tenant_id, active=True
    ).order_by("kind", "name")


@dataclass(frozen=True)
class FlagRow:
    flag: ProductFlag
    states: list[tuple[Environment, bool]]

    @property
    def on_in_sandbox(self) -> bool:
        return any(on for env, on in self.states if env.kind == EnvironmentKind.SANDBOX)


def flag_matrix(environments: Iterable[Environment]) -> list[FlagRow]:
    """Each flag of the environments' products, with whether it is on in each of them
    (an environment of another product shows it as not applicable: absent)."""
    environments = list(environments)
    products = {env.product for env in environments}
    flags = list(ProductFlag.objects.filter(product__in=products, active=True))
    on = set(
        EnvironmentFlag.objects.filter(environment__in=environments, enabled=True).values_list(
            "environment_id", "flag_id"
        )
    )
    return [
        FlagRow(
            flag=flag,
            states=[
                (env, (env.id, flag.id) in on)
                for env in environments
                if env.product == flag.product
            ],
        )
        for flag in flags
    ]


def flags_on(environment: Environment) -> set[int]:
    return set(
        EnvironmentFlag.objects.filter(environment=environment, enabled=True).values_list(
            "flag_id", flat=True
        )
    )


def environment_flags_set(
    *, environment: Environment, flag_ids: Iterable[int], enabled: bool, reference: str
) -> None:
    """Record the flags' new state in the environment (called inside the fulfilling
    service's transaction)."""
    now = timezone.now()
    for flag_id in flag_ids:
        EnvironmentFlag.objects.update_or_create(
            environment=environment,
            flag_id=flag_id,
            defaults={"enabled": enabled, "changed_at": now, "changed_by_request": reference},
        )


def environment_allowlist_change(
    *, environment_id: int, add: Iterable[str], remove: Iterable[str]
) -> list[str]:
    """Apply an allowlist change under the environment's row lock; returns the new list."""
    environment = Environment.objects.select_for_update().get(id=environment_id)
    removed = set(remove)
    current = [entry for entry in environment.ip_allowlist if entry not in removed]
    current += [entry for entry in add if entry not in current]
    environment.ip_allowlist = current
    environment.save(update_fields=["ip_allowlist"])
    return current
