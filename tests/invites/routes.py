"""Settings → Invites and the public link pages in the authorization matrix."""

from invites.models import Invite, PasswordResetLink
from tests.matrix import Route

MANAGERS = {"owner": 200, "admin": 200, "user_manager": 200, "anonymous": 302, "*": 403}
MANAGERS_POST = {"owner": 302, "admin": 302, "user_manager": 302, "anonymous": 302, "*": 403}
POST_ONLY = {"*": 405}
INVALID_REGISTRATION = {"username": "", "password1": "x", "password2": "y"}


def setup_world(world) -> None:
    people = world.people
    world.invite, world.invite_token = Invite.create(creator=people.owner, groups=[people.family])
    _link, world.reset_token = PasswordResetLink.create(people.member, actor=people.owner)


ROUTES = {
    "invites:list": Route("/settings/invites/", get=MANAGERS, post=POST_ONLY),
    # A valid form shows the new link once (200, no redirect: the token is in no URL).
    "invites:create": Route(
        "/settings/invites/new/",
        get=MANAGERS,
        post=MANAGERS,
        post_data={"expiry": "7d", "max_uses": "1"},
    ),
    "invites:revoke": Route(
        lambda w: f"/settings/invites/{w.invite.pk}/revoke/", get=POST_ONLY, post=MANAGERS_POST
    ),
    # Public. Logged-in visitors are told to log out first and cannot post.
    "invites:register": Route(
        lambda w: f"/invite/{w.invite_token}/",
        get={"*": 200},
        post={"anonymous": 400, "*": 403},
        post_data=INVALID_REGISTRATION,
    ),
    # Public; the link's own user (mia) may use it while logged in.
    "invites:reset_password": Route(
        lambda w: f"/reset-password/{w.reset_token}/",
        get={"*": 200},
        post={"anonymous": 400, "member": 400, "*": 403},
        post_data={"new_password1": "x", "new_password2": "y"},
    ),
}
