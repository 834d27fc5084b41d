"""Forms for capability reference data (edited by the Secretariat)."""

from cbnet.capabilities.models import Area, Framework
from cbnet.core.forms import LookupChoiceField, PrimaryModelForm
from cbnet.core.multilingual import MultilingualImportFormMixin


class AreaForm(PrimaryModelForm):
    """The name's languages side by side (``MultilingualWidget``)."""

    class Meta:
        model = Area
        fields = ["framework", "parent", "code", "name", "position", "notifiable"]


class AreaImportForm(MultilingualImportFormMixin, PrimaryModelForm):
    """Areas in a spreadsheet: the name as one column per language (``name__es`` ...)."""

    natural_keys = (("framework", "code"),)
    framework = LookupChoiceField(Framework.objects.all(), lookups=("code",))

    class Meta:
        model = Area
        fields = ["framework", "code", "name", "position"]
