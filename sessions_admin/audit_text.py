"""The audit log in words: each entry as a sentence a person can read.

Entries store what happened as data (`action`, target, `details`); this module turns that into
a sentence when the log is shown or exported, so the stored entries stay machine-readable and
old entries read as well as new ones. An action without a sentence of its own still reads as
one: its name in words, its target, and its details as "key: value" phrases.
"""

from collections.abc import Callable

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Provider
from groups.permissions import PERMISSIONS


def provider_name(provider: str) -> str:
    """One vocabulary for how people log in, on every page: "Password", "LDAP", …"""
    try:
        return str(Provider(provider).label)
    except ValueError:
        return provider or "—"


def _value(value) -> str:
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    if value is None or value == "" or value == []:
        return _("nothing")
    if isinstance(value, list | tuple):
        return ", ".join(_value(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_value(v)}" for k, v in value.items())
    return str(value)


def _permissions(names) -> str:
    return ", ".join(str(n) for n in names if n in PERMISSIONS) or _("none")


def _change_list(details: dict) -> str:
    """`{"title": ["Old", "New"], "public": [False, True]}` as words."""
    phrases = []
    for key, change in details.items():
        if key == "public" and isinstance(change, list) and len(change) == 2:
            phrases.append(_("made it public") if change[1] else _("made it private"))
        elif isinstance(change, list) and len(change) == 2:
            phrases.append(
                _("changed %(what)s from “%(before)s” to “%(after)s”")
                % {
                    "what": key.replace("_", " "),
                    "before": _value(change[0]),
                    "after": _value(change[1]),
                }
            )
        else:
            phrases.append(f"{key.replace('_', ' ')}: {_value(change)}")
    return "; ".join(phrases)


def _group_members(d: dict, added: bool) -> str:
    user = d.get("user", "?")
    if d.get("invite_by"):
        return _("%(user)s joined through an invite by %(creator)s") % {
            "user": user,
            "creator": d["invite_by"],
        }
    if d.get("managed_by") or d.get("by_provider"):
        provider = provider_name(d.get("managed_by") or d.get("by_provider") or "")
        if added:
            return _("%(user)s joined, as %(provider)s says") % {"user": user, "provider": provider}
        return _("%(user)s left, as %(provider)s says") % {"user": user, "provider": provider}
    if added:
        return _("added %(user)s") % {"user": user}
    return _("removed %(user)s") % {"user": user}


def _permissions_changed(d: dict) -> str:
    before, after = set(d.get("before", [])), set(d.get("after", []))
    parts = []
    if after - before:
        parts.append(
            _("gave %(permissions)s") % {"permissions": _permissions(sorted(after - before))}
        )
    if before - after:
        parts.append(
            _("took away %(permissions)s") % {"permissions": _permissions(sorted(before - after))}
        )
    return "; ".join(parts) or _("left the permissions as they were")


Sentence = Callable[[dict], str]

# What each action did, given its details; the target is shown beside the sentence.
SENTENCES: dict[str, Sentence] = {
    "instance.onboarded": lambda d: _("set up homeportal and became its owner"),
    "user.created": lambda d: (
        _("created the account, in %(groups)s") % {"groups": _value(d["groups"])}
        if d.get("groups")
        else _("created the account")
    ),
    "user.updated": lambda d: _change_list(d.get("changed", {})) or _("saved the account"),
    "user.deleted": lambda d: _("deleted the account %(user)s") % {"user": d.get("user", "?")},
    "user.disabled": lambda d: _("disabled the account"),
    "user.enabled": lambda d: _("enabled the account"),
    "user.renamed": lambda d: (
        _("renamed %(before)s to %(after)s")
        % {"before": d.get("from", "?"), "after": d.get("to", "?")}
    ),
    "user.linked": lambda d: _("linked the account to a login provider"),
    "user.password_changed": lambda d: _("changed their password"),
    "user.password_reset": lambda d: _("reset the password"),
    "user.password_change_forced": lambda d: _("asked for a new password at the next login"),
    "user.reset_link_created": lambda d: _("made a one-time password link"),
    "user.admin_recreated": lambda d: _("recreated an admin account from the command line"),
    "user.ownership_transferred": lambda d: _("made them the owner"),
    "user.2fa_enabled": lambda d: _("turned on two-factor login"),
    "user.2fa_disabled": lambda d: _("turned off two-factor login"),
    "user.2fa_recovery_codes_renewed": lambda d: _("made new recovery codes"),
    "group.created": lambda d: (
        _("created the group with %(permissions)s")
        % {"permissions": _permissions(d["permissions"])}
        if d.get("permissions")
        else _("created the group")
    ),
    "group.renamed": lambda d: (
        _("renamed the group from “%(before)s” to “%(after)s”")
        % {"before": d.get("before", "?"), "after": d.get("after", "?")}
    ),
    "group.deleted": lambda d: _("deleted the group %(group)s") % {"group": d.get("group", "?")},
    "protected_app.created": lambda d: _("created the protected app"),
    "protected_app.changed": lambda d: _change_list(d.get("changed", {})) or _("saved it"),
    "protected_app.deleted": lambda d: _("deleted the protected app"),
    "protected_app.access_changed": lambda d: (
        _("gave %(who)s access") % {"who": d.get("principal", "?")}
    ),
    "protected_app.access_removed": lambda d: (
        _("took away the access of %(who)s") % {"who": d.get("principal", "?")}
    ),
    "protected_app.denied": lambda d: (
        _("refused %(n)s request(s) from people without access, the last by %(user)s")
        % {"n": d.get("repeats", 1), "user": d.get("last_user", "?")}
    ),
    "group.member_added": lambda d: _group_members(d, added=True),
    "group.member_removed": lambda d: _group_members(d, added=False),
    "group.permissions_changed": _permissions_changed,
    "group.external_names_changed": lambda d: (
        _("mapped it to %(names)s") % {"names": _value(d.get("after"))}
    ),
    "group.reordered": lambda d: (
        _("put the groups in this order: %(order)s") % {"order": _value(d.get("order"))}
    ),
    "group.home_boards_changed": lambda d: _("changed the group's home boards"),
    "group.two_factor_required": lambda d: _("required two-factor login of the group's members"),
    "group.two_factor_optional": lambda d: _("no longer required two-factor login of its members"),
    "encryption.key_rotated": lambda d: (
        _("re-encrypted %(count)s stored secrets under key %(key)s")
        % {"count": d.get("rotated", "?"), "key": d.get("sealed_with", "?")}
    ),
    "home_board.default_changed": lambda d: _("changed the server's home boards"),
    "board.created": lambda d: _("created the board"),
    "board.imported": lambda d: _("imported the board"),
    "board.duplicated": lambda d: _("copied the board from %(board)s") % {"board": d.get("from")},
    "board.deleted": lambda d: _("deleted the board %(board)s") % {"board": d.get("name", "?")},
    "board.changed": _change_list,
    "board.access_changed": lambda d: (
        _("gave %(who)s %(level)s access")
        % {"who": d.get("principal", "?"), "level": d.get("level", "?")}
    ),
    "board.access_removed": lambda d: (
        _("took away the access of %(who)s") % {"who": d.get("principal", "?")}
    ),
    "board.section_added": lambda d: (
        _("added the section “%(title)s”") % {"title": d["title"]}
        if d.get("title")
        else _("added a section")
    ),
    "board.section_changed": lambda d: _change_list(d.get("changed", {})) or _("saved a section"),
    "board.section_removed": lambda d: (
        ngettext(
            "removed the section “%(title)s” and its widget",
            "removed the section “%(title)s” and its %(count)s widgets",
            int(d.get("widgets", 0)),
        )
        % {"title": d.get("title") or "—", "count": d.get("widgets", 0)}
    ),
    "board.widget_added": lambda d: _("added a %(kind)s widget") % {"kind": d.get("kind", "?")},
    "board.widget_changed": lambda d: (
        _("changed a widget's %(what)s") % {"what": _value(d.get("changed"))}
    ),
    "board.widget_moved": lambda d: _("moved a widget"),
    "board.widget_removed": lambda d: _("removed a %(kind)s widget") % {"kind": d.get("kind", "?")},
    "integration.created": lambda d: (
        _("created the integration (%(kind)s)") % {"kind": d.get("kind", "?")}
    ),
    "integration.changed": lambda d: (
        _("changed the integration's %(what)s") % {"what": _value(d.get("changed"))}
    ),
    "integration.deleted": lambda d: _("deleted the integration"),
    "integration.access_changed": lambda d: (
        _("gave %(who)s %(level)s access")
        % {"who": d.get("principal", "?"), "level": d.get("level", "?")}
    ),
    "integration.access_removed": lambda d: (
        _("took away the access of %(who)s") % {"who": d.get("principal", "?")}
    ),
    "integration.action": lambda d: (
        (
            _("ran “%(action)s” on %(target)s from the board %(board)s")
            if d.get("target")
            else _("ran “%(action)s” from the board %(board)s")
        )
        % {"action": d.get("action", "?"), "target": d.get("target"), "board": d.get("board", "?")}
        + ("" if d.get("ok", True) else " — " + _("the service did not do it"))
    ),
    "icon.uploaded": lambda d: (
        _("uploaded the icon (%(type)s, %(size)s bytes)")
        % {"type": d.get("type", "?"), "size": d.get("size", "?")}
    ),
    "icon.deleted": lambda d: _("deleted the uploaded icon"),
    "invite.created": lambda d: (
        _("made an invite into %(groups)s") % {"groups": _value(d["groups"])}
        if d.get("groups")
        else _("made an invite")
    ),
    "invite.revoked": lambda d: _("revoked the invite"),
    "invite.redeemed": lambda d: (
        _("%(user)s registered with the invite") % {"user": d.get("user", "?")}
    ),
    "impersonation.started": lambda d: _("started acting as this user"),
    "impersonation.ended": lambda d: _("stopped acting as this user"),
    "session.revoked": lambda d: _("ended a session"),
}

SHOWN_ELSEWHERE = {"impersonated_by"}  # shown under the actor's name


def describe(action: str, details: dict) -> str:
    """The entry's sentence, without its actor (shown beside it)."""
    details = details if isinstance(details, dict) else {}
    sentence = SENTENCES.get(action)
    if sentence is not None:
        try:
            return sentence(details)
        except (KeyError, TypeError, ValueError):
            pass  # an older entry with other details: say it plainly below
    words = action.replace(".", ": ", 1).replace("_", " ")
    rest = {k: v for k, v in details.items() if k not in SHOWN_ELSEWHERE}
    if not rest:
        return words
    return f"{words} ({_change_list(rest)})"


def action_choices(actions) -> list[tuple[str, str]]:
    """`(action, label)` pairs for the filter, for the actions that occur in the log."""
    return [(a, a) for a in sorted(actions)]
