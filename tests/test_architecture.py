"""Imports between the apps run one way (docs/architecture.md): the faces (`portal`, each
app's admin and API) -> `cases`, `servicerequests` -> `tenants`, `sla`, `knowledge`,
`notifications`, `audit` -> `supportdesk`. Each app's modules are parsed (module-level and
function-level imports alike, migrations aside) and an import of an app above fails here,
naming the file and line. A model referenced by string (`"cases.Case"`) is no import."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

KERNEL = {"supportdesk"}
LOWER = {"tenants", "sla", "knowledge", "notifications", "audit"}
MIDDLE = {"cases", "servicerequests"}
FACES = {"portal"}
APPS = KERNEL | LOWER | MIDDLE | FACES

# What each app may not import. The kernel imports no app; the lower apps import neither
# the apps that build on them nor the faces; `cases` and `servicerequests` stand side by
# side; nothing imports `portal`. `sla` is the floor of the domain: pure maths and
# calendars, it imports no other app.
FORBIDDEN = {
    "supportdesk": APPS - KERNEL,
    "sla": APPS - KERNEL - {"sla"},
    **{app: MIDDLE | FACES for app in LOWER - {"sla"}},
    "cases": {"servicerequests", *FACES},
    "servicerequests": {"cases", *FACES},
    "portal": set(),
}

# `seed_demo` is a face of the whole desk (it seeds every app), kept beside the settings.
FACES_IN_THE_KERNEL = ("supportdesk/management/",)

# Known exceptions, each with its reason; a new entry here needs a good one. None today:
# the audit log names upper apps' models by label and their masked fields by dotted path.
ALLOWED: set[tuple[str, str]] = set()


def imported_apps(path: Path) -> list[tuple[str, int]]:
    """(app, line) for each import of one of the apps in a module."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module]
        else:
            continue
        found += [(module.split(".")[0], node.lineno) for module in modules]
    return [(app, line) for app, line in found if app in APPS]


def modules_of(app: str) -> list[Path]:
    return [
        path
        for path in sorted((ROOT / app).rglob("*.py"))
        if "migrations" not in path.parts
        and not str(path.relative_to(ROOT)).startswith(FACES_IN_THE_KERNEL)
    ]


@pytest.mark.parametrize("app", sorted(APPS))
def test_an_app_imports_no_app_above_it(app):
    upward = [
        f"{path.relative_to(ROOT)}:{line} imports {imported}"
        for path in modules_of(app)
        for imported, line in imported_apps(path)
        if imported in FORBIDDEN[app] and (str(path.relative_to(ROOT)), imported) not in ALLOWED
    ]
    assert not upward, "\n".join(upward)


def test_every_app_is_checked():
    packages = {path.parent.name for path in ROOT.glob("*/apps.py")}
    assert packages == APPS


def test_the_check_sees_an_upward_import(tmp_path):
    module = tmp_path / "example.py"
    module.write_text("def f():\n    from cases.services import case_close\n")
    assert imported_apps(module) == [("cases", 2)]
