"""Forms of the archive admin: every edit can say why; a resident form knows its version."""

from django import forms
from django.contrib.admin.widgets import AdminTextInputWidget
from django.utils.translation import gettext_lazy as _

#: Form fields that belong to an edit, not to the record: left out of read-only pages.
EDIT_ONLY_FIELDS = ("change_reason", "loaded_version")


class ChangeReasonForm(forms.ModelForm):
    change_reason = forms.CharField(
        label=_("reason for the change"),
        required=False,
        max_length=500,
        help_text=_("Optional. Kept with this change in the file's history."),
    )


class ResidentForm(ChangeReasonForm):
    # The version the form was loaded with; a save based on an older one is refused.
    loaded_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        # A phone's keyboard shows digits for the phone number (clerks type it in stairwells).
        widgets = {"phone": AdminTextInputWidget(attrs={"inputmode": "tel"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["loaded_version"].initial = self.instance.version
