"""The comparison point: one indexed query, a 50-row table rendered by a Django template."""

from django.shortcuts import render

from cbnet.directory.models import Person


def baseline(request):
    # One query on the primary key index; the same middleware stack as every page.
    people = Person.objects.order_by("pk").only(
        "pk", "given_name", "family_name", "email", "phone", "title"
    )[:50]
    return render(request, "bench/baseline.html", {"people": people})
