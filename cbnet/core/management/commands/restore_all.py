"""``manage.py restore_all FILE``: rebuild an empty instance from an export_all archive.

See cbnet/core/backup.py (what is checked, in which order) and docs/deploy.md.
"""

from django.core.management.base import BaseCommand, CommandError

from cbnet.core import backup


class Command(BaseCommand):
    help = (
        "Rebuild an EMPTY instance (database and MEDIA_ROOT) from an export_all archive: "
        "migrate to the archive's state, load and verify, then migrate forward."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", help="Archive written by export_all")
        parser.add_argument("--database", default="default", help="Database alias to fill.")
        parser.add_argument(
            "--max-member-bytes",
            type=int,
            default=None,
            help="Refuse archive members larger than this (default: "
            "CBNET_BACKUP_MAX_MEMBER_BYTES or 4 GiB).",
        )

    def handle(self, *args, archive, database, max_member_bytes, verbosity, **options):
        def log(message):
            if verbosity >= 2 or (verbosity >= 1 and not message.endswith(" rows")):
                self.stdout.write(message)

        try:
            manifest = backup.restore_all(archive, using=database, limit=max_member_bytes, log=log)
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
        if verbosity >= 1:
            rows = sum(entry["count"] for entry in manifest["models"].values())
            self.stdout.write(
                self.style.SUCCESS(
                    f"Restored {rows} rows of {len(manifest['models'])} models and "
                    f"{len(manifest['media'])} media files from {archive} "
                    f"(made {manifest['created']})."
                )
            )
