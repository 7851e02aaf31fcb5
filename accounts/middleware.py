from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse

from accounts.two_factor import confirmed_device, two_factor_required


class TwoFactorRequiredMiddleware:
    """Keeps a signed-in user on the enrolment page until they have the second factor they need.

    - An account that must use two-factor sign-in and has no device goes to enrolment before
      anything else.
    - An account that has a device but whose session was not verified with it (a session opened
      before the device was added, elsewhere) is signed out: its next login asks for the code.

    Runs after django-otp's ``OTPMiddleware``, which provides ``user.is_verified()``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if not user.is_authenticated or user.is_verified() or self._always_open(request):
            return self.get_response(request)
        if confirmed_device(user) is not None:
            logout(request)
            return redirect(f"{reverse('admin:login')}?next={request.path}")
        if two_factor_required(user):
            return redirect("admin:two_factor")
        return self.get_response(request)

    @staticmethod
    def _always_open(request) -> bool:
        # What an account must reach to enrol or leave: the enrolment page, logout, the
        # language switch and the files the pages load.
        open_paths = (reverse("admin:two_factor"), reverse("admin:logout"), "/i18n/", "/static/")
        return request.path.startswith(open_paths)
