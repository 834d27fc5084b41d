import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from cbnet.core.notifications.services import run_reminders


class Command(BaseCommand):
    help = (
        "Run every registered reminder (register_reminder). Idempotent: what was sent is "
        "recorded, so running it twice sends nothing new. Run it daily from cron."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--date", type=datetime.date.fromisoformat, help="Act as on this day (YYYY-MM-DD)."
        )

    def handle(self, *args, date=None, **options):
        today = date or timezone.localdate()
        sent = failed = 0
        for name, result in run_reminders(today):
            sent += result.sent
            failed += result.failed
            self.stdout.write(
                f"{name}: {result.sent} sent, {result.skipped} already sent, {result.failed} failed"
            )
        self.stdout.write(f"send_reminders {today.isoformat()}: {sent} sent")
        if failed:
            raise CommandError(
                f"{failed} reminder(s) could not be sent (see the log); "
                "the next run tries them again."
            )
