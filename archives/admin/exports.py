"""Export from the changelist (django-import-export): exactly the rows on the user's list with
its filters and search, masked as on screen, neutralised against formulas, and logged."""

from import_export.admin import ExportMixin
from import_export.formats.base_formats import CSV

from archives import services
from archives.admin.base import actor_of
from archives.resources import FullValuesShown
from archives.spreadsheets import FastXLSX


class ArchiveExportMixin(ExportMixin):
    # The list of the user's changelist (scoped, filtered, searched): ExportMixin asks the
    # admin's ChangeList for it. Permission: settings.IMPORT_EXPORT_EXPORT_PERMISSION_CODE.
    export_formats = [FastXLSX, CSV]
    # A CSV without a byte order mark opens in Excel as the system's code page (GBK on a
    # Chinese Windows): every Chinese character garbled. With one, Excel reads it as UTF-8.
    to_encoding = "utf-8-sig"

    def export_action(self, request):
        # The export takes the list's query string: it answers only what the list would.
        if why := self.refused_query(request):
            return self.refused_response(request, why)
        return super().export_action(request)

    def get_export_resource_kwargs(self, request, **kwargs):
        # The resource notes which full values it wrote, for the sensitive read log.
        request.export_shown = FullValuesShown()
        return {
            **super().get_export_resource_kwargs(request, **kwargs),
            "user": request.user,
            "shown": request.export_shown,
        }

    def get_export_data(self, file_format, request, queryset, **kwargs):
        request.export_format = file_format.get_title()
        return super().get_export_data(file_format, request, queryset, **kwargs)

    def get_data_for_export(self, request, queryset, **kwargs):
        dataset = super().get_data_for_export(request, queryset, **kwargs)
        shown = getattr(request, "export_shown", None) or FullValuesShown()
        services.export_record_create(
            user=actor_of(request),
            model=self.opts.model_name,
            rows=len(dataset),
            filters=request.GET.urlencode(),
            file_format=getattr(request, "export_format", ""),
            full_fields=shown.fields,
            full_rows=len(shown.rows),
        )
        return dataset
