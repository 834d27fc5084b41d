from django.core.management.base import BaseCommand

from cbnet.directory.demo import demo_logins, load_demo


class Command(BaseCommand):
    help = (
        "Load the demo network (regions, organisations, fictional people, appointments, "
        "demo logins) and print the demo logins. Safe to run again: only what is missing "
        "is created."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--quiet-logins", action="store_true", help="Do not print the demo logins table."
        )

    def handle(self, *args, **options):
        result = load_demo()
        self.stdout.write(self.style.SUCCESS(f"Demo network: {result['created']} records created."))
        if options["quiet_logins"]:
            return
        header = ("username", "role", "organisation", "password")
        rows = [header, *demo_logins()]
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        self.stdout.write("\nDemo logins:")
        for number, row in enumerate(rows):
            self.stdout.write(
                "  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True))
            )
            if number == 0:
                self.stdout.write("  " + "  ".join("-" * w for w in widths))
