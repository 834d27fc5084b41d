import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from cbnet.core.notifications.services import send_digests


class Command(BaseCommand):
    help = (
        "E-mail each person in digest mode one digest of their new notifications. "
        "Idempotent: at most one digest per person per day. Run it daily from cron."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--date", type=datetime.date.fromisoformat, help="Act as on this day (YYYY-MM-DD)."
        )

    def handle(self, *args, date=None, **options):
        today = date or timezone.localdate()
        sent, failed = send_digests(today)
        for person, count in sent:
            self.stdout.write(f"digest to {person} (person {person.pk}): {count} notifications")
        self.stdout.write(f"send_digests {today.isoformat()}: {len(sent)} sent")
        if failed:
            raise CommandError(
                f"{len(failed)} digest(s) could not be sent (see the log); "
                "the next run tries them again."
            )
