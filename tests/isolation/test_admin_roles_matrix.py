"""Staff roles × every admin write, generated from the admin registry.

Every role (engineer, triage lead, manager, Security, a customer success manager named in
a tenant's account team, and a staff account with no role) posts to every add, change and
delete URL and runs every action of every ModelAdmin in `admin.site._registry`, on every
object of a world with an object of each model in a state where the write would succeed
(the outbox, the audit log, identity providers and their domains, invitations, session
cut-offs and API tokens included). Every staff account has a second step of sign-in, as tenants.mfa
requires, so what refuses a cell is the role and never the set-up page.
`MAY_WRITE` is the policy: what a role may write through the admin. Every other cell must
be refused (403, a redirect to sign-in, or a refusal message and no success) and leave every
row of the database as it was. A new ModelAdmin or action joins the matrix by itself and is
refused to everyone until the policy names it.

Below the matrix, the attacks of the security review, one test each: a letter's tenant or
partner changed, a letter recorded and approved by one person, a contact added over the
plan's limit, a removed contact brought back, a contact added on the Tenant page; and who
reads the audit log (managers and Security).
"""

import datetime as dt

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import SUCCESS, WARNING, get_messages
from django.contrib.sessions.models import Session
from django.db import connection, transaction
from django.db.models import Min
from django.forms import CheckboxInput, FileInput
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from cases import services as case_services
from cases.models import Case, GroupMembership, RoutingRule, SupportGroup
from cases.services import inbound_receive
from knowledge.models import ProductFeedback
from notifications.models import InboundEmail, Notification, NotificationPreference
from notifications.services import (
    webhook_endpoint_create,
    webhook_endpoint_disable,
    webhooks_emit,
)
from servicerequests import services as sr_services
from servicerequests.handlers import REGISTRY
from tenants import services
from tenants.models import (
    AccountRole,
    AgreedUpdateCadence,
    AuthorizedContact,
    ContactInvitation,
    ContactRequest,
    EnvironmentFlag,
    EscalationLevel,
    LetterOfAuthorization,
    NotificationAddress,
    SessionCutoff,
    Tenant,
)
from tenants.roles import Role
from tenants.services import (
    api_token_create,
    contact_invitation_resend,
    identity_provider_configure,
)
from tests.cases.helpers import file_case
from tests.factories import (
    PASSWORD,
    AccountTeamMemberFactory,
    AnnouncementFactory,
    ArticleFactory,
    CaseFactory,
    ContactFactory,
    EnvironmentFactory,
    KnownIssueFactory,
    LetterFactory,
    MacroFactory,
    PartnerFactory,
    ProductFlagFactory,
    RequestTypeFactory,
    SupportPhoneFactory,
    TenantFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

ROLES = ("engineer", "triage_lead", "manager", "security", "csm", "staff_without_role")

_CASE_WORK = {
    ("cases.case", "change"),  # the case page; its buttons call the case services
    ("cases.case", "assign_to_me"),
    ("cases.case", "change_priority"),
    ("cases.case", "request_information"),
    ("cases.case", "log_a_phone_contact_attempt"),
    ("cases.case", "propose_a_solution"),
    ("cases.case", "link_known_issue"),
    ("cases.case", "escalate_to_management"),
    ("cases.case", "close_with_reason"),
    ("cases.case", "transfer_to_group"),  # case_transfer
    # group_membership_set_available: an engineer's own availability in their groups.
    ("cases.supportgroup", "set_working"),
    ("cases.supportgroup", "set_away"),
    # A personal macro (macro_create); an engineer edits and archives only their own, and
    # the world's macros are the shared one and the superuser's personal one.
    ("cases.macro", "add"),
    ("cases.customerescalation", "acknowledge_escalation"),
    ("cases.customerescalation", "de-escalate"),
    ("cases.troubleshootingsession", "add"),
    ("notifications.inboundemail", "process_again"),
    ("servicerequests.servicerequest", "take"),
    ("servicerequests.servicerequest", "complete_the_next_step"),
    ("servicerequests.servicerequest", "reject_request"),
}
_OWN_PREFERENCES = {("notifications.notificationpreference", "add")}
_ENGINEER = (
    _CASE_WORK
    | _OWN_PREFERENCES
    | {
        ("tenants.letterofauthorization", "add"),  # letter_submit
        ("tenants.letterofauthorization", "reject_letter"),
        ("tenants.letterofauthorization", "rescind_letter"),  # on the customer's written word
        ("tenants.authorizedcontact", "add"),  # contact_grant
        ("tenants.authorizedcontact", "change"),  # contact_update
        ("tenants.authorizedcontact", "remove_contact"),
        ("tenants.authorizedcontact", "grant_again"),  # contact_grant
        ("tenants.authorizedcontact", "resend_invitation"),  # contact_invitation_resend
        ("tenants.contactrequest", "approve"),
        ("tenants.contactrequest", "reject_request"),
        ("knowledge.knownissue", "add"),
        ("knowledge.knownissue", "change"),
        ("knowledge.article", "add"),
        ("knowledge.article", "change"),
        ("notifications.announcement", "add"),
        ("notifications.announcement", "change"),
        ("notifications.announcement", "publish"),
    }
)
_TRIAGE_LEAD = _ENGINEER | {
    ("tenants.letterofauthorization", "approve"),  # not a letter they recorded
    ("cases.case", "assign_to"),
    ("cases.case", "merge_duplicates"),
    ("notifications.inboundemail", "accept_as_sender"),  # inbound_accept: vouches for mail
    ("knowledge.knownissue", "resolve_and_close_linked_cases"),
    ("knowledge.article", "publish"),
    ("knowledge.article", "unpublish"),
    # Shared macros are kept by triage leads (StaffAction.MANAGE_SHARED_MACROS).
    ("cases.macro", "change"),
    ("cases.macro", "archive"),
    ("cases.macro", "restore"),
}
_CONFIGURATION = {
    "tenants.supportplan",
    "tenants.category",
    "tenants.tenant",
    "tenants.partner",
    "tenants.environment",
    "tenants.productflag",
    "tenants.accountteammember",
    "tenants.accountrole",  # what each account role may do (a TAM escalates at once)
    "tenants.partnermember",  # partner_member_add / partner_member_update
    "sla.calendar",
    "servicerequests.requesttype",
    "cases.supportgroup",
    "cases.routingrule",
}
# A tenant's identity provider decides who signs in as its contacts: managers only
# (tenants.sso.identity_provider_configure).
_SINGLE_SIGN_ON = {("tenants.tenantidentityprovider", verb) for verb in ("add", "change")}
_MANAGER = (
    _TRIAGE_LEAD
    | _SINGLE_SIGN_ON
    | {("knowledge.productfeedback", "set_status")}
    # The outbox is the managers' alone (notifications.outbox.may_read_outbox).
    | {("notifications.notification", verb) for verb in ("retry", "mark_delivered", "resend_now")}
    # Webhook endpoints hear customers' cases (maybe every customer's): managers alone.
    | {
        ("notifications.webhookendpoint", verb)
        for verb in ("add", "change", "send_test_event", "enable", "disable")
    }
    | {(label, verb) for label in _CONFIGURATION for verb in ("add", "change")}
)
MAY_WRITE: dict[str, set[tuple[str, str]]] = {
    "engineer": _ENGINEER,
    "csm": _ENGINEER,
    "triage_lead": _TRIAGE_LEAD,
    "manager": _MANAGER,
    "security": _OWN_PREFERENCES
    | {
        # The next step of a request waiting for Security is Security's own.
        ("servicerequests.servicerequest", "complete_the_next_step"),
        ("servicerequests.servicerequest", "security:_approve_scope_and_dates"),
        ("servicerequests.servicerequest", "security:_sign_the_authorization"),
    },
    "staff_without_role": _OWN_PREFERENCES,
}

STRANGER_MAIL = (
    b"From: Stranger <stranger@elsewhere.test>\r\n"
    b"To: support@supportdesk.test\r\n"
    b"Subject: Please add me\r\n"
    b"Message-ID: <matrix-1@elsewhere.test>\r\n"
    b"\r\n"
    b"I would like access.\r\n"
)


def _staff(username: str, roles: list[Role]) -> object:
    """A staff account with a second step (tenants.mfa requires one), so what refuses a
    cell is the role, never the set-up page."""
    user = UserFactory(username=username, roles=roles, second_step=True)
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


@pytest.fixture
def people(cast) -> dict[str, object]:
    csm = _staff("carla@support.test", [Role.ENGINEER])
    AccountTeamMemberFactory(
        tenant=cast.tenant_a, role=AccountRole.CUSTOMER_SUCCESS_MANAGER, user=csm
    )
    return {
        "engineer": cast.engineer,
        "triage_lead": cast.triage_lead,
        "manager": cast.manager,
        "security": _staff("sam@support.test", [Role.SECURITY]),
        "csm": csm,
        "staff_without_role": _staff("nora@support.test", []),
    }


@pytest.fixture
def world(cast, people, django_capture_on_commit_callbacks) -> dict[str, object]:
    """An object of every registered model, each in a state where some write would
    succeed: a submitted letter, a pending request, open cases, a draft article …"""
    with django_capture_on_commit_callbacks(execute=False):
        submitted = services.letter_submit(
            actor=cast.partner_without_letter,
            partner_id=cast.partner_without_letter.partner_membership.partner_id,
            tenant_id=cast.tenant_a.id,
            signatory_name="Gina Acme",
            signatory_title="CTO",
            signed_on=dt.date(2026, 3, 1),
        )
        LetterFactory(partner=PartnerFactory(), tenant=cast.tenant_b, status="rescinded")
        removed = ContactFactory(tenant=cast.tenant_b)
        api_token_create(actor=cast.contact_a, name="Monitoring")
        api_token_create(actor=removed.user, name="CI alerts")  # revoked by the removal
        services.contact_remove(actor=cast.contact_b, contact_id=removed.id, reason="Left")
        removed_by_staff = ContactFactory(tenant=cast.tenant_b)
        services.contact_remove(actor=cast.engineer, contact_id=removed_by_staff.id, reason="Oops")
        services.contact_request_create(
            actor=cast.contact_a,
            tenant_id=cast.tenant_a.id,
            first_name="Carl",
            last_name="Acme",
            email="carl@acme.test",
            training_completed="Admin Essentials",
        )
        identity_provider_configure(
            actor=cast.manager,
            tenant_id=cast.tenant_b.id,
            name="Globex Okta",
            issuer="https://login.globex.test",
            client_id="supportdesk",
            client_secret="globex-client-secret",
            email_domains="globex.test, globex.co.uk",
        )
        # A contact invited to choose a password (the first link superseded by a resend),
        # at a third customer so that Acme's and Globex's contact limits keep their room.
        invited = services.contact_grant(
            actor=cast.engineer,
            tenant_id=TenantFactory(name="Initrode").id,
            user=UserFactory(username="ivy@initrode.test", password=None),
            certification="Admin Essentials",
        )
        contact_invitation_resend(actor=cast.engineer, contact_id=invited.id)
        # The outbox holds that invitation (a secret link) and a message that failed.
        Notification.objects.filter(recipient="ivy@initrode.test").update(
            status=Notification.Status.FAILED, attempts=5, last_error="550 No such mailbox"
        )
        # The superseded invitation's last attempt stopped after DATA began: its outcome
        # is unknown (mark delivered / send again now).
        Notification.objects.filter(
            id=Notification.objects.filter(recipient="ivy@initrode.test").order_by("id")[0].id
        ).update(status=Notification.Status.SENT_UNKNOWN, data_started_at=timezone.now())
        NotificationAddress.objects.create(tenant=cast.tenant_a, email="ops@acme.test")
        EscalationLevel.objects.create(
            tenant=cast.tenant_a, level=1, role_id="csm", rise_after="4bh"
        )
        environment = EnvironmentFactory(tenant=cast.tenant_a, name="Production")
        EnvironmentFlag.objects.create(environment=environment, flag=ProductFlagFactory())
        for code in REGISTRY:
            RequestTypeFactory(code=code, plans=[cast.tenant_a.plan])
        # Three security-testing requests: one submitted, one waiting for Security's
        # approval (review done), one for its sign-off (approved).
        steps_done = ([], ["review"], ["review", "security_approval"])
        for done in steps_done:
            security_testing = sr_services.service_request_submit(
                actor=cast.contact_a,
                tenant_id=cast.tenant_a.id,
                type_code="security_testing",
                data={
                    "environment": environment.id,
                    "scope": "https://acme.example.test",
                    "starts_on": str(timezone.localdate() + dt.timedelta(days=30)),
                    "ends_on": str(timezone.localdate() + dt.timedelta(days=34)),
                    "testing_organisation": "Redteam Ltd",
                    "contact_name": "Rita Red",
                    "contact_email": "rita@redteam.test",
                },
            )
            if done:
                sr_services.service_request_start(
                    actor=cast.engineer, request_id=security_testing.id
                )
            for step in done:
                sr_services.service_request_step_done(
                    actor=people["security" if step.startswith("security") else "engineer"],
                    request_id=security_testing.id,
                    step_code=step,
                )
        issue = KnownIssueFactory()
        open_case = file_case(
            cast,
            "Export fails",
            environment_access="refused",
            steps_to_reproduce="Export.",
            expected_result="A file.",
            actual_result="Error.",
        )
        CaseFactory(tenant=cast.tenant_b, known_issue=issue)
        case_services.case_escalate_by_customer(
            case_id=open_case.id, actor=cast.contact_a, reason="Nobody answers."
        )
        case_services.session_propose(
            actor=cast.engineer,
            case_id=open_case.id,
            starts=[timezone.now() + dt.timedelta(days=3)],
        )
        worked = CaseFactory(tenant=cast.tenant_a, state="in_progress", owner=cast.engineer)
        waiting = CaseFactory(tenant=cast.tenant_a, state="in_progress", owner=cast.engineer)
        case_services.case_request_info(case_id=waiting.id, actor=cast.engineer, body="Logs?")
        closed = CaseFactory(tenant=cast.tenant_a, state="in_progress", owner=cast.engineer)
        case_services.case_transfer_enhancement(
            case_id=closed.id, actor=cast.engineer, title="Dark mode", description="Please."
        )
        # Support groups: Eve (and the superuser) away in one and working in the other, so
        # either availability action changes a row; a rule routing to the first.
        away = SupportGroup.objects.create(name="Tier 2")
        working = SupportGroup.objects.create(name="Product owners")
        for user in (cast.engineer, _root()):
            GroupMembership.objects.create(group=away, user=user, is_available=False)
            GroupMembership.objects.create(group=working, user=user, is_available=True)
        RoutingRule.objects.create(name="Outages", group=away, categories=["outage"])
        # A shared macro (first: the add cells post its page) and the superuser's own.
        MacroFactory(name="Shared greeting")
        MacroFactory(name="Root's own", owner=_root(), is_archived=True)
        ArticleFactory(is_published=False)
        ArticleFactory(is_published=True)
        AnnouncementFactory(published=False)
        # The plan's regional numbers and a cadence agreed with the customer: inlines of
        # the plan and tenant pages, which only managers change.
        SupportPhoneFactory(plan=cast.tenant_a.plan, region="Americas", countries=["US"])
        AgreedUpdateCadence.objects.create(
            tenant=cast.tenant_a, priority_code="P1", update_interval="2h"
        )
        inbound_receive(STRANGER_MAIL, source=InboundEmail.Source.PIPE)
        # A webhook endpoint of Acme's with an event waiting, and one disabled for failing.
        webhook_endpoint_create(
            actor=cast.manager,
            name="Acme ops",
            url="https://hooks.acme.test/in",
            events=["case.created"],
            tenant=cast.tenant_a,
        )
        webhooks_emit(kind="case.created", tenant_id=cast.tenant_a.id, data={}, dedup_key="w")
        failing = webhook_endpoint_create(
            actor=cast.manager,
            name="All",
            url="https://hooks.desk.test/in",
            events=["case.created"],
        ).endpoint
        webhook_endpoint_disable(actor=cast.manager, endpoint_id=failing.id)
        NotificationPreference.objects.create(
            user=cast.contact_a, event="case_assigned", enabled=True
        )
        _root()
        axes = {"user_agent": "test", "ip_address": "127.0.0.1", "username": "x@acme.test"}
        axes |= {"http_accept": "*/*", "path_info": "/accounts/sign-in/"}
        AccessAttempt.objects.create(**axes, get_data="", post_data="", failures_since_start=1)
        AccessLog.objects.create(**axes)
        AccessFailureLog.objects.create(**axes)
    assert ProductFeedback.objects.exists()
    # Removals ended sessions; invitations are open and superseded.
    assert SessionCutoff.objects.exists()
    assert ContactInvitation.objects.filter(ended_at__isnull=True).exists()
    assert ContactInvitation.objects.filter(ended_at__isnull=False).exists()
    return {"submitted_letter": submitted, "removed_contact": removed, "worked_case": worked}


def _root() -> object:
    """The superuser, with a second step as every staff account has."""
    root = get_user_model().objects.filter(username="root@support.test").first()
    if root is None:
        root = get_user_model().objects.create_superuser(
            "root@support.test", "root@x.test", PASSWORD
        )
        TOTP.activate(root, generate_totp_secret())
    return root


def _client(user: object) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def _snapshot() -> dict[str, list]:
    """Every row of every table (many-to-many links included), column by column; not the
    sessions, nor the permission and content-type catalogues, which no admin edits. Plain
    SQL: the matrix takes a snapshot after every cell."""
    quote = connection.ops.quote_name
    rows = {}
    with connection.cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            if model in (Session, Permission, ContentType):
                continue
            cursor.execute(f"SELECT * FROM {quote(model._meta.db_table)} ORDER BY 1")  # noqa: S608
            rows[model._meta.label] = cursor.fetchall()
    return rows


def _changed(before: dict[str, list]) -> list[str]:
    after = _snapshot()
    return [label for label, rows in after.items() if rows != before.get(label)]


def _form_data(response: object) -> dict[str, object]:
    """What a browser would post back from an admin form page, unchanged."""
    context = response.context or {}
    forms = [context["adminform"].form] if "adminform" in context else []
    data: dict[str, object] = {}
    for inline in context.get("inline_admin_formsets", []):
        data.update({f.html_name: f.value() for f in inline.formset.management_form})
        forms.extend(inline.formset.forms)
    for form in forms:
        for field in form:
            widget = field.field.widget
            while isinstance(widget, RelatedFieldWidgetWrapper):
                widget = widget.widget
            if isinstance(widget, FileInput):
                continue
            if isinstance(widget, CheckboxInput):
                if field.value():
                    data[field.html_name] = "on"
                continue
            rendered = widget.get_context(field.html_name, field.value(), {})["widget"]
            for part in rendered.get("subwidgets") or [rendered]:
                value = part["value"]
                data[part["name"]] = "" if value is None else value
    return data


def _refusal(response: object, action: str = "") -> str:
    """Empty when the response is a refusal; else what it was. An action the list does
    not offer the role is ignored by the admin, which shows the list again."""
    login = reverse("admin:login")
    if response.status_code == 403:
        return ""
    if response.status_code == 302 and response["Location"].startswith(login):
        return ""
    if action and response.status_code == 200 and "cl" in (response.context or {}):
        action_form = response.context.get("action_form")
        offered = dict(action_form.fields["action"].choices) if action_form else {}
        if action not in offered:
            return ""
    levels = [message.level for message in get_messages(response.wsgi_request)]
    if any(level >= WARNING for level in levels) and SUCCESS not in levels:
        return ""
    return f"{response.status_code} with messages at levels {levels}"


def _action_data(name: str, pks: list[str], people: dict[str, object]) -> dict[str, object]:
    """A complete form for every action, so only the role can be what refuses it."""
    from knowledge.models import KnownIssue

    issue = KnownIssue.objects.filter(resolved_at__isnull=True).first()
    if name == "merge_duplicates":  # one customer's open cases, into the one being worked
        open_cases = Case.objects.filter(tenant__name="Acme Corp").exclude(state="closed")
        pks = [str(pk) for pk in open_cases.order_by("-state").values_list("pk", flat=True)]
    return {
        "action": name,
        "_selected_action": pks,
        "index": "0",
        "apply": "1",
        "action_text": "Asked in writing by the matrix.",
        "owner": str(people["engineer"].pk),
        "priority": "P1",
        "reason": "resolved" if name == "close_with_reason" else "Asked by the matrix.",
        "note": "Asked by the matrix.",
        "known_issue": str(issue.pk) if issue else "",
        "status": ProductFeedback.Status.PLANNED,
        "into": pks[0] if pks else "",
        "group": str(SupportGroup.objects.order_by("id").values_list("id", flat=True).first()),
    }


def _identity_provider_to_add() -> dict[str, object]:
    """What a provider's change page does not show (its tenant, read-only once set; its
    write-only secret), for a customer without one, with domains nobody claims."""
    tenant = Tenant.objects.filter(identity_provider__isnull=True).order_by("id").first()
    return {"tenant": tenant.id, "client_secret": "new-secret", "email_domains": "acme.test"}


# The add cells post the first object's change page to the add URL; these complete it
# where that page leaves out what only an add form asks for, so the form itself is valid.
_ADD_ONLY = {"tenants.tenantidentityprovider": _identity_provider_to_add}


# The audit log holds an entry for every write and read of the world (hundreds), and its
# admin decides by role alone: one entry of each kind (create, update, access …) stands
# for the rest.
_ONE_OF_EACH = {"audit.auditentry": "action"}


def _cells(model_admin: admin.ModelAdmin) -> tuple[str, list[str], list[str]]:
    meta = model_admin.model._meta
    rows = model_admin.model._default_manager
    if field := _ONE_OF_EACH.get(meta.label_lower):
        firsts = rows.order_by().values(field).annotate(first=Min("pk"))
        pks = sorted(str(pk) for pk in firsts.values_list("first", flat=True))
    else:
        pks = [str(pk) for pk in rows.values_list("pk", flat=True)]
    actions = [name for _, name, _ in model_admin._get_base_actions()]
    return f"{meta.app_label}_{meta.model_name}", pks, actions


@pytest.mark.parametrize("role", ROLES)
def test_every_admin_write_a_role_may_not_make_is_refused_and_changes_nothing(
    cast, people, world, role
):
    root, actor = _client(_root()), _client(people[role])
    allowed = MAY_WRITE[role]
    cells: list[tuple[str, str, str, dict]] = []
    for model, model_admin in admin.site._registry.items():
        label = model._meta.label_lower
        prefix, pks, actions = _cells(model_admin)
        if (label, "add") not in allowed:
            url = reverse(f"admin:{prefix}_add")
            data = _form_data(root.get(reverse(f"admin:{prefix}_change", args=[pks[0]])))
            cells.append((label, "add", url, data | _ADD_ONLY.get(label, dict)()))
        for pk in pks:
            change = reverse(f"admin:{prefix}_change", args=[pk])
            if (label, "change") not in allowed:
                cells.append((label, f"change #{pk}", change, _form_data(root.get(change))))
            if (label, "delete") not in allowed:
                delete = reverse(f"admin:{prefix}_delete", args=[pk])
                cells.append((label, f"delete #{pk}", delete, {"post": "yes"}))
        changelist = reverse(f"admin:{prefix}_changelist")
        for name in actions:
            if (label, name) not in allowed:
                cells.append((label, f"action {name}", changelist, _action_data(name, pks, people)))
    # After the superuser's reads of every form (the audit log records them), before the
    # role's first write.
    before = _snapshot()
    failures: list[str] = []
    for label, what, url, data in cells:
        actor.cookies.pop("messages", None)  # each cell reads only its own messages
        response = actor.post(url, data)
        if problem := _refusal(response, data.get("action", "")):
            failures.append(f"{role} {label} {what}: not refused ({problem})")
        if changed := _changed(before):
            failures.append(f"{role} {label} {what}: changed {changed}")
            before = _snapshot()
    assert not failures, "\n".join(failures)


def test_the_matrix_reaches_every_model_and_action(world):
    labels = {model._meta.label_lower for model in admin.site._registry}
    assert {"tenants.letterofauthorization", "tenants.authorizedcontact"} <= labels
    for model, model_admin in admin.site._registry.items():
        _, pks, _ = _cells(model_admin)
        assert pks, f"the world has no {model._meta.label} to write to"
    letters = admin.site._registry[LetterOfAuthorization]
    assert {"approve", "reject_letter", "rescind_letter"} <= set(_cells(letters)[2])
    policy = {verb for rules in MAY_WRITE.values() for _, verb in rules}
    assert policy <= {"add", "change"} | {
        name for ma in admin.site._registry.values() for _, name, _ in ma._get_base_actions()
    }, "the policy names an action the admin does not have"


# --- The attacks of the security review, one by one.


def _letter_page(letter: LetterOfAuthorization) -> str:
    return reverse("admin:tenants_letterofauthorization_change", args=[letter.id])


def _letter_row(letter_id: int) -> tuple:
    return LetterOfAuthorization.objects.values_list(
        "tenant_id", "partner_id", "signatory_name", "status", "reviewed_by_id"
    ).get(id=letter_id)


@pytest.mark.parametrize("role", ["engineer", "triage_lead", "manager"])
@pytest.mark.parametrize("field", ["tenant", "partner", "signatory_name"])
def test_active_letter_cannot_be_moved_to_another_tenant_or_partner(cast, people, role, field):
    """An engineer moved an active letter to another tenant: the partner then acted for a
    customer that never signed."""
    client = _client(people[role])
    page = _letter_page(cast.letter)
    data = _form_data(_client(_root()).get(page))
    data[field] = {
        "tenant": cast.tenant_b.id,
        "partner": PartnerFactory(name="Umbrella Partners").id,
        "signatory_name": "Someone Else",
    }[field]
    before = _letter_row(cast.letter.id)
    response = client.post(page, data)
    assert response.status_code == 403
    assert _letter_row(cast.letter.id) == before


def test_rescinded_letter_cannot_be_pointed_at_another_tenant(cast, people):
    services.letter_rescind(actor=cast.contact_a, letter_id=cast.letter.id, reason="Ended")
    page = _letter_page(cast.letter)
    data = _form_data(_client(_root()).get(page)) | {"tenant": cast.tenant_b.id}
    before = _letter_row(cast.letter.id)
    assert _client(people["manager"]).post(page, data).status_code == 403
    assert _letter_row(cast.letter.id) == before


def _record_letter(client: Client, cast, tenant_id: int) -> object:
    return client.post(
        reverse("admin:tenants_letterofauthorization_add"),
        {
            "partner": cast.partner_without_letter.partner_membership.partner_id,
            "tenant": tenant_id,
            "signatory_name": "Gina Globex",
            "signatory_title": "CTO",
            "signed_on": "2026-03-01",
        },
    )


def _approve(client: Client, letter: LetterOfAuthorization) -> object:
    return client.post(
        reverse("admin:tenants_letterofauthorization_changelist"),
        {"action": "approve", "_selected_action": [letter.id], "index": "0"},
    )


def _messages(response: object) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_engineer_records_a_letter_through_the_service_but_cannot_approve_it(cast, people):
    client = _client(people["engineer"])
    assert _record_letter(client, cast, cast.tenant_b.id).status_code == 302
    letter = LetterOfAuthorization.objects.get(tenant=cast.tenant_b)
    assert letter.submitted_by == people["engineer"]
    assert letter.status == LetterOfAuthorization.Status.SUBMITTED
    response = _approve(client, letter)
    assert response.status_code == 302
    assert "No action selected." in _messages(response)
    letter.refresh_from_db()
    assert letter.status == LetterOfAuthorization.Status.SUBMITTED
    assert letter.reviewed_by is None


def test_nobody_approves_a_letter_they_recorded(cast, people):
    """Four eyes: the triage lead who recorded the letter is refused, another approves."""
    lead = _client(people["triage_lead"])
    _record_letter(lead, cast, cast.tenant_b.id)
    letter = LetterOfAuthorization.objects.get(tenant=cast.tenant_b)
    response = _approve(lead, letter)
    assert any("another triage lead or manager" in text for text in _messages(response))
    letter.refresh_from_db()
    assert letter.status == LetterOfAuthorization.Status.SUBMITTED
    assert not cast.partner_without_letter.partner_membership.partner.letters.filter(
        status="active"
    ).exists()
    _approve(_client(people["manager"]), letter)
    letter.refresh_from_db()
    assert letter.status == LetterOfAuthorization.Status.ACTIVE
    assert letter.reviewed_by == people["manager"]


def test_recorded_letter_is_read_only_from_then_on(cast, people):
    _record_letter(_client(people["engineer"]), cast, cast.tenant_b.id)
    letter = LetterOfAuthorization.objects.get(tenant=cast.tenant_b)
    response = _client(people["manager"]).get(_letter_page(letter))
    assert response.status_code == 200
    assert "adminform" in response.context
    assert not response.context["adminform"].form.fields
    assert not response.context["has_change_permission"]


def test_letter_admin_shows_the_services_refusal_and_records_nothing(cast, people):
    client = _client(people["engineer"])
    assert _record_letter(client, cast, cast.tenant_a.id).status_code == 302
    response = _record_letter(client, cast, cast.tenant_a.id)
    assert any("already has an open letter" in text for text in _messages(response))
    assert LetterOfAuthorization.objects.filter(tenant=cast.tenant_a).count() == 2


def _contacts(tenant) -> list[tuple]:
    return list(
        AuthorizedContact.objects.filter(tenant=tenant)
        .order_by("id")
        .values_list("user_id", "is_active", "removed_at")
    )


def _add_contact(client: Client, tenant, user) -> object:
    return client.post(
        reverse("admin:tenants_authorizedcontact_add"),
        {
            "tenant": tenant.id,
            "user": user.id,
            "certification": "Admin Essentials",
            "effective_from": "2026-01-01",
        },
    )


@pytest.mark.parametrize("role", ["engineer", "manager"])
def test_contact_added_in_the_admin_keeps_the_plans_limit(cast, people, role):
    ContactFactory(tenant=cast.tenant_a)  # the plan allows 2
    before = _contacts(cast.tenant_a)
    response = _add_contact(_client(people[role]), cast.tenant_a, UserFactory())
    assert response.status_code == 302
    assert any("already has 2 of the 2 portal contacts" in t for t in _messages(response))
    assert _contacts(cast.tenant_a) == before


def test_contact_added_in_the_admin_goes_through_contact_grant(cast, people):
    user = UserFactory(username="new@acme.test")
    assert _add_contact(_client(people["engineer"]), cast.tenant_a, user).status_code == 302
    contact = AuthorizedContact.objects.get(tenant=cast.tenant_a, user=user)
    assert contact.is_active
    assert contact.has_portal_access


def _grant_again(client: Client, contact: AuthorizedContact) -> object:
    return client.post(
        reverse("admin:tenants_authorizedcontact_changelist"),
        {"action": "grant_again", "_selected_action": [contact.id], "index": "0"},
    )


@pytest.mark.parametrize("role", ["engineer", "manager"])
def test_contact_the_customer_removed_cannot_be_reactivated_by_staff(cast, people, role):
    colleague = ContactFactory(tenant=cast.tenant_a)
    services.contact_remove(actor=cast.contact_a, contact_id=colleague.id, reason="Left")
    client = _client(people[role])
    page = reverse("admin:tenants_authorizedcontact_change", args=[colleague.id])
    data = _form_data(_client(_root()).get(page)) | {"is_active": "on"}
    before = _contacts(cast.tenant_a)
    assert client.post(page, data).status_code == 403
    response = _grant_again(client, colleague)
    assert any("only a contact request from the customer" in t for t in _messages(response))
    response = _add_contact(client, cast.tenant_a, colleague.user)
    assert "already a contact of this customer" in response.content.decode()
    assert _contacts(cast.tenant_a) == before


def test_removed_contact_comes_back_through_the_customers_request(cast, people):
    colleague = ContactFactory(tenant=cast.tenant_a, user=UserFactory(username="cy@acme.test"))
    services.contact_remove(actor=cast.contact_a, contact_id=colleague.id, reason="Left")
    request = services.contact_request_create(
        actor=cast.contact_a,
        tenant_id=cast.tenant_a.id,
        first_name="Cy",
        last_name="Acme",
        email="cy@acme.test",
        training_completed="Admin Essentials",
    )
    services.contact_request_approve(actor=cast.engineer, request_id=request.id)
    colleague.refresh_from_db()
    assert colleague.is_active
    assert colleague.removed_by is None


def test_contact_staff_removed_comes_back_within_the_limit(cast, people):
    colleague = ContactFactory(tenant=cast.tenant_a)
    services.contact_remove(actor=cast.engineer, contact_id=colleague.id, reason="Mistake")
    replacement = ContactFactory(tenant=cast.tenant_a)
    response = _grant_again(_client(people["engineer"]), colleague)
    assert any("already has 2 of the 2 portal contacts" in t for t in _messages(response))
    colleague.refresh_from_db()
    assert not colleague.is_active
    services.contact_remove(actor=cast.engineer, contact_id=replacement.id, reason="Swap")
    _grant_again(_client(people["engineer"]), colleague)
    colleague.refresh_from_db()
    assert colleague.is_active
    assert colleague.removed_at is None


def test_contact_cannot_be_moved_to_another_tenant_or_user(cast, people):
    contact = AuthorizedContact.objects.get(user=cast.contact_a)
    page = reverse("admin:tenants_authorizedcontact_change", args=[contact.id])
    data = _form_data(_client(_root()).get(page))
    data |= {"tenant": cast.tenant_b.id, "user": cast.contact_b.id, "certification": "Expert"}
    assert _client(people["engineer"]).post(page, data).status_code == 302
    contact.refresh_from_db()
    assert (contact.tenant, contact.user) == (cast.tenant_a, cast.contact_a)
    assert contact.certification == "Expert"  # contact_update: the details only


def test_contact_cannot_be_added_through_the_tenant_page(cast, people):
    page = reverse("admin:tenants_tenant_change", args=[cast.tenant_a.id])
    data = _form_data(_client(_root()).get(page))
    stranger = UserFactory(username="mallory@elsewhere.test")
    data |= {
        "contacts-TOTAL_FORMS": int(data["contacts-TOTAL_FORMS"]) + 1,
        "contacts-1-user": stranger.id,
        "contacts-1-certification": "Admin Essentials",
        "contacts-1-effective_from": "2026-01-01",
    }
    ContactFactory(tenant=cast.tenant_a)  # the plan's 2 slots are taken
    before = _contacts(cast.tenant_a)
    response = _client(people["manager"]).post(page, data)
    assert response.status_code == 302  # the manager may save the tenant: the row is ignored
    assert _contacts(cast.tenant_a) == before
    assert not AuthorizedContact.objects.filter(user=stranger).exists()


@pytest.mark.parametrize("field", ["email", "tenant"])
def test_contact_request_cannot_be_edited_before_approval(cast, people, field):
    """What staff approve is what the customer asked for."""
    request = services.contact_request_create(
        actor=cast.contact_a,
        tenant_id=cast.tenant_a.id,
        first_name="Carl",
        last_name="Acme",
        email="carl@acme.test",
        training_completed="Admin Essentials",
    )
    page = reverse("admin:tenants_contactrequest_change", args=[request.id])
    data = _form_data(_client(_root()).get(page))
    data[field] = {"email": "mallory@elsewhere.test", "tenant": cast.tenant_b.id}[field]
    assert _client(people["engineer"]).post(page, data).status_code == 403
    request.refresh_from_db()
    assert (request.email, request.tenant) == ("carl@acme.test", cast.tenant_a)


def test_staff_cannot_invent_a_contact_request(cast, people):
    response = _client(people["engineer"]).post(
        reverse("admin:tenants_contactrequest_add"),
        {
            "tenant": cast.tenant_a.id,
            "requested_by": cast.contact_a.id,
            "first_name": "Mal",
            "last_name": "Lory",
            "email": "mallory@elsewhere.test",
            "training_completed": "None",
            "effective_from": "2026-01-01",
        },
    )
    assert response.status_code == 403
    assert not ContactRequest.objects.exists()


def test_the_world_lets_every_action_do_something(cast, people, world):
    """The matrix's refusals mean something only if each action would change a row here:
    the superuser runs each one on the world's objects (rolled back after each) and
    something changes."""
    root = _client(_root())
    idle = []
    for model, model_admin in admin.site._registry.items():
        # django-axes' own clean-up needs its middleware, which the tests switch off.
        if model._meta.app_label == "axes":
            continue
        prefix, pks, actions = _cells(model_admin)
        changelist = reverse(f"admin:{prefix}_changelist")
        for name in actions:
            if name == "delete_selected":
                continue
            before = _snapshot()
            with transaction.atomic():  # each action starts from the same world
                root.post(changelist, _action_data(name, pks, people))
                if not _changed(before):
                    idle.append(f"{model._meta.label_lower} {name}")
                transaction.set_rollback(True)
    assert not idle, "actions with nothing to do in the world:\n" + "\n".join(idle)


AUDIT_READERS = {"manager", "security"}


@pytest.mark.parametrize("role", ROLES)
def test_the_audit_log_is_read_by_managers_and_security_only(cast, people, world, role):
    """The staff roles of the matrix (the CSM and a staff account with no role included)
    on the audit log's list, an entry and the export: managers and Security read them,
    the others are refused and the log stays as it was; nobody's reading changes any
    other row."""
    entry = AuditEntry.objects.filter(tenant=cast.tenant_a).order_by("id").first()
    client = _client(people[role])
    of_acme = f"?tenant__id__exact={cast.tenant_a.id}"
    pages = {
        "list": reverse("admin:audit_auditentry_changelist") + of_acme,
        "entry": reverse("admin:audit_auditentry_change", args=[entry.pk]),
        "export": reverse("admin:audit_auditentry_export") + of_acme,
    }
    for page, url in pages.items():
        before = _snapshot()
        response = client.get(url)
        changed = _changed(before)
        if role in AUDIT_READERS:
            assert response.status_code == 200, page
            if page == "export":
                assert response["Content-Type"] == "text/csv"
                assert entry.object_repr in b"".join(response.streaming_content).decode()
            # An export is itself logged; reading the list or an entry writes nothing.
            assert changed == (["audit.AuditEntry"] if page == "export" else []), page
        else:
            assert response.status_code == 403, page
            assert changed == [], page


@pytest.mark.parametrize("role", ROLES)
def test_the_sla_reports_and_contract_reviews_are_for_managers_only(cast, people, role):
    """The SLA reports (compliance per engineer, CSAT comments) and a customer's contract
    review, each with an export: managers read them, every other staff role gets 403."""
    client = _client(people[role])
    reports = reverse("admin:cases_case_sla_reports")
    review = reverse("admin:cases_case_contract_review", args=[cast.tenant_a.id])
    pages = [
        reports,
        reports + "?export=compliance&by=owner",
        reports + "?export=comments",
        review,
        review + "?export=compliance",
        reverse("admin:cases_case_contract_review_pick") + f"?tenant={cast.tenant_a.id}",
    ]
    for url in pages:
        status = client.get(url).status_code
        expected = {200, 302} if role == "manager" else {403}
        assert status in expected, f"{url}: {status} for {role}"
