from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExportsConfig(AppConfig):
    name = "exports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        # Registers the app's job runners (jobs.registry) in every process, the worker's too.
        from exports import jobs  # noqa: F401
