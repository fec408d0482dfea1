"""Account roles become rows (issue 16): what each may do is data. `AccountTeamMember.role`
and `EscalationLevel.role` become foreign keys to the role's `code`, keeping the column
`role` and its values: the rows for today's five codes are made first, then the columns
gain a foreign key constraint (and an index) and grow from 24 to 32 characters (the new
codes are longer: `customer_success_principal`); on PostgreSQL a longer varchar changes
the catalogue only, so no row of either table is rewritten. A team
member's `shown_in_portal` may now be empty, meaning the role's default; stored values stay."""

import django.db.models.deletion
from django.db import migrations, models

# Frozen here (a migration must not import the code it migrates from).
ROLES = [
    ("csm", "Customer success manager", False, True),
    ("cs_director", "Customer success director", False, True),
    ("solutions_engineer", "Solutions engineer", False, True),
    ("coo", "Chief operating officer", False, False),
    ("ceo", "Chief executive officer", False, False),
    ("technical_account_manager", "Technical account manager", True, True),
    ("customer_success_principal", "Customer success principal", False, True),
    ("customer_support_manager", "Customer support manager", False, True),
]


def create_roles(apps, schema_editor):
    AccountRole = apps.get_model("tenants", "AccountRole")
    for order, (code, name, immediately, shown) in enumerate(ROLES, start=1):
        AccountRole.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "can_escalate_immediately": immediately,
                "shown_in_portal_by_default": shown,
                "order": order * 10,
            },
        )
    # Codes stored before the roles were rows but not among today's five (none are
    # expected: the column had choices) get a row of their own rather than a failed
    # constraint.
    used = set(apps.get_model("tenants", "AccountTeamMember").objects.values_list("role", flat=True))
    used |= set(apps.get_model("tenants", "EscalationLevel").objects.values_list("role", flat=True))
    for code in sorted(used - {code for code, *_ in ROLES}):
        AccountRole.objects.create(code=code, name=code.replace("_", " ").capitalize(), order=999)


def remove_unused_roles(apps, schema_editor):
    """Back to choices: the rows go with the table."""


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0010_contact_rules"),
    ]

    operations = [
        migrations.CreateModel(
            name="AccountRole",
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
                        help_text="Never changes once used.", max_length=32, unique=True
                    ),
                ),
                ("name", models.CharField(max_length=100)),
                ("description", models.TextField(blank=True)),
                (
                    "can_escalate_immediately",
                    models.BooleanField(
                        default=False,
                        help_text="A staff user on a customer's account team in this role may "
                        "escalate the customer's cases to the support managers, and raise "
                        "their priority, at once.",
                    ),
                ),
                (
                    "shown_in_portal_by_default",
                    models.BooleanField(
                        default=True,
                        help_text="New team members in this role are shown to the customer.",
                    ),
                ),
                ("order", models.PositiveSmallIntegerField(default=0)),
            ],
            options={"ordering": ["order", "name"]},
        ),
        migrations.RunPython(create_roles, remove_unused_roles),
        migrations.AlterField(
            model_name="accountteammember",
            name="role",
            field=models.ForeignKey(
                db_column="role",
                on_delete=django.db.models.deletion.PROTECT,
                related_name="members",
                to="tenants.accountrole",
                to_field="code",
            ),
        ),
        migrations.AlterField(
            model_name="escalationlevel",
            name="role",
            field=models.ForeignKey(
                db_column="role",
                on_delete=django.db.models.deletion.PROTECT,
                related_name="escalation_levels",
                to="tenants.accountrole",
                to_field="code",
            ),
        ),
        # Empty from now on means "as the role says"; stored yes/no values stay as they are.
        migrations.AlterField(
            model_name="accountteammember",
            name="shown_in_portal",
            field=models.BooleanField(
                blank=True,
                default=None,
                help_text="Shown to the customer in the portal. Empty: as the role says by "
                "default (executives on the escalation path are often not shown).",
                null=True,
            ),
        ),
    ]
