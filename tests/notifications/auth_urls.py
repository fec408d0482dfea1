"""Django's auth views, as the portal mounts them, for the password-reset mail test."""

from django.urls import include, path

urlpatterns = [path("accounts/", include("django.contrib.auth.urls"))]
