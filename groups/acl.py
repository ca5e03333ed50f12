"""What ACL rows reach, for the administration pages, for every kind of object registered with
the resolver (boards, integrations, and whatever registers next), never importing those apps.

Every list here is filtered through the grants of the person looking: a page never names an
object its viewer could not view (DESIGN.md: objects one cannot view do not exist for them).
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import ForeignKey

from groups.models import Group
from groups.resolver import Grants, acl_specs, object_model


@dataclass(frozen=True)
class Entry:
    obj: object
    level: str  # the level's label, or "" when only a group field names it
    notes: tuple[str, ...] = ()  # e.g. "home board", "home board on a phone"


@dataclass(frozen=True)
class Section:
    kind: str
    title: str  # the model's plural name: "boards"
    entries: list[Entry]


def _level_label(spec, level: str | None) -> str:
    if level is None:
        return ""
    field = spec.row_model._meta.get_field("level")
    return str(dict(field.flatchoices).get(level, level))


def _sorted(entries: Iterable[Entry]) -> list[Entry]:
    return sorted(entries, key=lambda e: str(e.obj).casefold())


def group_access(group: Group, viewer: Grants) -> list[Section]:
    """The objects the group's own rows reach, with their level, and the objects the group's
    own fields name (its home boards), each only if `viewer` can view it. One query per kind,
    one more for the objects the group's fields name."""
    sections = []
    for spec in acl_specs():
        model = object_model(spec)
        visible = viewer.visible(spec.kind, model._default_manager.all())
        rows = spec.row_model._default_manager.filter(
            group=group, **{f"{spec.object_field}__in": visible}
        ).select_related(spec.object_field)
        entries = {
            getattr(row, f"{spec.object_field}_id"): Entry(
                getattr(row, spec.object_field), _level_label(spec, row.level)
            )
            for row in rows
        }
        named: dict[int, list[str]] = {}
        for field in Group._meta.get_fields():
            if isinstance(field, ForeignKey) and field.related_model is model:
                pk = getattr(group, field.attname)
                if pk is not None:
                    named.setdefault(pk, []).append(str(field.verbose_name))
        if named:
            for obj in visible.filter(pk__in=named):
                entry = entries.get(obj.pk, Entry(obj, ""))
                entries[obj.pk] = Entry(entry.obj, entry.level, tuple(named[obj.pk]))
        sections.append(
            Section(spec.kind, str(model._meta.verbose_name_plural), _sorted(entries.values()))
        )
    return sections


def reachable(target: Grants, viewer: Grants, limit: int = 50) -> list[Section]:
    """The objects `target` can reach, with their level, among those `viewer` can view."""
    sections = []
    for spec in acl_specs():
        model = object_model(spec)
        objects = target.visible(spec.kind, viewer.visible(spec.kind, model._default_manager.all()))
        entries = [Entry(obj, target.level(spec.kind, obj) or "") for obj in objects[:limit]]
        sections.append(Section(spec.kind, str(model._meta.verbose_name_plural), entries))
    return sections


def owned(user, viewer: Grants) -> list[Section]:
    """The objects `user` owns (created), among those `viewer` can view."""
    sections = []
    for spec in acl_specs():
        model = object_model(spec)
        objects = viewer.visible(
            spec.kind, model._default_manager.filter(**{spec.owner_field: user})
        )
        entries = _sorted([Entry(obj, "") for obj in objects])
        sections.append(Section(spec.kind, str(model._meta.verbose_name_plural), entries))
    return sections
