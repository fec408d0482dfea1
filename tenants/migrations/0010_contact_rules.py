"""Contact rules on the plan (issue 16): the contact limit becomes any positive number or
none (today's values are kept), a recommended minimum, accepted certifications as a list,
whether partners count toward the limit and need a certification, and a notice period in
business days for new contacts. Every new column is nullable or has a default, so no row
is rewritten."""

import django.core.validators
import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0009_categories_as_data"),
    ]

    operations = [
        migrations.AlterField(
            model_name="supportplan",
            name="max_portal_contacts",
            field=models.PositiveSmallIntegerField(
                blank=True,
                default=2,
                help_text="How many people may use the portal for a customer; empty for no "
                "limit. Removing a contact frees its place at once: a contact is authorized "
                "until written notice removing them is received.",
                null=True,
                validators=[django.core.validators.MinValueValidator(1)],
                verbose_name="portal contacts allowed",
            ),
        ),
        migrations.AddField(
            model_name="supportplan",
            name="recommended_min_contacts",
            field=models.PositiveSmallIntegerField(
                default=0,
                help_text="Advice shown to the customer while fewer contacts are active (e.g. "
                "'we recommend a minimum of two'); 0 for none. Never enforced.",
                verbose_name="recommended minimum of contacts",
            ),
        ),
        migrations.AddField(
            model_name="supportplan",
            name="partners_count_toward_limit",
            field=models.BooleanField(
                default=False,
                help_text="The active members of partners holding an active letter of "
                "authorization for the customer take places of the contact limit.",
                verbose_name="partners count toward the limit",
            ),
        ),
        migrations.AddField(
            model_name="supportplan",
            name="partners_need_certification",
            field=models.BooleanField(
                default=False,
                help_text="Partner members act for the customer only with a recorded "
                "certification (one the plan accepts, when it lists any).",
                verbose_name="partners need a certification",
            ),
        ),
        migrations.AddField(
            model_name="supportplan",
            name="contact_notice_business_days",
            field=models.PositiveSmallIntegerField(
                default=0,
                help_text="A new contact takes effect no earlier than this many business days "
                "(on the plan's calendar, holidays excluded) after it is asked for. Removal "
                "takes effect at once.",
                verbose_name="notice for new contacts (business days)",
            ),
        ),
        migrations.CreateModel(
            name="AcceptedCertification",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=200)),
                ("order", models.PositiveSmallIntegerField(default=0)),
                (
                    "plan",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="accepted_certifications",
                        to="tenants.supportplan",
                    ),
                ),
            ],
            options={
                "ordering": ["plan", "order", "name"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("plan", "name"), name="unique_accepted_certification_per_plan"
                    )
                ],
            },
        ),
        migrations.AddField(
            model_name="partnermember",
            name="certification",
            field=models.CharField(
                blank=True,
                help_text="Product certification held; needed to act for customers whose plan "
                "says partners need one.",
                max_length=200,
            ),
        ),
        migrations.AddField(
            model_name="partnermember",
            name="certified_on",
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="authorizedcontact",
            name="certification",
            field=models.CharField(
                blank=True,
                help_text="Product certification or training held; without one (one the plan "
                "accepts, when it lists any) there is no portal access.",
                max_length=200,
            ),
        ),
        migrations.AlterField(
            model_name="authorizedcontact",
            name="effective_from",
            field=models.DateField(
                default=django.utils.timezone.localdate,
                help_text="Access starts on this day, no earlier than the plan's notice "
                "period allows. Removal takes effect at once.",
            ),
        ),
    ]
