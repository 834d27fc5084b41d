"""Directory reports: the PDF directory of a region's National Contact Points."""

from django.db.models import Prefetch, Q
from django.utils import timezone

from cbnet.core import permissions
from cbnet.core.pdf import render_pdf
from cbnet.core.views import BaseObjectView
from cbnet.directory.charts import FRESHNESS_LABELS, contact_freshness
from cbnet.directory.choices import Domain, OrganisationKind, Role
from cbnet.directory.models import Appointment, Organisation, Person, Region


def ncp_directory(user, region, today=None):
    """The region's member administrations with their current NCPs and alternates by domain.

    Organisations, appointments and people all come through ``restrict(user, "view")``;
    three queries whatever the number of members.
    """
    today = today or timezone.localdate()
    people = Person.objects.restrict(user, "view").filter(archived_at__isnull=True)
    appointments = (
        Appointment.objects.restrict(user, "view")
        .current(today)
        .filter(role__in=permissions.NCP_ROLES, archived_at__isnull=True, person__in=people)
        .select_related("person")
        .order_by("domain", "role", "-start_date")
    )
    organisations = list(
        Organisation.objects.restrict(user, "view")
        .filter(
            Q(region=region) | Q(subregion=region),
            kind=OrganisationKind.MEMBER_ADMINISTRATION,
            archived_at__isnull=True,
        )
        .select_related("subregion")
        .prefetch_related(Prefetch("appointments", queryset=appointments, to_attr="current_ncps"))
        .order_by("name")
    )
    for organisation in organisations:
        organisation.freshness_key = contact_freshness(organisation, today)
        organisation.freshness = FRESHNESS_LABELS[organisation.freshness_key]
        organisation.domains = []
        for value, label in Domain.choices:
            held = [a for a in organisation.current_ncps if a.domain == value]
            ncps = [a.person for a in held if a.role == Role.NCP]
            alternates = [a.person for a in held if a.role == Role.ALTERNATE_NCP]
            if ncps or alternates:
                organisation.domains.append(
                    {"label": label, "ncps": ncps, "alternates": alternates}
                )
    return organisations


class RegionNcpDirectoryPdfView(BaseObjectView):
    """``/directory/regions/<pk>/ncps.pdf``: cover with the map, then one entry per member."""

    queryset = Region.objects.all()

    def get(self, request, pk):
        region = self.get_object(request, pk)
        today = timezone.localdate()
        organisations = ncp_directory(request.user, region, today)
        context = {
            "object": region,
            "region": region,
            "organisations": organisations,
            "generated_on": today,
            "with_ncp": sum(1 for o in organisations if o.domains),
        }
        return render_pdf(
            request,
            "directory/ncp_directory_pdf.html",
            context,
            f"ncp-directory-{region.code}-{today.isoformat()}.pdf",
        )
