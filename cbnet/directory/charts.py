"""Directory charts: a region's member administrations by contact freshness, and their map.

Freshness is the rule behind the "confirmed …" badge (``Organisation.contacts_stale``):
contacts confirmed within a year are current; confirmed over a year ago, stale; never
confirmed, the third category. Rows come through ``restrict(request.user, "view")``.
"""

import altair as alt
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cbnet.core.charts import Chart, register_chart
from cbnet.core.maps import country_map
from cbnet.core.permissions import access_object
from cbnet.directory.choices import OrganisationKind
from cbnet.directory.models import Organisation, Region

CONFIRMED, STALE, NEVER = "confirmed", "stale", "never"
FRESHNESS = (CONFIRMED, STALE, NEVER)  # from best to worst
FRESHNESS_LABELS = {
    CONFIRMED: gettext_lazy("Confirmed within a year"),
    STALE: gettext_lazy("Confirmed over a year ago"),
    NEVER: gettext_lazy("Never confirmed"),
}
FRESHNESS_COLORS = {CONFIRMED: "#198754", STALE: "#fd7e14", NEVER: "#dc3545"}


def contact_freshness(organisation, today=None):
    if organisation.contacts_confirmed_on is None:
        return NEVER
    return STALE if organisation.contacts_stale(today) else CONFIRMED


def region_members(request, region_pk):
    """(region, its member administrations the user may see), once per request."""
    cache = request.__dict__.setdefault("_cbnet_region_members", {})
    key = str(region_pk)
    if key not in cache:
        region = access_object(Region, request.user, region_pk)
        members = list(
            Organisation.objects.restrict(request.user, "view")
            .filter(
                Q(region=region) | Q(subregion=region),
                kind=OrganisationKind.MEMBER_ADMINISTRATION,
                archived_at__isnull=True,
            )
            .only("id", "name", "country", "contacts_confirmed_on", "region_id", "subregion_id")
            .order_by("name")
        )
        cache[key] = (region, members)
    return cache[key]


@register_chart("directory.region_freshness")
def region_freshness(request, region):
    region, members = region_members(request, region)
    today = timezone.localdate()
    counts = dict.fromkeys(FRESHNESS, 0)
    for member in members:
        counts[contact_freshness(member, today)] += 1
    labels = [str(FRESHNESS_LABELS[key]) for key in FRESHNESS]
    rows = [{"freshness": str(FRESHNESS_LABELS[key]), "members": counts[key]} for key in FRESHNESS]
    contacts, administrations = _("Contacts"), _("Member administrations")
    chart = (
        alt.Chart(alt.Data(values=rows))
        .mark_bar()
        .encode(
            x=alt.X("members:Q", title=administrations, axis=alt.Axis(tickMinStep=1)),
            y=alt.Y("freshness:N", title=contacts, sort=labels),
            color=alt.Color(
                "freshness:N",
                scale=alt.Scale(domain=labels, range=[FRESHNESS_COLORS[k] for k in FRESHNESS]),
                legend=None,
            ),
            tooltip=[
                alt.Tooltip("freshness:N", title=contacts),
                alt.Tooltip("members:Q", title=administrations),
            ],
        )
        .properties(width=360, height=110)
    )
    title = _("Member administrations by contact freshness")
    description = _(
        "%(confirmed)s confirmed within a year, %(stale)s over a year ago, %(never)s never."
    ) % {"confirmed": counts[CONFIRMED], "stale": counts[STALE], "never": counts[NEVER]}
    return Chart(
        chart.properties(description=description),
        title=title,
        description=description,
        columns=[("freshness", contacts), ("members", administrations)],
        rows=rows,
        filename=f"contact-freshness-{region.code}",
    )


@register_chart("directory.region_map")
def region_map(request, region):
    """Member administrations' countries, coloured by the stalest contacts in each."""
    from cbnet.core.countries import country_name

    region, members = region_members(request, region)
    today = timezone.localdate()
    by_country = {}
    for member in members:
        if not member.country:
            continue
        by_country.setdefault(member.country, []).append(member)
    rows = []
    for code, organisations in sorted(by_country.items()):
        worst = max((contact_freshness(o, today) for o in organisations), key=FRESHNESS.index)
        confirmed = [o.contacts_confirmed_on for o in organisations if o.contacts_confirmed_on]
        rows.append(
            {
                "code": code,
                "country": country_name(code),
                "organisations": "; ".join(o.name for o in organisations),
                "freshness": str(FRESHNESS_LABELS[worst]),
                "confirmed_on": min(confirmed).isoformat() if confirmed else None,
            }
        )
    contacts = _("Contacts")
    title = _("Member administrations of %(region)s by contact freshness") % {
        "region": region.display_name
    }
    description = _("Map of %(count)s countries; small states are shown as circles.") % {
        "count": len(rows)
    }
    result = country_map(
        rows,
        value="freshness",
        value_title=contacts,
        domain=[FRESHNESS_LABELS[key] for key in FRESHNESS],
        colors=[FRESHNESS_COLORS[key] for key in FRESHNESS],
        tooltip=[("country", _("Country")), ("organisations", _("Administration"))],
        description=description,
    )
    notes = []
    if result.shapes.missing:
        notes.append(
            _("Not drawn on the map: %(countries)s.")
            % {"countries": ", ".join(country_name(code) for code in result.shapes.missing)}
        )
    return Chart(
        result.chart,
        title=title,
        description=description,
        columns=[
            ("code", _("Country code")),
            ("country", _("Country")),
            ("organisations", _("Administration")),
            ("freshness", contacts),
            ("confirmed_on", _("Contacts confirmed on")),
        ],
        rows=rows,
        filename=f"map-{region.code}",
        notes=notes,
        datasets=result.datasets,
    )
