from django.urls import path

from boards import views

app_name = "boards"
urlpatterns = [
    path("", views.board_list, name="list"),
    path("new/", views.board_create, name="create"),
    path("import/", views.board_import, name="import"),
    path("home-boards/", views.home_boards, name="home_boards"),
    path("icons/", views.icon_search, name="icons"),
    path("home-boards/groups/<int:group_id>/", views.group_home_boards, name="group_home_boards"),
    path("<slug:name>/", views.board_view, name="board"),
    path("<slug:name>/edit/", views.board_edit, name="edit"),
    path("<slug:name>/save/", views.board_save, name="save"),
    path("<slug:name>/widget-form/", views.widget_form, name="widget_form"),
    path("<slug:name>/settings/", views.board_settings, name="settings"),
    path("<slug:name>/general/", views.board_general, name="general"),
    path("<slug:name>/make-home/", views.board_make_home, name="make_home"),
    path("<slug:name>/access/", views.board_access, name="access"),
    path(
        "<slug:name>/access/<int:row_id>/remove/", views.board_access_remove, name="access_remove"
    ),
    path("<slug:name>/duplicate/", views.board_duplicate, name="duplicate"),
    path("<slug:name>/delete/", views.board_delete, name="delete"),
    path("<slug:name>/export/", views.board_export, name="export"),
    path(
        "<slug:name>/sections/<int:section_id>/collapse/", views.section_collapse, name="collapse"
    ),
    path("<slug:name>/items/<int:item_id>/data/", views.item_data, name="item_data"),
]
