"""Importing residents, households and buildings in the admin, in two steps: upload and preview
(every error listed, with its row and column), then confirm. Nothing is written until the
confirmation, and then all rows or none.

The upload waits between the two steps in the default file storage (``MEDIA_ROOT``), under a
random name the user's session holds, so the confirmation works on any app server.
"""

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

from archives.admin.base import ModelAdminMixinBase, actor_of
from archives.imports import buildings, households, residents
from archives.imports.reading import FileRefused, Limits, check_size, read_table
from archives.imports.rows import (
    CLEARING,
    CREATION,
    IGNORED_HEADERS,
    REVIVAL,
    PlannedRow,
)
from archives.imports.template import (
    building_template_workbook,
    household_template_workbook,
    resident_template_workbook,
)
from archives.services import ConcurrentEditError

PREVIEW_ROWS = 200
#: Updated rows shown with their changes; the per-column counts cover all of them.
PREVIEW_CHANGED_ROWS = 1000

#: What each acknowledgement box says; a confirmation without every box the plan asks for
#: writes nothing.
ACKNOWLEDGEMENT_WORDS = {
    IGNORED_HEADERS: gettext_lazy(
        "I understand that the columns with the ignored headers above are not imported."
    ),
    REVIVAL: gettext_lazy(
        "I have checked that the deceased or moved-out residents marked below are to be "
        "registered or floating again."
    ),
    CLEARING: gettext_lazy(
        "I have checked that the stored values marked below (phone, medical history, tags) "
        "are to be cleared."
    ),
    CREATION: gettext_lazy(
        "I have checked that the buildings and households to be created are not existing ones "
        "spelled differently."
    ),
}


@dataclass(frozen=True)
class Importer:
    """What one model's import needs from the admin."""

    plan: Callable
    apply: Callable
    template: Callable[..., bytes]  # (language index, *, user) -> workbook
    title: "StrOrPromise"
    file_stem: str
    describe: Callable[[PlannedRow], str]  # the preview's words for a row
    #: Acknowledgements this import words its own way (what it would clear, say).
    words: Mapping[str, "StrOrPromise"] = field(default_factory=dict)


def _place_words(row: PlannedRow) -> str:
    return f"{row.place.address} {row.place.unit}-{row.place.room}"


RESIDENTS = Importer(
    plan=residents.resident_import_plan,
    apply=residents.resident_import_apply,
    template=resident_template_workbook,
    title=gettext_lazy("Import residents"),
    file_stem="residents",
    describe=lambda row: f"{row.title}, {_place_words(row)}",
)
HOUSEHOLDS = Importer(
    plan=households.household_import_plan,
    apply=households.household_import_apply,
    template=household_template_workbook,
    title=gettext_lazy("Import households"),
    file_stem="households",
    describe=_place_words,
)
BUILDINGS = Importer(
    plan=buildings.building_import_plan,
    apply=buildings.building_import_apply,
    template=building_template_workbook,
    title=gettext_lazy("Import buildings"),
    file_stem="buildings",
    describe=lambda row: f"{row.place.address}: {row.values['units']} × {row.values['floors']}",
    words={
        CLEARING: gettext_lazy(
            "I have checked that the stored positions (latitude and longitude) of the buildings "
            "marked below are to be cleared."
        )
    },
)


class ImportMixin(ModelAdminMixinBase):
    """Adds import, confirm and template views to a ModelAdmin; ``importer`` says how."""

    importer: Importer
    change_list_template = "admin/archives/change_list_import.html"

    def _url_name(self, step: str) -> str:
        return f"{self.opts.app_label}_{self.opts.model_name}_{step}"

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("import/", view(self.import_view), name=self._url_name("import")),
            path(
                "import/confirm/",
                view(self.import_confirm_view),
                name=self._url_name("import_confirm"),
            ),
            path(
                "import/template.xlsx",
                view(self.import_template_view),
                name=self._url_name("import_template"),
            ),
            *super().get_urls(),
        ]

    def has_import_permission(self, request) -> bool:
        return all(
            request.user.has_perm(f"{self.opts.app_label}.{action}_{self.opts.model_name}")
            for action in ("add", "change")
        )

    @property
    def _session_key(self) -> str:
        return f"import:{self.opts.label_lower}"

    def changelist_view(self, request, extra_context=None):
        extra = {
            "has_import_permission": self.has_import_permission(request),
            "import_url": reverse(f"admin:{self._url_name('import')}"),
        }
        return super().changelist_view(request, {**extra, **(extra_context or {})})

    def import_template_view(self, request):
        if not self.has_import_permission(request):
            raise PermissionDenied
        english = request.GET.get("lang") == "en"
        response = HttpResponse(
            self.importer.template(1 if english else 0, user=request.user),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        stem = self.importer.file_stem
        name = f"{stem}-template.xlsx" if english else f"{stem}-template-zh.xlsx"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    def import_view(self, request):
        if not self.has_import_permission(request):
            raise PermissionDenied
        context = self._import_context(request)
        if request.method == "POST" and request.FILES.get("file"):
            upload = request.FILES["file"]
            try:
                check_size(upload.size, Limits.from_settings())
            except FileRefused as refused:
                context.update(refused=str(refused), file_name=upload.name)
                return self._render_import(request, context)
            data = upload.read()
            context.update(self._preview(request, upload.name, data))
            self._discard_pending(request)  # a new upload replaces one left unconfirmed
            if context.get("plan") and not context["plan"].errors:
                self._keep_pending(request, upload.name, data, context["plan"])
        return self._render_import(request, context)

    def _keep_pending(self, request, name: str, data: bytes, plan) -> None:
        """Keep a previewed upload for its confirmation, with the fingerprint of the records
        the preview matched, so that a confirmation never applies what the user did not see."""
        stored = default_storage.save(f"imports/{uuid.uuid4().hex}", ContentFile(data))
        request.session[self._session_key] = {
            "path": stored,
            "name": name,
            "fingerprint": plan.fingerprint(),
        }

    def import_confirm_view(self, request):
        if not self.has_import_permission(request) or request.method != "POST":
            raise PermissionDenied
        pending = request.session.pop(self._session_key, None)
        if not pending:
            messages.error(request, _("Nothing is waiting to be imported; upload the file again."))
            return HttpResponseRedirect(reverse(f"admin:{self._url_name('import')}"))
        try:
            with default_storage.open(pending["path"]) as stored:
                data = stored.read()
        finally:
            default_storage.delete(pending["path"])
        # Checked again: the archive or the user's grants may have changed since the preview.
        preview = self._preview(request, pending["name"], data)
        plan = preview.get("plan")
        if plan is None or plan.errors:
            context = {**self._import_context(request), **preview}
            return self._render_import(request, context)
        if plan.fingerprint() != pending.get("fingerprint"):
            # Someone changed or added a matched resident after the preview: show the preview
            # as it now stands and let the user confirm that one.
            self._keep_pending(request, pending["name"], data, plan)
            context = {**self._import_context(request), **preview, "changed_since_preview": True}
            return self._render_import(request, context)
        ticked = set(request.POST.getlist("acknowledge"))
        if missing := [code for code in plan.acknowledgements() if code not in ticked]:
            self._keep_pending(request, pending["name"], data, plan)
            context = {
                **self._import_context(request),
                **preview,
                "missing_acknowledgements": missing,
                "ticked": ticked,
            }
            return self._render_import(request, context)
        try:
            counts = self.importer.apply(plan, user=actor_of(request), filename=pending["name"])
        except ConcurrentEditError as conflict:
            messages.error(
                request,
                _(
                    "%(name)s was changed by someone else while the file was being imported. "
                    "Nothing was imported: upload the file again to see the changes."
                )
                % {"name": conflict.resident.name},
            )
            return HttpResponseRedirect(reverse(f"admin:{self._url_name('import')}"))
        messages.success(
            request,
            _("Imported %(file)s: %(new)s new, %(update)s updated, %(unchanged)s unchanged.")
            % {"file": pending["name"], **counts},
        )
        return HttpResponseRedirect(reverse(f"admin:{self._url_name('changelist')}"))

    def _preview(self, request, name: str, data: bytes) -> dict:
        try:
            table = read_table(name, data, Limits.from_settings())
            plan = self.importer.plan(table, user=request.user)
        except FileRefused as refused:
            return {"refused": str(refused), "file_name": name}
        return {
            "plan": plan,
            "file_name": name,
            "read_from": table.where(),  # which sheet and header row were read
            "preview_rows": [
                (row, self.importer.describe(row))
                for row in [r for r in plan.rows if r.action != "update"][:PREVIEW_ROWS]
            ],
            "changed_rows": [
                (row, self.importer.describe(row), self._change_words(row))
                for row in [r for r in plan.rows if r.action == "update"][:PREVIEW_CHANGED_ROWS]
            ],
            "column_changes": [
                (self._field_words(name), count) for name, count in plan.column_changes.items()
            ],
            "acknowledgements": [
                (code, self.importer.words.get(code, ACKNOWLEDGEMENT_WORDS[code]))
                for code in plan.acknowledgements()
            ],
            "counts": plan.counts(),
        }

    def _field_words(self, name: str) -> str:
        return str(self.model._meta.get_field(name).verbose_name)

    def _change_words(self, row: PlannedRow) -> list[tuple[str, str, str]]:
        return [(self._field_words(name), old, new) for name, old, new in row.changes]

    def _import_context(self, request) -> dict:
        return {
            **self.admin_site.each_context(request),
            "title": self.importer.title,
            "opts": self.opts,
            "template_url": reverse(f"admin:{self._url_name('import_template')}"),
            "confirm_url": reverse(f"admin:{self._url_name('import_confirm')}"),
        }

    def _render_import(self, request, context):
        return TemplateResponse(request, "admin/archives/import.html", context)

    def _discard_pending(self, request) -> None:
        pending = request.session.pop(self._session_key, None)
        if pending:
            default_storage.delete(pending["path"])
