"""List-page and API filters for questionnaires and questions."""

import django_filters
from django.db.models import Max, OuterRef, Subquery
from django.utils.translation import gettext_lazy as _

from cbnet.assessments.choices import QuestionKind
from cbnet.assessments.models import Question, Questionnaire
from cbnet.capabilities.models import Area, Framework
from cbnet.core.filters import PrimaryFilterSet, SearchFilterSet

LATEST_CHOICES = (("yes", _("Latest version only")), ("all", _("All versions")))


def _frameworks(request=None):
    return Framework.objects.order_by("code")


class QuestionnaireFilter(PrimaryFilterSet):
    framework = django_filters.ModelChoiceFilter(queryset=_frameworks, label=_("Framework"))
    code = django_filters.CharFilter(label=_("Code"))
    latest = django_filters.ChoiceFilter(
        choices=LATEST_CHOICES,
        method="filter_latest",
        label=_("Versions"),
        empty_label=None,
        null_label=None,
    )

    class Meta:
        model = Questionnaire
        fields = ["q", "framework", "code", "latest", "archived"]

    def filter_latest(self, queryset, name, value):
        if value != "yes":
            return queryset
        newest = (
            Questionnaire.objects.filter(code=OuterRef("code"))
            .values("code")
            .annotate(n=Max("version"))
            .values("n")
        )
        return queryset.filter(version=Subquery(newest))


class QuestionFilter(SearchFilterSet):
    """API filter of questions (``q`` searches the code)."""

    questionnaire = django_filters.ModelChoiceFilter(queryset=Questionnaire.objects.all())
    area = django_filters.ModelChoiceFilter(queryset=Area.objects.all())
    kind = django_filters.ChoiceFilter(choices=QuestionKind.choices)
    code = django_filters.CharFilter()
    search_paths = ("code",)

    class Meta:
        model = Question
        fields = ["q", "questionnaire", "area", "kind", "code"]

    def search(self, queryset, name, value):
        for word in value.split()[:10]:
            queryset = queryset.filter(code__icontains=word)
        return queryset
