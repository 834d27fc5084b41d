"""The list pages' fast paths render what django-tables2's and Django's templates render:
BaseTable.body_html (table rows) and FastSelect (filter selects)."""

import datetime

import pytest
import time_machine
from django import forms as django_forms
from django.template.loader import get_template
from django.test import RequestFactory
from django.utils import translation

from cbnet.core.filters import CachedOptionsSelect, FastSelect
from cbnet.core.testing import factories as f
from cbnet.directory import filters, views
from cbnet.directory.models import Person


def _tbody(html):
    start = html.index("<tbody")
    start = html.index(">", start) + 1
    return html[start : html.index("</tbody>", start)]


def _squeeze(html):
    return "".join(line.strip() for line in html.splitlines())


def _both(table_class, queryset):
    request = RequestFactory().get("/")
    table = table_class(queryset, request=request)
    table.paginate(page=1, per_page=50)
    fast = _tbody(table.as_html(request))
    table = table_class(queryset, request=request)
    table.paginate(page=1, per_page=50)
    table.template_name = "django_tables2/bootstrap5.html"
    slow = _tbody(get_template(table.template_name).render({"table": table}, request))
    return fast, _squeeze(slow)


@pytest.mark.django_db
@time_machine.travel(datetime.datetime(2026, 6, 1, 12, tzinfo=datetime.UTC), tick=False)
@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize(
    "view",
    [
        views.RegionListView,
        views.OrganisationListView,
        views.PersonListView,
        views.AppointmentListView,
    ],
)
def test_body_html_matches_django_tables2(view, language):
    net = f.network()
    archived = f.person(organisation=net.uruguay, given_name="Ana <b>", languages=[])
    f.appointment(archived, role="ncp", end_date=datetime.date(2026, 1, 1))
    archived.mark_archived()
    archived.save()
    request = RequestFactory().get("/")
    request.user = net.users["secretariat"]
    queryset = view().get_queryset(request)
    with translation.override(language):
        fast, slow = _both(view.table_class, queryset)
    assert fast.count("<tr") >= 2
    assert fast == slow


@pytest.mark.django_db
def test_body_html_empty_text():
    with translation.override("en"):
        fast, slow = _both(views.PersonListView.table_class, Person.objects.none())
    assert "Nothing matches these filters." in fast
    assert fast == slow


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize(
    ("filter_class", "data"),
    [
        (filters.PersonFilter, {}),
        (filters.PersonFilter, {"organisation": "placeholder", "role": "ncp", "archived": "all"}),
        (filters.OrganisationFilter, {"country": "UY", "kind": "rocb", "freshness": "stale"}),
        (filters.OrganisationFilter, {"country": "<nope>", "region": "x"}),
    ],
)
def test_fast_select_renders_what_django_renders(filter_class, data, language):
    """The filters' selects (FastSelect) give the HTML of Django's select templates."""
    net = f.network()
    f.organisation('Customs "<Test>" & Co', country="AR", region=net.ams)
    if data.get("organisation") == "placeholder":
        data = {**data, "organisation": str(net.uruguay.pk)}
    with translation.override(language):
        form = filter_class(data, queryset=filter_class._meta.model.objects.all()).form
        selects = [
            name for name, field in form.fields.items() if isinstance(field.widget, FastSelect)
        ]
        assert len(selects) >= 5
        for name in selects:
            widget = form.fields[name].widget
            fast_class = widget.__class__
            fast = str(form[name])
            again = str(form[name])  # a cached option list renders the same
            widget.__class__ = django_forms.Select
            slow = str(form[name])
            widget.__class__ = fast_class
            assert fast == slow, name
            assert again == slow, name
            assert fast.count("<option") >= 2


@pytest.mark.django_db
def test_cached_organisation_options_follow_saves_and_language():
    """The organisation select's options are cached, but a new, renamed or archived
    organisation shows at once, and each language has its own empty label."""
    net = f.network()

    def options(data=None, language="en"):
        with translation.override(language):
            form = filters.PersonFilter(data or {}, queryset=Person.objects.all()).form
            assert type(form.fields["organisation"].widget) is CachedOptionsSelect
            return str(form["organisation"])

    first = options()
    assert "Uruguay" in first
    assert options() == first
    new = f.organisation("Brand New Customs", country="AR", region=net.ams)
    assert "Brand New Customs" in options()
    new.name = "Renamed Customs"
    new.save()
    html = options({"organisation": str(new.pk)})
    assert "Brand New Customs" not in html
    assert f'<option value="{new.pk}" selected>Renamed Customs</option>' in html
    new.mark_archived()
    new.save()
    assert "Renamed Customs" not in options()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query", ["q=zed", "q=zed&page=2", "q=zed&page=2&sort=-name", "q=zed&page=x", "q=zed+nobody"]
)
def test_search_page_counts_in_its_own_query(query, django_assert_num_queries):
    """A search's page and total come from one query (COUNT(*) OVER ()), with the rows and
    count the paginator finds with a separate COUNT."""
    from django.core.paginator import EmptyPage, PageNotAnInteger
    from django.db.models import QuerySet

    net = f.network()
    for n in range(57):
        f.person("Zed", f"Zedson{n:02d}", organisation=net.uruguay)
    request = RequestFactory().get(f"/?{query}&per_page=25")  # as the list views pass it
    page = request.GET.get("page", 1)

    def page_of(queryset):
        table = views.PersonListView.table_class(queryset, request=request)
        table.order_by = request.GET.get("sort") or None
        try:
            table.paginate(page=page, per_page=25)
        except (EmptyPage, PageNotAnInteger):
            table.paginate(page=1, per_page=25)
        return table.paginator.count, [row.record.pk for row in table.paginated_rows]

    searched = filters.PersonFilter(request.GET, queryset=Person.objects.all()).qs
    plain = QuerySet.filter(searched)  # a clone without the mark
    plain.query.cbnet_count_in_page = False
    expected = page_of(plain)
    matches = "nobody" not in query
    with django_assert_num_queries(1 if matches else 2):
        assert page_of(searched) == expected
    assert expected[0] == (57 if matches else 0)
    assert len(expected[1]) == (25 if matches else 0)


@pytest.mark.django_db
@time_machine.travel(datetime.datetime(2026, 6, 1, 12, tzinfo=datetime.UTC), tick=False)
def test_organisation_ncp_names_as_with_prefetched_appointments():
    """The organisation list loads current NCPs as plain names; the cells and the export
    show what the prefetched appointments (model instances) show."""
    from django.db.models import Prefetch

    from cbnet.directory.models import Appointment, Organisation
    from cbnet.directory.tables import OrganisationTable

    net = f.network()
    for domain in ("customs_reform", "enforcement"):
        f.appointment(f.person("Nadia", "Ncp <b>"), organisation=net.uruguay, role="ncp",
                      domain=domain)  # fmt: skip
    f.appointment(f.person("Old", "Ncp"), organisation=net.uruguay, role="ncp",
                  end_date=datetime.date(2026, 1, 1))  # fmt: skip
    prefetch = Prefetch(
        "appointments",
        queryset=Appointment.objects.current()
        .filter(role="ncp", archived_at__isnull=True)
        .select_related("person")
        .order_by("domain", "role", "-start_date"),
        to_attr="current_ncp_appointments",
    )
    request = RequestFactory().get("/")
    queryset = Organisation.objects.order_by("name")
    tables = [
        OrganisationTable(queryset.prefetch_related(prefetch), request=request),
        OrganisationTable(queryset, request=request),
    ]
    bodies = [table.paginate(page=1, per_page=50).body_html() for table in tables]
    exports = [
        [table.rows[i].get_cell_value("ncp") for i in range(len(queryset))]
        for table in (OrganisationTable(queryset, request=request), tables[0])
    ]
    assert bodies[0] == bodies[1]
    assert "Nadia Ncp &lt;b&gt;" in bodies[1] and "Old Ncp" not in bodies[1]
    assert exports[0] == exports[1]
    assert exports[0][0] == "Lucía Ramírez, Nadia Ncp <b>, Nadia Ncp <b>"
