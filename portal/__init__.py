# Loaded with Django, as Celery's documentation asks, so that @shared_task binds to this app.
from portal.celery import app as celery_app

__all__ = ("celery_app",)
