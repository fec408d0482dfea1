"""The portal's error summary (templates/portal/_form_errors.html and portal_tags): what a
form that comes back with errors says at its top, in the page's title and on its fields.
The browser side (focus, links that focus fields) is in
tests/browser/test_portal_accessibility_browser.py."""

import re

from django import forms
from django.template import Context, Template
from django.urls import reverse

from portal.templatetags.portal_tags import error_anchor, form_problems, title_error_prefix
from tests.cases.helpers import file_case
from tests.factories import PASSWORD


class Sample(forms.Form):
    summary = forms.CharField(label="Summary")
    kind = forms.ChoiceField(
        label="Kind", choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect
    )
    token = forms.CharField(widget=forms.HiddenInput)

    def clean(self) -> dict:
        raise forms.ValidationError("Something about the whole form.")


def test_the_summary_names_each_field_and_links_a_radio_group_to_its_container():
    form = Sample(data={})
    summary = form_problems(form)
    assert [problem.text for problem in summary.fields] == [
        "Summary: This field is required.",
        "Kind: This field is required.",
    ]
    assert [problem.anchor for problem in summary.fields] == ["id_summary", "id_kind"]
    assert error_anchor(form["kind"]) == "id_kind"
    # The form's own error and the hidden field's come first, unlinked without `tie_to`.
    assert [problem.text for problem in summary.whole] == [
        "Something about the whole form.",
        "This field is required.",
    ]
    assert {problem.anchor for problem in summary.whole} == {""}
    tied = form_problems(form, form["summary"])
    assert {problem.anchor for problem in tied.whole} == {"id_summary"}


def test_an_unbound_or_unchecked_form_has_no_summary_and_no_error_title():
    assert not form_problems(Sample())
    assert not form_problems(None)
    assert title_error_prefix(Context({"form": Sample()})) == ""
    # The title never validates a form itself (sign-in's checks try the password) …
    sent = Sample(data={})
    assert title_error_prefix(Context({"reply_form": sent})) == ""
    # … it reports one its view has validated.
    assert not sent.is_valid()
    assert title_error_prefix(Context({"reply_form": sent})) == "Error: "


def test_the_include_renders_nothing_for_a_form_without_errors():
    template = Template('{% include "portal/_form_errors.html" %}')
    assert template.render(Context({"form": Sample()})).strip() == ""
    html = template.render(Context({"form": Sample(data={})}))
    assert "data-error-summary" in html
    assert 'tabindex="-1"' in html
    assert '<a href="#id_summary">Summary: This field is required.</a>' in html
    assert 'role="alert"' not in html


def test_a_failed_sign_in_ties_its_error_to_both_fields_and_says_error_in_the_title(client, cast):
    response = client.post(
        reverse("portal:sign_in"), {"username": cast.contact_a.username, "password": "wrong"}
    )
    html = response.content.decode()
    assert "<title>Error: Sign in" in html
    assert re.search(
        r'<ul class="error-summary__list" id="sign-in-error">\s*<li><a href="#id_username">', html
    )
    for name in ("username", "password"):
        field = re.search(rf'<input[^>]*name="{name}"[^>]*>', html).group(0)
        assert 'aria-invalid="true"' in field
        assert "sign-in-error" in field
    # A good sign-in page has neither.
    page = client.get(reverse("portal:sign_in")).content.decode()
    assert "aria-invalid" not in page
    assert "<title>Sign in" in page


def test_an_empty_reply_comes_back_with_a_summary_linked_to_the_reply_field(client, cast):
    case = file_case(cast)
    assert client.login(username=cast.contact_a.username, password=PASSWORD)
    response = client.post(reverse("portal:case_reply", args=[case.reference]), {"body": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert "<title>Error: " in html
    assert re.search(r'<a href="#id_body">Your reply: [^<]+</a>', html)
    assert case.comments.count() == 0
