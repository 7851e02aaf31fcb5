"""Export from the changelist (django-import-export): exactly the rows on the user's list with
its filters and search, masked as on screen, neutralised against formulas, and logged."""

from import_export.admin import ExportMixin
from import_export.formats.base_formats import CSV

from archives.models import ExportRecord
from archives.spreadsheets import FastXLSX


class ArchiveExportMixin(ExportMixin):
    # The list of the user's changelist (scoped, filtered, searched): ExportMixin asks the
    # admin's ChangeList for it. Permission: settings.IMPORT_EXPORT_EXPORT_PERMISSION_CODE.
    export_formats = [FastXLSX, CSV]
    # A CSV without a byte order mark opens in Excel as the system's code page (GBK on a
    # Chinese Windows): every Chinese character garbled. With one, Excel reads it as UTF-8.
    to_encoding = "utf-8-sig"

    def get_export_resource_kwargs(self, request, **kwargs):
        return {**super().get_export_resource_kwargs(request, **kwargs), "user": request.user}

    def get_export_data(self, file_format, request, queryset, **kwargs):
        request.export_format = file_format.get_title()
        return super().get_export_data(file_format, request, queryset, **kwargs)

    def get_data_for_export(self, request, queryset, **kwargs):
        dataset = super().get_data_for_export(request, queryset, **kwargs)
        ExportRecord.objects.create(
            user=request.user,
            model=self.opts.model_name,
            rows=len(dataset),
            filters=request.GET.urlencode(),
            file_format=getattr(request, "export_format", ""),
        )
        return dataset
