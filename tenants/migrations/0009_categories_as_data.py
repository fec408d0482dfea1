"""Categories become rows, and each plan says which it offers and which carry SLA targets.

Forwards: the eight categories of the old enum (same codes and names) and the three the
source policies name (on no plan until a plan offers them); every plan offers the eight,
SLA targets applying to those its `sla_categories` list named; then the list goes.
Backwards: each plan's list is rebuilt from its offered categories with SLA targets.
Cases keep their category code: no case row is touched.
"""

import django.db.models.deletion
from django.db import migrations, models

OLD_CATEGORIES = [
    ("request", "Request"),
    ("question", "Question"),
    ("feature_flag_request", "Feature flag request"),
    ("functionality_issue", "Functionality issue"),
    ("performance_issue", "Performance issue"),
    ("outage", "Outage"),
    ("bug", "Bug"),
    ("enhancement_request", "Enhancement request"),
]
NEW_CATEGORIES = [
    ("customization_request", "Customization / development request"),
    ("billing", "Billing enquiry"),
    ("general_enquiry", "General enquiry"),
]
DESCRIPTIONS = {
    "request": "Something you need us to do for you.",
    "question": "How something works or how to do something.",
    "feature_flag_request": "Turn a product feature on or off for one of your environments.",
    "functionality_issue": "A feature does not work as documented.",
    "performance_issue": "Something works, but too slowly.",
    "outage": "The service is down or unusable.",
    "bug": "A defect: the product does something wrong.",
    "enhancement_request": "An idea for the product to do something new.",
    "customization_request": "Development or configuration specific to your installation.",
    "billing": "Invoices, licences and payments.",
    "general_enquiry": "Anything else.",
}


def categories_to_rows(apps, schema_editor):
    Category = apps.get_model("tenants", "Category")
    PlanCategory = apps.get_model("tenants", "PlanCategory")
    SupportPlan = apps.get_model("tenants", "SupportPlan")
    rows = {}
    for order, (code, name) in enumerate([*OLD_CATEGORIES, *NEW_CATEGORIES], start=1):
        rows[code], _created = Category.objects.get_or_create(
            code=code,
            defaults={"name": name, "order": order * 10, "description": DESCRIPTIONS[code]},
        )
    offered = []
    for plan in SupportPlan.objects.all():
        with_sla = set(plan.sla_categories or [])
        offered += [
            PlanCategory(
                plan=plan, category=rows[code], sla_applies=code in with_sla, order=order * 10
            )
            for order, (code, _name) in enumerate(OLD_CATEGORIES, start=1)
        ]
    PlanCategory.objects.bulk_create(offered)


def rows_to_categories(apps, schema_editor):
    PlanCategory = apps.get_model("tenants", "PlanCategory")
    SupportPlan = apps.get_model("tenants", "SupportPlan")
    for plan in SupportPlan.objects.all():
        plan.sla_categories = list(
            PlanCategory.objects.filter(plan=plan, sla_applies=True)
            .order_by("order", "id")
            .values_list("category__code", flat=True)
        )
        plan.save(update_fields=["sla_categories"])


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0008_letter_submitter_and_contact_remover"),
    ]

    operations = [
        migrations.CreateModel(
            name="Category",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "code",
                    models.SlugField(
                        help_text="Stored on every case of this category: keep it.",
                        max_length=32,
                        unique=True,
                    ),
                ),
                ("name", models.CharField(max_length=100)),
                (
                    "description",
                    models.TextField(
                        blank=True, help_text="Shown beside the choice in the portal."
                    ),
                ),
                (
                    "is_active",
                    models.BooleanField(
                        default=True, help_text="An inactive category is offered on no plan."
                    ),
                ),
                ("order", models.PositiveSmallIntegerField(default=0)),
            ],
            options={
                "verbose_name_plural": "categories",
                "ordering": ["order", "name"],
            },
        ),
        migrations.CreateModel(
            name="IntakeField",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "key",
                    models.SlugField(
                        help_text="Names the answer on the case and in the API, e.g. frequency; keep it.",
                        max_length=40,
                    ),
                ),
                ("label", models.CharField(max_length=100)),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("text", "Text"),
                            ("choice", "Choice"),
                            ("number", "Number"),
                            ("date", "Date"),
                            ("yes_no", "Yes / no"),
                        ],
                        default="text",
                        max_length=8,
                    ),
                ),
                (
                    "choices",
                    models.TextField(blank=True, help_text="For a choice: one option per line."),
                ),
                ("required", models.BooleanField(default=False)),
                (
                    "stage",
                    models.CharField(
                        choices=[
                            ("intake", "When the case is filed"),
                            ("closure", "When staff close the case"),
                        ],
                        default="intake",
                        max_length=8,
                    ),
                ),
                ("help_text", models.CharField(blank=True, max_length=300)),
                ("order", models.PositiveSmallIntegerField(default=0)),
                ("is_active", models.BooleanField(default=True)),
                (
                    "category",
                    models.ForeignKey(
                        blank=True,
                        help_text="Empty: asked for every category of the plan.",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="intake_fields",
                        to="tenants.category",
                    ),
                ),
                (
                    "plan",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="intake_fields",
                        to="tenants.supportplan",
                    ),
                ),
            ],
            options={
                "ordering": ["plan", "stage", "order", "id"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("plan", "key"),
                        name="unique_intake_field_key_per_plan",
                        violation_error_message="The plan already has a field with this key.",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="PlanCategory",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "sla_applies",
                    models.BooleanField(
                        default=True,
                        help_text="Questions and requests usually carry no response or update targets.",
                        verbose_name="SLA targets apply",
                    ),
                ),
                ("order", models.PositiveSmallIntegerField(default=0)),
                (
                    "category",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="plan_links",
                        to="tenants.category",
                    ),
                ),
                (
                    "plan",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="plan_categories",
                        to="tenants.supportplan",
                    ),
                ),
            ],
            options={
                "verbose_name": "offered category",
                "ordering": ["plan", "order", "id"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("plan", "category"),
                        name="unique_category_per_plan",
                        violation_error_message="The plan already offers this category.",
                    )
                ],
            },
        ),
        migrations.RunPython(categories_to_rows, rows_to_categories),
        migrations.RemoveField(
            model_name="supportplan",
            name="sla_categories",
        ),
    ]
