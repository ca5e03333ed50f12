import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from accounts.usernames import is_reserved
from groups.permissions import PERMISSIONS

GROUP_NAME = re.compile(r"^[A-Za-z0-9._-]{3,64}$")
EVERYONE = "everyone"


def validate_group_name(value: str) -> None:
    if not GROUP_NAME.match(value):
        raise ValidationError(
            _("A group name has 3 to 64 letters, digits, dots, hyphens or underscores."),
            code="invalid",
        )
    if is_reserved(value):
        raise ValidationError(_("“%(name)s” is reserved.") % {"name": value}, code="reserved")


def validate_permissions(value) -> None:
    if not isinstance(value, list) or any(p not in PERMISSIONS for p in value):
        raise ValidationError(_("Unknown permission."), code="invalid")


def validate_external_names(value) -> None:
    if not isinstance(value, list) or any(
        not isinstance(n, str) or not n.strip() or len(n) > 256 for n in value
    ):
        raise ValidationError(_("External group names are non-empty texts."), code="invalid")


class GroupQuerySet(models.QuerySet["Group"]):
    def everyone(self) -> "Group":
        """The everyone row (made by a migration; made again if a database flush removed it)."""
        group, _ = self.get_or_create(is_everyone=True, defaults={"name": EVERYONE})
        return group

    def regular(self):
        return self.filter(is_everyone=False)


class Group(models.Model):
    """A set of users sharing global permissions and home boards.

    `everyone` is a row too (so its permissions and home boards can be edited) but its
    membership is computed: every active, authenticated user is in it, and no Membership row
    ever names it.
    """

    name = models.CharField(_lazy("name"), max_length=64, validators=[validate_group_name])
    position = models.PositiveIntegerField(_lazy("position"), default=0)
    permissions = models.JSONField(
        _lazy("permissions"), default=list, blank=True, validators=[validate_permissions]
    )
    external_names = models.JSONField(
        _lazy("external group names"),
        default=list,
        blank=True,
        validators=[validate_external_names],
        help_text=_lazy("Names of LDAP, OIDC or proxy groups whose members join this group."),
    )
    is_everyone = models.BooleanField(default=False, editable=False)
    # Members who log in with a password must set up two-factor login before anything else.
    # Merged like permissions (any of a user's groups, `everyone` included, requires it);
    # on `everyone` it is the instance-wide requirement.
    require_two_factor = models.BooleanField(_lazy("requires two-factor login"), default=False)
    # Home boards for the group's members (DESIGN.md "Home board"): the lowest-position group
    # with one the user can view decides, after the user's own choice.
    desktop_home_board = models.ForeignKey(
        "boards.Board",
        verbose_name=_lazy("home board"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    mobile_home_board = models.ForeignKey(
        "boards.Board",
        verbose_name=_lazy("home board on a phone"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created = models.DateTimeField(default=timezone.now, editable=False)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="user_groups"
    )

    objects = GroupQuerySet.as_manager()

    class Meta:
        ordering = ["is_everyone", "position", "name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="group_name_unique_ci"),
            models.UniqueConstraint(
                fields=["is_everyone"],
                condition=models.Q(is_everyone=True),
                name="group_single_everyone",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def validate_unique(self, exclude=None) -> None:
        super().validate_unique(exclude)
        clash = Group.objects.filter(name__iexact=self.name).exclude(pk=self.pk)
        if self.name and clash.exists():
            raise ValidationError({"name": _("A group with this name exists already.")})

    def clean(self) -> None:
        if self.is_everyone and self.name != EVERYONE:
            raise ValidationError({"name": _("The everyone group cannot be renamed.")})
        if not self.is_everyone:
            validate_group_name(self.name)

    @property
    def grants_admin(self) -> bool:
        return "admin" in self.permissions


class Membership(models.Model):
    """A stored membership. `managed_by` names the provider that mirrors it at login."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships")
    managed_by = models.CharField(max_length=16, blank=True, default="")
    created = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "group"], name="membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.group}"


class AccessRow(models.Model):
    """Base of every object ACL row: one principal (a user or a group) and a level.

    Concrete rows add the object's foreign key and the uniqueness constraint on
    (object, user) and (object, group). The resolver reads them through `register_acl`.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    group = models.ForeignKey(
        Group, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    level = models.CharField(max_length=16)
    created = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(user__isnull=False, group__isnull=True)
                    | models.Q(user__isnull=True, group__isnull=False)
                ),
                name="%(app_label)s_%(class)s_one_principal",
            ),
        ]
