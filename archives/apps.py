from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ArchivesConfig(AppConfig):
    name = "archives"
    verbose_name = _("Resident archive")

    def ready(self) -> None:
        # Registers the app's job runners (jobs.registry) in every process, the worker's too.
        from archives import jobs  # noqa: F401
