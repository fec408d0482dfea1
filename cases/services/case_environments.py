"""Which of the tenant's environments a case concerns (issue 9)."""

from tenants.models import Environment, Tenant


def tenant_environment_for_case(
    tenant: Tenant, environment_id: int | None, errors: dict[str, list[str]]
) -> Environment | None:
    """The tenant's own active environment with this id; anything else (another
    tenant's, a retired one, a guessed id) is a field error, not a lookup."""
    if environment_id in (None, ""):
        return None
    try:
        wanted = int(environment_id)
    except (TypeError, ValueError):
        wanted = 0
    environment = Environment.objects.filter(tenant=tenant, id=wanted, active=True).first()
    if environment is None:
        errors["tenant_environment_id"] = ["Choose one of your organisation's environments."]
    return environment
