"""The authentication backend that makes ``user.has_perm(perm, obj)`` follow the portal's scope.

Django's ``ModelBackend`` answers model-level questions (what a role may do) and says no to any
question about an object. This backend answers those about archive rows and org units from
``archives.scope``, so the admin, third-party admin code (import-export, simple-history,
guardian's pages) and our own views get one answer. It replaces guardian's
``ObjectPermissionBackend``, which would honour a permission stored on a single resident; scope
never does.
"""

from django.contrib.auth.backends import BaseBackend

from archives import scope


class ScopeBackend(BaseBackend):
    def has_perm(self, user_obj, perm, obj=None):
        if obj is None or not user_obj.is_active:
            return False
        return scope.has_object_permission(user_obj, perm, obj)
