"""Macros in the staff admin: the editor saves through the macro services, the list shows
usage, archiving replaces deleting; the case page previews and applies a macro."""

import pytest
from django.urls import reverse

from cases import services
from cases.models import Comment, Macro, MacroStateAction, State
from cases.services import MacroFields
from tenants.roles import Role
from tests.cases.helpers import fresh, taken
from tests.factories import MacroFactory, UserFactory

pytestmark = pytest.mark.django_db

ADD = reverse("admin:cases_macro_add")
LIST = reverse("admin:cases_macro_changelist")


def _form(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "Need logs",
        "body": "Hello {customer_name}, please send the logs for {case_reference}.",
        "state_action": MacroStateAction.REQUEST_INFO,
        "priority": "",
        "priority_reason": "",
        "assign": "",
        "assign_to": "",
        "known_issue": "",
        "internal_note": "",
    }
    data.update(overrides)
    return data


def test_an_engineer_adds_a_personal_macro_even_when_posting_shared(client, cast):
    client.force_login(cast.engineer)
    response = client.post(ADD, _form(shared="on"))
    assert response.status_code == 302
    macro = Macro.objects.get()
    assert macro.owner == cast.engineer
    assert macro.state_action == MacroStateAction.REQUEST_INFO


def test_a_triage_lead_adds_a_shared_macro(client, cast):
    client.force_login(cast.triage_lead)
    assert client.post(ADD, _form(shared="on")).status_code == 302
    assert Macro.objects.get().is_shared


def test_the_editor_names_an_unknown_placeholder_and_saves_nothing(client, cast):
    client.force_login(cast.engineer)
    response = client.post(ADD, _form(body="Hi {first_name}"))
    assert response.status_code == 200
    assert "Unknown placeholder {first_name}" in response.content.decode()
    assert not Macro.objects.exists()


def test_the_list_shows_usage_and_only_the_users_own_personal_macros(client, cast):
    other = UserFactory(username="oli@support.test", roles=[Role.ENGINEER])
    MacroFactory(name="Shared greeting", usage_count=42)
    MacroFactory(name="Eve own", owner=cast.engineer)
    MacroFactory(name="Oli own", owner=other)
    client.force_login(cast.engineer)
    page = client.get(LIST).content.decode()
    assert "Shared greeting" in page
    assert "42" in page
    assert "Eve own" in page
    assert "Oli own" not in page


def test_an_engineer_may_not_change_a_shared_macro(client, cast):
    macro = MacroFactory(name="Shared")
    client.force_login(cast.engineer)
    change = reverse("admin:cases_macro_change", args=[macro.id])
    assert client.post(change, _form(name="Hijacked")).status_code == 403
    macro.refresh_from_db()
    assert macro.name == "Shared"


def test_another_engineers_personal_macro_cannot_be_opened(client, cast):
    other = UserFactory(username="oli@support.test", roles=[Role.ENGINEER])
    macro = MacroFactory(owner=other)
    client.force_login(cast.engineer)
    change = reverse("admin:cases_macro_change", args=[macro.id])
    response = client.get(change)
    assert response.status_code == 302  # the admin's "does not exist" redirect
    assert client.post(change, _form(name="Mine now")).status_code == 302
    macro.refresh_from_db()
    assert macro.name != "Mine now"


def test_archiving_keeps_the_macro_and_nothing_is_deletable(client, cast):
    macro = MacroFactory()
    client.force_login(cast.triage_lead)
    response = client.post(
        LIST, {"action": "archive", "_selected_action": [macro.id], "index": "0"}
    )
    assert response.status_code == 302
    macro.refresh_from_db()
    assert macro.is_archived
    delete = reverse("admin:cases_macro_delete", args=[macro.id])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert Macro.objects.filter(id=macro.id).exists()


# The case page


def _macro_url(case) -> str:
    return reverse("admin:cases_case_macro", args=[case.id])


def test_the_case_page_offers_shared_and_own_macros_only(client, cast):
    other = UserFactory(username="oli@support.test", roles=[Role.ENGINEER])
    case = taken(cast)
    MacroFactory(name="Shared greeting")
    MacroFactory(name="Eve own", owner=cast.engineer)
    MacroFactory(name="Oli own", owner=other)
    MacroFactory(name="Retired", is_archived=True)
    client.force_login(cast.engineer)
    page = client.get(reverse("admin:cases_case_change", args=[case.id])).content.decode()
    assert 'id="macro-picker"' in page
    assert "Shared greeting" in page
    assert "Eve own (personal)" in page
    assert "Oli" not in page
    assert "Retired" not in page


def test_preview_fragment_shows_the_rendered_reply_and_effects_and_writes_nothing(client, cast):
    case = fresh(taken(cast))
    macro = MacroFactory(
        body="About {case_reference}: fixed.", state_action=MacroStateAction.PROPOSE_SOLUTION
    )
    client.force_login(cast.engineer)
    response = client.get(
        _macro_url(case),
        {"macro": macro.id, "expected_version": case.version},
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert f"About {case.reference}: fixed." in body
    assert "Send the reply as a proposed solution." in body
    assert f'name="expected_version" value="{case.version}"' in body
    assert fresh(case).version == case.version


def test_apply_and_send_sends_the_edited_text_and_changes_the_state(client, cast):
    case = fresh(taken(cast))
    macro = MacroFactory(state_action=MacroStateAction.PROPOSE_SOLUTION)
    client.force_login(cast.engineer)
    response = client.post(
        _macro_url(case),
        {"macro": macro.id, "expected_version": case.version, "body": "Edited: restart it."},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:cases_case_change", args=[case.id])
    assert fresh(case).state == State.SOLUTION_PROPOSED
    assert Comment.objects.get(case=case, public=True, by_staff=True).body == "Edited: restart it."


def test_a_stale_page_is_refused_with_the_edited_text_kept(client, cast):
    case = fresh(taken(cast))
    macro = MacroFactory()
    services.case_comment(case_id=case.id, actor=cast.triage_lead, body="A colleague replied.")
    client.force_login(cast.engineer)
    response = client.post(
        _macro_url(case),
        {"macro": macro.id, "expected_version": case.version, "body": "My careful words."},
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert "changed by someone else" in page
    assert "My careful words." in page
    assert not Comment.objects.filter(case=case, author=cast.engineer).exists()


def test_another_engineers_personal_macro_cannot_be_previewed_or_applied(client, cast):
    other = UserFactory(username="oli@support.test", roles=[Role.ENGINEER])
    theirs = services.macro_create(actor=other, fields=MacroFields(name="Oli's", body="Hi."))
    case = fresh(taken(cast))
    client.force_login(cast.engineer)
    assert client.get(_macro_url(case), {"macro": theirs.id}).status_code == 404
    response = client.post(
        _macro_url(case), {"macro": theirs.id, "expected_version": case.version, "body": "Hi."}
    )
    assert response.status_code == 404
    assert fresh(case).version == case.version
