from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditsConfig(AppConfig):
    name = "audits"
    verbose_name = _("Audits")

    def ready(self) -> None:
        # Registers the app's job runners (jobs.registry) in every process, the worker's too.
        from audits import jobs  # noqa: F401
