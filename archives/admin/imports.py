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
from archives.imports.collector import collector_paused
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
from jobs.models import Job
from jobs.registry import job_runner
from jobs.runner import JobRefused, JobResult, Progress
from jobs.services import job_start

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
            # Checked at the confirmation before any job starts; the job checks them again.
            "acknowledgements": plan.acknowledgements(),
        }

    def import_confirm_view(self, request):
        """Start the import as a job (``import_run``) and show its page. The preview stays in
        the request; only a confirmation missing a tick the preview asked for is answered here
        (the preview again, as it now stands), without starting anything."""
        if not self.has_import_permission(request) or request.method != "POST":
            raise PermissionDenied
        pending = request.session.pop(self._session_key, None)
        if not pending:
            messages.error(request, _("Nothing is waiting to be imported; upload the file again."))
            return HttpResponseRedirect(reverse(f"admin:{self._url_name('import')}"))
        ticked = set(request.POST.getlist("acknowledge"))
        if any(code not in ticked for code in pending.get("acknowledgements", [])):
            return self._ask_acknowledgements(request, pending, ticked)
        job = job_start(
            kind=IMPORT_JOB,
            user=actor_of(request),
            params={
                "importer": self.opts.model_name,
                "path": pending["path"],
                "name": pending["name"],
                "fingerprint": pending.get("fingerprint"),
                "acknowledged": sorted(ticked),
            },
            title=_("Import of %(file)s") % {"file": pending["name"]},
        )
        return HttpResponseRedirect(reverse("admin:jobs_job_progress", args=[job.pk]))

    def _ask_acknowledgements(self, request, pending: dict, ticked: set[str]):
        """The preview again, as it now stands, saying which ticks are missing."""
        with default_storage.open(pending["path"]) as stored:
            data = stored.read()
        preview = self._preview(request, pending["name"], data)
        context = {**self._import_context(request), **preview}
        plan = preview.get("plan")
        if plan is None or plan.errors:
            default_storage.delete(pending["path"])
            return self._render_import(request, context)
        if plan.fingerprint() != pending.get("fingerprint"):
            context["changed_since_preview"] = True
        # What the user now sees is what a confirmation will be checked against.
        pending.update(fingerprint=plan.fingerprint(), acknowledgements=plan.acknowledgements())
        request.session[self._session_key] = pending
        context.update(
            missing_acknowledgements=[c for c in plan.acknowledgements() if c not in ticked],
            ticked=ticked,
        )
        return self._render_import(request, context)

    def _preview(self, request, name: str, data: bytes) -> dict:
        try:
            with collector_paused():  # from reading to planning: see collector_paused
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


IMPORT_JOB = "archives.import"
#: Each importer by the name of the model it writes (a job's parameters name it).
IMPORTERS = {"resident": RESIDENTS, "household": HOUSEHOLDS, "building": BUILDINGS}


@job_runner(IMPORT_JOB)
@collector_paused()  # from reading to writing, once: see collector_paused
def import_run(job: Job, progress: Progress) -> JobResult:
    """A confirmed import, in the worker: the file waiting since its preview is read and
    planned again as its user (the archive or their grants may have changed since), and
    written only if it is still what the preview showed and every warning was ticked. The
    waiting file is removed whatever happens; a refusal asks for a new upload."""
    params = job.params
    model = params["importer"]
    importer = IMPORTERS[model]
    user = job.user
    try:
        if not user.is_active:
            raise JobRefused(_("Your account is no longer active: nothing was imported."))
        # Asked again, as the view asked: the user's role may have changed since.
        if not all(user.has_perm(f"archives.{action}_{model}") for action in ("add", "change")):
            raise JobRefused(_("You may no longer import these records: nothing was imported."))
        try:
            with default_storage.open(params["path"]) as stored:
                data = stored.read()
        except FileNotFoundError:
            raise JobRefused(
                _("Nothing is waiting to be imported; upload the file again.")
            ) from None
        try:
            plan = importer.plan(
                read_table(params["name"], data, Limits.from_settings()), user=user
            )
        except FileRefused as refused:
            raise JobRefused(f"{params['name']}: {refused}") from None
        if plan.errors:
            raise JobRefused(
                _(
                    "The file now has errors: the archive or your access changed after your "
                    "preview. Nothing was imported: upload the file again to see them."
                )
            )
        if plan.fingerprint() != params["fingerprint"]:
            raise JobRefused(
                _(
                    "Some residents in this file were changed or added by someone else after "
                    "your preview. Nothing was imported: upload the file again to check the "
                    "preview as it now stands."
                )
            )
        if any(code not in params["acknowledged"] for code in plan.acknowledgements()):
            raise JobRefused(
                _(
                    "Nothing was imported: tick every box under “Check before importing” to "
                    "confirm you have checked each warning, then import again."
                )
            )
        try:
            counts = importer.apply(plan, user=user, filename=params["name"], progress=progress)
        except ConcurrentEditError as conflict:
            raise JobRefused(
                _(
                    "%(name)s was changed by someone else while the file was being imported. "
                    "Nothing was imported: upload the file again to see the changes."
                )
                % {"name": conflict.resident.name}
            ) from None
    finally:
        default_storage.delete(params["path"])
    return JobResult(
        summary=_("Imported %(file)s: %(new)s new, %(update)s updated, %(unchanged)s unchanged.")
        % {"file": params["name"], **counts},
        link=reverse(f"admin:archives_{model}_changelist"),
        link_text=_("Back to the list"),
    )
