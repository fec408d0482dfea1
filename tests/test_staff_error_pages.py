"""Refusals and missing pages under /admin/: staff get them in the admin's layout, naming
the role a page needs where it is known and linking back to their home; customers and
visitors keep the portal's pages (and never see an admin page at all)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("admin:cases_case_dashboard")
HOME = reverse("admin:index")


def test_engineer_opening_the_dashboard_gets_the_staff_403_naming_the_role(client, cast):
    client.force_login(cast.engineer)
    response = client.get(DASHBOARD)
    assert response.status_code == 403
    assert "admin/403.html" in [t.name for t in response.templates]
    body = response.content.decode()
    assert "Only a support manager may see the manager dashboard." in body
    assert f'href="{HOME}"' in body
    assert "SupportDesk staff" in body  # the admin's header, not the portal's
    assert "Go to your cases" not in body


def test_engineer_opening_triage_is_told_it_needs_a_triage_lead(client, cast):
    client.force_login(cast.engineer)
    response = client.get(reverse("admin:cases_case_triage"))
    assert response.status_code == 403
    assert "Only a triage lead may use the triage view." in response.content.decode()


def test_a_model_page_refused_by_permission_names_the_roles_that_hold_it(client, cast):
    """Adding a support plan is configuration: the page says managers may."""
    client.force_login(cast.engineer)
    response = client.get(reverse("admin:tenants_supportplan_add"))
    assert response.status_code == 403
    assert response.context["roles"] == ["Support manager"]
    assert "Support manager" in response.content.decode()


def test_staff_get_the_admin_404_for_an_address_that_leads_nowhere(client, cast):
    client.force_login(cast.engineer)
    response = client.get("/admin/no-such-page/")
    assert response.status_code == 404
    assert "admin/404.html" in [t.name for t in response.templates]
    assert f'href="{HOME}"' in response.content.decode()


def test_customers_keep_the_portals_pages(client, cast):
    client.force_login(cast.contact_a)
    response = client.get(DASHBOARD)
    assert response.status_code == 302  # the admin sends non-staff to sign in
    assert response["Location"].startswith(reverse("admin:login"))
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "404.html" in [t.name for t in response.templates]
    assert "admin/404.html" not in [t.name for t in response.templates]


def test_staff_outside_the_admin_get_the_portals_404(client, cast):
    client.force_login(cast.engineer)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "admin/404.html" not in [t.name for t in response.templates]
