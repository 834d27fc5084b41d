# ruff: noqa: E501  (the data tables below read best one record per line)
"""The demo network: regions, organisations, fictional people, appointments and demo logins.

``load_demo()`` is run by ``manage.py load_demo`` (and so by ``make run``). It is idempotent:
every row is found by a stable key (region code; organisation IATI identifier, or kind,
country and name; person e-mail; appointment person, organisation, role, domain and start
date; username) and created only when missing, so a second run writes nothing and edits
made in the demo survive the next ``make run``. Every row it creates gets a history row
with the change reason "demo data".

What is real and what is invented:

- Regions, the WCO Secretariat, the ROCB for the Americas and Caribbean, the AMS members
  (the WCO list, see ``AMS_MEMBERS``), the development partners named in the seed articles
  and the WCO Regional Training Centre in Shanghai are real organisations. Administrations
  are named descriptively ("Customs administration of Uruguay (DNA)"); the acronym is given
  only where it is certain. IATI identifiers are given only where they are known.
- Organisations marked ``is_demo`` are invented (the AMS training centres).
- Every person is fictional; e-mail addresses use the reserved domain example.org and phone
  numbers are deliberately invalid.
"""

import datetime
import os
import re
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from cbnet.capabilities.models import Area
from cbnet.capabilities.services import load_frameworks
from cbnet.core.search import indexing as search_indexing
from cbnet.core.text import strip_accents
from cbnet.directory.models import Appointment, Organisation, Person, Region

CHANGE_REASON = "demo data"
DEFAULT_PASSWORD = "demo-cbnet-2026"
D = datetime.date


def demo_password():
    return os.environ.get("CBNET_DEMO_PASSWORD") or DEFAULT_PASSWORD


# --- regions ----------------------------------------------------------------------------

REGIONS = [
    # code, parent, English name, es, fr, pt
    ("AMS", None, "Americas and Caribbean", "Américas y el Caribe", "Amériques et Caraïbes",
     "Américas e Caribe"),
    ("ESA", None, "East and Southern Africa", "África Oriental y Austral",
     "Afrique orientale et australe", "África Oriental e Austral"),
    ("EUR", None, "Europe", "Europa", "Europe", "Europa"),
    ("AP", None, "Asia/Pacific", "Asia/Pacífico", "Asie/Pacifique", "Ásia/Pacífico"),
    ("MENA", None, "North of Africa, Near and Middle East",
     "Norte de África, Cercano y Medio Oriente", "Afrique du Nord, Proche et Moyen-Orient",
     "Norte da África, Oriente Próximo e Médio"),
    ("WCA", None, "West and Central Africa", "África Occidental y Central",
     "Afrique occidentale et centrale", "África Ocidental e Central"),
    ("AMS-CAR", "AMS", "Caribbean", "Caribe", "Caraïbes", "Caribe"),
    ("AMS-CAM", "AMS", "Central America", "Centroamérica", "Amérique centrale",
     "América Central"),
    ("AMS-NAM", "AMS", "North America", "América del Norte", "Amérique du Nord",
     "América do Norte"),
    ("AMS-SAM", "AMS", "South America", "América del Sur", "Amérique du Sud", "América do Sul"),
]  # fmt: skip

# --- member administrations -------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    iso2: str
    country: str  # English short name
    subregion: str  # AMS-* code (empty outside AMS)
    territory: bool  # a customs territory rather than a state
    acronym: str  # only where certain
    time_zone: str
    languages: tuple
    people: str  # name pool for its fictional staff
    region: str = "AMS"


# The WCO members of the Americas and Caribbean region (29 states, 2 customs territories).
AMS_MEMBERS = [
    Member("AR", "Argentina", "AMS-SAM", False, "", "America/Argentina/Buenos_Aires", ("es",), "es"),
    Member("BS", "Bahamas", "AMS-CAR", False, "", "America/Nassau", ("en",), "en"),
    Member("BB", "Barbados", "AMS-CAR", False, "", "America/Barbados", ("en",), "en"),
    Member("BZ", "Belize", "AMS-CAM", False, "", "America/Belize", ("en", "es"), "en"),
    Member("BM", "Bermuda", "AMS-CAR", True, "", "Atlantic/Bermuda", ("en",), "en"),
    Member("BO", "Bolivia", "AMS-SAM", False, "ANB", "America/La_Paz", ("es",), "es"),
    Member("BR", "Brazil", "AMS-SAM", False, "RFB", "America/Sao_Paulo", ("pt",), "pt"),
    Member("CA", "Canada", "AMS-NAM", False, "CBSA", "America/Toronto", ("en", "fr"), "en"),
    Member("CL", "Chile", "AMS-SAM", False, "SNA", "America/Santiago", ("es",), "es"),
    Member("CO", "Colombia", "AMS-SAM", False, "DIAN", "America/Bogota", ("es",), "es"),
    Member("CR", "Costa Rica", "AMS-CAM", False, "", "America/Costa_Rica", ("es",), "es"),
    Member("CU", "Cuba", "AMS-CAR", False, "AGR", "America/Havana", ("es",), "es"),
    Member("CW", "Curaçao", "AMS-CAR", True, "", "America/Curacao", ("nl", "en"), "nl"),
    Member("DO", "Dominican Republic", "AMS-CAR", False, "DGA", "America/Santo_Domingo", ("es",), "es"),
    Member("EC", "Ecuador", "AMS-SAM", False, "SENAE", "America/Guayaquil", ("es",), "es"),
    Member("SV", "El Salvador", "AMS-CAM", False, "", "America/El_Salvador", ("es",), "es"),
    Member("GT", "Guatemala", "AMS-CAM", False, "SAT", "America/Guatemala", ("es",), "es"),
    Member("GY", "Guyana", "AMS-SAM", False, "GRA", "America/Guyana", ("en",), "en"),
    Member("HT", "Haiti", "AMS-CAR", False, "AGD", "America/Port-au-Prince", ("fr", "ht"), "fr"),
    Member("HN", "Honduras", "AMS-CAM", False, "", "America/Tegucigalpa", ("es",), "es"),
    Member("JM", "Jamaica", "AMS-CAR", False, "JCA", "America/Jamaica", ("en",), "en"),
    Member("MX", "Mexico", "AMS-NAM", False, "ANAM", "America/Mexico_City", ("es",), "es"),
    Member("NI", "Nicaragua", "AMS-CAM", False, "", "America/Managua", ("es",), "es"),
    Member("PA", "Panama", "AMS-CAM", False, "ANA", "America/Panama", ("es",), "es"),
    Member("PY", "Paraguay", "AMS-SAM", False, "DNA", "America/Asuncion", ("es",), "es"),
    Member("PE", "Peru", "AMS-SAM", False, "SUNAT", "America/Lima", ("es",), "es"),
    Member("LC", "Saint Lucia", "AMS-CAR", False, "", "America/St_Lucia", ("en",), "en"),
    Member("TT", "Trinidad and Tobago", "AMS-CAR", False, "", "America/Port_of_Spain", ("en",), "en"),
    Member("US", "United States", "AMS-NAM", False, "CBP", "America/New_York", ("en",), "en"),
    Member("UY", "Uruguay", "AMS-SAM", False, "DNA", "America/Montevideo", ("es",), "es"),
    Member("VE", "Venezuela", "AMS-SAM", False, "SENIAT", "America/Caracas", ("es",), "es"),
]  # fmt: skip

# A few well-known members of the other five regions.
OTHER_MEMBERS = [
    Member("CN", "China", "", False, "GACC", "Asia/Shanghai", ("zh",), "zh", "AP"),
    Member("JP", "Japan", "", False, "", "Asia/Tokyo", ("ja",), "ja", "AP"),
    Member("KE", "Kenya", "", False, "KRA", "Africa/Nairobi", ("en", "sw"), "sw", "ESA"),
    Member("ZA", "South Africa", "", False, "SARS", "Africa/Johannesburg", ("en",), "en", "ESA"),
    Member("FR", "France", "", False, "DGDDI", "Europe/Paris", ("fr",), "fr", "EUR"),
    Member("ES", "Spain", "", False, "", "Europe/Madrid", ("es",), "es", "EUR"),
    Member("MA", "Morocco", "", False, "ADII", "Africa/Casablanca", ("ar", "fr"), "ar", "MENA"),
    Member("SA", "Saudi Arabia", "", False, "ZATCA", "Asia/Riyadh", ("ar",), "ar", "MENA"),
    Member("SN", "Senegal", "", False, "", "Africa/Dakar", ("fr",), "fr", "WCA"),
    Member("NG", "Nigeria", "", False, "NCS", "Africa/Lagos", ("en",), "en", "WCA"),
]  # fmt: skip

# --- other organisations ------------------------------------------------------------------
# key, kind, name, acronym, country, region, iati_ref, time zone, languages, website, parent,
# is_demo
SECRETARIAT = "secretariat"
ROCB = "rocb-ams"
OTHER_ORGANISATIONS = [
    (SECRETARIAT, "wco_secretariat", "World Customs Organization Secretariat", "WCO", "BE",
     None, "", "Europe/Brussels", ("en", "fr"), "https://www.wcoomd.org", None, False),
    (ROCB, "rocb", "Regional Office for Capacity Building for the Americas and the Caribbean",
     "ROCB AMS", "", "AMS", "", "", ("es", "en"), "", None, False),
    ("rtc-shanghai", "regional_training_centre",
     "WCO Regional Training Centre Shanghai (Shanghai Customs College)", "", "CN", "AP", "",
     "Asia/Shanghai", ("zh", "en"), "", None, False),
    ("rtc-sam", "regional_training_centre", "Regional training centre for South America (demo)",
     "", "", "AMS-SAM", "", "", ("es", "pt"), "", None, True),
    ("rtc-car", "regional_training_centre", "Regional training centre for the Caribbean (demo)",
     "", "", "AMS-CAR", "", "", ("en",), "", None, True),
    ("idb", "development_partner", "Inter-American Development Bank", "IDB", "US", None,
     "XI-IATI-IADB", "America/New_York", ("en", "es", "pt", "fr"), "https://www.iadb.org",
     None, False),
    ("jsf", "development_partner", "Japan Special Fund at the IDB", "", "", None, "", "",
     ("en", "ja"), "", "idb", False),
    ("imf", "development_partner", "International Monetary Fund", "IMF", "US", None, "",
     "America/New_York", ("en", "es", "fr"), "https://www.imf.org", None, False),
    ("wb", "development_partner", "World Bank", "WB", "US", None, "44000", "America/New_York",
     ("en", "es", "fr"), "https://www.worldbank.org", None, False),
    ("usaid", "development_partner", "United States Agency for International Development",
     "USAID", "US", None, "US-GOV-1", "America/New_York", ("en",), "https://www.usaid.gov",
     None, False),
    ("cbsa", "development_partner", "Canada Border Services Agency: international assistance",
     "CBSA", "CA", None, "", "America/Toronto", ("en", "fr"), "", "member-CA", False),
    ("cbp", "development_partner", "U.S. Customs and Border Protection: international assistance",
     "CBP", "US", None, "", "America/New_York", ("en",), "", "member-US", False),
    ("oas", "development_partner", "Organization of American States", "OAS", "US", None, "",
     "America/New_York", ("es", "en", "pt", "fr"), "https://www.oas.org", None, False),
]  # fmt: skip

# --- fictional people -----------------------------------------------------------------------

NAME_POOLS = {
    "es": (
        "Ana Carlos María José Lucía Andrés Sofía Diego Gabriela Javier Valentina Miguel "
        "Daniela Fernando Paula Ricardo Isabel Martín Camila Jorge Elena Raúl Mariana Sergio",
        "García Rodríguez Martínez López González Pérez Sánchez Torres Flores Rivera Gómez "
        "Díaz Morales Castro Ortiz Vargas Romero Herrera Medina Aguilar Rojas Núñez Castillo "
        "Méndez Suárez Acosta",
    ),
    "pt": (
        "Beatriz Pedro Juliana Lucas Fernanda Rafael Larissa Gustavo Patrícia Thiago Renata "
        "André Camila Marcelo Mariana Rodrigo Ana Bruno",
        "Santos Oliveira Souza Pereira Almeida Costa Gomes Ribeiro Araújo Barbosa Rocha Lima "
        "Cardoso Moreira Nascimento Teixeira Monteiro",
    ),
    "en": (
        "Emily James Sarah Michael Olivia David Grace Daniel Rachel Andrew Natalie Mark "
        "Simone Kevin Michelle Brian Andrea Anthony Marcus Joanne",
        "Campbell Williams Brown Thompson Clarke Edwards Mitchell Walker Robinson Baptiste "
        "Henry Gordon Murray Bennett Sinclair Forbes Grant Morgan Phillips Douglas",
    ),
    "fr": (
        "Claire Pierre Sophie Jean Camille Luc Élodie Nicolas Nathalie Olivier Isabelle "
        "Julien Aminata François Marie Étienne Fatou Moussa",
        "Lefèvre Moreau Laurent Girard Bernard Rousseau Mercier Joseph Desrosiers Charles "
        "Jean-Baptiste Diallo Ndiaye Faye Chevalier Lambert",
    ),
    "nl": ("Anouk Jeroen Sanne Bram Femke Ruben Lotte Sander", "Visser Bakker Smit Mulder Janssen Kroon"),
    "zh": ("Wei Jing Hao Mei Lei Yan Xiaoming Lina", "Wang Zhang Liu Chen Yang Zhao Huang Zhou"),
    "ja": ("Yuki Haruto Aiko Kenji Sakura Takeshi", "Tanaka Suzuki Sato Watanabe Ito Nakamura"),
    "ar": ("Youssef Fatima Omar Amina Karim Salma Hassan Nadia", "Alaoui Haddad Mansour Saleh Idrissi Tazi"),
    "sw": ("Wanjiru Otieno Achieng Kamau Njeri Akinyi", "Odhiambo Kariuki Mutua Wambui Omondi Njoroge"),
}  # fmt: skip


def _pool(language):
    given, family = NAME_POOLS[language]
    return given.split(), family.split()


def _slug(text):
    return re.sub(r"[^a-z]", "", strip_accents(text).casefold())


def email_for(given, family, domain):
    return f"{_slug(given)}.{_slug(family)}@{domain}.example.org"


def _member_domain(member):
    return f"customs-{member.iso2.lower()}"


@dataclass(frozen=True)
class PersonSpec:
    given: str
    family: str
    org: str  # organisation key
    domain: str  # e-mail domain label (before .example.org)
    title: str = ""
    languages: tuple = ()
    phone: str = ""
    expertise: tuple = ()  # (framework code, area code)
    username: str = ""

    @property
    def email(self):
        return email_for(self.given, self.family, self.domain)


@dataclass(frozen=True)
class AppointmentSpec:
    person: str  # e-mail
    org: str
    role: str
    start: datetime.date
    end: datetime.date | None = None
    domain: str = ""


# Demo logins: username, person e-mail (filled in below), what it shows.
LOGIN_ROLES = {
    "ncp.uy": "NCP (capacity building), Uruguay",
    "ncp.br": "NCP (capacity building), Brazil",
    "rocb.ams": "ROCB officer, Americas and Caribbean",
    "secretariat": "Secretariat officer (staff: Django admin)",
    "partner.idb": "Partner focal point, IDB",
    "expert": "Expert (risk management, AEO)",
    "viewer": "Reader (no appointment)",
}


def _fixed_people():
    """The people written out by hand: demo logins, handovers that tell a story, partners."""
    uy, br = "customs-uy", "customs-br"
    people = [
        # Uruguay: three capacity-building NCPs since 2014, the last one signs in as ncp.uy.
        PersonSpec("Martín", "Pereyra", "member-UY", uy, "Head of international relations",
                   ("es", "en"), "+598 0 000 0101"),
        PersonSpec("Sofía", "Castro", "member-UY", uy, "Adviser, capacity building",
                   ("es", "en", "pt"), "+598 0 000 0102"),
        PersonSpec("Lucía", "Ramírez", "member-UY", uy, "Director of international cooperation",
                   ("es", "en"), "+598 0 000 0103", username="ncp.uy"),
        PersonSpec("Diego", "Fernández", "member-UY", uy, "Training coordinator",
                   ("es", "pt"), "+598 0 000 0104"),
        PersonSpec("Valentina", "Suárez", "member-UY", uy, "e-Learning coordinator",
                   ("es", "en"), "+598 0 000 0105"),
        PersonSpec("Andrés", "Núñez", "member-UY", uy, "Performance analyst", ("es",),
                   "+598 0 000 0106"),
        # Brazil
        PersonSpec("Renata", "Almeida", "member-BR", br, "Coordinator, international affairs",
                   ("pt", "es")),
        PersonSpec("João", "Carvalho", "member-BR", br, "Head of capacity building",
                   ("pt", "en", "es"), "+55 00 0000 0201", username="ncp.br"),
        PersonSpec("Fernanda", "Rocha", "member-BR", br, "Post-clearance audit expert",
                   ("pt", "en"), expertise=(("tfa", "7.5"), ("pmm", "P2"))),
        # ROCB and Secretariat
        PersonSpec("Mariana", "Quiroga", ROCB, "rocb-ams", "Programme officer",
                   ("es", "en", "pt"), username="rocb.ams"),
        PersonSpec("Roberto", "Salinas", ROCB, "rocb-ams", "Head of office", ("es", "en")),
        PersonSpec("Patricia", "Benítez", ROCB, "rocb-ams", "Former programme officer",
                   ("es", "en")),
        PersonSpec("Claire", "Fontaine", SECRETARIAT, "wco-secretariat",
                   "Capacity building officer, Americas", ("fr", "en", "es"),
                   username="secretariat"),
        PersonSpec("Thomas", "Becker", SECRETARIAT, "wco-secretariat", "Technical officer",
                   ("en", "fr", "de")),
        # Development partners
        PersonSpec("Michelle", "Gordon", "idb", "idb-partner", "Trade facilitation specialist",
                   ("en", "es"), username="partner.idb"),
        PersonSpec("Kenji", "Watanabe", "jsf", "jsf-partner", "Fund officer", ("ja", "en")),
        PersonSpec("Daniel", "Morales", "imf", "imf-partner", "Revenue administration expert",
                   ("es", "en")),
        PersonSpec("Sarah", "Mitchell", "wb", "wb-partner", "Senior trade specialist",
                   ("en", "fr")),
        PersonSpec("Kevin", "Walker", "usaid", "usaid-partner", "Trade programme manager", ("en",)),
        PersonSpec("Nathalie", "Girard", "cbsa", "cbsa-partner", "International programme officer",
                   ("en", "fr")),
        PersonSpec("Marcus", "Henry", "cbp", "cbp-partner", "International affairs officer",
                   ("en", "es")),
        PersonSpec("Gabriela", "Rojas", "oas", "oas-partner", "Programme specialist",
                   ("es", "en")),
        # Experts
        PersonSpec("Rodrigo", "Ibáñez", "member-CL", "customs-cl", "Risk management expert",
                   ("es", "en"), expertise=(("tfa", "7.4"), ("tfa", "7.7"), ("wco-diagnostic", "D4")),
                   username="expert"),
        PersonSpec("Verónica", "Paredes", "member-PE", "customs-pe", "Single window expert",
                   ("es", "en"), expertise=(("tfa", "10.4"), ("wco-diagnostic", "D5"))),
        PersonSpec("Andrew", "Campbell", "member-JM", "customs-jm", "Integrity adviser", ("en",),
                   expertise=(("wco-diagnostic", "D7"), ("pmm", "P3"))),
        # A reader: invited, no appointment.
        PersonSpec("Vera", "Lindqvist", "", "readers", "Researcher", ("en", "es"),
                   username="viewer"),
    ]  # fmt: skip
    email = {(p.given, p.family): p.email for p in people}

    def e(given, family):
        return email[(given, family)]

    cb = "capacity_building"
    appointments = [
        AppointmentSpec(e("Martín", "Pereyra"), "member-UY", "ncp", D(2014, 3, 1), D(2017, 6, 1), cb),
        AppointmentSpec(e("Sofía", "Castro"), "member-UY", "alternate_ncp", D(2014, 3, 1), D(2017, 6, 1), cb),
        AppointmentSpec(e("Sofía", "Castro"), "member-UY", "ncp", D(2017, 6, 1), D(2021, 9, 1), cb),
        AppointmentSpec(e("Lucía", "Ramírez"), "member-UY", "alternate_ncp", D(2017, 6, 1), D(2021, 9, 1), cb),
        AppointmentSpec(e("Lucía", "Ramírez"), "member-UY", "ncp", D(2021, 9, 1), None, cb),
        AppointmentSpec(e("Diego", "Fernández"), "member-UY", "alternate_ncp", D(2021, 9, 1), None, cb),
        AppointmentSpec(e("Valentina", "Suárez"), "member-UY", "ncp", D(2019, 4, 1), None, "elearning"),
        AppointmentSpec(e("Andrés", "Núñez"), "member-UY", "ncp", D(2022, 2, 1), None, "pmm"),
        AppointmentSpec(e("Martín", "Pereyra"), "member-UY", "staff", D(2017, 6, 1)),
        AppointmentSpec(e("Renata", "Almeida"), "member-BR", "ncp", D(2015, 2, 1), D(2020, 3, 1), cb),
        AppointmentSpec(e("João", "Carvalho"), "member-BR", "ncp", D(2020, 3, 1), None, cb),
        AppointmentSpec(e("Fernanda", "Rocha"), "member-BR", "alternate_ncp", D(2020, 3, 1), None, cb),
        AppointmentSpec(e("Fernanda", "Rocha"), "member-BR", "expert", D(2018, 1, 1)),
        AppointmentSpec(e("Renata", "Almeida"), "member-BR", "ncp", D(2020, 3, 1), None, "pmm"),
        AppointmentSpec(e("Patricia", "Benítez"), ROCB, "rocb_officer", D(2013, 1, 1), D(2019, 1, 1)),
        AppointmentSpec(e("Roberto", "Salinas"), ROCB, "rocb_officer", D(2016, 5, 1)),
        AppointmentSpec(e("Mariana", "Quiroga"), ROCB, "rocb_officer", D(2019, 1, 1)),
        AppointmentSpec(e("Claire", "Fontaine"), SECRETARIAT, "secretariat_officer", D(2018, 9, 1)),
        AppointmentSpec(e("Thomas", "Becker"), SECRETARIAT, "secretariat_officer", D(2021, 1, 1)),
        AppointmentSpec(e("Michelle", "Gordon"), "idb", "partner_focal_point", D(2017, 1, 1)),
        AppointmentSpec(e("Kenji", "Watanabe"), "jsf", "partner_focal_point", D(2019, 4, 1)),
        AppointmentSpec(e("Daniel", "Morales"), "imf", "partner_focal_point", D(2018, 6, 1)),
        AppointmentSpec(e("Sarah", "Mitchell"), "wb", "partner_focal_point", D(2019, 3, 1)),
        AppointmentSpec(e("Kevin", "Walker"), "usaid", "partner_focal_point", D(2016, 10, 1)),
        AppointmentSpec(e("Nathalie", "Girard"), "cbsa", "partner_focal_point", D(2019, 3, 1)),
        AppointmentSpec(e("Marcus", "Henry"), "cbp", "partner_focal_point", D(2018, 2, 1)),
        AppointmentSpec(e("Gabriela", "Rojas"), "oas", "partner_focal_point", D(2020, 7, 1)),
        AppointmentSpec(e("Rodrigo", "Ibáñez"), "member-CL", "expert", D(2016, 1, 1)),
        AppointmentSpec(e("Verónica", "Paredes"), "member-PE", "expert", D(2019, 1, 1)),
        AppointmentSpec(e("Andrew", "Campbell"), "member-JM", "expert", D(2017, 1, 1)),
    ]  # fmt: skip
    return people, appointments


# Members whose NCPs are written out by hand above.
HAND_WRITTEN = {"UY", "BR"}
# Contacts confirmed this many days before the first load (None: never confirmed).
CONFIRMED_DAYS_AGO = [30, 120, None, 400, 200, 800, 60, None, 15, 430]  # Uruguay: 430


def _generated_people(members):
    """NCP, alternate and head for each member, with handovers, named from a pool."""
    people, appointments = [], []
    cb = "capacity_building"
    for i, m in enumerate(members):
        given, family = _pool(m.people)
        org, mail = f"member-{m.iso2}", _member_domain(m)
        names = [(given[(i * 3 + k * 5) % len(given)], family[(i * 7 + k * 3) % len(family)])
                 for k in range(5)]  # fmt: skip
        languages = tuple(dict.fromkeys((*m.languages, "en")))
        specs = [PersonSpec(g, f, org, mail, languages=languages) for g, f in names]
        ncp, alternate, head, former, former_head = specs
        specs = [
            PersonSpec(ncp.given, ncp.family, org, mail, "Capacity building coordinator", languages),
            PersonSpec(alternate.given, alternate.family, org, mail, "Training officer", languages),
            PersonSpec(head.given, head.family, org, mail, "Director General", languages),
            PersonSpec(former.given, former.family, org, mail, "Adviser", languages),
            PersonSpec(former_head.given, former_head.family, org, mail, "Former Director General",
                       languages),
        ]  # fmt: skip
        if m.iso2 in HAND_WRITTEN:
            specs = specs[2:3] + specs[4:5]
            head_spec, former_head_spec = specs
        else:
            ncp, alternate, head_spec, former, former_head_spec = specs
            ncp_start = D(2016 + i % 8, 1 + (i * 5) % 12, 1)
            appointments.append(AppointmentSpec(ncp.email, org, "ncp", ncp_start, None, cb))
            appointments.append(
                AppointmentSpec(alternate.email, org, "alternate_ncp",
                                D(2018 + i % 6, 1 + (i * 7) % 12, 15), None, cb)
            )  # fmt: skip
            if i % 3 == 0:  # a handover: the former NCP served until the current one started
                appointments.append(
                    AppointmentSpec(former.email, org, "ncp", D(2010 + i % 5, 3, 1), ncp_start, cb)
                )
        head_start = D(2015 + i % 9, 1 + (i * 3) % 12, 1)
        appointments.append(AppointmentSpec(head_spec.email, org, "head_of_administration",
                                            head_start))  # fmt: skip
        appointments.append(
            AppointmentSpec(former_head_spec.email, org, "head_of_administration",
                            D(2009 + i % 5, 6, 1), head_start)
        )  # fmt: skip
        if m.iso2 == "DO":
            appointments.append(AppointmentSpec(head_spec.email, org, "vice_chair",
                                                D(2018, 7, 1), D(2020, 7, 1)))  # fmt: skip
        if m.iso2 == "GT":
            appointments.append(AppointmentSpec(head_spec.email, org, "vice_chair",
                                                D(2020, 7, 1), D(2022, 7, 1)))  # fmt: skip
        people.extend(specs)
    return people, appointments


def _other_region_people(members):
    """An NCP for each member outside AMS."""
    people, appointments = [], []
    for i, m in enumerate(members):
        given, family = _pool(m.people)
        spec = PersonSpec(given[i % len(given)], family[(i * 3) % len(family)],
                          f"member-{m.iso2}", _member_domain(m), "Capacity building coordinator",
                          tuple(dict.fromkeys((*m.languages, "en"))))  # fmt: skip
        people.append(spec)
        appointments.append(AppointmentSpec(spec.email, spec.org, "ncp", D(2019 + i % 4, 2, 1),
                                            None, "capacity_building"))  # fmt: skip
    return people, appointments


def demo_people():
    """All fictional people and their appointments, in creation order."""
    people, appointments = _fixed_people()
    for extra in (_generated_people(AMS_MEMBERS), _other_region_people(OTHER_MEMBERS)):
        people += extra[0]
        appointments += extra[1]
    emails = [p.email for p in people]
    duplicates = {e for e in emails if emails.count(e) > 1}
    if duplicates:
        raise ValueError(f"demo people share e-mail addresses: {sorted(duplicates)}")
    # Ended appointments first, so each successor starts after its predecessor is closed.
    appointments.sort(key=lambda a: (a.end is None, a.start))
    return people, appointments


# --- loading --------------------------------------------------------------------------------


def _ensure(model, lookup, values=None):
    """The row matching ``lookup``, created from ``values`` (with history) if missing."""
    obj = model._default_manager.filter(**lookup).first()
    if obj is not None:
        return obj, False
    obj = model(**lookup, **(values or {}))
    obj.full_clean()
    obj._change_reason = CHANGE_REASON
    obj.save()
    return obj, True


def member_name(member):
    name = f"Customs administration of {member.country}"
    return f"{name} ({member.acronym})" if member.acronym else name


@transaction.atomic
def load_demo(today=None):
    """Create whatever part of the demo network is missing. Returns ``{"created": n}``."""
    today = today or timezone.localdate()
    created = 0

    def ensure(model, lookup, values=None):
        nonlocal created
        obj, new = _ensure(model, lookup, values)
        created += new
        return obj, new

    load_frameworks()

    regions = {}
    for code, parent, name, es, fr, pt in REGIONS:
        regions[code], _ = ensure(
            Region,
            {"code": code},
            {"name": name, "names": {"es": es, "fr": fr, "pt": pt}, "parent": regions.get(parent)},
        )

    orgs = {}
    for i, m in enumerate([*AMS_MEMBERS, *OTHER_MEMBERS]):
        days = CONFIRMED_DAYS_AGO[i % len(CONFIRMED_DAYS_AGO)]
        orgs[f"member-{m.iso2}"], _ = ensure(
            Organisation,
            {"kind": "member_administration", "country": m.iso2, "name": member_name(m)},
            {
                "acronym": m.acronym,
                "region": regions[m.region],
                "subregion": regions[m.subregion] if m.subregion else None,
                "time_zone": m.time_zone,
                "languages": list(m.languages),
                # Relative to the first load; later loads leave the row alone.
                "contacts_confirmed_on": today - datetime.timedelta(days=days) if days else None,
            },
        )
    for (
        key,
        kind,
        name,
        acronym,
        country,
        region,
        iati_ref,
        tz,
        langs,
        web,
        parent,
        is_demo,
    ) in OTHER_ORGANISATIONS:
        region = regions[region] if region else None
        subregion = region if region is not None and region.parent_id else None
        values = {
            "acronym": acronym,
            "region": subregion.parent if subregion else region,
            "subregion": subregion,
            "time_zone": tz,
            "languages": list(langs),
            "website": web,
            "parent": orgs[parent] if parent else None,
            "is_demo": is_demo,
        }
        if iati_ref:
            lookup = {"iati_ref": iati_ref}
            values.update(kind=kind, country=country, name=name)
        else:
            lookup = {"kind": kind, "country": country, "name": name}
        orgs[key], _ = ensure(Organisation, lookup, values)

    areas = {(a.framework.code, a.code): a for a in Area.objects.select_related("framework")}
    people_specs, appointment_specs = demo_people()
    users, new_users = _ensure_users(people_specs)
    created += new_users
    people = {}
    for spec in people_specs:
        person, new = ensure(
            Person,
            {"email": spec.email},
            {
                "given_name": spec.given,
                "family_name": spec.family,
                "title": spec.title,
                "organisation": orgs[spec.org] if spec.org else None,
                "languages": list(spec.languages),
                "phone": spec.phone,
                "user": users.get(spec.username),
            },
        )
        if new and spec.expertise:
            person.expertise.set([areas[key] for key in spec.expertise])
        people[spec.email] = person

    for spec in appointment_specs:
        ensure(
            Appointment,
            {
                "person": people[spec.person],
                "organisation": orgs[spec.org],
                "role": spec.role,
                "domain": spec.domain,
                "start_date": spec.start,
            },
            {"end_date": spec.end},
        )

    created += _confirmers(today)
    created += _link_users(people_specs, people, users)
    # The seeded questionnaires (diagnostic self-assessment, TFA readiness).
    from cbnet.assessments.services.questionnaires import load_seeded_questionnaires

    load_seeded_questionnaires()
    # The assessments demo: a finished round and a round under way (cbnet/assessments/demo.py).
    from cbnet.assessments.demo import load_assessments_demo

    created += load_assessments_demo(today)["created"]
    # Saves index themselves; a database from before the search index needs the rebuild.
    search_indexing.rebuild()
    return {"created": created}


def _confirmers(today):
    """Name the current NCP as the confirmer where a confirmation date was set and no one is."""
    count = 0
    pending = Organisation.objects.filter(
        contacts_confirmed_on__isnull=False, contacts_confirmed_by__isnull=True
    )
    for org in pending:
        ncp = (
            Appointment.objects.current(on=org.contacts_confirmed_on)
            .filter(organisation=org, role="ncp", domain="capacity_building")
            .select_related("person")
            .first()
        )
        if ncp is None:
            continue
        org.contacts_confirmed_by = ncp.person
        org._change_reason = CHANGE_REASON
        org.save(update_fields=["contacts_confirmed_by"])
        count += 1
    return count


def _ensure_users(people_specs):
    """The demo users by username, created if missing; the demo password always works."""
    User = get_user_model()
    password = demo_password()
    users, count = {}, 0
    for spec in people_specs:
        if not spec.username:
            continue
        user = User.objects.filter(username=spec.username).first()
        if user is None:
            user = User(
                username=spec.username,
                email=spec.email,
                first_name=spec.given,
                last_name=spec.family,
                is_staff=spec.username == "secretariat",
            )
            user.set_password(password)
            user.save()
            count += 1
        elif not user.check_password(password):
            user.set_password(password)
            user.save(update_fields=["password"])
        users[spec.username] = user
    return users, count


def _link_users(people_specs, people, users):
    """Link a demo user to its person where an earlier load left them apart."""
    count = 0
    for spec in people_specs:
        user = users.get(spec.username)
        person = people[spec.email]
        if user is None or person.user_id is not None:
            continue
        if Person.objects.filter(user=user).exists():
            continue
        person.user = user
        person._change_reason = CHANGE_REASON
        person.save(update_fields=["user"])
        count += 1
    return count


def demo_logins():
    """Rows of the demo logins table: (username, role, organisation, password)."""
    people_specs, _ = _fixed_people()
    by_username = {p.username: p for p in people_specs if p.username}
    rows = []
    for username, role in LOGIN_ROLES.items():
        spec = by_username[username]
        person = Person.objects.filter(email=spec.email).select_related("organisation").first()
        organisation = person.organisation.name if person and person.organisation else "-"
        rows.append((username, role, organisation, demo_password()))
    return rows
