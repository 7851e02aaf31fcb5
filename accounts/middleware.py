from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse

from accounts.two_factor import confirmed_device, two_factor_required


class TwoFactorRequiredMiddleware:
    """Keeps a signed-in user on the enrolment page until they have the second factor they need.

    - An account that must use two-factor sign-in and has no device goes to enrolment before
      anything else.
    - An account that has a device but whose session was not verified with it (a session opened
      before the device was added, elsewhere) is signed out, whatever it asks for, the enrolment
      page included: it could otherwise replace the owner's new device with its own.

    Runs after django-otp's ``OTPMiddleware``, which provides ``user.is_verified()``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if not user.is_authenticated or user.is_verified() or self._files(request):
            return self.get_response(request)
        if confirmed_device(user) is not None:
            logout(request)
            return redirect(f"{reverse('admin:login')}?next={request.path}")
        if self._always_open(request):
            return self.get_response(request)
        if two_factor_required(user):
            return redirect("admin:two_factor")
        return self.get_response(request)

    @staticmethod
    def _files(request) -> bool:
        # The language switch and the files the pages load.
        return request.path.startswith(("/i18n/", "/static/"))

    @staticmethod
    def _always_open(request) -> bool:
        # What an account without a device must reach to enrol or leave.
        return request.path.startswith((reverse("admin:two_factor"), reverse("admin:logout")))
