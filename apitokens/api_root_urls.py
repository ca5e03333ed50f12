"""The API's place in the site's URLs, alone: what `apitokens.api.api_middleware` resolves API
calls against, so that a call does not try every other part of the site's URLs first. It must
mount the API where `homeportal/urls.py` does (tests/apitokens/test_api.py checks)."""

from django.urls import include, path

urlpatterns = [path("api/v1/", include("apitokens.api_urls"))]
