"""Every desk model is followed by the audit log or left out for a stated reason, and no
field that holds a secret is followed in clear."""

from auditlog.registry import auditlog
from django.apps import apps

from audit.tracked import NOT_TRACKED, SECRET_NAME_PARTS, TRACKED

DESK_APPS = (
    "auth",
    "mfa",
    "tenants",
    "sla",
    "knowledge",
    "notifications",
    "cases",
    "servicerequests",
)


def test_every_desk_model_is_tracked_or_left_out_with_a_reason():
    models = {
        model._meta.label_lower
        for app in DESK_APPS
        for model in apps.get_app_config(app).get_models()
    }
    assert models - set(TRACKED) - set(NOT_TRACKED) == set(), "classify the new models"
    assert set(TRACKED) & set(NOT_TRACKED) == set()
    assert all(reason for reason in NOT_TRACKED.values())


def test_the_tracked_models_are_registered_with_their_field_rules():
    for label, tracked in TRACKED.items():
        model = apps.get_model(label)
        assert auditlog.contains(model), label
        rules = auditlog.get_model_fields(model)
        assert set(tracked.masked) <= set(rules["mask_fields"])
        assert set(tracked.exclude) <= set(rules["exclude_fields"])
        names = {field.name for field in model._meta.get_fields()}
        assert {*tracked.exclude, *tracked.masked} <= names, f"{label}: unknown field named"


def test_a_field_named_like_a_secret_is_masked_or_left_out_wherever_it_is_tracked():
    for label, tracked in TRACKED.items():
        for field in apps.get_model(label)._meta.concrete_fields:
            if any(part in field.name for part in SECRET_NAME_PARTS):
                assert field.name in (*tracked.masked, *tracked.exclude), f"{label}.{field.name}"
