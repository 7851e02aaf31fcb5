from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import timezone, translation


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


#: The session key holding when the session's row was last renewed (a POSIX timestamp).
RENEWED_KEY = "_renewed_at"


def session_renewed_at_sign_in(sender, request, user, **kwargs) -> None:
    """Signing in saves a fresh session: it counts as its first renewal, so the first page
    after it does not save the session again."""
    session = getattr(request, "session", None)
    if session is not None:
        session[RENEWED_KEY] = timezone.now().timestamp()


class SessionRenewalMiddleware:
    """Renews a signed-in session's idle timeout at most once a minute, instead of on every
    request.

    The idle timeout (SESSION_COOKIE_AGE) is the session row's expiry date, moved forward each
    time the row is saved; SESSION_SAVE_EVERY_REQUEST did that with an UPDATE and a commit on
    every page, the costliest part of a cheap page under load. Here the row is saved only when
    its last renewal is more than SESSION_RENEW_SECONDS old, so the session still ends
    SESSION_COOKIE_AGE after the last request, to within that minute (never later). Sessions
    changed for another reason (sign-in, a pending import) are saved by Django as always.

    Sits right below SessionMiddleware, so that it marks the session before that middleware
    decides whether to save it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or session.is_empty():
            return response
        now = timezone.now().timestamp()
        renewed = session.get(RENEWED_KEY)
        if not isinstance(renewed, int | float) or now - renewed >= settings.SESSION_RENEW_SECONDS:
            session[RENEWED_KEY] = now  # modified: SessionMiddleware saves it, renewing the expiry
        return response
