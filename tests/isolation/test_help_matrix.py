"""The help centre's pages × every role: anonymous people are sent to sign in, staff to
the staff side, customers and partners read only what is published and public — never a
draft, a known issue's internal notes or its resolution note, nor anything of the staff.
(The generated matrix in test_isolation_matrix.py walks these routes too, for the
tenants' markers.)"""

import pytest
from django.test import Client
from django.urls import reverse

from knowledge.models import ArticleVote, KnownIssue
from tests.factories import PASSWORD, ArticleFactory, KnownIssueFactory, category

pytestmark = pytest.mark.django_db

STAFF_ONLY = "zqxStaffOnly7"
ROLES = (
    "anonymous",
    "contact_a",
    "contact_b",
    "partner_with_letter",
    "partner_without_letter",
    "engineer",
    "triage_lead",
    "manager",
)
READERS = {"contact_a", "contact_b", "partner_with_letter"}
STAFF = {"engineer", "triage_lead", "manager"}


@pytest.fixture
def world():
    article = ArticleFactory(title="Published help", product="Cloud", category=category("billing"))
    ArticleFactory(
        title=f"Draft {STAFF_ONLY}",
        body=f"Body {STAFF_ONLY}",
        product=f"Product {STAFF_ONLY}",
        category=category("secret", f"Category {STAFF_ONLY}"),
        is_published=False,
    )
    issue = KnownIssueFactory(
        title="Public issue", internal_notes=f"Notes {STAFF_ONLY}", stage="in_testing"
    )
    KnownIssueFactory(
        title="Resolved issue",
        stage=KnownIssue.Stage.RESOLVED,
        internal_notes=f"Notes {STAFF_ONLY}",
        resolution_note=f"Resolution {STAFF_ONLY}",
    )
    return {"article": article, "issue": issue}


def _urls(world) -> list[str]:
    return [
        reverse("portal:help"),
        reverse("portal:help") + "?q=draft",
        reverse("portal:help") + "?category=secret",
        reverse("portal:article", args=[world["article"].id]),
        reverse("portal:known_issues"),
        reverse("portal:known_issues") + "?view=resolved",
        reverse("portal:known_issue", args=[world["issue"].id]),
    ]


def _client(cast, role: str) -> Client:
    client = Client()
    if role != "anonymous":
        assert client.login(username=getattr(cast, role).username, password=PASSWORD)
    return client


@pytest.mark.parametrize("role", ROLES)
def test_help_pages_answer_each_role_and_never_show_staff_only_text(cast, world, role):
    client = _client(cast, role)
    failures = []
    for url in _urls(world):
        response = client.get(url)
        body = response.content.decode()
        if role == "anonymous":
            location = response.get("Location", "")
            if response.status_code != 302 or not location.startswith(reverse("portal:sign_in")):
                failures.append(f"{url}: {response.status_code} {location}, expected sign-in")
        elif role in STAFF:
            if response.status_code != 302 or response["Location"] != reverse("admin:index"):
                failures.append(f"{url}: {response.status_code}, expected the staff side")
        elif role == "partner_without_letter":
            if response.status_code != 403:
                failures.append(f"{url}: {response.status_code}, expected 403 (no letter)")
        elif response.status_code != 200:
            failures.append(f"{url}: {response.status_code}, expected 200")
        if STAFF_ONLY in body:
            failures.append(f"{url}: shows staff-only text")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("role", ROLES)
def test_only_readers_can_vote(cast, world, role):
    client = _client(cast, role)
    url = reverse("portal:article_vote", args=[world["article"].id])

    response = client.post(url, {"helpful": "yes"})

    expected = {
        "anonymous": reverse("portal:sign_in"),
        "partner_without_letter": None,  # 403: no letter for any tenant
        **{staff: reverse("admin:index") for staff in STAFF},
        **{reader: reverse("portal:article", args=[world["article"].id]) for reader in READERS},
    }[role]
    if expected is None:
        assert response.status_code == 403
    else:
        assert response.status_code == 302
        assert response["Location"].startswith(expected)
    voters = set(ArticleVote.objects.values_list("user__username", flat=True))
    assert voters == ({getattr(cast, role).username} if role in READERS else set())
