"""What ends with a person's access to a tenant: a contact removed, a partner's letter
rescinded. Blocking is not enough, since access can come back (a re-grant, a new letter)
and must not bring old doors with it.

Here: the person's API tokens are revoked for good and their sessions end. The apps above
`tenants` close their own doors by receiving `access_ended` (cases takes the person's
watchers off the tenant's cases), since `tenants` may not import them; the signal is sent
inside the service's transaction, so a failing receiver rolls the whole change back.
"""

from collections.abc import Iterable

from django.dispatch import Signal

from supportdesk.types import User
from tenants.access import acting_pairs
from tenants.api_tokens import api_tokens_revoke_all
from tenants.models import Tenant
from tenants.sessions import user_sessions_end

access_ended = Signal()
"""Sent with `tenant_id`, `user_ids` (who lost access to that tenant) and `actor`."""


def access_end(
    *, actor: User, tenant: Tenant, users: Iterable[User], because: str
) -> frozenset[int]:
    """Close every door of the users who can no longer act for the tenant (someone who
    still may, e.g. as a contact as well as a partner, keeps theirs). Runs in the caller's
    transaction, after its change; returns the ids of the users concerned. `because` is
    shown beside the revoked tokens (e.g. "the letter was rescinded"), so it carries none
    of the customer's own words."""
    users = list(users)
    still_acting = acting_pairs([(user, tenant.id) for user in users])
    lost = frozenset(user.pk for user in users if (user.pk, tenant.id) not in still_acting)
    if not lost:
        return lost
    api_tokens_revoke_all(user_ids=lost, reason=f"Access to {tenant.name} ended: {because}.")
    user_sessions_end(user_ids=lost)
    access_ended.send(sender=Tenant, tenant_id=tenant.id, user_ids=lost, actor=actor)
    return lost
