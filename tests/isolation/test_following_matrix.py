"""The isolation cells of following known issues and of email preferences, role by role:
only portal users follow (a known issue is public to every customer, so any of them may);
the preferences page is the signed-in user's own and changes nobody else's."""

import pytest
from django.test import Client
from django.urls import reverse

from knowledge.models import KnownIssueFollower
from notifications.models import NotificationPreference
from tests.factories import PASSWORD, KnownIssueFactory

pytestmark = pytest.mark.django_db

PORTAL_USERS = {"contact_a", "contact_b", "partner_with_letter"}
STAFF = {"engineer", "triage_lead", "manager"}
ROLES = ("anonymous", "partner_without_letter", *sorted(PORTAL_USERS), *sorted(STAFF))


def _client(cast, role: str) -> Client:
    client = Client()
    if role != "anonymous":
        assert client.login(username=getattr(cast, role).username, password=PASSWORD)
    return client


def _refused(role: str, response) -> bool:
    """Anonymous to sign-in, staff to the staff desk, no portal access: 403."""
    if role == "anonymous":
        return response["Location"].startswith(reverse("portal:sign_in"))
    if role in STAFF:
        return response["Location"] == reverse("admin:index")
    return response.status_code == 403


@pytest.mark.parametrize("role", ROLES)
def test_only_portal_users_follow_a_known_issue(cast, role):
    issue = KnownIssueFactory()
    response = _client(cast, role).post(reverse("portal:known_issue_follow", args=[issue.id]))
    follows = KnownIssueFollower.objects.filter(known_issue=issue)
    if role in PORTAL_USERS:
        assert response.status_code == 302
        assert list(follows.values_list("user_id", flat=True)) == [getattr(cast, role).id]
    else:
        assert _refused(role, response)
        assert not follows.exists()


@pytest.mark.parametrize("role", ROLES)
def test_unfollowing_touches_only_the_signed_in_users_follow(cast, role):
    issue = KnownIssueFactory()
    KnownIssueFollower.objects.create(known_issue=issue, user=cast.contact_a)
    response = _client(cast, role).post(reverse("portal:known_issue_unfollow", args=[issue.id]))
    still_following = KnownIssueFollower.objects.filter(user=cast.contact_a).exists()
    assert still_following is (role != "contact_a")
    if role not in PORTAL_USERS:
        assert _refused(role, response)


@pytest.mark.parametrize("role", ROLES)
def test_email_preferences_are_the_signed_in_users_own(cast, role):
    client = _client(cast, role)
    url = reverse("portal:email_preferences")
    page = client.get(url)
    saved = client.post(url, {"kinds": []})
    changed = set(NotificationPreference.objects.values_list("user_id", flat=True))
    if role in PORTAL_USERS:
        user = getattr(cast, role)
        assert page.status_code == 200
        assert user.email in page.content.decode()
        others = {cast.contact_a.email, cast.contact_b.email} - {user.email}
        assert not any(email in page.content.decode() for email in others)
        assert saved.status_code == 302
        assert changed == {user.id}
    else:
        assert _refused(role, page)
        assert _refused(role, saved)
        assert changed == set()
