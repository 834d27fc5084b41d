"""Forms of the offline workbook pages (cbnet/assessments/views/workbook.py)."""

from django import forms
from django.utils.translation import gettext_lazy as _


class WorkbookUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Filled-in workbook (.xlsx)"),
        help_text=_("The workbook downloaded from this assessment's page, filled in."),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "class": "form-control",
            }
        ),
    )


class WorkbookApplyForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput)
    accept_conflicts = forms.BooleanField(
        label=_("Apply my other changes; keep the answers someone else changed since my download."),
        required=False,
    )
