import os

from django.core.wsgi import get_wsgi_application

from portal.web_worker import (
    collect_after_each_request,
    freeze_after_first_request,
    switch_threads_often,
)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

application = get_wsgi_application()
# How a web worker runs Python (its garbage collector, its threads): portal/web_worker.py.
freeze_after_first_request()
collect_after_each_request()
switch_threads_often()
