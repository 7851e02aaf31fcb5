from django.core.management.base import BaseCommand

from portal.roles import roles_ensure


class Command(BaseCommand):
    help = (
        "Create the role groups and set their permissions to the portal's table "
        "(portal/roles.py). Run after every migrate; grants are left as they are."
    )

    def handle(self, *args, **options):
        groups = roles_ensure()
        for name, group in groups.items():
            self.stdout.write(f"{name}: {group.permissions.count()} permissions")
        self.stdout.write(self.style.SUCCESS(f"{len(groups)} roles in place."))
