"""``manage.py export_all --output FILE``: the database and MEDIA_ROOT in one archive.

See cbnet/core/backup.py for what the archive holds and docs/deploy.md for how to use it.
"""

from django.core.management.base import BaseCommand, CommandError

from cbnet.core import backup


class Command(BaseCommand):
    help = "Write the whole database and the uploaded files to one archive (.tar.gz)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--output", "-o", required=True, help="Archive to write, e.g. cbnet-backup.tar.gz"
        )
        parser.add_argument("--database", default="default", help="Database alias to read.")

    def handle(self, *args, output, database, verbosity, **options):
        def log(message):
            if verbosity >= 2 or (verbosity >= 1 and message.startswith("Wrote ")):
                self.stdout.write(message)

        try:
            backup.export_all(output, using=database, log=log)
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
