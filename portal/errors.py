"""The one place the portal turns a service's refusal into what the person sees.

NotFound becomes the 404 page (a guessed id learns nothing); every other ServiceError
puts its field errors on the form (whose error summary lists them), or without any its
message at the top of the page, and gives the response the error's status code.
"""

from collections.abc import Callable
from typing import TypeVar

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest

from supportdesk.errors import NotFound, ServiceError

T = TypeVar("T")


def apply_service_error(
    request: HttpRequest, error: ServiceError, form: forms.Form | None = None
) -> int:
    """Show `error` to the person; return the status code the page should carry."""
    if isinstance(error, NotFound):
        raise Http404(error.message)
    if form is not None and error.field_errors:
        # On the form, its error summary lists them all (templates/portal/_form_errors.html):
        # a page message would only repeat them ("Please correct the case details.").
        if not hasattr(form, "cleaned_data"):
            form.full_clean()
        for field, field_messages in error.field_errors.items():
            target = field if field in form.fields else None
            for message in field_messages:
                form.add_error(target, message)
    else:
        messages.error(request, error.message)
    return error.status_code


def found_or_404(lookup: Callable[..., T], *args: object, **kwargs: object) -> T:
    """Run a selector that raises NotFound, answering 404 for it."""
    try:
        return lookup(*args, **kwargs)
    except NotFound as error:
        raise Http404(error.message) from None


def form_invalid(request: HttpRequest) -> int:
    """A form the browser sent could not be read (a word where a number goes …): its
    fields say what, and the form's error summary (templates/portal/_form_errors.html,
    which every portal form includes) lists them with links, takes focus and puts
    "Error:" in the title; so no page message repeats it. The status code to answer."""
    del request
    return 400
