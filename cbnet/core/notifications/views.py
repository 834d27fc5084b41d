"""The inbox, the preferences page and the unsubscribe link's page."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from cbnet.core.notifications import services
from cbnet.core.notifications.models import Notification
from cbnet.core.notifications.registry import Mode, optional_kinds

PAGE_SIZE = 25


def _person(request):
    try:
        return request.user.person
    except Exception:  # an account without a person: no inbox, no preferences
        return None


def inbox(request):
    queryset = services.inbox_of(request.user).select_related("recipient")
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    language = translation.get_language()
    rows = [
        {
            "notification": item,
            "subject": services.subject_of(item, language),
            "url": item.context.get("object_path") or "",
        }
        for item in page.object_list
    ]
    return render(request, "notifications/inbox.html", {"page": page, "rows": rows})


def _back(request):
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("notifications:inbox")


@require_POST
def mark_read(request, pk):
    try:
        services.mark_read(request.user, pk)
    except Notification.DoesNotExist:
        raise Http404(_("No such notification in your inbox.")) from None
    return _back(request)


@require_POST
def mark_all_read(request):
    count = services.mark_all_read(request.user)
    if count:
        messages.success(request, _("All notifications marked as read."))
    return _back(request)


class PreferencesForm(forms.Form):
    def __init__(self, *args, current, **kwargs):
        super().__init__(*args, **kwargs)
        for kind in optional_kinds():
            self.fields[kind.name] = forms.ChoiceField(
                label=kind.label,
                choices=Mode.choices,
                initial=current.get(kind.name, kind.default_mode),
                widget=forms.RadioSelect,
            )


def preferences(request):
    person = _person(request)
    if person is None:
        return render(request, "notifications/preferences.html", {"form": None})
    current = dict(person.notification_preferences.values_list("kind", "mode"))
    form = PreferencesForm(request.POST or None, current=current)
    if request.method == "POST" and form.is_valid():
        changed = sum(
            services.set_preference(person, name, mode) for name, mode in form.cleaned_data.items()
        )
        if changed:
            messages.success(request, _("Your notification preferences are saved."))
        else:
            messages.info(request, _("Nothing changed."))
        return redirect("notifications:preferences")
    rows = [(kind, form[kind.name]) for kind in optional_kinds()]
    return render(
        request,
        "notifications/preferences.html",
        {"form": form, "rows": rows, "modes": Mode.choices},
    )


@login_not_required
@csrf_exempt  # mail clients' one-click POST (RFC 8058) carries no CSRF token; the signed
# token in the URL is the authorisation, and the only effect is fewer e-mails.
def unsubscribe(request, token):
    """GET shows what the link will do and a button; POST (the button, or the mail client's
    List-Unsubscribe-Post) turns the kind off. GET changes nothing, because mail scanners
    open links in e-mails."""
    data = services.read_unsubscribe_token(token)
    if data is None:
        return render(request, "notifications/unsubscribe.html", {"state": "invalid"}, status=400)
    if request.method == "POST":
        state, person, kind = services.unsubscribe(token)
        status = 400 if state == "invalid" else 200
        return render(
            request,
            "notifications/unsubscribe.html",
            {"state": state, "person": person, "kind": kind},
            status=status,
        )
    from cbnet.core.notifications.registry import KINDS

    kind = KINDS.get(data[1])
    if kind is None or kind.mandatory:
        return render(request, "notifications/unsubscribe.html", {"state": "invalid"}, status=400)
    state = _peek(data)
    return render(
        request,
        "notifications/unsubscribe.html",
        {"state": state, "kind": kind},
        status=400 if state == "invalid" else 200,
    )


def _peek(data):
    """ "confirm", "used" or "invalid" for a GET, without changing anything."""
    from cbnet.core.notifications.models import Preference
    from cbnet.directory.models import Person

    person_id, kind_name, stamp = data
    person = Person.objects.filter(pk=person_id).first()
    if person is None:
        return "invalid"
    row = Preference.objects.filter(person=person, kind=kind_name).first()
    return "confirm" if services.preference_stamp(row) == stamp else "used"
