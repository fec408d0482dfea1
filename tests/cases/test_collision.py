"""Two engineers on one case: presence on the staff page, and writes that carry the
version their page showed (cases/presence.py, cases/services/collision.py)."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from cases import presence, services
from cases.models import Case, CaseEvent, CloseReason, Comment, State
from cases.presence import TTL_SECONDS, TYPING_SECONDS, presence_list, presence_touch
from cases.services import NewActivity
from supportdesk.errors import VersionConflict
from tenants.roles import Role
from tests.cases.helpers import reply_as_customer, taken
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 11, 23, 14, 30, tzinfo=dt.UTC)


@pytest.fixture
def colleague():
    """A second engineer on the same queue."""
    return UserFactory(
        username="ana@support.test", first_name="Ana", last_name="Lopes", roles=[Role.ENGINEER]
    )


def name(user) -> str:
    return user.get_full_name() or user.get_username()


def fresh(case: Case) -> Case:
    case.refresh_from_db()
    return case


def reply(cast, case: Case, seen: int, body: str = "Try clearing the cache.", public=True):
    return services.case_comment(
        case_id=case.id, actor=cast.engineer, body=body, public=public, seen_version=seen
    )


# --- The rule: which news stops a reply


def test_reply_is_stopped_by_a_newer_customer_reply_and_nothing_is_written(cast):
    case = taken(cast)
    seen = case.version
    reply_as_customer(cast, case, "It fails again with a 504.")
    before = (fresh(case).version, Comment.objects.count(), CaseEvent.objects.count())
    with pytest.raises(NewActivity) as refused:
        reply(cast, case, seen)
    assert [(a.who, a.text, a.public) for a in refused.value.activity] == [
        (name(cast.contact_a), "It fails again with a 504.", True)
    ]
    assert refused.value.current_version == before[0]
    assert isinstance(refused.value, VersionConflict)  # the API's 412 mapping holds
    assert (fresh(case).version, Comment.objects.count(), CaseEvent.objects.count()) == before


def test_reply_is_stopped_by_a_colleagues_public_reply(cast, colleague):
    case = taken(cast)
    seen = case.version
    services.case_comment(case_id=case.id, actor=colleague, body="Restart the worker, please.")
    with pytest.raises(NewActivity) as refused:
        reply(cast, case, seen)
    (news,) = refused.value.activity
    assert (news.who, news.text) == ("Ana Lopes", "Restart the worker, please.")


def test_reply_is_stopped_by_a_state_change(cast, colleague):
    case = taken(cast)
    seen = case.version
    services.case_request_info(case_id=case.id, actor=colleague, body="Send the HAR file.")
    with pytest.raises(NewActivity) as refused:
        reply(cast, case, seen)
    assert "In progress → Awaiting information" in refused.value.activity[0].what
    assert fresh(case).comments.count() == 1


def test_reply_is_not_stopped_by_a_colleagues_internal_note_or_a_priority_change(cast, colleague):
    case = taken(cast)
    seen = case.version
    services.case_comment(case_id=case.id, actor=colleague, body="Looks like DB.", public=False)
    services.case_change_priority(
        case_id=case.id, actor=colleague, priority="P1", reason="Production is down."
    )
    comment = reply(cast, case, seen)
    assert comment.public
    assert comment.author == cast.engineer


def test_own_reply_from_another_tab_does_not_stop_a_reply(cast):
    case = taken(cast)
    seen = case.version
    reply(cast, case, seen, "First answer.")
    assert reply(cast, case, seen, "And one more thing.").body == "And one more thing."


def test_send_anyway_with_the_version_the_refusal_showed_goes_through(cast):
    case = taken(cast)
    seen = case.version
    reply_as_customer(cast, case)
    with pytest.raises(NewActivity) as refused:
        reply(cast, case, seen)
    comment = reply(cast, case, refused.value.current_version)
    assert fresh(case).comments.filter(id=comment.id, public=True).exists()


def test_send_anyway_is_refused_again_when_more_happened_since_the_refusal(cast):
    case = taken(cast)
    seen = case.version
    reply_as_customer(cast, case, "One")
    with pytest.raises(NewActivity) as refused:
        reply(cast, case, seen)
    reply_as_customer(cast, case, "Two")
    with pytest.raises(NewActivity) as again:
        reply(cast, case, refused.value.current_version)
    assert [a.text for a in again.value.activity] == ["Two"]


def test_strict_action_refusal_lists_everything_since_including_internal_notes(cast, colleague):
    case = taken(cast)
    seen = case.version
    services.case_comment(case_id=case.id, actor=colleague, body="Checking logs.", public=False)
    version = fresh(case).version
    with pytest.raises(NewActivity) as refused:
        services.case_request_info(
            case_id=case.id, actor=cast.engineer, body="Need logs.", expected_version=seen
        )
    assert [(a.who, a.text, a.public) for a in refused.value.activity] == [
        ("Ana Lopes", "Checking logs.", False)
    ]
    assert (fresh(case).state, case.version) == (State.IN_PROGRESS, version)


def test_events_carry_the_version_their_change_made_closures_included(cast):
    case = taken(cast)
    services.case_comment(case_id=case.id, actor=cast.engineer, body="Fixed in 4.2.")
    assert case.events.latest("id").version == fresh(case).version
    services.case_close(
        case_id=case.id, actor=cast.engineer, reason=CloseReason.RESOLVED, note="Done."
    )
    closed = case.events.get(kind=CaseEvent.Kind.CLOSED)
    assert closed.version == fresh(case).version


def test_new_activity_counts_others_public_messages_and_state_changes_only(cast, colleague):
    case = taken(cast)
    seen = case.version
    services.case_comment(case_id=case.id, actor=colleague, body="Internal.", public=False)
    reply_as_customer(cast, case)
    services.case_comment(case_id=case.id, actor=cast.engineer, body="Mine.")
    assert services.new_activity_count(case, seen, besides=cast.engineer) == 1
    assert services.new_activity_count(case, fresh(case).version, besides=cast.engineer) == 0


def test_phone_attempt_is_stopped_by_the_customers_newer_reply_like_a_reply(cast, colleague):
    case = taken(cast)
    services.case_request_info(case_id=case.id, actor=cast.engineer, body="HAR file, please.")
    seen = fresh(case).version
    services.case_comment(case_id=case.id, actor=colleague, body="Still waiting.", public=False)
    attempt = services.case_log_phone_attempt(
        case_id=case.id, actor=cast.engineer, note="Voicemail.", seen_version=seen
    )
    assert attempt.number == 2
    seen = fresh(case).version
    services.case_comment(case_id=case.id, actor=colleague, body="Called too.", public=True)
    with pytest.raises(NewActivity):
        services.case_log_phone_attempt(
            case_id=case.id, actor=cast.engineer, note="Voicemail again.", seen_version=seen
        )


# --- Presence in the cache


def test_two_engineers_see_each_other_but_not_themselves(cast, colleague):
    case = taken(cast)
    assert presence_touch(case, cast.engineer)
    assert presence_touch(case, colleague)
    assert [(p.name, p.typing) for p in presence_list(case, cast.engineer)] == [
        ("Ana Lopes", False)
    ]
    assert [p.user_id for p in presence_list(case, colleague)] == [cast.engineer.id]


def test_presence_of_one_case_is_not_shown_on_another(cast, colleague):
    case, other = taken(cast), taken(cast, "Another case")
    presence_touch(case, colleague)
    assert presence_list(other, cast.engineer) == []


def test_typing_shows_and_lapses_while_the_viewer_stays(cast, colleague):
    case = taken(cast)
    with time_machine.travel(START, tick=False) as clock:
        presence_touch(case, colleague, typing=True)
        assert presence_list(case, cast.engineer)[0].typing
        clock.shift(TYPING_SECONDS - 5)
        presence_touch(case, colleague)  # the poll keeps a recent typing mark
        assert presence_list(case, cast.engineer)[0].typing
        clock.shift(6)
        presence_touch(case, colleague)
        assert [(p.name, p.typing) for p in presence_list(case, cast.engineer)] == [
            ("Ana Lopes", False)
        ]


def test_a_viewer_who_stops_polling_leaves_after_the_ttl(cast, colleague):
    case = taken(cast)
    with time_machine.travel(START, tick=False) as clock:
        presence_touch(case, colleague)
        presence_touch(case, cast.engineer)
        clock.shift(TTL_SECONDS - 5)
        presence_touch(case, cast.engineer)  # only the engineer keeps polling
        assert [p.name for p in presence_list(case, cast.engineer)] == ["Ana Lopes"]
        clock.shift(6)
        assert presence_list(case, cast.engineer) == []
        assert [p.user_id for p in presence_list(case, colleague)] == [cast.engineer.id]


class FailingCache:
    """A cache whose server is down."""

    def get(self, *args, **kwargs):
        raise ConnectionError("Redis is down")

    set = get


def test_cache_failure_makes_presence_unknown_and_the_page_still_works(client, cast, monkeypatch):
    case = taken(cast)
    monkeypatch.setattr(presence, "cache", FailingCache())
    assert presence_touch(case, cast.engineer) is False
    assert presence_list(case, cast.engineer) is None
    client.force_login(cast.engineer)
    page = client.get(reverse("admin:cases_case_change", args=[case.id]))
    assert page.status_code == 200
    assert b"unknown just now" in page.content
    poll = client.get(reverse("admin:cases_case_presence", args=[case.id]))
    assert poll.status_code == 200
    assert b"unknown just now" in poll.content
    sent = client.post(
        reverse("admin:cases_case_act", args=[case.id, "reply"]),
        {"reply-visibility": "public", "reply-body": "Still works.", "reply-expected_version": 2},
    )
    assert sent.status_code == 302
    assert case.comments.filter(body="Still works.").exists()


# --- The staff page: presence partial, reply form with its version, refusals


def presence_url(case: Case, version: int | None = None) -> str:
    url = reverse("admin:cases_case_presence", args=[case.id])
    return url if version is None else f"{url}?version={version}"


def act(client, case: Case, name: str, version: int, anyway: int | None = None, **fields):
    data = {f"{name}-{field}": value for field, value in fields.items()}
    data[f"{name}-expected_version"] = version
    if anyway is not None:
        data["send_anyway"] = anyway
    return client.post(reverse("admin:cases_case_act", args=[case.id, name]), data)


def test_case_page_shows_who_else_is_here_and_polls_for_it(client, cast, colleague):
    case = taken(cast)
    presence_touch(case, colleague, typing=True)
    client.force_login(cast.engineer)
    html = client.get(reverse("admin:cases_case_change", args=[case.id])).content.decode()
    assert "Also here:" in html
    assert 'Ana Lopes <em class="sd-typing">(typing a reply)</em>' in html
    assert f'hx-get="{presence_url(case, case.version)}"' in html
    assert 'hx-trigger="every 10s"' in html
    assert f'name="reply-expected_version" value="{case.version}"' in html


def test_presence_poll_records_the_poller_and_typing_ping_marks_typing(client, cast, colleague):
    case = taken(cast)
    client.force_login(colleague)
    assert client.post(presence_url(case), {"typing": "1"}).status_code == 200
    client.force_login(cast.engineer)
    poll = client.get(presence_url(case, case.version)).content.decode()
    assert "Ana Lopes" in poll
    assert "(typing a reply)" in poll
    assert [p.name for p in presence_list(case, colleague)] == [name(cast.engineer)]


def test_sending_the_reply_clears_the_typing_mark(client, cast, colleague):
    case = taken(cast)
    presence_touch(case, cast.engineer, typing=True)
    client.force_login(cast.engineer)
    sent = act(client, case, "reply", case.version, visibility="public", body="Fixed in 4.2.")
    assert sent.status_code == 302
    assert [(p.user_id, p.typing) for p in presence_list(case, colleague)] == [
        (cast.engineer.id, False)
    ]


def test_presence_poll_counts_new_activity_since_the_page_opened(client, cast, colleague):
    case = taken(cast)
    opened = case.version
    client.force_login(cast.engineer)
    assert b"new activit" not in client.get(presence_url(case, opened)).content
    services.case_comment(case_id=case.id, actor=colleague, body="Note.", public=False)
    assert b"new activit" not in client.get(presence_url(case, opened)).content
    reply_as_customer(cast, case)
    services.case_request_info(case_id=case.id, actor=colleague, body="Logs please.")
    poll = client.get(presence_url(case, opened)).content.decode()
    assert "2 new activities since you opened this page" in poll


def test_stale_reply_is_refused_with_the_new_reply_shown_and_the_text_kept(client, cast):
    case = taken(cast)
    opened = case.version
    reply_as_customer(cast, case, "Never mind, it works now.")
    client.force_login(cast.engineer)
    response = act(client, case, "reply", opened, visibility="public", body="Please try 4.2.")
    assert response.status_code == 409
    html = response.content.decode()
    assert "New since you opened this page" in html
    assert "Never mind, it works now." in html
    assert "Please try 4.2.</textarea>" in html
    current = fresh(case).version
    assert f'name="send_anyway" value="{current}"' in html
    assert not case.comments.filter(body="Please try 4.2.").exists()


def test_send_anyway_button_sends_the_kept_reply(client, cast):
    case = taken(cast)
    opened = case.version
    reply_as_customer(cast, case)
    client.force_login(cast.engineer)
    response = act(
        client,
        case,
        "reply",
        opened,
        anyway=fresh(case).version,
        visibility="public",
        body="Please try 4.2.",
    )
    assert response.status_code == 302
    assert case.comments.filter(body="Please try 4.2.", public=True).exists()


def test_stale_internal_note_page_is_not_refused_for_a_colleagues_note(client, cast, colleague):
    case = taken(cast)
    opened = case.version
    services.case_comment(case_id=case.id, actor=colleague, body="DB?", public=False)
    client.force_login(cast.engineer)
    response = act(client, case, "reply", opened, visibility="public", body="Fixed?")
    assert response.status_code == 302


def test_stale_action_is_refused_with_the_activity_and_can_be_done_anyway(client, cast, colleague):
    case = taken(cast)
    opened = case.version
    services.case_comment(case_id=case.id, actor=colleague, body="Checking logs.", public=False)
    client.force_login(cast.engineer)
    refused = act(client, case, "request_info", opened, body="Send the HAR file.")
    assert refused.status_code == 409
    html = refused.content.decode()
    assert "Checking logs." in html
    assert "Do it anyway" in html
    assert "Send the HAR file.</textarea>" in html
    assert fresh(case).state == State.IN_PROGRESS
    done = act(client, case, "request_info", opened, anyway=case.version, body="Send the HAR file.")
    assert done.status_code == 302
    assert fresh(case).state == State.AWAITING_INFORMATION


# --- Query budgets (figures recorded in the README's Collision section). Presence itself
# costs no query (the cache); of the poll's 9, 7 are every admin request's session, sign-in
# and role reads, then the case and, once the case moved on, the count of new activity.

# The case page: 16 of its own, the staff user's time zone (one read per admin request),
# the macros offered in the reply box and the reporting contact's phone. The poll: 7 for
# every admin request (session, sign-in, roles), the time zone, and the case.
CASE_PAGE_QUERIES = 19
PRESENCE_POLL_QUERIES = 10


def test_case_page_query_budget_with_presence_on(
    client, cast, colleague, django_assert_max_num_queries
):
    case = taken(cast)
    reply_as_customer(cast, case)
    presence_touch(case, colleague, typing=True)
    client.force_login(cast.engineer)
    page = reverse("admin:cases_case_change", args=[case.id])
    client.get(page)
    with django_assert_max_num_queries(CASE_PAGE_QUERIES):
        response = client.get(page)
    assert b"(typing a reply)" in response.content


def test_presence_poll_query_budget(client, cast, colleague, django_assert_max_num_queries):
    case = taken(cast)
    opened = case.version
    reply_as_customer(cast, case)
    presence_touch(case, colleague)
    client.force_login(cast.engineer)
    client.get(presence_url(case, opened))
    with django_assert_max_num_queries(PRESENCE_POLL_QUERIES):
        response = client.get(presence_url(case, opened))
    assert b"1 new activity" in response.content
