"""What: capability frameworks as trees of areas, and the maturity scale.

Names and descriptors are multilingual text (``cbnet.core.multilingual``): English
originals with es/fr/pt translations in the data files, any other language addable.
"""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from cbnet.core.models import BaseModel, SearchTextMixin
from cbnet.core.multilingual import MultilingualTextField


class FrameworkKind(models.TextChoices):
    DIAGNOSTIC = "diagnostic", _("Capacity-building diagnostic")
    TFA = "tfa", _("WTO Trade Facilitation Agreement")
    PMM = "pmm", _("Performance Measurement Mechanism")
    COMPETENCY = "competency", _("Competency framework")
    OTHER = "other", _("Other")


class Framework(SearchTextMixin, BaseModel):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = MultilingualTextField(_("name"))
    kind = models.CharField(_("kind"), max_length=20, choices=FrameworkKind.choices)
    source = models.CharField(_("source"), max_length=300, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("capability framework")
        verbose_name_plural = _("capability frameworks")

    search_fields = ("code", "name")

    def __str__(self):
        return str(self.name)

    def get_absolute_url(self):
        return reverse("capabilities:framework_detail", args=[self.pk])


class Area(SearchTextMixin, BaseModel):
    """A node of a framework's tree. ``code`` is stable: other records refer to it."""

    framework = models.ForeignKey(
        Framework, verbose_name=_("framework"), on_delete=models.PROTECT, related_name="areas"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent area"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    code = models.CharField(_("code"), max_length=20)
    name = MultilingualTextField(_("name"))
    position = models.PositiveIntegerField(_("position"), default=0)
    notifiable = models.BooleanField(
        _("notified as a unit"),
        default=False,
        help_text=_("TFA: members notify category A, B or C for this unit."),
    )

    class Meta:
        ordering = ["framework", "position", "code"]
        verbose_name = _("capability area")
        verbose_name_plural = _("capability areas")
        constraints = [
            models.UniqueConstraint(
                fields=["framework", "code"], name="capabilities_area_unique_code"
            )
        ]

    search_fields = ("code", "name")

    def __str__(self):
        return f"{self.code} {self.name}"

    def get_absolute_url(self):
        url = reverse("capabilities:framework_detail", args=[self.framework_id])
        return f"{url}#area-{self.code}"

    def clean(self):
        if self.parent_id:
            if self.parent_id == self.pk:
                raise ValidationError({"parent": _("An area cannot be its own parent.")})
            if self.parent.framework_id != self.framework_id:
                raise ValidationError({"parent": _("The parent must be in the same framework.")})


class MaturityScale(BaseModel):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = MultilingualTextField(_("name"))

    class Meta:
        verbose_name = _("maturity scale")
        verbose_name_plural = _("maturity scales")

    def __str__(self):
        return str(self.name)


class MaturityLevel(BaseModel):
    """One level (0-4) of a maturity scale with its descriptor in each language."""

    scale = models.ForeignKey(
        MaturityScale, verbose_name=_("scale"), on_delete=models.CASCADE, related_name="levels"
    )
    level = models.PositiveSmallIntegerField(
        _("level"), validators=[MinValueValidator(0), MaxValueValidator(4)]
    )
    name = MultilingualTextField(_("name"))
    descriptor = MultilingualTextField(_("descriptor"))

    class Meta:
        ordering = ["scale", "level"]
        verbose_name = _("maturity level")
        verbose_name_plural = _("maturity levels")
        constraints = [
            models.UniqueConstraint(fields=["scale", "level"], name="capabilities_level_unique"),
            models.CheckConstraint(
                condition=models.Q(level__lte=4), name="capabilities_level_0_to_4"
            ),
        ]

    def __str__(self):
        return f"{self.level} - {self.name}"
