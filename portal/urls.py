from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from portal.forms import PasswordResetForm
from portal.views import (
    articles,
    case_extras,
    cases,
    dashboard,
    files,
    following,
    help_centre,
    invitations,
    people,
    public,
    requests,
    reviews,
    sso,
    surveys,
    tokens,
    webhooks,
)
from supportdesk.accounts import sign_in

app_name = "portal"

auth_urls = [
    path(
        "sign-in/",
        # allauth's flow (portal.forms.SignInForm, then the second step where the user has one).
        sign_in,
        name="sign_in",
    ),
    path("sign-in/sso/", sso.sign_in_sso, name="sign_in_sso"),
    path("sign-out/", auth_views.LogoutView.as_view(), name="sign_out"),
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(
            template_name="portal/auth/password_reset_form.html",
            form_class=PasswordResetForm,
            subject_template_name="emails/password_reset/subject.txt",
            email_template_name="emails/password_reset/body.txt",
            html_email_template_name="emails/password_reset/body.html",
            success_url=reverse_lazy("portal:password_reset_done"),
        ),
        name="password_reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(
            template_name="portal/auth/password_reset_done.html"
        ),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="portal/auth/password_reset_confirm.html",
            success_url=reverse_lazy("portal:password_reset_complete"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="portal/auth/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
    path(
        "account/password/",
        auth_views.PasswordChangeView.as_view(
            template_name="portal/auth/password_change.html",
            success_url=reverse_lazy("portal:password_change_done"),
        ),
        name="password_change",
    ),
    path(
        "account/password/changed/",
        auth_views.PasswordChangeDoneView.as_view(
            template_name="portal/auth/password_change_done.html"
        ),
        name="password_change_done",
    ),
    path("welcome/<int:invitation_id>/<str:token>/", invitations.invitation, name="invitation"),
]

case_urls = [
    path("cases/new/", cases.case_new, name="case_new"),
    path("cases/suggestions/", cases.suggestions, name="suggestions"),
    path("cases/<str:reference>/", cases.case_detail, name="case"),
    path("cases/<str:reference>/reply/", cases.case_reply, name="case_reply"),
    path("cases/<str:reference>/accept/", cases.case_accept, name="case_accept"),
    path("cases/<str:reference>/reject/", cases.case_reject, name="case_reject"),
    path("cases/<str:reference>/cancel/", cases.case_cancel, name="case_cancel"),
    path("cases/<str:reference>/reopen/", cases.case_reopen, name="case_reopen"),
    path("cases/<str:reference>/notify/", cases.case_watcher_add, name="case_watcher_add"),
    path(
        "cases/<str:reference>/notify/<int:watcher_id>/remove/",
        cases.case_watcher_remove,
        name="case_watcher_remove",
    ),
    path("cases/<str:reference>/escalate/", case_extras.case_escalate, name="case_escalate"),
    path(
        "cases/<str:reference>/session/<int:session_id>/",
        case_extras.session_book,
        name="session_book",
    ),
    path("files/<int:attachment_id>/", files.attachment_download, name="attachment"),
]

request_urls = [
    path("requests/", requests.request_list, name="requests"),
    path("requests/new/<slug:code>/", requests.request_new, name="request_new"),
    path("requests/<str:reference>/", requests.request_detail, name="request"),
    path(
        "requests/<str:reference>/authorization/",
        requests.request_authorization,
        name="request_authorization",
    ),
    path("account/", requests.account, name="account"),
]

following_urls = [
    path(
        "help/known-issues/<int:issue_id>/follow/",
        following.known_issue_follow_view,
        name="known_issue_follow",
    ),
    path(
        "help/known-issues/<int:issue_id>/unfollow/",
        following.known_issue_unfollow_view,
        name="known_issue_unfollow",
    ),
    path("account/email/", following.email_preferences, name="email_preferences"),
]

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("switch/", dashboard.switch_tenant, name="switch_tenant"),
    *auth_urls,
    *case_urls,
    *request_urls,
    path("survey/<str:token>/", surveys.survey, name="survey"),
    path("contacts/", people.contacts, name="contacts"),
    path("contacts/request/", people.contact_request, name="contact_request"),
    path("contacts/<int:contact_id>/remove/", people.contact_remove, name="contact_remove"),
    path(
        "contacts/<int:contact_id>/invite/",
        people.contact_invitation_resend_view,
        name="contact_invitation_resend",
    ),
    path("letters/", people.letters, name="letters"),
    path("contract-review/", reviews.contract_review, name="contract_review"),
    path("letters/<int:letter_id>/rescind/", people.letter_rescind, name="letter_rescind"),
    path("account/api-tokens/", tokens.api_tokens, name="api_tokens"),
    path("account/api-tokens/new/", tokens.api_token_new, name="api_token_new"),
    path(
        "account/api-tokens/<int:token_id>/revoke/",
        tokens.api_token_revoke_view,
        name="api_token_revoke",
    ),
    path("account/webhooks/", webhooks.webhooks, name="webhooks"),
    path("account/webhooks/new/", webhooks.webhook_new, name="webhook_new"),
    path(
        "account/webhooks/<int:endpoint_id>/disable/",
        webhooks.webhook_disable,
        name="webhook_disable",
    ),
    path(
        "account/webhooks/<int:endpoint_id>/enable/",
        webhooks.webhook_enable,
        name="webhook_enable",
    ),
    path("account/webhooks/<int:endpoint_id>/test/", webhooks.webhook_test, name="webhook_test"),
    path("status/", public.status, name="status"),
    path("status/alerts/", public.announcement_alerts, name="announcement_alerts"),
    path("help/", help_centre.help_index, name="help"),
    path("help/articles/<int:article_id>/", articles.article, name="article"),
    path("help/articles/<int:article_id>/vote/", help_centre.article_vote, name="article_vote"),
    path("help/known-issues/", help_centre.known_issues, name="known_issues"),
    path("help/known-issues/<int:issue_id>/", articles.known_issue, name="known_issue"),
    *following_urls,
]
