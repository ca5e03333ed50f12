from django.urls import path

from groups import views

app_name = "groups"
urlpatterns = [
    path("", views.group_list, name="list"),
    path("new/", views.group_create, name="create"),
    path("reorder/", views.group_reorder, name="reorder"),
    path("<int:pk>/", views.group_detail, name="detail"),
    path("<int:pk>/rename/", views.group_rename, name="rename"),
    path("<int:pk>/permissions/", views.group_permissions, name="permissions"),
    path("<int:pk>/external-names/", views.group_external_names, name="external_names"),
    path("<int:pk>/two-factor/", views.group_two_factor, name="two_factor"),
    path("<int:pk>/members/add/", views.group_add_member, name="add_member"),
    path("<int:pk>/members/remove/", views.group_remove_member, name="remove_member"),
    path("<int:pk>/move/", views.group_move, name="move"),
    path("<int:pk>/delete/", views.group_delete, name="delete"),
]
