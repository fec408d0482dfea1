"""The staff home (`/admin/`): what waits for the signed-in user, then the desk's links and
every model the role may open.

The home gathers panels from the apps, as the admin gathers ModelAdmins: each app's admin
module registers a function with `home_section`, which returns the panels its reads give
this user (none where the role gets none). `cases` gives the user's cases, what waits on
them, triage and escalations; `servicerequests` the approvals waiting for Security. The
two apps never import each other; the kernel only lays out what they return.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.safestring import SafeString


@dataclass(frozen=True)
class Card:
    """A count at the top of the home, linking to the list it counts (the queue filtered)."""

    label: str
    count: str
    url: str
    # "danger" or "warn" draws attention when the count is not zero.
    tone: str = ""


@dataclass(frozen=True)
class Panel:
    """A bounded list of the home: a table whose cells are text or HTML built with
    `format_html`, with a link to the full list."""

    key: str
    title: str
    headers: Sequence[str]
    rows: Sequence[Sequence[str | SafeString]]
    see_all: str
    see_all_label: str
    empty: str
    order: int
    cards: Sequence[Card] = field(default_factory=list)
    note: str = ""


HomeSection = Callable[[HttpRequest, datetime], list[Panel]]
_SECTIONS: list[HomeSection] = []


def home_section(section: HomeSection) -> HomeSection:
    """Register a function giving panels of the home (used as a decorator)."""
    if section not in _SECTIONS:
        _SECTIONS.append(section)
    return section


def staff_home(request: HttpRequest) -> TemplateResponse:
    """The admin's index, behind `admin.site.admin_view` (signed-in staff only)."""
    now = timezone.now()
    panels = sorted(
        (panel for section in _SECTIONS for panel in section(request, now)),
        key=lambda panel: panel.order,
    )
    request.current_app = admin.site.name
    context = admin.site.each_context(request)
    context.update(
        {
            "title": "Home",
            "subtitle": None,
            "panels": panels,
            "cards": [card for panel in panels for card in panel.cards],
            # Computed once for the context (each_context), shown below the lists.
            "app_list": context["available_apps"],
        }
    )
    return TemplateResponse(request, "admin/index.html", context)
