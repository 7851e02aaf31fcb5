"""Importing residents in the admin, in two steps: upload and preview (every error listed, with
its row and column), then confirm. Nothing is written until the confirmation, and then all
rows or none.

The upload waits between the two steps in the default file storage (``MEDIA_ROOT``), under a
random name the user's session holds, so the confirmation works on any app server.
"""

import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _

from archives.imports.reading import FileRefused, Limits, check_size, read_table
from archives.imports.residents import resident_import_apply, resident_import_plan
from archives.imports.template import resident_template_workbook

SESSION_KEY = "resident_import"
PREVIEW_ROWS = 200


class ResidentImportMixin:
    change_list_template = "admin/archives/resident/change_list.html"

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("import/", view(self.import_view), name="archives_resident_import"),
            path(
                "import/confirm/",
                view(self.import_confirm_view),
                name="archives_resident_import_confirm",
            ),
            path(
                "import/template.xlsx",
                view(self.import_template_view),
                name="archives_resident_import_template",
            ),
            *super().get_urls(),
        ]

    def has_import_permission(self, request) -> bool:
        return request.user.has_perm("archives.add_resident") and request.user.has_perm(
            "archives.change_resident"
        )

    def changelist_view(self, request, extra_context=None):
        extra = {"has_import_permission": self.has_import_permission(request)}
        return super().changelist_view(request, {**extra, **(extra_context or {})})

    def import_template_view(self, request):
        if not self.has_import_permission(request):
            raise PermissionDenied
        english = request.GET.get("lang") == "en"
        response = HttpResponse(
            resident_template_workbook(1 if english else 0),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        name = "residents-template.xlsx" if english else "residents-template-zh.xlsx"
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
            _discard_pending(request)  # a new upload replaces one left unconfirmed
            if context.get("plan") and not context["plan"].errors:
                token = uuid.uuid4().hex
                stored = default_storage.save(f"imports/{token}", ContentFile(data))
                request.session[SESSION_KEY] = {"path": stored, "name": upload.name}
        return self._render_import(request, context)

    def import_confirm_view(self, request):
        if not self.has_import_permission(request) or request.method != "POST":
            raise PermissionDenied
        pending = request.session.pop(SESSION_KEY, None)
        if not pending:
            messages.error(request, _("Nothing is waiting to be imported; upload the file again."))
            return HttpResponseRedirect(reverse("admin:archives_resident_import"))
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
        counts = resident_import_apply(plan, user=request.user, filename=pending["name"])
        messages.success(
            request,
            _("Imported %(file)s: %(new)s new, %(update)s updated, %(unchanged)s unchanged.")
            % {"file": pending["name"], **counts},
        )
        return HttpResponseRedirect(reverse("admin:archives_resident_changelist"))

    def _preview(self, request, name: str, data: bytes) -> dict:
        try:
            table = read_table(name, data, Limits.from_settings())
            plan = resident_import_plan(table, user=request.user)
        except FileRefused as refused:
            return {"refused": str(refused), "file_name": name}
        return {
            "plan": plan,
            "file_name": name,
            "preview_rows": plan.rows[:PREVIEW_ROWS],
            "counts": {a: plan.count(a) for a in ("new", "update", "unchanged")},
        }

    def _import_context(self, request) -> dict:
        return {
            **self.admin_site.each_context(request),
            "title": _("Import residents"),
            "opts": self.opts,
        }

    def _render_import(self, request, context):
        return TemplateResponse(request, "admin/archives/resident/import.html", context)


def _discard_pending(request) -> None:
    pending = request.session.pop(SESSION_KEY, None)
    if pending:
        default_storage.delete(pending["path"])
