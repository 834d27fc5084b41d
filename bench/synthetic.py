"""A synthetic network for the benchmark, built fast with bulk_create.

At scale 1 (the default): 186 member administrations over the 6 WCO regions (and the four
AMS sub-regions), 20,000 people and 60,000 appointments (3 per person: ended and current
ones, with NCP and alternate-NCP handovers in every administration for every domain), plus
one ROCB per region, the WCO Secretariat, regional training centres and development
partners. ``--scale 0.1`` makes everything ten times smaller; the regions, ROCBs,
Secretariat and partners stay.

This is benchmark data, not user data: no history rows are written. ``search_text`` is
filled by the models' own ``build_search_text()`` (cbnet.core.text.normalize), exactly as
``save()`` does. The output is deterministic for a given scale and seed.

Run on its own (into the database of DJANGO_SETTINGS_MODULE, which must be empty of
directory rows): ``DJANGO_SETTINGS_MODULE=bench.settings python bench/synthetic.py --scale 0.1``.
bench/run.py calls ``generate()`` in-process.
"""

from __future__ import annotations

import datetime
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

# The member administrations by WCO region: 186 ISO 3166 codes in all.
COUNTRIES = {
    "AMS": "AG AR BS BB BZ BO BR CA CL CO CR CU DM DO EC SV GD GT GY HT HN JM MX NI PA PY PE "
    "KN LC VC SR TT US UY VE",
    "ESA": "AO BW KM CD SZ ET KE LS MG MW MU MZ NA RW SC ZA SS SD TZ UG ZM ZW ER SO",
    "WCA": "BJ BF CV CM CF TD CG CI GQ GA GM GH GN GW LR ML MR NE NG ST SN SL TG",
    "MENA": "DZ BH EG IR IQ JO KW LB LY MA OM PS QA SA SY TN AE YE DJ",
    "AP": "AF AU BD BT BN KH CN FJ HK IN ID JP KI KR LA MO MY MV MN MM NP NZ PK PG PH WS SG LK "
    "TH TL TO VN VU",
    "EUR": "AL AD AM AT AZ BY BE BA BG HR CY CZ DK EE FI FR GE DE GR HU IS IE IL IT KZ KG LV "
    "LT LU MT MD ME NL MK NO PL PT RO RU SM RS SK SI ES SE CH TJ TR TM UA GB UZ",
}
COUNTRIES = {code: text.split() for code, text in COUNTRIES.items()}

# Used only when the demo loader (cbnet.directory.demo) does not provide the regions.
REGIONS = {
    "AMS": ("Americas and Caribbean", "Américas y el Caribe", "Amériques et Caraïbes",
            "Américas e Caribe"),
    "ESA": ("East and Southern Africa", "África Oriental y Austral",
            "Afrique orientale et australe", "África Oriental e Austral"),
    "EUR": ("Europe", "Europa", "Europe", "Europa"),
    "AP": ("Asia/Pacific", "Asia/Pacífico", "Asie/Pacifique", "Ásia/Pacífico"),
    "MENA": ("North of Africa, Near and Middle East", "Norte de África, Cercano y Medio Oriente",
             "Afrique du Nord, Proche et Moyen-Orient", "Norte da África, Próximo e Médio Oriente"),
    "WCA": ("West and Central Africa", "África Occidental y Central",
            "Afrique occidentale et centrale", "África Ocidental e Central"),
}  # fmt: skip
SUBREGIONS = {
    "AMS-CAR": ("Caribbean", "Caribe", "Caraïbes", "Caribe"),
    "AMS-CAM": ("Central America", "Centroamérica", "Amérique centrale", "América Central"),
    "AMS-NAM": ("North America", "América del Norte", "Amérique du Nord", "América do Norte"),
    "AMS-SAM": ("South America", "América del Sur", "Amérique du Sud", "América do Sul"),
}
PARTNERS = [
    ("Inter-American Development Bank", "IDB", "XM-DAC-46012"),
    ("International Monetary Fund", "IMF", "XM-DAC-47066"),
    ("World Bank", "WB", "44000"),
    ("United States Agency for International Development", "USAID", "US-GOV-1"),
    ("Canada Border Services Agency", "CBSA", "XB-CBSA"),
    ("U.S. Customs and Border Protection", "CBP", "XB-USCBP"),
    ("Organization of American States", "OAS", "XM-OAS"),
    ("Japan Special Fund at the IDB", "JSF", "XB-JSF-IDB"),
]

GIVEN_NAMES = (
    "Ana José María João François Zoë Mohammed Aïcha Chen Wei Olga Søren Ngozi Kwame Fatou "
    "Ahmed Léa Émile Inês Luís Lucía Ramón Sofía Andrés Thérèse Björn Jürgen Dolores Iñaki "
    "Nuño Mónica Raúl Agnès Hélène Kofi Amina Yusuf Priya Rahul Haruto Yuki Mei Kai Tomás "
    "Joaquín Marcela Renée Célia Gonçalo Dvořák Zoltán Łukasz Małgorzata Nkechi Thabo "
    "Lwazi Siosaia Mere Tevita Ólafur Aleksandr Anastasia Khadija Omar Layla Samir"
).split()
FAMILY_NAMES = (
    "Ramírez Pérez Rodríguez Fernández López Martínez Sánchez Gómez Díaz Hernández Álvarez "
    "Muñoz Romero Alonso Gutiérrez Navarro Torres Domínguez Vázquez Ramos Gil Serrano "
    "Blanco Suárez Molina Ortega Delgado Castro Ortiz Rubio Marín Sanz Núñez Iglesias "
    "Medina Garrido Cortés Castillo Santos Lozano Guerrero Cano Prieto Méndez Cruz Calvo "
    "Gallego Vidal León Márquez Herrera Peña Flores Cabrera Campos Vega Fuentes Carrasco "
    "Diez Caballero Reyes Nieto Aguilar Pascual Santana Herrero Lorenzo Montero Hidalgo "
    "Giménez Ibáñez Ferrer Durán Santiago Benítez Mora Vicente Vargas Arias Carmona Crespo "
    "Román Pastor Soto Sáez Velasco Moya Soler Parra Esteban Bravo Gallardo Rojas Silva "
    "Sousa Gonçalves Conceição Araújo Lefèvre Müller Dubois Nguyễn Okonkwo Mbeki Haddad"
).split()
# The surname the search benchmark looks for (typed without its accent): ~3 % of people.
COMMON_SURNAME = "González"
COMMON_SURNAME_QUERY = "gonzalez"
TITLES = [
    "Customs officer",
    "Senior customs officer",
    "Head of training",
    "Director of international relations",
    "Deputy director",
    "Legal adviser",
    "Risk management analyst",
    "Head of modernisation",
    "IT project manager",
    "Integrity officer",
    "",
]
LANGUAGE_SETS = [["en"], ["es"], ["fr"], ["pt"], ["en", "fr"], ["es", "en"], ["ar", "fr"]]
DOMAINS = ["capacity_building", "elearning", "pmm"]
NCP_HANDOVERS = 4  # appointments per (role, domain) chain in every administration
BATCH = 2000


@dataclass
class Summary:
    regions: int = 0
    organisations: int = 0
    administrations: int = 0
    people: int = 0
    appointments: int = 0
    current_appointments: int = 0
    seconds: float = 0.0
    officer_person_id: int | None = None
    detail_organisation_id: int | None = None
    extra: dict = field(default_factory=dict)

    def __str__(self):
        return (
            f"{self.regions} regions, {self.organisations} organisations "
            f"({self.administrations} member administrations), {self.people} people, "
            f"{self.appointments} appointments ({self.current_appointments} current) "
            f"in {self.seconds:.1f} s"
        )


def _scaled(n, scale, minimum=1):
    return max(minimum, round(n * scale))


def _date(rng, first_year, last_year):
    start = datetime.date(first_year, 1, 1).toordinal()
    end = datetime.date(last_year, 12, 28).toordinal()
    return datetime.date.fromordinal(rng.randint(start, end))


def _demo():
    try:
        from cbnet.directory import demo
    except ImportError:
        return None
    return demo


def ensure_regions():
    """The six regions and the AMS sub-regions: reuse existing rows, create missing ones.

    The definitions (codes, names in en/es/fr/pt) come from the demo loader
    (``cbnet.directory.demo.REGIONS``) when it has them, else from this module.
    """
    from cbnet.directory.models import Region

    definitions = [(code, None, *names) for code, names in REGIONS.items()] + [
        (code, "AMS", *names) for code, names in SUBREGIONS.items()
    ]
    demo_regions = getattr(_demo(), "REGIONS", None)
    if demo_regions:
        try:
            definitions = [(c, p, en, es, fr, pt) for c, p, en, es, fr, pt in demo_regions]
        except (TypeError, ValueError):
            pass  # a different shape: keep ours
    existing = {region.code: region for region in Region.objects.all()}
    for code, parent, en, es, fr, pt in sorted(definitions, key=lambda d: d[1] is not None):
        if code in existing:
            continue
        region = Region(
            code=code,
            name=en,
            names={"es": es, "fr": fr, "pt": pt},
            parent=existing.get(parent) if parent else None,
        )
        region.save()  # a handful of rows: the ordinary save (and its history) is fine
        existing[code] = region
    for code in [*REGIONS, *SUBREGIONS]:
        if code not in existing:
            raise RuntimeError(f"region {code} is missing")
    return existing


def _ams_subregions():
    """{ISO code: AMS sub-region code} from the demo loader's member list, if it has one."""
    out = {}
    for member in getattr(_demo(), "AMS_MEMBERS", None) or []:
        iso2, subregion = getattr(member, "iso2", None), getattr(member, "subregion", None)
        if iso2 and subregion:
            out[iso2] = subregion
    return out


def _expertise_areas():
    """Capability areas people can have as expertise (loaded from the project's data)."""
    from cbnet.capabilities.models import Area

    if not Area.objects.exists():
        try:
            from cbnet.capabilities.services import load_frameworks

            load_frameworks()
        except Exception:  # noqa: BLE001 - no capability data yet: people get no expertise
            return []
    return list(Area.objects.values_list("pk", flat=True))


def generate(scale=1.0, seed=2026, today=None, stdout=None):
    """Fill the (empty) database with the synthetic network; returns a Summary."""
    import time

    from django.db import transaction

    from cbnet.core.countries import country_name
    from cbnet.directory.models import Appointment, Organisation, Person

    started = time.monotonic()
    rng = random.Random(seed)
    today = today or datetime.date.today()
    summary = Summary()

    def say(message):
        if stdout is not None:
            print(message, file=stdout, flush=True)

    with transaction.atomic():
        regions = ensure_regions()
        summary.regions = len(regions)
        subregions = [regions[code] for code in SUBREGIONS]
        ams_subregions = _ams_subregions()

        # --- organisations ---------------------------------------------------------
        n_admins = _scaled(186, scale)
        total_countries = sum(len(codes) for codes in COUNTRIES.values())
        quotas = {
            code: len(codes) * n_admins / total_countries for code, codes in COUNTRIES.items()
        }
        counts = {code: int(q) for code, q in quotas.items()}
        for code in sorted(quotas, key=lambda c: quotas[c] - counts[c], reverse=True):
            if sum(counts.values()) >= n_admins:
                break
            counts[code] += 1
        organisations = []
        for region_code, codes in COUNTRIES.items():
            region = regions[region_code]
            for i in range(counts[region_code]):
                country = codes[i % len(codes)]
                org = Organisation(
                    name=f"Customs Administration of {country_name(country, 'en')}"
                    + (f" ({i // len(codes) + 1})" if i >= len(codes) else ""),
                    acronym=f"{country}C",
                    kind="member_administration",
                    country=country,
                    region=region,
                    subregion=(
                        regions.get(ams_subregions.get(country), subregions[i % len(subregions)])
                        if region_code == "AMS"
                        else None
                    ),
                    time_zone="UTC",
                    languages=rng.choice(LANGUAGE_SETS),
                    website=f"https://customs.{country.lower()}.example",
                    contacts_confirmed_on=(
                        None if rng.random() < 0.2 else _date(rng, today.year - 2, today.year - 1)
                    ),
                )
                organisations.append(org)
        summary.administrations = len(organisations)
        for region_code, region in ((c, regions[c]) for c in REGIONS):
            organisations.append(
                Organisation(
                    name=f"Regional Office for Capacity Building {region.name}",
                    acronym=f"ROCB-{region_code}",
                    kind="rocb",
                    region=region,
                )
            )
            organisations.append(
                Organisation(
                    name=f"Regional Training Centre {region.name}",
                    acronym=f"RTC-{region_code}",
                    kind="regional_training_centre",
                    region=region,
                    is_demo=True,
                )
            )
        organisations.append(
            Organisation(
                name="World Customs Organization Secretariat",
                acronym="WCO",
                kind="wco_secretariat",
                country="BE",
                time_zone="Europe/Brussels",
            )
        )
        for name, acronym, iati_ref in PARTNERS:
            organisations.append(
                Organisation(
                    name=name, acronym=acronym, iati_ref=iati_ref, kind="development_partner"
                )
            )
        for org in organisations:
            org.search_text = org.build_search_text()
        organisations = Organisation.objects.bulk_create(organisations, batch_size=BATCH)
        summary.organisations = len(organisations)
        admins = [o for o in organisations if o.kind == "member_administration"]
        others = [o for o in organisations if o.kind != "member_administration"]
        say(f"  {len(organisations)} organisations")

        # --- people ------------------------------------------------------------------
        n_people = _scaled(20_000, scale, minimum=len(organisations) * 2)
        per_other = {
            "rocb": _scaled(8, scale, 3),
            "regional_training_centre": _scaled(10, scale, 2),
            "wco_secretariat": _scaled(40, scale, 4),
            "development_partner": _scaled(10, scale, 2),
        }
        sizes = {o.pk: per_other[o.kind] for o in others}
        remaining = n_people - sum(sizes.values())
        # Administrations differ in size (log-normal weights), each with room for its NCPs.
        minimum = 2 * len(DOMAINS) * NCP_HANDOVERS + 3
        weights = [rng.lognormvariate(0, 0.6) for _ in admins]
        spare = max(0, remaining - minimum * len(admins))
        for org, weight in zip(admins, weights, strict=True):
            sizes[org.pk] = minimum + int(spare * weight / sum(weights))
        shortfall = n_people - sum(sizes.values())
        for i in range(shortfall):
            sizes[admins[i % len(admins)].pk] += 1

        people = []
        for org in organisations:
            for _ in range(sizes[org.pk]):
                given = rng.choice(GIVEN_NAMES)
                family = COMMON_SURNAME if rng.random() < 0.03 else rng.choice(FAMILY_NAMES)
                serial = len(people) + 1
                person = Person(
                    given_name=given,
                    family_name=family,
                    title=rng.choice(TITLES),
                    organisation=org,
                    email=f"person{serial}@{(org.acronym or 'org').lower()}.example",
                    phone=f"+1 555 {serial:07d}",
                    mobile="" if rng.random() < 0.5 else f"+1 666 {serial:07d}",
                    languages=rng.choice(LANGUAGE_SETS),
                )
                if rng.random() < 0.01:
                    person.archived_at = datetime.datetime(2024, 6, 1, tzinfo=datetime.UTC)
                person.search_text = person.build_search_text()
                people.append(person)
        people = Person.objects.bulk_create(people, batch_size=BATCH)
        summary.people = len(people)
        areas = _expertise_areas()
        if areas:
            # About a third of people list one to three areas of expertise.
            through = Person.expertise.through
            links = []
            for person in people:
                if rng.random() < 0.33:
                    for area_id in rng.sample(areas, k=min(len(areas), rng.randint(1, 3))):
                        links.append(through(person_id=person.pk, area_id=area_id))
            through.objects.bulk_create(links, batch_size=BATCH)
            summary.extra["expertise_links"] = len(links)
        say(f"  {len(people)} people")

        # --- appointments (3 per person) ---------------------------------------------
        by_org = {}
        for person in people:
            by_org.setdefault(person.organisation_id, []).append(person)
        role_for_kind = {
            "rocb": "rocb_officer",
            "wco_secretariat": "secretariat_officer",
            "development_partner": "partner_focal_point",
            "regional_training_centre": "staff",
        }
        appointments = []

        def add(person, org, role, start, end=None, domain=""):
            appointments.append(
                Appointment(
                    person=person,
                    organisation=org,
                    role=role,
                    domain=domain,
                    start_date=start,
                    end_date=end,
                )
            )

        def career(person, org, last_role="staff", last_current=True):
            """An ended staff post, an ended expert/staff post, then the last one."""
            first = _date(rng, 2004, 2009)
            second = _date(rng, 2010, 2015)
            third = _date(rng, 2016, min(2023, today.year - 1))
            add(person, org, "staff", first, second)
            add(person, org, rng.choice(["staff", "expert"]), second, third)
            end = None
            if not last_current:
                end = third + datetime.timedelta(days=rng.randint(200, 900))
                end = end if end < today else None
            add(person, org, last_role, third, end)

        for org in others:
            staff = by_org.get(org.pk, [])
            for i, person in enumerate(staff):
                # Most hold their organisation's characteristic role today.
                role = role_for_kind[org.kind] if i < max(2, len(staff) * 2 // 3) else "staff"
                # The first of each organisation always serves today (the bench's officer).
                career(person, org, role, last_current=i == 0 or rng.random() > 0.1)

        for org in admins:
            staff = by_org[org.pk]
            cursor = 0
            # NCP and alternate-NCP chains: NCP_HANDOVERS people per role and domain, each
            # handing over to the next; the last one is current.
            for role in ("ncp", "alternate_ncp"):
                for domain in DOMAINS:
                    start = _date(rng, 2008, 2010)
                    for step in range(NCP_HANDOVERS):
                        person = staff[cursor]
                        cursor += 1
                        last = step == NCP_HANDOVERS - 1
                        end = (
                            None
                            if last
                            else start + datetime.timedelta(days=rng.randint(700, 1500))
                        )
                        before = start - datetime.timedelta(days=rng.randint(400, 2000))
                        add(person, org, "staff", before - datetime.timedelta(days=1500), before)
                        add(person, org, "staff", before, start)
                        add(person, org, role, start, end, domain)
                        if end is not None:
                            start = end
            # Heads of administration: a chain of three, the last current.
            start = _date(rng, 2006, 2010)
            for step in range(3):
                person = staff[cursor]
                cursor += 1
                end = (
                    None if step == 2 else start + datetime.timedelta(days=rng.randint(1000, 2000))
                )
                add(person, org, "staff", start - datetime.timedelta(days=3000), start)
                add(
                    person,
                    org,
                    "vice_chair" if step == 0 else "expert",
                    start - datetime.timedelta(days=1000),
                    start,
                )
                add(person, org, "head_of_administration", start, end)
                if end is not None:
                    start = end
            for person in staff[cursor:]:
                career(person, org, "staff", last_current=rng.random() > 0.15)

        for appointment in appointments:
            appointment.search_text = appointment.build_search_text()
        Appointment.objects.bulk_create(appointments, batch_size=BATCH)
        summary.appointments = len(appointments)
        summary.current_appointments = sum(
            1
            for a in appointments
            if a.start_date <= today and (a.end_date is None or a.end_date > today)
        )
        say(f"  {len(appointments)} appointments")

        # The benchmark's signed-in user: an officer of the Americas ROCB; the detail page
        # benchmarked is an administration of median size in that officer's region.
        rocb = next(o for o in others if o.kind == "rocb" and o.region_id == regions["AMS"].pk)
        summary.officer_person_id = by_org[rocb.pk][0].pk
        in_region = sorted(
            (o for o in admins if o.region_id == regions["AMS"].pk), key=lambda o: sizes[o.pk]
        )
        summary.detail_organisation_id = in_region[len(in_region) // 2].pk
        summary.extra["detail_organisation_people"] = sizes[summary.detail_organisation_id]

    summary.seconds = time.monotonic() - started
    return summary


def main(argv=None):
    import argparse
    import os

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1 = 20,000 people (default)")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    print(generate(args.scale, args.seed, stdout=sys.stdout))


if __name__ == "__main__":
    main()
