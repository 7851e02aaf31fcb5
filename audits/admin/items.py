"""The auditor's worklist and checking form: one page per item showing the file as it was
drawn (masked like every other page), a radio row per audited field, "save and next".

Corrections are buttons on the same page, for whoever may change the resident."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.names import person_name
from archives import history, scope
from archives import services as archive_services
from archives.admin.base import DeclaredLookupsOnly, actor_of
from archives.models import Resident, SensitiveAccess
from audits import selectors, services
from audits.models import AUDITABLE_FIELDS, AuditFieldFinding, AuditItem

Mark = AuditFieldFinding.Mark
_LABELS = dict(AUDITABLE_FIELDS)
#: The row of the pinned file each audited field is compared with.
_FILE_ROW = {"household": "household"}


class CampaignFilter(admin.SimpleListFilter):
    """Only campaigns the user may see are offered."""

    title = gettext_lazy("campaign")
    parameter_name = "campaign"

    def lookups(self, request, model_admin):
        return [(c.pk, str(c)) for c in selectors.campaigns_visible_to(request.user)]

    def queryset(self, request, queryset):
        return queryset.filter(campaign=self.value()) if self.value() else queryset


class CheckedFilter(admin.SimpleListFilter):
    title = gettext_lazy("checked")
    parameter_name = "checked"

    def lookups(self, request, model_admin):
        return [("no", _("not yet")), ("yes", _("checked"))]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(checked_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(checked_at__isnull=False)
        return queryset


class CheckForm(forms.Form):
    """Built for the campaign's audited fields: mark_<field> and value_<field> for each."""

    found = forms.TypedChoiceField(
        label=gettext_lazy("Found at the recorded household?"),
        choices=[("yes", gettext_lazy("yes")), ("no", gettext_lazy("no"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    method = forms.ChoiceField(
        label=gettext_lazy("method"), choices=AuditItem.Method.choices, widget=forms.RadioSelect
    )
    satisfaction = forms.TypedChoiceField(
        label=gettext_lazy("satisfaction (1–5)"),
        choices=[(str(n), str(n)) for n in range(1, 6)],
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=gettext_lazy("note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, audited: list[str], kept: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.audited = audited
        #: Values typed earlier into fields the user may not read: not shown, kept when the
        #: field is left empty.
        self.kept = kept or {}
        for code in audited:
            self.fields[f"mark_{code}"] = forms.ChoiceField(
                label=_LABELS[code], choices=Mark.choices, widget=forms.RadioSelect
            )
            self.fields[f"value_{code}"] = forms.CharField(
                label=_("correct value"),
                required=False,
                max_length=200,
                help_text=_("Recorded; leave empty to keep it.") if code in self.kept else "",
            )

    def marks(self) -> dict[str, services.FieldMark]:
        return {
            code: services.FieldMark(
                self.cleaned_data[f"mark_{code}"],
                self.cleaned_data.get(f"value_{code}", "") or self.kept.get(code, ""),
            )
            for code in self.audited
        }

    def add_service_errors(self, error: ValidationError) -> None:
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for key, errors in error.error_dict.items():
            target = f"value_{key}" if f"value_{key}" in self.fields else key
            self.add_error(target if target in self.fields else None, errors)

    def rows(self):
        return [(code, self[f"mark_{code}"], self[f"value_{code}"]) for code in self.audited]


@admin.register(AuditItem)
class AuditItemAdmin(DeclaredLookupsOnly, admin.ModelAdmin):
    actions = None
    list_display = [
        "__str__",
        "campaign",
        "grid",
        "resident_name",
        "checked",
        "verdict",
        "checker",
    ]
    list_filter = [CampaignFilter, CheckedFilter, "verdict"]
    list_select_related = ["campaign", "stratum__grid", "pinned_record", "checked_by"]
    show_full_result_count = False

    def get_queryset(self, request):
        return selectors.items_visible_to(request.user)

    @admin.display(description=gettext_lazy("checked by"), ordering="checked_by")
    def checker(self, item):
        return person_name(item.checked_by)

    @admin.display(description=gettext_lazy("grid"))
    def grid(self, item):
        return item.stratum.grid

    @admin.display(description=gettext_lazy("resident"))
    def resident_name(self, item):
        # The name as drawn; no ID number on the list.
        return item.pinned_record.name if item.pinned_record else "—"

    @admin.display(description=gettext_lazy("checked"), boolean=True)
    def checked(self, item):
        return item.is_checked

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        if obj is None:
            return super().has_view_permission(request)
        return selectors.items_visible_to(request.user).filter(pk=obj.pk).exists()

    def has_change_permission(self, request, obj=None):
        if obj is None:
            return False  # no list editing; checking happens on the item's own page
        return selectors.may_record_findings(request.user, obj)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/correct/",
                view(self.correct_view),
                name="audits_audititem_correct",
            ),
            *super().get_urls(),
        ]

    # The checking page ---------------------------------------------------------------------

    def _item(self, request, object_id) -> AuditItem:
        item = self.get_object(request, unquote(object_id))
        if item is None:
            raise Http404(_("No such item among those you may see."))
        return item

    def change_view(self, request, object_id, form_url="", extra_context=None):
        item = self._item(request, object_id)
        campaign = item.campaign
        may_check = self.has_change_permission(request, item)
        form = None
        if may_check:
            data = request.POST if request.method == "POST" else None
            hidden = scope.hidden_fields(request.user, Resident(pk=item.resident_id))
            initial, kept = _initial(item, hidden)
            form = CheckForm(
                data, audited=list(campaign.audited_fields), initial=initial, kept=kept
            )
            if request.method == "POST" and form.is_valid():
                try:
                    services.audit_item_record(
                        item=item,
                        actor=actor_of(request),
                        found=form.cleaned_data["found"],
                        marks=form.marks(),
                        satisfaction=form.cleaned_data["satisfaction"],
                        method=form.cleaned_data["method"],
                        note=form.cleaned_data["note"],
                    )
                except ValidationError as error:
                    form.add_service_errors(error)
                else:
                    messages.success(request, _("Findings saved."))
                    return HttpResponseRedirect(self._after_save(request, item))
        elif request.method == "POST":
            raise PermissionDenied
        return TemplateResponse(
            request,
            "admin/audits/audititem/check.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "original": item,
                "title": _("Check %(item)s of %(campaign)s") % {"item": item, "campaign": campaign},
                "item": item,
                "campaign": campaign,
                "position": _position(request, item),
                "file_rows": self._file_rows(request, item),
                "form": form,
                "findings": self._findings(request, item),
            },
        )

    def _after_save(self, request, item) -> str:
        if "_next" in request.POST:
            following = (
                selectors.items_visible_to(request.user)
                .filter(campaign=item.campaign, checked_at__isnull=True)
                .order_by("pk")
            )
            next_item = following.filter(pk__gt=item.pk).first() or following.first()
            if next_item is not None:
                return reverse("admin:audits_audititem_change", args=[next_item.pk])
        return reverse("admin:audits_audititem_changelist") + f"?campaign={item.campaign_id}"

    def _file_rows(self, request, item) -> list[tuple[str, str]]:
        """The pinned version, masked for this user; shown full values are logged."""
        snapshot = history.file_at(item.pinned_record, request.user)
        archive_services.resident_sensitive_reads_record(
            user=actor_of(request),
            resident=Resident(pk=item.resident_id),
            view=SensitiveAccess.View.HISTORY,
        )
        return snapshot.rows

    def _findings(self, request, item) -> list[dict]:
        if not item.is_checked:
            return []
        hidden = scope.hidden_fields(request.user, Resident(pk=item.resident_id))
        may_correct = selectors.may_correct(request.user, item)
        rows = []
        for finding in item.findings.select_related("correction"):
            value = scope.masked_value(finding.field, finding.correct_value, hidden)
            corrected = hasattr(finding, "correction")
            rows.append(
                {
                    "pk": finding.pk,
                    "label": _LABELS.get(finding.field, finding.field),
                    "mark": finding.get_mark_display(),
                    "wrong": finding.mark == Mark.WRONG,
                    "value": value,
                    "corrected": corrected,
                    "can_correct": selectors.correction_refusal(finding) is None and may_correct,
                    "needs_file": selectors.finding_needs_file(finding),
                }
            )
        return rows

    def correct_view(self, request, object_id):
        item = self._item(request, object_id)
        back = reverse("admin:audits_audititem_change", args=[item.pk])
        if request.method != "POST":
            return HttpResponseRedirect(back)
        finding = get_object_or_404(item.findings, pk=request.POST.get("finding") or 0)
        try:
            services.audit_correction_apply(finding=finding, actor=actor_of(request))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _("The file is corrected; its history says “%(reason)s”.")
                % {"reason": services.correction_reason(item.campaign)},
            )
        return HttpResponseRedirect(back)


def _initial(item: AuditItem, hidden: set[str]) -> tuple[dict, dict[str, str]]:
    """The form as recorded, and the recorded values of fields in ``hidden``, which the form
    does not show (a value typed earlier is a full ID number or birth date all the same)."""
    if not item.is_checked:
        return {}, {}
    kept = {}
    initial = {
        "found": "yes" if item.found else "no",
        "method": item.method,
        "satisfaction": item.satisfaction,
        "note": item.note,
    }
    for finding in item.findings.all():
        initial[f"mark_{finding.field}"] = finding.mark
        if finding.field in hidden:
            if finding.correct_value:
                kept[finding.field] = finding.correct_value
        else:
            initial[f"value_{finding.field}"] = finding.correct_value
    return initial, kept


def _position(request, item) -> tuple[int, int]:
    """(n, of) among the campaign's items this user sees."""
    items = selectors.items_visible_to(request.user).filter(campaign=item.campaign)
    return items.filter(pk__lte=item.pk).count(), items.count()
