from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganisationKind(models.TextChoices):
    MEMBER_ADMINISTRATION = "member_administration", _("Member administration")
    WCO_SECRETARIAT = "wco_secretariat", _("WCO Secretariat")
    ROCB = "rocb", _("Regional Office for Capacity Building")
    REGIONAL_TRAINING_CENTRE = "regional_training_centre", _("Regional training centre")
    RILO = "rilo", _("Regional Intelligence Liaison Office")
    DEVELOPMENT_PARTNER = "development_partner", _("Development partner")
    OTHER = "other", _("Other")


class Role(models.TextChoices):
    NCP = "ncp", _("National Contact Point")
    ALTERNATE_NCP = "alternate_ncp", _("Alternate National Contact Point")
    HEAD_OF_ADMINISTRATION = "head_of_administration", _("Head of administration")
    VICE_CHAIR = "vice_chair", _("Regional vice-chair")
    ROCB_OFFICER = "rocb_officer", _("ROCB officer")
    SECRETARIAT_OFFICER = "secretariat_officer", _("Secretariat officer")
    PARTNER_FOCAL_POINT = "partner_focal_point", _("Partner focal point")
    EXPERT = "expert", _("Expert")
    STAFF = "staff", _("Staff")


class Domain(models.TextChoices):
    CAPACITY_BUILDING = "capacity_building", _("Capacity building")
    ELEARNING = "elearning", _("e-Learning")
    PMM = "pmm", _("Performance Measurement Mechanism")


# Roles that must name a domain (and only these may).
ROLES_WITH_DOMAIN = frozenset({Role.NCP, Role.ALTERNATE_NCP})
