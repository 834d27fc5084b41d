from django.core.management.base import BaseCommand, CommandError

from cbnet.core.search import indexing


class Command(BaseCommand):
    help = "Rebuild the search index of every searchable model (or of the models named)."

    def add_arguments(self, parser):
        parser.add_argument("labels", nargs="*", help="e.g. directory.person (default: all)")

    def handle(self, *labels, **options):
        def log(label, count):
            self.stdout.write(f"{label}: {count} indexed")

        try:
            counts = indexing.rebuild(labels or None, log=log)
        except ValueError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(self.style.SUCCESS(f"{sum(counts.values())} records indexed"))
