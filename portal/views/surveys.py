"""The satisfaction survey, reached from the closure email without signing in."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from cases import services
from portal.errors import apply_service_error, form_invalid
from portal.forms import SurveyForm
from supportdesk.errors import ServiceError


@never_cache
@require_http_methods(["GET", "POST"])
def survey(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = services.survey_invitation(token)
    except ServiceError as error:
        return render(
            request,
            "portal/survey_unavailable.html",
            {"message": error.message},
            status=error.status_code,
        )
    if invitation.is_answered:
        return render(request, "portal/survey_thanks.html", {"invitation": invitation})
    form = SurveyForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.case_answer_survey(token=token, **form.cleaned_data)
            except ServiceError as error:
                status = apply_service_error(request, error, form)
            else:
                return redirect("portal:survey", token=token)
        else:
            status = form_invalid(request)
    return render(
        request, "portal/survey.html", {"invitation": invitation, "form": form}, status=status
    )
