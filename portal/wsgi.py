import os

from django.core.wsgi import get_wsgi_application

from portal.collector import freeze_after_first_request

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

application = get_wsgi_application()
# A web worker keeps most of what it builds for its life: see portal/collector.py.
freeze_after_first_request()
