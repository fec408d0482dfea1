"""Account role codes grow to 32 characters (issue 16: `customer_success_principal`), so
the copies of a level's role on customer escalations and their notices grow with them. On
PostgreSQL a longer varchar changes the catalogue only: no row is rewritten."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0016_routing"),
    ]

    operations = [
        migrations.AlterField(
            model_name="customerescalation",
            name="level_role",
            field=models.CharField(
                help_text="The account role of this level (`tenants.AccountRole.code`).",
                max_length=32,
            ),
        ),
        migrations.AlterField(
            model_name="customerescalationnotice",
            name="role",
            field=models.CharField(max_length=32),
        ),
    ]
