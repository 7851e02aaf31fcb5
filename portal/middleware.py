from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class PortalLocaleMiddleware(LocaleMiddleware):
    """Speak the portal's language (Chinese) unless the user chose another one.

    Django's LocaleMiddleware follows the browser's Accept-Language header, and many office PCs
    run English browsers: their users would get an English portal they never asked for. Only the
    language switch (which sets the language cookie) changes the language here.
    """

    def process_request(self, request):
        supported = {code for code, _name in settings.LANGUAGES}
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
