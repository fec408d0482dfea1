"""Priority rules, channel rules and regional phone numbers (issue 16).

A plan's `phone_for_critical` becomes the "portal, and call us as well" channel rule of its
rank-1 priority, and its `support_phone` a number for "All regions" (no countries). The
reverse folds them back (the first blank-countries number, or the first number)."""

import django.core.validators
import django.db.models.deletion
from django.db import migrations, models


def plan_phone_to_rules(apps, schema_editor):
    SupportPlan = apps.get_model("tenants", "SupportPlan")
    PlanPriority = apps.get_model("tenants", "PlanPriority")
    SupportPhone = apps.get_model("tenants", "SupportPhone")
    PlanPriority.objects.filter(plan__phone_for_critical=True, rank=1).update(
        channel_rule="portal_and_phone"
    )
    SupportPhone.objects.bulk_create(
        SupportPhone(plan_id=plan_id, region="All regions", countries=[], number=number)
        for plan_id, number in SupportPlan.objects.exclude(support_phone="").values_list(
            "id", "support_phone"
        )
    )


def rules_to_plan_phone(apps, schema_editor):
    SupportPlan = apps.get_model("tenants", "SupportPlan")
    PlanPriority = apps.get_model("tenants", "PlanPriority")
    SupportPhone = apps.get_model("tenants", "SupportPhone")
    SupportPlan.objects.filter(
        id__in=PlanPriority.objects.filter(
            rank=1, channel_rule__in=["portal_and_phone", "phone_only"]
        ).values("plan_id")
    ).update(phone_for_critical=True)
    for plan in SupportPlan.objects.all():
        phones = sorted(
            SupportPhone.objects.filter(plan_id=plan.id).order_by("order", "id"),
            key=lambda phone: bool(phone.countries),
        )
        if phones:
            plan.support_phone = phones[0].number[:40]
            plan.save(update_fields=["support_phone"])


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0011_account_roles_as_data"),
    ]

    operations = [
        migrations.AddField(
            model_name="authorizedcontact",
            name="country",
            field=models.CharField(
                blank=True,
                help_text="ISO 3166 code of where the contact works; blank: the customer's country.",
                max_length=2,
                validators=[
                    django.core.validators.RegexValidator(
                        "^[A-Z]{2}$", "Two capital letters (ISO 3166), e.g. US."
                    )
                ],
            ),
        ),
        migrations.AddField(
            model_name="planpriority",
            name="channel_rule",
            field=models.CharField(
                choices=[
                    ("portal", "Portal or phone"),
                    ("portal_and_phone", "Portal, and call us as well"),
                    ("phone_only", "Phone only: the portal files nothing"),
                ],
                default="portal",
                max_length=20,
            ),
        ),
        migrations.AddField(
            model_name="planpriority",
            name="environments_allowed",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text="Environments a case at this priority may concern; none ticked: any.",
            ),
        ),
        migrations.AddField(
            model_name="planpriority",
            name="off_hours_initial_response",
            field=models.CharField(
                blank=True,
                help_text="For a case received outside business hours; blank: the same as in hours.",
                max_length=16,
            ),
        ),
        migrations.AddField(
            model_name="tenant",
            name="country",
            field=models.CharField(
                blank=True,
                help_text="ISO 3166 code, e.g. US or DE: picks the support phone number shown.",
                max_length=2,
                validators=[
                    django.core.validators.RegexValidator(
                        "^[A-Z]{2}$", "Two capital letters (ISO 3166), e.g. US."
                    )
                ],
            ),
        ),
        migrations.CreateModel(
            name="SupportPhone",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "region",
                    models.CharField(help_text="e.g. Americas, EMEA, All regions.", max_length=60),
                ),
                (
                    "countries",
                    models.JSONField(
                        blank=True,
                        default=list,
                        help_text="ISO 3166 codes, e.g. US, CA, MX; blank: every country of no other row.",
                    ),
                ),
                ("number", models.CharField(max_length=40)),
                (
                    "hours",
                    models.CharField(
                        blank=True,
                        help_text="e.g. 24×7 for Priority 1; 9am–5pm Mon–Fri.",
                        max_length=200,
                    ),
                ),
                ("order", models.PositiveSmallIntegerField(default=0)),
                (
                    "plan",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="phones",
                        to="tenants.supportplan",
                    ),
                ),
            ],
            options={
                "ordering": ["plan", "order", "id"],
            },
        ),
        migrations.CreateModel(
            name="AgreedUpdateCadence",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("priority_code", models.CharField(max_length=8, verbose_name="priority")),
                (
                    "update_interval",
                    models.CharField(
                        help_text="A target such as 2h (clock time), 4bh or 1bd.", max_length=16
                    ),
                ),
                (
                    "tenant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="update_cadences",
                        to="tenants.tenant",
                    ),
                ),
            ],
            options={
                "ordering": ["tenant", "priority_code"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("tenant", "priority_code"), name="one_update_cadence_per_priority"
                    )
                ],
            },
        ),
        migrations.RunPython(plan_phone_to_rules, rules_to_plan_phone),
        migrations.RemoveField(
            model_name="supportplan",
            name="phone_for_critical",
        ),
        migrations.RemoveField(
            model_name="supportplan",
            name="support_phone",
        ),
    ]
