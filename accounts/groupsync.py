"""Mirroring a provider's groups onto homeportal's groups at each login.

A homeportal group lists the provider group names mapped onto it (`Group.external_names`,
edited by admins). At each login of an LDAP, OIDC or proxy user:

- the user joins every group one of whose external names matches one of their provider
  groups (case-insensitively); the membership is marked as managed by the provider;
- memberships the provider manages whose group no longer matches are removed;
- memberships an admin made by hand are left alone, and no group is ever created.

Memberships a provider manages cannot be changed by hand (groups.rules refuses with the
reason), unless the provider is in AUTH_GROUPS_LOCAL_MANAGEMENT: then logins leave memberships
alone and admins manage them like any other.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings

from groups import rules
from groups.models import Group, Membership

logger = logging.getLogger(__name__)


@dataclass
class SyncResult:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # removals a safety rule refused


def matching_groups(external_names: Iterable[str]) -> list[Group]:
    """The groups whose external names match any of these provider group names."""
    wanted = {name.strip().casefold() for name in external_names if name and name.strip()}
    if not wanted:
        return []
    groups = Group.objects.regular()
    return [
        group
        for group in groups
        if any(name.strip().casefold() in wanted for name in group.external_names)
    ]


def mirror_groups(user, provider: str, external_names: Iterable[str], *, ip=None) -> SyncResult:
    result = SyncResult()
    if provider in settings.AUTH_GROUPS_LOCAL_MANAGEMENT:
        return result
    actor = rules.ProviderActor(provider)
    desired = {group.pk: group for group in matching_groups(external_names)}
    memberships = Membership.objects.filter(user=user).select_related("group")
    current = {m.group_id: m for m in memberships}

    for group_id, membership in current.items():
        if membership.managed_by == provider and group_id not in desired:
            try:
                rules.remove_member(membership.group, user, actor=actor, ip=ip)
            except rules.RuleError as error:
                # E.g. the last active admin: the safety rule wins, and the log says why.
                logger.warning(
                    "%s no longer lists %s in a group mapped to %s, but the membership stays: %s",
                    provider, user.username, membership.group.name, error.messages[0],
                )  # fmt: skip
                result.kept.append(membership.group.name)
            else:
                result.removed.append(membership.group.name)
    for group_id, group in desired.items():
        if group_id not in current:
            rules.add_member(group, user, actor=actor, ip=ip)
            result.added.append(group.name)
    if result.added or result.removed:
        logger.info("%s groups of %s: joined %s, left %s", provider, user.username,
                    result.added, result.removed)  # fmt: skip
    return result
