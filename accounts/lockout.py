from django.conf import settings
from django.contrib import admin
from django.shortcuts import render


def lockout_response(request, original_response=None, credentials=None):
    """django-axes' answer to a locked-out login: the login page again, saying for how long and
    whom to ask, with status 429. Nothing was checked: the password was not even compared."""
    site = admin.site
    context = {
        **site.each_context(request),
        "title": site.site_title,
        "form": site.login_form(request),
        "app_path": request.get_full_path(),
        "locked_out_minutes": round(settings.AXES_COOLOFF_TIME * 60),
    }
    request.current_app = site.name
    # Rendered now: axes returns it from a middleware, where nothing renders a TemplateResponse.
    return render(request, "admin/login.html", context, status=429)
