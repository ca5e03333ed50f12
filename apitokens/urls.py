from django.urls import path

from apitokens import views

app_name = "apitokens"
urlpatterns = [
    path("", views.my_tokens, name="mine"),
    path("all/", views.all_tokens, name="all"),
    path("revoke/", views.revoke, name="revoke"),
]
