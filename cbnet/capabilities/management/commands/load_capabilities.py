from django.core.management.base import BaseCommand

from cbnet.capabilities.services import load_frameworks


class Command(BaseCommand):
    help = (
        "Load the capability frameworks (WCO diagnostic, WTO TFA Section I, PMM) and the "
        "maturity scale from cbnet/capabilities/data/. Safe to run again: only differences "
        "are written, each with a history row."
    )

    def handle(self, *args, **options):
        counts = load_frameworks()
        self.stdout.write(
            self.style.SUCCESS(
                "Capabilities: {created} created, {updated} updated, {unchanged} unchanged.".format(
                    **counts
                )
            )
        )
