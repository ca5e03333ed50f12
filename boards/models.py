"""Boards, their layout (sections holding widget items) and per-user board preferences.

A board is a stack of sections; each section holds a grid of `board.columns` columns in which
widget items have a position and a size. Every item has two placements: the desktop one and the
narrow (phone) one, a grid of NARROW_COLUMNS columns. Until someone arranges the narrow layout
by hand (`narrow_custom`), it is regenerated from the desktop one on every save.
"""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Defined in its own module (see there), registered with the app's models here.
from boards.uploaded_icons import UploadedIcon as UploadedIcon
from groups.models import AccessRow

BOARD_NAME = RegexValidator(
    r"^[a-z0-9][a-z0-9-]{0,62}$",
    _(
        "A board's URL name has lowercase letters, digits and hyphens, "
        "and starts with a letter or digit."
    ),
)
# URL names that would collide with the pages under /boards/.
RESERVED_BOARD_NAMES = frozenset({"new", "import", "home-boards", "icons", "static", "api"})

MIN_COLUMNS, MAX_COLUMNS, DEFAULT_COLUMNS = 2, 24, 12
NARROW_COLUMNS = 4
MAX_ROWS = 1000  # per section and layout; a sanity bound, not a design limit
MAX_ITEM_HEIGHT = 24
MAX_SECTIONS = 50
MAX_ITEMS = 250

HEX_COLOR = RegexValidator(
    r"^#[0-9a-fA-F]{6}$", _("Give a color as # and six hexadecimal digits, e.g. #2563eb.")
)
# Characters that could end a CSS url("…") or an HTML attribute early; a background address
# is written into the page's style sheet, so it must hold none of them.
UNSAFE_URL_CHARACTERS = re.compile(r"[\s\"'()\\<>`{};]")


def validate_board_name(value: str) -> None:
    if value in RESERVED_BOARD_NAMES:
        raise ValidationError(_("“%(name)s” is reserved."), params={"name": value}, code="reserved")


def validate_background_url(value: str) -> None:
    if not value:
        return
    if not re.match(r"^https?://", value, re.IGNORECASE) and not value.startswith("/"):
        raise ValidationError(_("Give an http:// or https:// address, or a path on this server."))
    if value.startswith("//") or UNSAFE_URL_CHARACTERS.search(value):
        raise ValidationError(_("This address holds characters that are not allowed."))


class ColorSchemeOverride(models.TextChoices):
    USER = "", _("The viewer's own choice")
    LIGHT = "light", _("Light")
    DARK = "dark", _("Dark")


class Board(models.Model):
    name = models.CharField(
        _("URL name"),
        max_length=63,
        unique=True,
        validators=[BOARD_NAME, validate_board_name],
        help_text=_("The board's address: /boards/<name>/. Lowercase letters, digits, hyphens."),
    )
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), max_length=2000, blank=True)
    is_public = models.BooleanField(
        _("public"), default=False, help_text=_("Anyone, even without logging in, can view it.")
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_boards",
    )
    color_scheme = models.CharField(
        _("color scheme"),
        max_length=8,
        choices=ColorSchemeOverride.choices,
        default=ColorSchemeOverride.USER,
        blank=True,
    )
    accent_color = models.CharField(
        _("accent color"), max_length=7, blank=True, validators=[HEX_COLOR]
    )
    background_url = models.CharField(
        _("background image"),
        max_length=500,
        blank=True,
        validators=[validate_background_url],
        help_text=_("Address of an image shown behind the board."),
    )
    columns = models.PositiveSmallIntegerField(
        _("columns"),
        default=DEFAULT_COLUMNS,
        validators=[MinValueValidator(MIN_COLUMNS), MaxValueValidator(MAX_COLUMNS)],
    )
    narrow_custom = models.BooleanField(
        _("phone layout arranged by hand"),
        default=False,
        help_text=_("Until then the phone layout is generated from the desktop one."),
    )
    # Bumped by every saved change to the layout, so an editor working on an old copy is told.
    version = models.PositiveIntegerField(default=1, editable=False)
    created = models.DateTimeField(default=timezone.now, editable=False)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(columns__gte=MIN_COLUMNS, columns__lte=MAX_COLUMNS),
                name="board_columns_range",
            ),
        ]

    def __str__(self) -> str:
        return self.title or self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("boards:board", args=[self.name])


class Level(models.TextChoices):
    VIEW = "view", _("View")
    MODIFY = "modify", _("Modify")
    FULL = "full", _("Full")


class BoardAccess(AccessRow):
    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="access_rows")
    level = models.CharField(max_length=16, choices=Level.choices)

    class Meta(AccessRow.Meta):
        constraints = [
            *AccessRow.Meta.constraints,
            models.UniqueConstraint(
                fields=["board", "user"], condition=models.Q(user__isnull=False),
                name="boardaccess_one_row_per_user",
            ),
            models.UniqueConstraint(
                fields=["board", "group"], condition=models.Q(group__isnull=False),
                name="boardaccess_one_row_per_group",
            ),
        ]  # fmt: skip


class SectionKind(models.TextChoices):
    CATEGORY = "category", _("Category")
    AREA = "area", _("Area")


class Section(models.Model):
    """A band of the board: a titled category each user can collapse, or a plain area."""

    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="sections")
    kind = models.CharField(max_length=16, choices=SectionKind.choices, default=SectionKind.AREA)
    title = models.CharField(_("title"), max_length=120, blank=True)
    position = models.PositiveIntegerField(default=0)
    item_list: list  # its items in page order, set by boards.render for the templates

    class Meta:
        ordering = ["board", "position", "id"]

    def __str__(self) -> str:
        return self.title or self.get_kind_display()

    @property
    def is_category(self) -> bool:
        return self.kind == SectionKind.CATEGORY


class Item(models.Model):
    """A widget on a board: its kind (a module of boards.widgets), options and placements."""

    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="items")
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(max_length=32)
    options = models.JSONField(default=dict, blank=True)
    # Desktop placement, in grid cells of the board's columns.
    x = models.PositiveSmallIntegerField(default=0)
    y = models.PositiveSmallIntegerField(default=0)
    w = models.PositiveSmallIntegerField(default=1)
    h = models.PositiveSmallIntegerField(default=1)
    # Narrow (phone) placement, in NARROW_COLUMNS columns.
    nx = models.PositiveSmallIntegerField(default=0)
    ny = models.PositiveSmallIntegerField(default=0)
    nw = models.PositiveSmallIntegerField(default=NARROW_COLUMNS)
    nh = models.PositiveSmallIntegerField(default=1)
    data: object  # what the widget's loader fetched for this request (boards.render)

    class Meta:
        ordering = ["section__position", "y", "x", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(w__gte=1, h__gte=1, nw__gte=1, nh__gte=1),
                name="item_size_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"

    @property
    def widget(self):
        from boards.widgets import get_widget

        return get_widget(self.kind)


def touch_board(sender, instance, **kwargs) -> None:
    """Marks the board of a saved or deleted section or item as changed (`updated`), so the
    body cached for its previous state is never served again (boards.render.body_key)."""
    if instance.board_id:
        Board.objects.filter(pk=instance.board_id).update(updated=timezone.now())


class CollapsedSection(models.Model):
    """A category one user has collapsed for themselves."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="collapsed_sections"
    )
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="collapsed_by")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "section"], name="collapsed_section_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.section} collapsed by {self.user}"


class UserPreference(models.Model):
    """A user's own home boards (desktop and phone). Kept here rather than on the user."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="board_preference"
    )
    desktop_home_board = models.ForeignKey(
        Board,
        verbose_name=_("home board"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    mobile_home_board = models.ForeignKey(
        Board,
        verbose_name=_("home board on a phone"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    def __str__(self) -> str:
        return f"preferences of {self.user}"


class ServerHomeBoard(models.Model):
    """The server's default home boards, chosen by an admin (a single row, pk 1)."""

    desktop_board = models.ForeignKey(
        Board,
        verbose_name=_("default home board"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    mobile_board = models.ForeignKey(
        Board,
        verbose_name=_("default home board on a phone"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    def __str__(self) -> str:
        return "server home board"

    @classmethod
    def load(cls) -> "ServerHomeBoard":
        return cls.objects.select_related("desktop_board", "mobile_board").filter(pk=1).first() or (
            cls(pk=1)
        )
