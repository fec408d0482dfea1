"""Turning an outbox row into an email: templates/emails/<name>/{subject,body}.txt and
body.html, rendered with the row's context. Plain text is rendered without HTML escaping
(a customer's "<" stays "<"); the HTML part is escaped as every page is."""

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

from django.conf import settings
from django.template import Context, Engine, engines
from django.template.backends.django import DjangoTemplates
from django.template.loader import render_to_string

_BLANK_LINES = re.compile(r"\n{3,}")


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


@functools.cache
def _text_engine() -> Engine:
    default = cast(DjangoTemplates, engines["django"]).engine
    return Engine(
        dirs=default.dirs,
        app_dirs=default.app_dirs,
        libraries=default.libraries,
        autoescape=False,
    )


def _render_text(name: str, context: Mapping[str, object]) -> str:
    return _text_engine().get_template(name).render(Context(dict(context), autoescape=False))


def render_email(template: str, context: Mapping[str, object]) -> RenderedEmail:
    context = {"site_url": settings.SITE_URL, **context}
    subject = " ".join(_render_text(f"emails/{template}/subject.txt", context).split())
    text = _render_text(f"emails/{template}/body.txt", context)
    # Template tags leave blank lines behind; a paragraph break is all a reader needs.
    text = _BLANK_LINES.sub("\n\n", "\n".join(line.rstrip() for line in text.splitlines()))
    text = text.strip() + "\n"
    html = render_to_string(f"emails/{template}/body.html", context)
    return RenderedEmail(subject=subject[:250], text=text, html=html)
