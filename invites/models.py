"""Invite links and one-time password-reset links: tokens handed over by hand, stored hashed.

Both are claimed with one conditional UPDATE (`... SET uses = uses + 1 WHERE <still usable>`):
the database decides which of two simultaneous redemptions wins, on PostgreSQL as on SQLite,
and a check constraint makes more uses than allowed impossible even for a buggy caller.
"""

from datetime import timedelta

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from groups import rules
from groups.models import Group
from groups.resolver import compute_many
from invites.tokens import hash_token, new_token
from sessions_admin import audit

DEFAULT_INVITE_LIFETIME = timedelta(days=7)
DEFAULT_RESET_LIFETIME = timedelta(days=1)


DEFAULT = object()


class Unusable(Exception):
    """The link is unknown, expired, revoked or used up (callers never say which)."""


class InviteQuerySet(models.QuerySet):
    def usable(self):
        """Not revoked, expired or used up, and its creator still an active account (the
        rest of the creator's authority is checked when it is used: `Invite.refusal`)."""
        return self.filter(
            Q(creator__is_active=True),
            Q(revoked_at__isnull=True),
            Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()),
            Q(max_uses__isnull=True) | Q(uses__lt=F("max_uses")),
        )

    def by_token(self, token: str) -> "Invite":
        """The usable invite for this token, or Unusable."""
        invite = self.usable().filter(token_hash=hash_token(token)).first()
        if invite is None or invite.refusal():
            raise Unusable
        return invite


class InviteState(models.TextChoices):
    ACTIVE = "active", _("Active")
    EXPIRED = "expired", _("Expired")
    REVOKED = "revoked", _("Revoked")
    USED_UP = "used-up", _("Used up")


class Invite(models.Model):
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    max_uses = models.PositiveIntegerField(
        _("maximum uses"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    uses = models.PositiveIntegerField(_("uses"), default=0, editable=False)
    note = models.CharField(_("note"), max_length=200, blank=True)
    default_groups = models.ManyToManyField(
        Group, blank=True, related_name="+", verbose_name=_("default groups")
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    objects = InviteQuerySet.as_manager()
    # Set by `with_refusals` for lists: why the invite cannot be used now, None when it can.
    refusal_reason: str | None = None

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_uses__isnull=True) | Q(uses__lte=F("max_uses")),
                name="invite_uses_within_maximum",
            ),
        ]

    def __str__(self) -> str:
        return self.note or f"invite #{self.pk}"

    @property
    def state(self) -> str:
        if self.revoked_at is not None:
            return InviteState.REVOKED
        if self.max_uses is not None and self.uses >= self.max_uses:
            return InviteState.USED_UP
        if self.expires_at is not None and self.expires_at <= timezone.now():
            return InviteState.EXPIRED
        return InviteState.ACTIVE

    def get_state_display(self) -> str | Promise:
        return InviteState(self.state).label

    def refusal(self, *, grants=None) -> str | None:
        """Why the invite no longer works on its creator's authority as it is now: they are
        gone or disabled, or may no longer place people in one of its default groups.
        `grants`: the creator's, when read already (`with_refusals`)."""
        return rules.link_refusal(self.creator, groups=self.default_groups.all(), grants=grants)

    @staticmethod
    def with_refusals(invites) -> list["Invite"]:
        """The invites, each with `refusal_reason`: why it cannot be used as things are now
        (`refusal`), None when it can; for invites otherwise active only. One query for all
        creators' rights; the invites come with their creator and default groups loaded."""
        invites = list(invites)
        active = [invite for invite in invites if invite.state == InviteState.ACTIVE]
        creators = [i.creator for i in active if i.creator is not None and i.creator.is_active]
        grants = compute_many(creators) if creators else {}
        for invite in invites:
            invite.refusal_reason = None
        for invite in active:
            invite.refusal_reason = invite.refusal(grants=grants.get(invite.creator_id))
        return invites

    @classmethod
    def create(
        cls,
        *,
        creator,
        expires_at=DEFAULT,
        max_uses: int | None = 1,
        note: str = "",
        groups=(),
        ip: str | None = None,
    ) -> tuple["Invite", str]:
        """A new invite and its token (shown once, never stored). By default it expires in 7
        days and works once; `expires_at=None` never expires, `max_uses=None` has no limit."""
        if expires_at is DEFAULT:
            expires_at = timezone.now() + DEFAULT_INVITE_LIFETIME
        groups = [g for g in groups if not g.is_everyone]
        token, token_hash = new_token()
        with transaction.atomic():
            rules.lock()
            rules.check_may_invite(creator, groups)
            invite = cls.objects.create(
                token_hash=token_hash,
                creator=creator,
                expires_at=expires_at,
                max_uses=max_uses,
                note=note,
            )
            invite.default_groups.set(groups)
            audit.record(
                "invite.created",
                actor=creator,
                target=invite,
                ip=ip,
                details={
                    "expires": expires_at.isoformat() if expires_at else None,
                    "max_uses": max_uses,
                    "groups": [g.name for g in groups],
                },
            )
        return invite, token

    def revoke(self, *, actor, ip: str | None = None) -> None:
        with transaction.atomic():
            rules.lock()
            rules.check_may_invite(actor, self.default_groups.all())
            revoked = Invite.objects.filter(pk=self.pk, revoked_at__isnull=True).update(
                revoked_at=timezone.now(), revoked_by=actor
            )
            if revoked:
                self.refresh_from_db()
                audit.record("invite.revoked", actor=actor, target=self, ip=ip)

    def redeem(
        self, *, username: str, password: str, display_name: str = "", ip: str | None = None
    ):
        """Creates the account and adds it to the default groups, or raises Unusable when the
        invite was used up, revoked or expired meanwhile. One transaction: a refused group or
        a taken username (IntegrityError) gives the use back."""
        from accounts.models import User

        with transaction.atomic():
            rules.lock()
            # With the creator's rights as they are now, read after the lock: an invite by a
            # user manager never leads into a group given permissions they lack since, and an
            # invite whose creator is gone or disabled adds nobody anywhere.
            creator_id = self.creator_id
            self.creator = User.objects.filter(pk=creator_id).first() if creator_id else None
            if self.refusal():
                raise Unusable
            claimed = Invite.objects.usable().filter(pk=self.pk).update(uses=F("uses") + 1)
            if not claimed:
                raise Unusable
            user = User.objects.create_user(username, password, display_name=display_name)
            for group in self.default_groups.all():
                rules.add_member(group, user, actor=self.creator, ip=ip)
            InviteRedemption.objects.create(invite=self, user=user, username=user.username, ip=ip)
            audit.record(
                "invite.redeemed",
                actor=user,
                target=self,
                ip=ip,
                details={"user": user.username, "invite": self.pk},
            )
        self.refresh_from_db()
        return user


class InviteRedemption(models.Model):
    """Who joined through an invite, and when."""

    invite = models.ForeignKey(Invite, on_delete=models.CASCADE, related_name="redemptions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    username = models.CharField(max_length=150)
    created = models.DateTimeField(default=timezone.now)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["created"]

    def __str__(self) -> str:
        return f"{self.username} joined through {self.invite}"


class ResetLinkQuerySet(models.QuerySet):
    def usable(self):
        return self.filter(
            used_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
            user__is_active=True,
            user__provider="credentials",
            created_by__is_active=True,
        )

    def by_token(self, token: str) -> "PasswordResetLink":
        link = (
            self.usable()
            .select_related("user", "created_by")
            .filter(token_hash=hash_token(token))
            .first()
        )
        if link is None or link.refusal():
            raise Unusable
        return link


class PasswordResetLink(models.Model):
    """A one-time link an admin hands over (home labs often have no mail server) with which a
    user sets a new password. A new link for the same user replaces the previous ones."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reset_links"
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ResetLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"password reset link for {self.user}"

    def refusal(self) -> str | None:
        """Why the link no longer works on its creator's authority as it is now: they are
        gone or disabled, may no longer manage the user, or the user holds a permission (or
        admin) that they do not. Asked when the link is opened and again when it is used."""
        return rules.link_refusal(self.created_by, self.user)

    @classmethod
    def create(
        cls, user, *, actor, lifetime: timedelta = DEFAULT_RESET_LIFETIME, ip: str | None = None
    ) -> tuple["PasswordResetLink", str]:
        token, token_hash = new_token()
        now = timezone.now()
        with transaction.atomic():
            rules.lock()
            rules.check_may_reset_password(actor, user)
            if not rules.is_system(actor):
                rules.refuse(rules.link_refusal(actor, user))
            cls.objects.filter(user=user, used_at__isnull=True, revoked_at__isnull=True).update(
                revoked_at=now
            )
            link = cls.objects.create(
                user=user,
                token_hash=token_hash,
                created_by=actor,
                created=now,
                expires_at=now + lifetime,
            )
            audit.record(
                "user.reset_link_created",
                actor=actor,
                target=user,
                ip=ip,
                details={"expires": link.expires_at.isoformat()},
            )
        return link, token

    def use(self, password: str, *, ip: str | None = None) -> None:
        """Sets the password once; ends every session of the user."""
        from accounts.models import User
        from sessions_admin.services import revoke_sessions

        with transaction.atomic():
            rules.lock()
            by_id = self.created_by_id
            self.created_by = User.objects.filter(pk=by_id).first() if by_id else None
            self.user.refresh_from_db()
            if self.refusal():
                raise Unusable
            claimed = (
                PasswordResetLink.objects.usable().filter(pk=self.pk).update(used_at=timezone.now())
            )
            if not claimed:
                raise Unusable
            user = self.user
            user.set_password(password)
            user.must_change_password = False
            user.save(update_fields=["password", "must_change_password"])
            ended = revoke_sessions(user)
            audit.record(
                "user.password_reset_by_link",
                actor=user,
                target=user,
                ip=ip,
                details={"sessions_ended": ended, "link_created_by": str(self.created_by or "")},
            )


def end_outgrown_links(sender=None, actor=None, **kwargs) -> int:
    """Ends every pending reset or set-password link whose user now holds a permission (or
    admin) that its creator does not, or that its creator may no longer hand out: for good,
    so that losing the permission again does not bring the link back. Runs inside the
    transaction of the change that gave the permission. Pending links are few (one per user
    at most), so this reads them all."""
    ended = 0
    pending = PasswordResetLink.objects.usable().select_related("user", "created_by")
    for link in pending:
        reason = link.refusal()
        if reason:
            PasswordResetLink.objects.filter(pk=link.pk).update(revoked_at=timezone.now())
            audit.record(
                "user.reset_link_ended", actor=actor, target=link.user,
                details={"reason": reason, "link_created_by": str(link.created_by or "")},
            )  # fmt: skip
            ended += 1
    return ended
