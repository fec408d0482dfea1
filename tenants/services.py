"""Changes to tenants, contacts, partners and letters of authorization.

Every change `tenants` makes is reachable from here, one function per verb named
`<entity>_<verb>`: those written in this module, and those that live beside what they
work on (API tokens, environments, invitations, single sign-on, sessions, revocation),
imported below. Other apps, views, the admin and tasks import them from here.
"""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from audit.context import audited
from sla.services import Reapplied, reapply
from sla.targets import Target
from supportdesk.errors import InvalidInput, NotFound, NotPermitted, StateConflict, require_text
from supportdesk.types import User
from tenants.access import is_contact_of, tenants_for
from tenants.api_tokens import api_token_create, api_token_revoke, api_tokens_revoke_all
from tenants.contact_rules import (
    accepted_certification,
    effective_from_within_notice,
    first_effective_date,
    partner_members_counted,
)
from tenants.environments import environment_allowlist_change, environment_flags_set
from tenants.invitations import (
    contact_invitation_accept,
    contact_invitation_resend,
    contact_invitations_revoke,
    contact_invite,
)
from tenants.models import (
    COUNTRY_PATTERN,
    AgreedUpdateCadence,
    AuthorizedContact,
    Category,
    ContactRequest,
    LetterOfAuthorization,
    Partner,
    PartnerMember,
    PlanCategory,
    SupportPlan,
    Tenant,
)
from tenants.revocation import access_end
from tenants.roles import Role, has_role, is_support_staff, require_role
from tenants.selectors import letters_visible_to
from tenants.sessions import user_sessions_end
from tenants.sso import identity_provider_configure
from tenants.staff_preferences import staff_time_zone_set

plan_changed = Signal()
"""Sent with `plan_id` after a plan or its priorities changed (targets, ranks, calendar);
a receiver answers with a `sla.services.Reapplied`."""

tenant_plan_changed = Signal()
"""Sent with `tenant_id` after a tenant moved to another plan; answered likewise."""

tenant_cadences_changed = Signal()
"""Sent with `tenant_id` after the update cadences agreed with a tenant changed; answered
likewise (its open cases get new next-update due times)."""

# The lowest role that may approve a letter of authorization (see `letter_approve`).
LETTER_APPROVER = Role.TRIAGE_LEAD


def _locked_tenant(tenant_id: int) -> Tenant:
    try:
        return Tenant.objects.select_for_update().select_related("plan").get(id=tenant_id)
    except Tenant.DoesNotExist:
        raise NotFound("No such customer.") from None


@dataclass(frozen=True)
class ContactSlots:
    """A tenant's places of its plan's contact limit: who takes them, and the advice."""

    contacts: int
    partner_members: int
    limit: int | None
    recommended_min: int

    @property
    def used(self) -> int:
        return self.contacts + self.partner_members

    @property
    def full(self) -> bool:
        return self.limit is not None and self.used >= self.limit

    @property
    def below_recommended(self) -> bool:
        return self.contacts < self.recommended_min

    @property
    def text(self) -> str:
        """ "3 of 4" or "no limit"."""
        return "no limit" if self.limit is None else f"{self.used} of {self.limit}"


def contact_slots(tenant: Tenant) -> ContactSlots:
    """The active contacts (access yet or not), the partner members the plan counts
    (`contact_rules.partner_members_counted`), the plan's limit (None: no limit) and its
    recommended minimum. Every path that adds a person checks `_check_contact_limit`."""
    plan = tenant.plan
    return ContactSlots(
        contacts=tenant.contacts.filter(is_active=True).count(),
        partner_members=partner_members_counted(tenant).count(),
        limit=plan.max_portal_contacts,
        recommended_min=plan.recommended_min_contacts,
    )


def _check_contact_limit(tenant: Tenant, *, adding: int = 1, who: str = "") -> None:
    """Refuse when `adding` more people would pass the plan's limit (none: no limit)."""
    slots = contact_slots(tenant)
    if slots.limit is None or slots.used + adding <= slots.limit:
        return
    partners = (
        f" ({slots.partner_members} of them partner members, who count on this plan)"
        if slots.partner_members
        else ""
    )
    what = who or "another contact"
    raise InvalidInput(
        f"{tenant} already has {slots.used} of the {slots.limit} portal contacts its "
        f"{tenant.plan} plan allows{partners}, so {what} would pass the limit. Remove a "
        "contact or change the plan first.",
        field_errors={"__all__": ["Contact limit reached."]},
    )


def _removed_by_the_customer(contact: AuthorizedContact) -> bool:
    """Whether the customer may have taken this contact away: anyone but support staff
    removed it, or nobody knows who did (removals recorded before removers were)."""
    return contact.removed_by is None or not is_support_staff(contact.removed_by)


def _grant(
    *,
    actor: User,
    tenant: Tenant,
    user: User,
    certification: str,
    phone: str,
    certified_on: dt.date | None,
    effective_from: dt.date | None,
    requested_at: dt.datetime | None = None,
    country: str = "",
) -> AuthorizedContact:
    """Add or bring back a contact of a locked tenant, within the plan's limit, with a
    certification the plan accepts, from a day its notice period allows (the first such
    day when none is given); the person is emailed an invitation (a link to choose a
    password, their company's single sign-on, or a note that they can sign in)."""
    _check_contact_limit(tenant)
    country = _country_code(country)
    certification = accepted_certification(tenant.plan, certification, field="certification")
    effective_from = effective_from_within_notice(
        tenant.plan, effective_from, requested_at=requested_at, past_without_notice=True
    )
    contact, created = AuthorizedContact.objects.get_or_create(
        tenant=tenant,
        user=user,
        defaults={
            "certification": certification,
            "certified_on": certified_on,
            "phone": phone,
            "country": country,
            "effective_from": effective_from,
        },
    )
    if not created:
        if contact.is_active:
            raise InvalidInput(f"{user.get_username()} is already a contact of {tenant}.")
        contact.is_active = True
        contact.removed_at = None
        contact.removed_by = None
        contact.removal_reason = ""
        contact.certification = certification or contact.certification
        contact.certified_on = certified_on or contact.certified_on
        contact.phone = phone or contact.phone
        contact.country = country or contact.country
        contact.effective_from = effective_from
        contact.save()
    contact_invite(actor=actor, contact=contact)
    return contact


@audited("contact granted")
@transaction.atomic
def contact_grant(
    *,
    actor: User,
    tenant_id: int,
    user: User,
    certification: str,
    phone: str = "",
    certified_on: dt.date | None = None,
    effective_from: dt.date | None = None,
    country: str = "",
) -> AuthorizedContact:
    """Staff make a user an authorized contact, within the plan's limit. A contact the
    customer removed comes back only through the customer's own contact request."""
    require_role(actor, Role.ENGINEER)
    tenant = _locked_tenant(tenant_id)
    removed = AuthorizedContact.objects.filter(tenant=tenant, user=user, is_active=False).first()
    if removed is not None and _removed_by_the_customer(removed):
        raise StateConflict(
            f"{tenant} removed {user.get_username()} as a contact; only a contact request "
            "from the customer can bring them back."
        )
    return _grant(
        actor=actor,
        tenant=tenant,
        user=user,
        certification=certification,
        phone=phone,
        certified_on=certified_on,
        effective_from=effective_from,
        country=country,
    )


def _country_code(country: str) -> str:
    """The ISO 3166 code that picks the support number shown to a contact ("" for the
    customer's own), refused unless two letters."""
    code = (country or "").strip().upper()
    if code and not COUNTRY_PATTERN.fullmatch(code):
        message = "Give the country as two letters (ISO 3166), e.g. US or GB."
        raise InvalidInput(message, field_errors={"country": [message]})
    return code


@audited("contact updated")
@transaction.atomic
def contact_update(
    *,
    actor: User,
    contact_id: int,
    phone: str,
    certification: str,
    certified_on: dt.date | None,
    effective_from: dt.date,
    country: str | None = None,
) -> AuthorizedContact:
    """Staff correct an active contact's details; who and for which customer is fixed. The
    certification must be one the plan accepts; a start moved earlier must still respect
    the notice period counted from when the contact was added."""
    require_role(actor, Role.ENGINEER)
    contact = (
        AuthorizedContact.objects.select_for_update(of=("self",))
        .select_related("tenant__plan")
        .filter(id=contact_id)
        .first()
    )
    if contact is None:
        raise NotFound("No such contact.")
    if not contact.is_active:
        raise StateConflict(
            "That contact was removed; grant access again (within the plan's limit) instead."
        )
    plan = contact.tenant.plan
    certification = accepted_certification(plan, certification, field="certification")
    if effective_from != contact.effective_from:
        effective_from = effective_from_within_notice(
            plan, effective_from, requested_at=contact.created_at, past_without_notice=True
        )
    contact.phone = (phone or "").strip()
    if country is not None:
        contact.country = _country_code(country)
    contact.certification = certification
    contact.certified_on = certified_on
    contact.effective_from = effective_from
    contact.save(
        update_fields=["phone", "country", "certification", "certified_on", "effective_from"]
    )
    return contact


@audited("contact removed")
@transaction.atomic
def contact_remove(*, actor: User, contact_id: int, reason: str) -> AuthorizedContact:
    """A tenant's contact or staff remove a contact; their portal access ends at once, and
    with it their sessions, API tokens (for good), open invitation and the case watchers
    they added (`tenants.revocation.access_end`). Another tenant's contact is not found
    before the input is judged."""
    contact = (
        AuthorizedContact.objects.select_for_update()
        .filter(tenant__in=tenants_for(actor), id=contact_id)
        .first()
    )
    if contact is None:
        raise NotFound("No such contact.")
    if not (has_role(actor, Role.ENGINEER) or is_contact_of(actor, contact.tenant_id)):
        raise NotPermitted("Only the customer's own contacts or support staff may remove one.")
    reason = require_text(reason, "reason", "Say why the contact is removed.")
    if not contact.is_active:
        raise StateConflict("That contact was already removed.")
    contact.is_active = False
    contact.removed_at = timezone.now()
    contact.removed_by = actor
    contact.removal_reason = reason
    contact.save(update_fields=["is_active", "removed_at", "removed_by", "removal_reason"])
    contact_invitations_revoke(contact_id=contact.id)
    access_end(
        actor=actor, tenant=contact.tenant, users=[contact.user], because="the contact was removed"
    )
    return contact


@audited("contact requested")
@transaction.atomic
def contact_request_create(
    *,
    actor: User,
    tenant_id: int,
    first_name: str,
    last_name: str,
    email: str,
    training_completed: str,
    phone: str = "",
    effective_from: dt.date | None = None,
) -> ContactRequest:
    """A tenant's contact asks for another contact; staff review it. The certification
    must be one the plan accepts (stored as the plan names it), and the start no earlier
    than the plan's notice period allows (the first allowed day when none is given)."""
    if not is_contact_of(actor, tenant_id):
        raise NotFound("No such customer.")
    plan = Tenant.objects.select_related("plan__calendar").get(id=tenant_id).plan
    errors: dict[str, list[str]] = {}
    for field, value, message in (
        ("first_name", first_name, "Enter a first name."),
        ("last_name", last_name, "Enter a last name."),
        ("training_completed", training_completed, "Name the training or certification held."),
    ):
        if not (value or "").strip():
            errors[field] = [message]
    try:
        validate_email((email or "").strip())
    except ValidationError:
        errors["email"] = ["Enter a valid email address."]
    try:
        training_completed = accepted_certification(
            plan, training_completed, field="training_completed"
        )
    except InvalidInput as error:
        errors.update(error.field_errors)
    start = timezone.localdate()
    try:
        start = effective_from_within_notice(plan, effective_from)
    except InvalidInput as error:
        errors.update(error.field_errors)
    if errors:
        raise InvalidInput("Please correct the request.", field_errors=errors)
    return ContactRequest.objects.create(
        tenant_id=tenant_id,
        requested_by=actor,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        email=email.strip().lower(),
        phone=phone.strip(),
        training_completed=training_completed,
        effective_from=start,
    )


@audited("contact request approved")
@transaction.atomic
def contact_request_approve(*, actor: User, request_id: int, note: str = "") -> ContactRequest:
    """Approve a contact request: the plan's contact limit is enforced here, under the
    tenant's row lock so two approvals cannot both take the last slot, and so are its
    accepted certifications and notice period as they stand now. The notice counts from
    the request: a start the plan's notice no longer allows moves to the first allowed day."""
    require_role(actor, Role.ENGINEER)
    request = ContactRequest.objects.select_for_update().filter(id=request_id).first()
    if request is None:
        raise NotFound("No such contact request.")
    if request.status != ContactRequest.Status.PENDING:
        raise StateConflict(f"This request was already {request.get_status_display().lower()}.")
    tenant = _locked_tenant(request.tenant_id)
    _check_contact_limit(tenant)
    user_model = get_user_model()
    user = user_model.objects.filter(email__iexact=request.email).first()
    if user is None:
        user = user_model.objects.create_user(
            username=request.email,
            email=request.email,
            first_name=request.first_name,
            last_name=request.last_name,
        )
    contact = _grant(
        actor=actor,
        tenant=tenant,
        user=user,
        certification=request.training_completed,
        phone=request.phone,
        certified_on=None,
        effective_from=max(
            request.effective_from, first_effective_date(tenant.plan, request.created_at)
        ),
        requested_at=request.created_at,
    )
    request.status = ContactRequest.Status.APPROVED
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.decision_note = note.strip()
    request.contact = contact
    request.save()
    return request


@audited("contact request rejected")
@transaction.atomic
def contact_request_reject(*, actor: User, request_id: int, note: str) -> ContactRequest:
    require_role(actor, Role.ENGINEER)
    note = require_text(note, "note", "Tell the customer why the request is rejected.")
    request = ContactRequest.objects.select_for_update().filter(id=request_id).first()
    if request is None:
        raise NotFound("No such contact request.")
    if request.status != ContactRequest.Status.PENDING:
        raise StateConflict(f"This request was already {request.get_status_display().lower()}.")
    request.status = ContactRequest.Status.REJECTED
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.decision_note = note
    request.save()
    return request


def validate_letter(
    *, signatory_name: str, signatory_title: str, signed_on: dt.date | None
) -> None:
    """The letter's own details, checked before anything is looked up (forms call it too)."""
    errors: dict[str, list[str]] = {}
    if not (signatory_name or "").strip():
        errors["signatory_name"] = ["Name the customer's signatory."]
    if not (signatory_title or "").strip():
        errors["signatory_title"] = ["Give the signatory's title."]
    if signed_on is None or signed_on > timezone.localdate():
        errors["signed_on"] = ["Give the date the letter was signed (not in the future)."]
    if errors:
        raise InvalidInput("Please correct the letter details.", field_errors=errors)


@audited("letter submitted")
@transaction.atomic
def letter_submit(
    *,
    actor: User,
    partner_id: int,
    tenant_id: int,
    signatory_name: str,
    signatory_title: str,
    signed_on: dt.date,
    document: UploadedFile | None = None,
) -> LetterOfAuthorization:
    """Record a signed letter for staff review; a partner member or staff may submit it."""
    is_member = PartnerMember.objects.filter(
        user=actor, partner_id=partner_id, is_active=True
    ).exists()
    if not (is_member or has_role(actor, Role.ENGINEER)):
        raise NotPermitted("Only the partner's members or support staff may submit its letters.")
    if not Tenant.objects.filter(id=tenant_id, is_active=True).exists():
        raise NotFound("No such customer.")
    validate_letter(
        signatory_name=signatory_name, signatory_title=signatory_title, signed_on=signed_on
    )
    if LetterOfAuthorization.objects.filter(
        partner_id=partner_id,
        tenant_id=tenant_id,
        status__in=[LetterOfAuthorization.Status.SUBMITTED, LetterOfAuthorization.Status.ACTIVE],
    ).exists():
        raise StateConflict("This partner already has an open letter for this customer.")
    letter = LetterOfAuthorization(
        partner_id=partner_id,
        tenant_id=tenant_id,
        signatory_name=signatory_name.strip(),
        signatory_title=signatory_title.strip(),
        signed_on=signed_on,
        submitted_by=actor,
    )
    if document is not None:
        # An upload always has a name; the stubs type File.name as optional.
        letter.document.save(document.name, document, save=False)  # type: ignore[arg-type]
    letter.save()
    return letter


def _locked_letter(letter_id: int) -> LetterOfAuthorization:
    letter = LetterOfAuthorization.objects.select_for_update().filter(id=letter_id).first()
    if letter is None:
        raise NotFound("No such letter of authorization.")
    return letter


@audited("letter approved")
@transaction.atomic
def letter_approve(*, actor: User, letter_id: int, note: str = "") -> LetterOfAuthorization:
    """Staff review: the letter becomes active, and the partner may act for the tenant.

    Approval lets a third party read and act on a customer's cases, so it is a triage
    lead's (or manager's) decision, and never of the person who recorded the letter."""
    require_role(actor, LETTER_APPROVER)
    letter = _locked_letter(letter_id)
    if letter.submitted_by_id is not None and letter.submitted_by_id == actor.pk:
        raise NotPermitted(
            "You recorded this letter, so another triage lead or manager must approve it "
            "(four eyes)."
        )
    if letter.status != LetterOfAuthorization.Status.SUBMITTED:
        raise StateConflict(f"This letter is {letter.get_status_display().lower()}.")
    tenant = _locked_tenant(letter.tenant_id)
    if tenant.plan.partners_count_toward_limit:
        members = PartnerMember.objects.filter(
            partner_id=letter.partner_id, is_active=True, partner__is_active=True
        )
        count = members.count()
        _check_contact_limit(
            tenant,
            adding=count,
            who=f"approving this letter ({letter.partner}'s {count} active "
            f"member{'s' if count != 1 else ''})",
        )
    letter.status = LetterOfAuthorization.Status.ACTIVE
    letter.reviewed_by = actor
    letter.reviewed_at = timezone.now()
    letter.review_note = note.strip()
    letter.save()
    return letter


@audited("letter rejected")
@transaction.atomic
def letter_reject(*, actor: User, letter_id: int, note: str) -> LetterOfAuthorization:
    require_role(actor, Role.ENGINEER)
    note = require_text(note, "note", "Say why the letter is rejected.")
    letter = _locked_letter(letter_id)
    if letter.status != LetterOfAuthorization.Status.SUBMITTED:
        raise StateConflict(f"This letter is {letter.get_status_display().lower()}.")
    letter.status = LetterOfAuthorization.Status.REJECTED
    letter.reviewed_by = actor
    letter.reviewed_at = timezone.now()
    letter.review_note = note
    letter.save()
    return letter


@audited("letter rescinded")
@transaction.atomic
def letter_rescind(*, actor: User, letter_id: int, reason: str) -> LetterOfAuthorization:
    """The tenant withdraws the letter in writing; the partner's access ends at once, and
    with it its members' sessions, API tokens (for good) and the case watchers they added
    (`tenants.revocation.access_end`). Cases the partner filed stay with the tenant.
    Another tenant's letter is not found before the input is judged."""
    letter = _locked_letter(letter_id)
    if not (is_contact_of(actor, letter.tenant_id) or has_role(actor, Role.ENGINEER)):
        if letters_visible_to(actor).filter(id=letter.id).exists():
            raise NotPermitted(
                "Only the customer's authorized contacts may rescind its letter of authorization."
            )
        raise NotFound("No such letter of authorization.")
    reason = require_text(reason, "reason", "Rescission must be in writing: give the reason.")
    if letter.status != LetterOfAuthorization.Status.ACTIVE:
        raise StateConflict(f"This letter is {letter.get_status_display().lower()}, not active.")
    letter.status = LetterOfAuthorization.Status.RESCINDED
    letter.rescinded_by = actor
    letter.rescinded_at = timezone.now()
    letter.rescission_reason = reason
    letter.save()
    members = PartnerMember.objects.filter(partner_id=letter.partner_id).select_related("user")
    access_end(
        actor=actor,
        tenant=letter.tenant,
        users=[member.user for member in members],
        because="the letter of authorization was rescinded",
    )
    return letter


# The categories every plan offered before categories were data (migration 0009 made
# them rows), and the four of them that carried SLA targets by default.
DEFAULT_CATEGORIES = {
    "request": "Request",
    "question": "Question",
    "feature_flag_request": "Feature flag request",
    "functionality_issue": "Functionality issue",
    "performance_issue": "Performance issue",
    "outage": "Outage",
    "bug": "Bug",
    "enhancement_request": "Enhancement request",
}
DEFAULT_SLA_CATEGORIES = frozenset({"functionality_issue", "performance_issue", "outage", "bug"})


@transaction.atomic
def plan_categories_offer(
    *, plan_id: int, sla_applies: Mapping[str, bool] | None = None
) -> list[PlanCategory]:
    """A new plan offers these categories (code: whether SLA targets apply), in this
    order; by default the eight of `DEFAULT_CATEGORIES`. A code without a category row
    gets one (named from `DEFAULT_CATEGORIES`). For a plan that already governs cases,
    call `plan_reapply` after, as the plan admin does."""
    plan = SupportPlan.objects.get(id=plan_id)
    wanted = (
        sla_applies
        if sla_applies is not None
        else {code: code in DEFAULT_SLA_CATEGORIES for code in DEFAULT_CATEGORIES}
    )
    # Two reads whatever the number of categories; a write only where a row is new or
    # changes (each saved on its own, so the audit log records it).
    categories = Category.objects.in_bulk(list(wanted), field_name="code")
    offered = {row.category_id: row for row in plan.plan_categories.all()}
    rows = []
    for order, (code, applies) in enumerate(wanted.items(), start=1):
        category = categories.get(code) or Category.objects.create(
            code=code, name=DEFAULT_CATEGORIES.get(code, code.replace("_", " ").capitalize())
        )
        row = offered.get(category.id)
        if row is None:
            row = PlanCategory.objects.create(
                plan=plan, category=category, sla_applies=applies, order=order * 10
            )
        elif (row.sla_applies, row.order) != (applies, order * 10):
            row.sla_applies, row.order = applies, order * 10
            row.save(update_fields=["sla_applies", "order"])
        rows.append(row)
    return rows


def plan_categories_check(*, offered: list[str], with_sla: list[str]) -> list[str]:
    """The active category codes among `offered`, in the categories' order, or
    InvalidInput: a plan offers at least one category, each an active one, and SLA
    targets apply only to categories it offers. (Forms call this before saving.)"""
    wanted, sla = set(offered), set(with_sla)
    if not wanted:
        message = "A plan offers at least one category."
        raise InvalidInput(message, field_errors={"categories_offered": [message]})
    not_offered = sla - wanted
    if not_offered:
        message = "SLA targets apply only to categories the plan offers: also offer " + (
            ", ".join(sorted(not_offered)) + "."
        )
        raise InvalidInput(message, field_errors={"categories_with_sla": [message]})
    active = list(
        Category.objects.filter(is_active=True, code__in=wanted).values_list("code", flat=True)
    )
    unknown = wanted - set(active)
    if unknown:
        message = f"No active category {', '.join(sorted(unknown))}."
        raise InvalidInput(message, field_errors={"categories_offered": [message]})
    return active


@audited("plan categories set")
@transaction.atomic
def plan_categories_set(
    *, actor: User, plan_id: int, offered: list[str], with_sla: list[str]
) -> list[PlanCategory]:
    """A manager chooses the categories a plan offers (codes of active categories) and
    those of them that carry SLA targets. Categories still offered keep their place in
    the plan's order, new ones follow in the categories' own order; one no longer offered
    is withdrawn (its cases keep their category). Call `plan_reapply` after, as the plan
    admin does, so open cases follow."""
    require_role(actor, Role.MANAGER, "change the categories a plan offers")
    plan = SupportPlan.objects.select_for_update().filter(id=plan_id).first()
    if plan is None:
        raise NotFound("No such support plan.")
    wanted, sla = set(offered), set(with_sla)
    active = plan_categories_check(offered=offered, with_sla=with_sla)
    kept = [
        code
        for code in plan.plan_categories.order_by("order", "id").values_list(
            "category__code", flat=True
        )
        if code in wanted
    ]
    codes = kept + [code for code in active if code not in kept]
    # Withdrawn rows are deleted one by one, so the audit log records each; the offer of
    # a category switched off for now (inactive) stays for when it comes back.
    withdrawn = plan.plan_categories.filter(category__is_active=True)
    for row in withdrawn.exclude(category__code__in=codes):
        row.delete()
    plan.forget_categories()
    return plan_categories_offer(plan_id=plan.id, sla_applies={code: code in sla for code in codes})


def _check_partner_places(partner_id: int, who: str) -> None:
    """One more active member of the partner takes a place at every tenant whose active
    letter it holds and whose plan counts partners: refuse where that passes the limit."""
    tenant_ids = LetterOfAuthorization.objects.filter(
        partner_id=partner_id,
        status=LetterOfAuthorization.Status.ACTIVE,
        tenant__plan__partners_count_toward_limit=True,
    ).values_list("tenant_id", flat=True)
    for tenant_id in sorted(tenant_ids):
        _check_contact_limit(_locked_tenant(tenant_id), who=who)


@audited("partner member added")
@transaction.atomic
def partner_member_add(
    *,
    actor: User,
    partner_id: int,
    user: User,
    certification: str = "",
    certified_on: dt.date | None = None,
    is_active: bool = True,
) -> PartnerMember:
    """A manager adds a person to a partner. Where the partner holds an active letter for
    a customer whose plan counts partners toward its contact limit, a new active member
    takes a place there: refused when that passes the limit."""
    require_role(actor, Role.MANAGER, "add partner members")
    partner = Partner.objects.select_for_update().filter(id=partner_id).first()
    if partner is None:
        raise NotFound("No such partner.")
    if PartnerMember.objects.filter(user=user).exists():
        raise InvalidInput(
            f"{user.get_username()} is already a member of a partner.",
            field_errors={"user": ["Already a partner member."]},
        )
    if partner.is_active and is_active:
        _check_partner_places(partner.id, who=f"adding {user.get_username()} to {partner}")
    return PartnerMember.objects.create(
        partner=partner,
        user=user,
        is_active=is_active,
        certification=(certification or "").strip(),
        certified_on=certified_on,
    )


@audited("partner member updated")
@transaction.atomic
def partner_member_update(
    *,
    actor: User,
    member_id: int,
    is_active: bool,
    certification: str,
    certified_on: dt.date | None,
) -> PartnerMember:
    """A manager records a member's certification (needed to act where the plan says
    partners need one) or turns the member off or on again; turning one on takes a place
    as adding does. Turning one off ends their access at once."""
    require_role(actor, Role.MANAGER, "change partner members")
    member = (
        PartnerMember.objects.select_for_update(of=("self",))
        .select_related("partner", "user")
        .filter(id=member_id)
        .first()
    )
    if member is None:
        raise NotFound("No such partner member.")
    if is_active and not member.is_active and member.partner.is_active:
        _check_partner_places(
            member.partner_id, who=f"turning {member.user.get_username()} on again"
        )
    ending = member.is_active and not is_active
    member.is_active = is_active
    member.certification = (certification or "").strip()
    member.certified_on = certified_on
    member.save(update_fields=["is_active", "certification", "certified_on"])
    if ending:
        for letter in LetterOfAuthorization.objects.filter(
            partner_id=member.partner_id, status=LetterOfAuthorization.Status.ACTIVE
        ).select_related("tenant"):
            access_end(
                actor=actor,
                tenant=letter.tenant,
                users=[member.user],
                because="the partner member was turned off",
            )
    return member


def plan_reapply(*, plan_id: int) -> Reapplied:
    """After a plan or its priorities were edited: the open cases it governs take the
    ranks and due times the plan now gives them. `tenants` may not import `cases`, so
    `cases` does the work on `plan_changed`, in this transaction."""
    return reapply(plan_changed, SupportPlan, plan_id=plan_id)


def tenant_plan_reapply(*, tenant_id: int) -> Reapplied:
    """After a tenant moved to another plan: its open cases follow the new plan."""
    return reapply(tenant_plan_changed, Tenant, tenant_id=tenant_id)


def tenant_cadences_reapply(*, tenant_id: int) -> Reapplied:
    """After the update cadences agreed with a tenant were edited (the tenant page's
    inline): its open cases get the next-update due times the cadences give them."""
    return reapply(tenant_cadences_changed, Tenant, tenant_id=tenant_id)


def clean_target(text: str, field: str) -> str:
    """The compact form of an SLA target ("4bh", "1bd", "immediate"; blank: none), or
    InvalidInput naming the field. The plan editor composes the text from a number and
    a unit; this decides whether it is a target."""
    if not (text or "").strip():
        return ""
    try:
        return Target.parse(text).code
    except ValueError as error:
        raise InvalidInput(str(error), field_errors={field: [str(error)]}) from None


def clean_update_interval(text: str, field: str = "update_interval") -> str:
    """The compact form of an agreed update interval, or InvalidInput naming the field."""
    try:
        return Target.parse(text or "").code
    except ValueError as error:
        raise InvalidInput(str(error), field_errors={field: [str(error)]}) from None


@transaction.atomic
def tenant_set_update_cadence(
    *, actor: User, tenant_id: int, priority_code: str, update_interval: str
) -> AgreedUpdateCadence | None:
    """Agree an update interval with a customer for one priority of its plan (blank: back
    to the plan's), then recompute the next-update due times of its open cases. Agreeing
    cadences is contract work: Support managers only."""
    require_role(actor, Role.MANAGER, "agree an update cadence with a customer")
    tenant = Tenant.objects.select_for_update().filter(id=tenant_id).first()
    if tenant is None:
        raise NotFound("No such customer.")
    codes = set(tenant.plan.priorities.values_list("code", flat=True))
    if priority_code not in codes:
        message = f"Choose one of the plan's priorities: {', '.join(sorted(codes))}."
        raise InvalidInput(message, field_errors={"priority_code": [message]})
    cadence = None
    if (update_interval or "").strip():
        cadence, _created = AgreedUpdateCadence.objects.update_or_create(
            tenant=tenant,
            priority_code=priority_code,
            defaults={"update_interval": clean_update_interval(update_interval)},
        )
    else:
        AgreedUpdateCadence.objects.filter(tenant=tenant, priority_code=priority_code).delete()
    tenant_cadences_reapply(tenant_id=tenant.id)
    return cadence


__all__ = [
    "DEFAULT_CATEGORIES",
    "DEFAULT_SLA_CATEGORIES",
    "LETTER_APPROVER",
    "ContactSlots",
    "access_end",
    "api_token_create",
    "api_token_revoke",
    "api_tokens_revoke_all",
    "clean_target",
    "clean_update_interval",
    "contact_grant",
    "contact_invitation_accept",
    "contact_invitation_resend",
    "contact_invitations_revoke",
    "contact_invite",
    "contact_remove",
    "contact_request_approve",
    "contact_request_create",
    "contact_request_reject",
    "contact_slots",
    "contact_update",
    "environment_allowlist_change",
    "environment_flags_set",
    "identity_provider_configure",
    "letter_approve",
    "letter_reject",
    "letter_rescind",
    "letter_submit",
    "partner_member_add",
    "partner_member_update",
    "plan_categories_check",
    "plan_categories_offer",
    "plan_categories_set",
    "plan_changed",
    "plan_reapply",
    "staff_time_zone_set",
    "tenant_cadences_changed",
    "tenant_cadences_reapply",
    "tenant_plan_changed",
    "tenant_plan_reapply",
    "tenant_set_update_cadence",
    "user_sessions_end",
    "validate_letter",
]
