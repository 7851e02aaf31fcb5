"""The sensitive read log and the export log, for administrators: read-only, filtered by user
and date."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from archives.admin.base import DeclaredLookupsOnly
from archives.models import ExportRecord, SensitiveAccess


class ReadOnlyLogAdmin(DeclaredLookupsOnly, admin.ModelAdmin):
    """For administrators; a log is only read: nobody adds to it, edits it or removes from it."""

    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser


@admin.register(SensitiveAccess)
class SensitiveAccessAdmin(ReadOnlyLogAdmin):
    list_display = ["accessed_at", "user", "resident_link", "fields", "view", "rows", "filters"]
    list_filter = [("user", admin.RelatedOnlyFieldListFilter), "view"]
    date_hierarchy = "accessed_at"
    search_fields = ["user__username"]
    list_select_related = ["user"]

    @admin.display(description=_("resident"), ordering="resident_id")
    def resident_link(self, entry: SensitiveAccess) -> str:
        return "—" if entry.resident_id is None else str(entry.resident_id)


@admin.register(ExportRecord)
class ExportRecordAdmin(ReadOnlyLogAdmin):
    list_display = ["exported_at", "user", "model", "rows", "file_format", "filters"]
    list_filter = [("user", admin.RelatedOnlyFieldListFilter), "model"]
    date_hierarchy = "exported_at"
    list_select_related = ["user"]
