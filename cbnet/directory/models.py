"""Who: regions, organisations, people, their appointments, and user accounts."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cbnet.core.countries import TIME_ZONE_CHOICES, country_choices, country_name
from cbnet.core.models import PrimaryModel, TranslatedNamesMixin
from cbnet.core.querysets import RestrictedQuerySet
from cbnet.directory.choices import ROLES_WITH_DOMAIN, Domain, OrganisationKind, Role


class User(AbstractUser):
    """A sign-in account. Its rights come from the linked Person's current appointments."""

    class Meta:
        verbose_name = _("user account")
        verbose_name_plural = _("user accounts")


class Region(TranslatedNamesMixin, PrimaryModel):
    """A WCO region (AMS, ESA, EUR, AP, MENA, WCA) or a sub-region (a region with a parent)."""

    code = models.CharField(_("code"), max_length=16, unique=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="subregions",
    )

    search_fields = ("code", "name", "names_text")

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    @property
    def names_text(self):
        return " ".join(self.names.values())

    @property
    def is_subregion(self):
        return self.parent_id is not None

    def get_absolute_url(self):
        return reverse("directory:region_detail", args=[self.pk])

    def clean(self):
        if self.parent_id and self.parent_id == self.pk:
            raise ValidationError({"parent": _("A region cannot be its own parent.")})
        if self.parent and self.parent.parent_id:
            raise ValidationError({"parent": _("Sub-regions cannot have sub-regions.")})


class Organisation(PrimaryModel):
    name = models.CharField(_("name"), max_length=300)
    acronym = models.CharField(_("acronym"), max_length=40, blank=True)
    kind = models.CharField(_("kind"), max_length=32, choices=OrganisationKind.choices)
    country = models.CharField(
        _("country"), max_length=2, blank=True, choices=country_choices, help_text=_("ISO 3166-1")
    )
    region = models.ForeignKey(
        Region,
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="organisations",
        limit_choices_to={"parent__isnull": True},
    )
    subregion = models.ForeignKey(
        Region,
        verbose_name=_("sub-region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="subregion_organisations",
        limit_choices_to={"parent__isnull": False},
    )
    iati_ref = models.CharField(
        _("IATI organisation identifier"), max_length=100, blank=True, db_index=True
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, blank=True, choices=TIME_ZONE_CHOICES
    )
    languages = models.JSONField(
        _("languages"), default=list, blank=True, help_text=_("ISO 639-1 codes, e.g. es, en.")
    )
    website = models.URLField(_("website"), blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    contacts_confirmed_on = models.DateField(_("contacts confirmed on"), null=True, blank=True)
    contacts_confirmed_by = models.ForeignKey(
        "Person",
        verbose_name=_("contacts confirmed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    is_demo = models.BooleanField(
        _("demo record"), default=False, help_text=_("Invented for the demo; not from a source.")
    )

    search_fields = ("name", "acronym", "iati_ref", "country", "country_names")

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            models.UniqueConstraint(
                fields=["iati_ref"],
                condition=~Q(iati_ref=""),
                name="directory_organisation_unique_iati_ref",
            )
        ]

    def __str__(self):
        return self.name

    @property
    def country_name(self):
        return country_name(self.country)

    @property
    def country_names(self):
        """The country's name in every interface language, so any reader's search finds it."""
        if not self.country:
            return ""
        return " ".join(
            sorted({country_name(self.country, code) for code, _label in settings.LANGUAGES})
        )

    def get_absolute_url(self):
        return reverse("directory:organisation_detail", args=[self.pk])

    def clean(self):
        errors = {}
        if self.subregion_id and self.region_id and self.subregion.parent_id != self.region_id:
            errors["subregion"] = _("The sub-region must belong to the organisation's region.")
        if self.subregion_id and not self.region_id:
            self.region_id = self.subregion.parent_id
        if self.parent_id and self.parent_id == self.pk:
            errors["parent"] = _("An organisation cannot be its own parent.")
        if self.kind == OrganisationKind.MEMBER_ADMINISTRATION and not self.country:
            errors["country"] = _("A member administration needs a country or customs territory.")
        for code in self.languages or []:
            if not isinstance(code, str) or len(code) not in (2, 3):
                errors["languages"] = _("Use ISO 639-1 language codes such as es or en.")
        if errors:
            raise ValidationError(errors)

    def contacts_stale(self, today=None):
        """True if the contacts were never confirmed or were confirmed over a year ago."""
        today = today or timezone.localdate()
        if self.contacts_confirmed_on is None:
            return True
        return (today - self.contacts_confirmed_on).days > 365


class Person(PrimaryModel):
    given_name = models.CharField(_("given name"), max_length=150)
    family_name = models.CharField(_("family name"), max_length=150)
    title = models.CharField(_("title"), max_length=200, blank=True, help_text=_("Job title"))
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="people",
    )
    email = models.EmailField(_("e-mail"), blank=True, db_index=True)
    phone = models.CharField(_("office phone"), max_length=40, blank=True)
    mobile = models.CharField(_("mobile phone"), max_length=40, blank=True)
    languages = models.JSONField(
        _("languages"), default=list, blank=True, help_text=_("ISO 639-1 codes, e.g. es, en.")
    )
    expertise = models.ManyToManyField(
        "capabilities.Area",
        verbose_name=_("expertise areas"),
        blank=True,
        related_name="experts",
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
    )

    search_fields = ("given_name", "family_name", "email", "title")

    class Meta:
        ordering = ["family_name", "given_name"]
        verbose_name = _("person")
        verbose_name_plural = _("people")
        # The list pages and the API sort by name: without it every page sorts all people.
        indexes = [models.Index(fields=["family_name", "given_name"])]

    def __str__(self):
        return f"{self.given_name} {self.family_name}"

    @property
    def full_name(self):
        return str(self)

    def get_absolute_url(self):
        return reverse("directory:person_detail", args=[self.pk])


class AppointmentQuerySet(RestrictedQuerySet):
    def current(self, on=None):
        """Appointments held on date ``on`` (today by default).

        ``end_date`` is the day the appointment ended: from that day on the person no
        longer holds the role, so a handover on day D moves the rights that same day.
        """
        on = on or timezone.localdate()
        return self.filter(Q(end_date__isnull=True) | Q(end_date__gt=on), start_date__lte=on)


class Appointment(PrimaryModel):
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="appointments"
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="appointments",
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    domain = models.CharField(
        _("domain"),
        max_length=32,
        choices=Domain.choices,
        blank=True,
        help_text=_("Required for NCPs and alternates; blank for other roles."),
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(
        _("end date"),
        null=True,
        blank=True,
        help_text=_("The day the appointment ended; blank while it lasts."),
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    objects = AppointmentQuerySet.as_manager()
    # The list filter also matches the person's and organisation's own search text.
    search_fields = ("note",)

    class Meta:
        ordering = ["organisation__name", "role", "-start_date"]
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="directory_appointment_end_after_start",
            ),
            models.CheckConstraint(
                condition=(Q(role__in=ROLES_WITH_DOMAIN) & ~Q(domain=""))
                | (~Q(role__in=ROLES_WITH_DOMAIN) & Q(domain="")),
                name="directory_appointment_domain_matches_role",
            ),
        ]
        indexes = [models.Index(fields=["organisation", "role", "start_date"])]

    def __str__(self):
        # Query-free on purpose: the related names are not loaded here.
        return f"{self.get_role_display()} #{self.pk or 'new'}"

    def get_absolute_url(self):
        return reverse("directory:appointment_detail", args=[self.pk])

    def is_current(self, on=None):
        on = on or timezone.localdate()
        return self.start_date <= on and (self.end_date is None or self.end_date > on)

    def clean(self):
        errors = {}
        if self.role in ROLES_WITH_DOMAIN and not self.domain:
            errors["domain"] = _("Choose the domain of this NCP appointment.")
        if self.role and self.role not in ROLES_WITH_DOMAIN and self.domain:
            errors["domain"] = _("Only NCP and alternate NCP appointments have a domain.")
        if self.end_date and self.start_date and self.end_date < self.start_date:
            errors["end_date"] = _("The end date cannot be before the start date.")
        if (
            self.role in ROLES_WITH_DOMAIN
            and self.organisation_id
            and self.organisation.kind != OrganisationKind.MEMBER_ADMINISTRATION
        ):
            errors["role"] = _("NCPs are appointed by member administrations only.")
        if not errors and self.role in ROLES_WITH_DOMAIN and self.start_date:
            overlapping = Appointment.objects.filter(
                organisation_id=self.organisation_id,
                role=self.role,
                domain=self.domain,
                archived_at__isnull=True,
            ).exclude(pk=self.pk)
            overlapping = overlapping.filter(
                Q(end_date__isnull=True) | Q(end_date__gt=self.start_date)
            )
            if self.end_date:
                overlapping = overlapping.filter(start_date__lt=self.end_date)
            if overlapping.exists():
                errors["start_date"] = _(
                    "Another person holds this role for this domain during these dates. "
                    "End their appointment first (a handover ends it automatically)."
                )
        if errors:
            raise ValidationError(errors)
