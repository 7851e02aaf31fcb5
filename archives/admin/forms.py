"""Forms of the archive admin: every edit can say why; a resident form knows its version."""

from django import forms
from django.contrib.admin.widgets import AdminTextInputWidget
from django.utils.translation import gettext_lazy as _

from accounts.types import Actor
from archives import scope, services
from archives.models import Resident

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

    #: Who is typing (set by the admin): what the form may say about an ID number depends on it.
    user: Actor | None = None

    def clean(self):
        data = super().clean()
        id_number = data.get("id_number")
        active = data.get("residency_status") in Resident.ACTIVE_STATUSES
        if id_number and active and self.user is not None:
            self._check_id_number_elsewhere(id_number, self.user)
        return data

    def _check_id_number_elsewhere(self, id_number: str, user: Actor) -> None:
        """An ID number held by an active resident the user may not see is answered only as
        "registered in another grid", logged, within the daily ceiling; the database's
        uniqueness message (which names no grid) is kept for residents they see."""
        others = Resident.objects.filter(
            id_number=id_number, residency_status__in=Resident.ACTIVE_STATUSES
        )
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        found = others.values_list("pk", flat=True).first()
        if found is None or scope.restrict(Resident.objects.filter(pk=found), user).exists():
            return
        try:
            services.residents_elsewhere_record(user=user, resident_ids=[found])
        except services.ElsewhereLimitReached as refused:
            self.add_error("id_number", str(refused))
        else:
            self.add_error("id_number", str(services.RESIDENT_ELSEWHERE))
