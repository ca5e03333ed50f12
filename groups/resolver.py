"""The permission resolver: what a user may do, computed once and asked everywhere.

A user's grants are their global permissions (the union over their groups, `everyone`
included, with implications expanded) and their group ids: computed with one query, kept on the
user object for the rest of the request, and cached across requests under a version number that
every change to memberships, group permissions or ACL rows bumps. Their size does not depend on
the number of objects. Object levels are read from the ACL rows (their own and their groups')
of the objects a request asks about: one indexed query for all the objects of a page, or a
subquery in the query that fetches them. The version lives in the
cache, so with REDIS_URL every server process sees a change on its next request.

Views, templates and commands ask `grants_for(user)` (or `request.grants`); nothing else
decides a permission.
"""

import functools
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from django.core.cache import cache as default_cache
from django.db import connection, models, transaction
from django.db.models import Exists, OuterRef, Q, Value
from django.db.models.constants import LOOKUP_SEP
from django.db.models.expressions import RawSQL

from groups.permissions import ADMIN, PERMISSIONS, expand
from homeportal.changes import Kept
from homeportal.compiled import CompiledQuery

if TYPE_CHECKING:
    from groups.models import AccessRow

VERSION_KEY = "grants-version"
KEY_PREFIX = "grants3"  # bumped when the cached shape changes
GRANTS_TIMEOUT = 3600


@dataclass(frozen=True)
class AclSpec:
    """How one kind of object plugs into the resolver."""

    kind: str  # "board"
    row_model: type["AccessRow"]  # the AccessRow subclass
    object_field: str  # the row's foreign key to the object, e.g. "board"
    levels: tuple[str, ...]  # lowest first: ("view", "modify", "full")
    all_permissions: tuple[str, ...]  # the global `*-all` permission for each level
    owner_field: str = "owner"  # the object's foreign key to its creator
    public_field: str | None = None  # a true value gives the lowest level to everybody


_REGISTRY: dict[str, AclSpec] = {}


def register_acl(spec: AclSpec) -> None:
    _REGISTRY[spec.kind] = spec
    for signal in (models.signals.post_save, models.signals.post_delete):
        signal.connect(_bump_on_change, sender=spec.row_model, dispatch_uid=f"acl-{spec.kind}")


def acl_spec(kind: str) -> AclSpec:
    return _REGISTRY[kind]


_NONE = -1


def acl_specs() -> list[AclSpec]:
    """Every registered kind of object, in registration order."""
    return list(_REGISTRY.values())


def object_model(spec: AclSpec) -> type[models.Model]:
    """The model of the objects a kind's ACL rows point at (Board, Integration, ...)."""
    model = spec.row_model._meta.get_field(spec.object_field).related_model
    assert isinstance(model, type), f"{spec.object_field} is not a foreign key"
    return model


@dataclass
class Grants:
    """What one user may do. Cached across requests: the global permissions and the group ids,
    a few hundred bytes whatever the number of objects. Object levels come from the ACL rows
    of the objects asked about, read when first asked (one indexed query for all the objects
    of a page: `prefetch`, or an annotation made by `annotate` / `visible`) and remembered for
    the rest of the request."""

    user_id: int | None = None
    is_owner: bool = False
    permissions: frozenset[str] = frozenset()
    group_ids: frozenset[int] = frozenset()
    # Some group of the user (`everyone` included) requires two-factor login.
    two_factor_required: bool = False
    known: dict[str, dict[int, int]] = field(default_factory=dict, repr=False, compare=False)

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def is_admin(self) -> bool:
        return ADMIN in self.permissions

    def has(self, permission: str) -> bool:
        return permission in self.permissions

    def _global_index(self, spec: AclSpec) -> int:
        """The level every object of the kind gets from the user's global permissions."""
        if self.is_admin:
            return len(spec.levels) - 1
        best = _NONE
        for index, permission in enumerate(spec.all_permissions):
            if permission in self.permissions:
                best = index
        return best

    def _needs_rows(self, spec: AclSpec) -> bool:
        """Whether ACL rows can still change an answer (not for admins, nor for the kind's
        highest `*-all` permission)."""
        return self.is_authenticated and self._global_index(spec) < len(spec.levels) - 1

    def level_index(self, kind: str, obj) -> int:
        """The user's level on `obj` as an index into the kind's levels; -1 for none."""
        spec = _REGISTRY[kind]
        top = len(spec.levels) - 1
        public = bool(spec.public_field and getattr(obj, spec.public_field))
        if not self.is_authenticated:
            return 0 if public else _NONE
        best = self._global_index(spec)
        if best == top or getattr(obj, f"{spec.owner_field}_id", None) == self.user_id:
            return top
        if public:
            best = max(best, 0)
        return max(best, self._row_index(spec, obj))

    def _row_index(self, spec: AclSpec, obj) -> int:
        annotated = getattr(obj, self._attribute(spec), False)
        if annotated is not False:
            return _NONE if annotated is None else annotated
        if obj.pk is None:
            return _NONE
        known = self.known.setdefault(spec.kind, {})
        if obj.pk not in known:
            self.prefetch(spec.kind, [obj])
        return known[obj.pk]

    def level(self, kind: str, obj) -> str | None:
        index = self.level_index(kind, obj)
        return _REGISTRY[kind].levels[index] if index >= 0 else None

    def can(self, kind: str, obj, level: str) -> bool:
        return self.level_index(kind, obj) >= _REGISTRY[kind].levels.index(level)

    def _rows(self, spec: AclSpec) -> models.QuerySet:
        return spec.row_model._default_manager.filter(
            Q(user_id=self.user_id) | Q(group_id__in=sorted(self.group_ids))
        )

    def _attribute(self, spec: AclSpec) -> str:
        return f"_acl_{spec.kind}_{self.user_id}"

    def prefetch(self, kind: str, objects) -> None:
        """Reads the user's ACL rows for `objects` (or their ids) in one query, so the
        questions asked about them next cost nothing."""
        spec = _REGISTRY[kind]
        known = self.known.setdefault(kind, {})
        ids = {getattr(o, "pk", o) for o in objects if o is not None} - known.keys() - {None}
        if not ids or not self.is_authenticated:
            return
        for object_id in ids:
            known[object_id] = _NONE
        rows = (
            self._rows(spec)
            .filter(**{f"{spec.object_field}_id__in": sorted(ids)})
            .values_list(f"{spec.object_field}_id", "level")
        )
        for object_id, level in rows:
            if level in spec.levels:
                known[object_id] = max(known[object_id], spec.levels.index(level))

    def annotate(self, kind: str, queryset: models.QuerySet) -> models.QuerySet:
        """`queryset` with the user's best ACL row on each object, read in the same query (a
        correlated subquery on the rows' object index)."""
        spec = _REGISTRY[kind]
        if not self._needs_rows(spec):
            return queryset
        level = _level_sql(spec, queryset, self.user_id, sorted(self.group_ids))
        return queryset.annotate(**{self._attribute(spec): level})

    def find(self, kind: str, field: str, value: str | int, base: "Base | None" = None,
             for_viewer: "ForViewer | None" = None, count: int | None = None):  # fmt: skip
        """The object of `kind` whose unique `field` is `value`, carrying the user's level as
        `annotate` gives it, or None: one query whose SQL is compiled once per shape (what the
        ORM spends turning the queryset into SQL costs more than running it, and the board
        page and the API ask this on every call). `base` makes the starting queryset (for
        example with an annotation of its own); the default is every object. `for_viewer`
        adds what belongs to a logged-in viewer (their own state of the object), in the same
        query. With `count` (the database's change count, homeportal.changes), the answer read
        under that count is kept in this process and given again while the count stays: only
        for lookups whose tables all raise it."""
        spec = _REGISTRY[kind]
        if isinstance(value, int) and not _fits(spec, field, value):
            return None
        if not self.is_authenticated:
            return _lookup(kind, field, base, None, rows=False).first(value, count=count)
        if not self._needs_rows(spec):
            if for_viewer is None:
                return _lookup(kind, field, base, None, rows=False).first(value, count=count)
            query = _lookup(kind, field, base, for_viewer, rows=False)
            return query.first(value, self.user_id, count=count)
        groups = sorted(self.group_ids)
        query = _lookup(kind, field, base, for_viewer, rows=True)
        found = query.first(value, self.user_id, *groups, shape=len(groups), count=count)
        if found is not None:  # the annotation, compiled under a placeholder user id
            found.__dict__[self._attribute(spec)] = found.__dict__.pop(_LEVEL)
        return found

    def visible(self, kind: str, queryset: models.QuerySet, level: str | None = None):
        """`queryset` narrowed to the objects on which the user has at least `level`, each
        carrying the user's level (so asking it again costs no query)."""
        spec = _REGISTRY[kind]
        index = spec.levels.index(level or spec.levels[0])
        public = (
            Q(**{spec.public_field: True}) if spec.public_field and index == 0 else Q(pk__in=[])
        )
        if not self.is_authenticated:
            return queryset.filter(public)
        if self._global_index(spec) >= index:
            return self.annotate(kind, queryset)
        reached = self._rows(spec).filter(level__in=spec.levels[index:])
        return self.annotate(
            kind,
            queryset.filter(
                Q(pk__in=reached.values(f"{spec.object_field}_id"))
                | Q(**{spec.owner_field: self.user_id})
                | public
            ),
        )

    def as_cached(self) -> tuple:
        return (sorted(self.permissions), sorted(self.group_ids), self.two_factor_required)


ANONYMOUS = Grants()


@dataclass
class RestrictedGrants(Grants):
    """A user's grants narrowed by ceilings (an API token's scopes, apitokens.scopes): on each
    kind of object, the lower of the user's current level and the ceiling; of the global
    permissions, those the restriction lets through. Never more than the user holds: the
    ceilings only lower the answers of the grants they were made from."""

    holder_permissions: frozenset[str] = frozenset()
    ceilings: dict[str, int] = field(default_factory=dict)  # kind -> highest level index

    def _global_index(self, spec: AclSpec) -> int:
        if ADMIN in self.holder_permissions:
            best = len(spec.levels) - 1
        else:
            best = max(
                (i for i, p in enumerate(spec.all_permissions) if p in self.holder_permissions),
                default=_NONE,
            )
        return min(best, self.ceilings.get(spec.kind, _NONE))

    def level_index(self, kind: str, obj) -> int:
        return min(super().level_index(kind, obj), self.ceilings.get(kind, _NONE))

    def visible(self, kind: str, queryset: models.QuerySet, level: str | None = None):
        spec = _REGISTRY[kind]
        if spec.levels.index(level or spec.levels[0]) > self.ceilings.get(kind, _NONE):
            return queryset.none()
        return super().visible(kind, queryset, level)


def restrict(grants: Grants, ceilings: dict[str, str | None], permissions) -> Grants:
    """`grants` narrowed to at most `ceilings[kind]` (a level name, None for nothing) on each
    kind of object and to the global permissions in `permissions`."""
    if not grants.is_authenticated:
        return grants
    indexes = {
        kind: (spec.levels.index(level) if (level := ceilings.get(kind)) else _NONE)
        for kind, spec in _REGISTRY.items()
    }
    return RestrictedGrants(
        grants.user_id, grants.is_owner, grants.permissions & frozenset(permissions),
        grants.group_ids, grants.two_factor_required,
        holder_permissions=grants.permissions, ceilings=indexes,
    )  # fmt: skip


Base = Callable[[], models.QuerySet]
# Adds to `Grants.find`'s queryset what belongs to the viewer (a logged-in user), given their
# user id to use as a value in the query, never to choose its shape (homeportal/compiled.py).
ForViewer = Callable[[models.QuerySet, int], models.QuerySet]
_LEVEL = "_acl_level"
_LOOKUPS: dict[tuple, CompiledQuery] = {}


def _lookup(kind: str, field: str, base: Base | None, for_viewer: ForViewer | None,
            rows: bool) -> CompiledQuery:  # fmt: skip
    """`Grants.find`'s compiled query: the object of `kind` by `field` from `base`'s queryset,
    with `for_viewer`'s additions when given (the query then takes the user id after the
    value) and, with `rows`, the level annotation `annotate` makes (then the user id and the
    group ids)."""
    key = (kind, field, base, for_viewer, rows)
    if key not in _LOOKUPS:
        spec = _REGISTRY[kind]

        def build(value: str, user_id: int | None = None, *groups: int) -> models.QuerySet:
            queryset = base() if base is not None else object_model(spec)._default_manager.all()
            if rows:
                queryset = queryset.annotate(
                    **{_LEVEL: _level_sql(spec, queryset, user_id, groups)}
                )
            if for_viewer is not None:
                assert user_id is not None
                queryset = for_viewer(queryset, user_id)
            # One object by a unique field: the model's default ordering would only add a sort.
            return queryset.filter(**{field: value}).order_by()

        _LOOKUPS[key] = CompiledQuery(build)
    return _LOOKUPS[key]


def _fits(spec: AclSpec, field: str, value: int) -> bool:
    """Whether a number fits the integer column it is looked up in. The ORM answers an exact
    lookup with a number out of the column's range with nothing, without asking the database
    (SQLite could not even take it); a compiled lookup must answer the same."""
    if LOOKUP_SEP in field:
        return True
    meta = object_model(spec)._meta
    column = meta.pk if field == "pk" else meta.get_field(field)
    if not isinstance(column, models.IntegerField):
        return True
    low, high = connection.ops.integer_field_range(column.get_internal_type())
    return (low is None or value >= low) and (high is None or value <= high)


def _level_sql(spec: AclSpec, queryset: models.QuerySet, user_id, groups) -> RawSQL:
    """The user's best level on each object of `queryset`, as an expression to annotate."""
    sql = _best_row_sql(spec, queryset.model._meta.db_table, len(groups))
    params = (*spec.levels, user_id, *groups)
    # Identifiers from model metadata, every value a parameter.
    return RawSQL(sql, params, output_field=models.IntegerField())  # noqa: S611


@functools.lru_cache(maxsize=64)
def _best_row_sql(spec: AclSpec, outer_table: str, groups: int) -> str:
    """SQL for the highest level among a user's and their groups' rows on the outer query's
    object (NULL when none). Written once per shape: the ORM would rebuild a subquery with
    CASE and OUTER references on every request, which costs more than running it."""
    quote = connection.ops.quote_name
    row = spec.row_model._meta
    column = cast(models.ForeignKey, row.get_field(spec.object_field)).column
    outer_pk = cast(models.ForeignKey, row.get_field(spec.object_field)).target_field.column
    assert outer_pk is not None  # the object's primary key, a concrete column
    user = cast(models.ForeignKey, row.get_field("user")).column
    group = cast(models.ForeignKey, row.get_field("group")).column
    ranks = " ".join(f"WHEN %s THEN {i}" for i in range(len(spec.levels)))
    in_groups = f" OR {quote(group)} IN ({', '.join(['%s'] * groups)})" if groups else ""
    # Identifiers from model metadata, values are parameters.
    return (
        f"SELECT MAX(CASE {quote('level')} {ranks} ELSE -1 END) FROM {quote(row.db_table)} "  # noqa: S608
        f"WHERE {quote(column)} = {quote(outer_table)}.{quote(outer_pk)} "
        f"AND ({quote(user)} = %s{in_groups})"
    )


def compute(user) -> Grants:
    """Reads a user's grants from the database: one query, whatever the data size."""
    from groups.models import Group

    groups = list(
        Group.objects.filter(Q(memberships__user_id=user.pk) | Q(is_everyone=True))
        .values_list("id", "permissions", "require_two_factor")
        .distinct()
    )
    return _grants_of(user, groups)


def _grants_of(user, groups) -> Grants:
    """A user's grants from their groups' (id, permissions, require_two_factor)."""
    return Grants(
        user.pk,
        user.is_owner,
        expand(p for _, permissions, _ in groups for p in permissions),
        frozenset(group_id for group_id, _, _ in groups),
        any(required for _, _, required in groups),
    )


def compute_many(users) -> dict[int, Grants]:
    """`compute` for several users at once, by user id: one query, whatever their number
    (for lists that judge many users' rights, such as the invites list's creators)."""
    from groups.models import Group

    users = {user.pk: user for user in users if user is not None}
    rows = (
        Group.objects.filter(Q(memberships__user_id__in=users) | Q(is_everyone=True))
        .values_list(
            "id", "permissions", "require_two_factor", "is_everyone", "memberships__user_id"
        )
        .distinct()
    )
    everyone: dict[int, tuple] = {}
    groups: dict[int, dict[int, tuple]] = {pk: {} for pk in users}
    for group_id, permissions, two_factor, is_everyone, user_id in rows:
        row = (group_id, permissions, two_factor)
        if is_everyone:
            everyone[group_id] = row
        if user_id in groups:
            groups[user_id][group_id] = row
    return {
        pk: _grants_of(user, list({**everyone, **groups[pk]}.values()))
        for pk, user in users.items()
    }


def holder_group_ids(permission: str, groups=None) -> set[int]:
    """The groups whose permissions include `permission` (through implications too).
    `groups`: every group, if loaded already (then no query)."""
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")
    from groups.models import Group

    rows = (
        [(g.pk, g.permissions) for g in groups]
        if groups is not None
        else Group.objects.values_list("pk", "permissions")
    )
    return {pk for pk, perms in rows if permission in expand(perms)}


def holds(permission: str, groups=None):
    """Whether the user of each row of a user queryset holds `permission` (disabled users
    included), as an expression to annotate or filter with, so that a list of users learns it
    in its own query. `groups`: every group, if loaded already (then no query)."""
    from groups.models import Group, Membership

    groups = list(groups) if groups is not None else list(Group.objects.all())
    ids = holder_group_ids(permission, groups)
    if any(g.is_everyone and g.pk in ids for g in groups):
        return Value(True, output_field=models.BooleanField())
    return Exists(Membership.objects.filter(user=OuterRef("pk"), group_id__in=ids))


def holders(permission: str, *, include_inactive: bool = False, groups=None) -> models.QuerySet:
    """The users who hold `permission`, as a queryset: the same derivation as `compute`
    (a user's set is the union over their groups, `everyone` included, implications
    expanded), asked the other way round. Disabled users hold nothing; with
    `include_inactive` they count as holding what they would hold once enabled (a user
    manager must not enable a disabled admin). `groups`: every group, if loaded already."""
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.annotate(_holds=holds(permission, groups)).filter(_holds=True)
    return users if include_inactive else users.filter(is_active=True)


def current_version(cache=default_cache) -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        # A random start, so grants cached under a lost version can never be mistaken for new.
        cache.add(VERSION_KEY, secrets.randbelow(2**40), timeout=None)
        version = cache.get(VERSION_KEY)
    return version


def bump_version(cache=default_cache) -> None:
    """Makes every process recompute grants on its next request."""

    def bump() -> None:
        try:
            cache.incr(VERSION_KEY)
        except ValueError:
            current_version(cache)

    bump()  # at once, so this request and this transaction see the change...
    transaction.on_commit(bump)  # ...and again once committed, so no process caches the old state.


def grants_keys(user) -> list[str]:
    """The cache keys `grants_for` reads (the version and the user's entry), for a caller that
    reads them with something of its own in one round trip and passes them as `found`."""
    return [VERSION_KEY, f"{KEY_PREFIX}:{user.pk}"]


# Grants read from the database under a change count of groups and memberships
# (homeportal.changes.GROUPS), by (user id, is owner, count): what Grants holds besides.
_kept_grants = Kept(4096)


def grants_for(user, cache=default_cache, refresh: bool = False,
               found: dict | None = None, count: int | None = None) -> Grants:  # fmt: skip
    """The user's grants, cached on the user object and, across requests, in the cache.

    With `count`, the change count of groups and memberships read with the request's session
    or API token (homeportal.changes.GROUPS): the grants read from the database under that
    count are kept in this process and given again while it stays. A user's
    grants come from their groups and memberships and their own row (its owner flag, read
    with the user on every request), so a change to any of them is seen by the next request,
    made however it was (signals or not)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return ANONYMOUS
    if not refresh and getattr(user, "_grants", None) is not None:
        return user._grants
    if count is not None and not refresh:
        grants = _grants_under(user, count)
    else:
        grants = _grants_cached(user, cache, {} if refresh else found)
    # A request made with an API token: the token's scopes narrow every answer, the rules'
    # fresh reads (`refresh`) included.
    restriction = getattr(user, "restrict_grants", None)
    if restriction is not None:
        grants = restriction(grants)
    user._grants = grants
    return grants


def _grants_cached(user, cache, found: dict | None) -> Grants:
    """grants_for's answer from the shared cache: the version and the user's entry in one
    round trip (or `found`, read by the caller); the entry names the version it was computed
    under, and one computed under another is computed again."""
    key = f"{KEY_PREFIX}:{user.pk}"
    if found is None:
        found = cache.get_many(grants_keys(user))
    version = found.get(VERSION_KEY)
    if version is None:
        version = current_version(cache)
    cached = found.get(key)
    if cached is None or cached[0] != version:
        grants = compute(user)
        cache.set(key, (version, grants.as_cached()), GRANTS_TIMEOUT)
        return grants
    permissions, group_ids, two_factor_required = cached[1]
    return Grants(user.pk, user.is_owner, frozenset(permissions), frozenset(group_ids),
                  two_factor_required)  # fmt: skip


def _grants_under(user, count: int) -> Grants:
    """grants_for's answer under the change count `count`: kept, or read from the database
    (rows read now are those of `count` or later: the count was read first)."""
    key = (user.pk, bool(user.is_owner), count)
    kept = _kept_grants.get(key)
    if kept is None:
        grants = compute(user)
        kept = grants.as_cached()
        _kept_grants.keep(key, kept)
        return grants
    permissions, group_ids, two_factor_required = kept
    return Grants(user.pk, user.is_owner, frozenset(permissions), frozenset(group_ids),
                  two_factor_required)  # fmt: skip


def _bump_on_change(sender, **kwargs) -> None:
    bump_version()
