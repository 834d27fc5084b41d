"""Generic, permission-aware views for primary records (NetBox's pattern, our code).

A concrete view declares what it shows; the base does the rest::

    class PersonListView(ObjectListView):
        queryset = Person.objects.select_related("organisation")
        filterset_class = PersonFilter
        table_class = PersonTable

Every row comes through ``restrict(user, action)`` or ``access_object``: a row the user may
not see answers 404, one they may see but not change answers 403 on edit URLs.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import EmptyPage, PageNotAnInteger
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from cbnet.core import events, exporting, import_jobs, importing, permissions, services
from cbnet.core.models import Job, StaleObjectError
from cbnet.core.tables import DEFAULT_PAGE_SIZE, PAGE_SIZES

HISTORY_HIDDEN_FIELDS = {"search_text", "version", "updated", "created"}
HISTORY_LIMIT = 100


def model_url(model, action, *args):
    """``reverse("{app}:{model}_{action}")`` or None when the model has no such page."""
    meta = model._meta
    try:
        return reverse(f"{meta.app_label}:{meta.model_name}_{action}", args=args)
    except NoReverseMatch:
        return None


def request_can(request, action, obj_or_model):
    """``permissions.can(request.user, ...)``, answered once per request (a detail page asks
    the same question for its buttons, tabs and forms)."""
    if isinstance(obj_or_model, type):
        key = (action, obj_or_model, None)
    elif obj_or_model.pk is not None:
        key = (action, type(obj_or_model), obj_or_model.pk)
    else:
        return permissions.can(request.user, action, obj_or_model)  # unsaved: not cached
    cache = request.__dict__.setdefault("_cbnet_can", {})
    if key not in cache:
        cache[key] = permissions.can(request.user, action, obj_or_model)
    return cache[key]


class BaseObjectView(View):
    queryset = None
    model = None
    template_name = None

    def get_model(self):
        return self.model or self.queryset.model

    def get_queryset(self, request, action="view"):
        queryset = self.queryset if self.queryset is not None else self.get_model().objects.all()
        return queryset.all().restrict(request.user, action)

    def get_object(self, request, pk, action="view"):
        obj = get_object_or_404(self.get_queryset(request), pk=pk)
        if action != "view" and not request_can(request, action, obj):
            raise PermissionDenied
        return obj

    def base_context(self, request, **extra):
        model = self.get_model()
        return {
            "model": model,
            "verbose_name": model._meta.verbose_name,
            "verbose_name_plural": model._meta.verbose_name_plural,
            "list_url": model_url(model, "list"),
            **extra,
        }

    def object_context(self, request, obj, tab):
        model = type(obj)
        return self.base_context(
            request,
            object=obj,
            tab=tab,
            can_change=request_can(request, "change", obj),
            can_delete=hasattr(obj, "archived_at") and request_can(request, "delete", obj),
            detail_url=model_url(model, "detail", obj.pk),
            edit_url=model_url(model, "edit", obj.pk),
            archive_url=model_url(model, "archive", obj.pk),
            history_url=model_url(model, "history", obj.pk),
        )


class ObjectListView(BaseObjectView):
    """Filtered, sorted, paginated table; ``action="export"`` answers CSV/XLSX of the same rows."""

    filterset_class = None
    table_class = None
    template_name = "generic/object_list.html"
    action = "list"

    def filtered(self, request):
        filterset = self.filterset_class(
            request.GET, queryset=self.get_queryset(request), request=request
        )
        return filterset, filterset.qs

    def get(self, request):
        filterset, queryset = self.filtered(request)
        if self.action == "export":
            return self.export(request, queryset)
        table = self.table_class(queryset, request=request)
        table.order_by = request.GET.get("sort") or None
        per_page = _page_size(request.GET.get("per_page"))
        try:
            table.paginate(page=request.GET.get("page", 1), per_page=per_page)
        except (EmptyPage, PageNotAnInteger, ValueError):
            table.paginate(page=1, per_page=per_page)
        model = self.get_model()
        can_add = request_can(request, "add", model)
        query = request.GET.copy()
        for key in ("page", "format"):
            query.pop(key, None)
        export_url = model_url(model, "export")
        context = self.base_context(
            request,
            table=table,
            filterset=filterset,
            add_url=model_url(model, "add") if can_add else None,
            import_url=model_url(model, "import") if can_add else None,
            export_url=export_url,
            querystring=query.urlencode(),
            page_sizes=PAGE_SIZES,
            per_page=per_page,
            **self.get_extra_context(request),
        )
        return render(request, self.template_name, context)

    def get_extra_context(self, request):
        return {}

    def export(self, request, queryset):
        table = self.table_class(queryset, request=request)
        table.order_by = request.GET.get("sort") or None
        headers, rows = exporting.table_rows(table)
        model = self.get_model()
        stem = f"{model._meta.model_name}-{timezone.localdate().isoformat()}"
        if request.GET.get("format") == "xlsx":
            body = exporting.to_xlsx(headers, rows, title=str(model._meta.verbose_name_plural))
            response = HttpResponse(body, content_type=exporting.XLSX_CONTENT_TYPE)
            filename = stem + ".xlsx"
        else:
            response = HttpResponse(
                exporting.to_csv(headers, rows), content_type=exporting.CSV_CONTENT_TYPE
            )
            filename = stem + ".csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


def _page_size(value):
    try:
        size = int(value)
    except (TypeError, ValueError):
        return DEFAULT_PAGE_SIZE
    return size if size in PAGE_SIZES else DEFAULT_PAGE_SIZE


class ObjectDetailView(BaseObjectView):
    template_name = None  # "{app}/{model}_detail.html" by default

    def get(self, request, pk):
        obj = self.get_object(request, pk)
        context = self.object_context(request, obj, "details")
        context.update(self.get_extra_context(request, obj))
        meta = self.get_model()._meta
        template = self.template_name or f"{meta.app_label}/{meta.model_name}_detail.html"
        return render(request, template, context)

    def get_extra_context(self, request, obj):
        return {}


class ObjectEditView(BaseObjectView):
    """Create (no ``pk``) or edit a record with its ``{Model}Form``.

    Stale saves, refused fields and saves that would leave the user's scope come back as
    form errors with the user's input kept.
    """

    form_class = None
    template_name = "generic/object_edit.html"

    def get_instance(self, request, pk):
        model = self.get_model()
        if pk is None:
            if not permissions.can(request.user, "add", model):
                raise PermissionDenied
            return model()
        return self.get_object(request, pk, "change")

    def get_initial(self, request, instance):
        if instance.pk is not None:
            return {}
        names = set(self.form_class.base_fields)
        return {key: value for key, value in request.GET.items() if key in names}

    def get_form(self, request, instance, data=None):
        return self.form_class(
            data,
            request.FILES if data is not None else None,
            instance=instance,
            user=request.user,
            initial=self.get_initial(request, instance),
        )

    def get(self, request, pk=None):
        instance = self.get_instance(request, pk)
        return self.render_form(request, self.get_form(request, instance))

    def post(self, request, pk=None):
        instance = self.get_instance(request, pk)
        creating = instance.pk is None
        form = self.get_form(request, instance, data=request.POST)
        if form.is_valid():
            try:
                obj = services.save_in_scope(request.user, form)
            except StaleObjectError as error:
                form.add_error(None, error)
            except services.OutOfScopeError as error:
                form.add_error(None, str(error))
            except PermissionDenied as error:
                form.add_error(None, str(error) or _("You may not make this change."))
            except ValidationError as error:
                form.add_error(None, error)
            else:
                if creating:
                    messages.success(request, _("Created %(object)s.") % {"object": obj})
                else:
                    messages.success(request, _("Saved %(object)s.") % {"object": obj})
                return redirect(obj.get_absolute_url())
        return self.render_form(request, form, status=200)

    def render_form(self, request, form, status=200):
        instance = form.instance
        if instance.pk is not None:
            context = self.object_context(request, instance, "edit")
        else:
            context = self.base_context(request, object=None, tab="edit")
        context["form"] = form
        context["cancel_url"] = (
            model_url(type(instance), "detail", instance.pk) if instance.pk else context["list_url"]
        )
        return render(request, self.template_name, context, status=status)


class ObjectArchiveView(BaseObjectView):
    """GET: a confirmation page. POST: archive (or restore, with ``action=restore``)."""

    template_name = "generic/object_archive.html"

    def get(self, request, pk):
        obj = self.get_object(request, pk, "delete")
        return render(request, self.template_name, self.object_context(request, obj, "archive"))

    def post(self, request, pk):
        obj = self.get_object(request, pk, "delete")
        try:
            if request.POST.get("action") == "restore":
                services.restore(obj, request.user)
                messages.success(request, _("Restored %(object)s.") % {"object": obj})
            else:
                services.archive(obj, request.user)
                messages.success(request, _("Archived %(object)s.") % {"object": obj})
        except StaleObjectError as error:
            messages.error(request, error.messages[0])
        return redirect(model_url(type(obj), "detail", obj.pk) or "/")


class ObjectHistoryView(BaseObjectView):
    template_name = "generic/object_history.html"

    def get(self, request, pk):
        obj = self.get_object(request, pk)
        records = list(
            obj.history.select_related("history_user__person").order_by(
                "-history_date", "-history_id"
            )[: HISTORY_LIMIT + 1]
        )
        truncated = len(records) > HISTORY_LIMIT
        entries = history_entries(type(obj), records[:HISTORY_LIMIT], has_older=truncated)
        context = self.object_context(request, obj, "history")
        object_events = events.events_for(obj, request.user, limit=HISTORY_LIMIT)
        timeline = events.timeline(entries, object_events)
        context.update(entries=entries, truncated=truncated, timeline=timeline)
        return render(request, self.template_name, context)


def history_entries(model, records, has_older=False):
    """[{record, user, changes: [(label, old, new)]}], newest first, FKs shown by name."""
    # Keyed by field name (what diff_against reports); values are read by attname, so a
    # foreign key is its id here and is resolved to a name below in one query per model.
    fields = {
        f.name: f
        for f in model._meta.concrete_fields
        if f.name not in HISTORY_HIDDEN_FIELDS and not f.primary_key
    }
    raw = []
    for index, record in enumerate(records):
        previous = records[index + 1] if index + 1 < len(records) else None
        if previous is not None:
            delta = record.diff_against(previous)
            changes = [(c.field, c.old, c.new) for c in delta.changes if c.field in fields]
        elif record.history_type == "+" or not has_older:
            changes = [
                (name, None, getattr(record, field.attname))
                for name, field in fields.items()
                if getattr(record, field.attname) not in (None, "", [], {})
            ]
        else:
            changes = []
        raw.append((record, changes))
    # Resolve foreign keys to names, one query per related model.
    wanted = {}
    for _record, changes in raw:
        for name, old, new in changes:
            field = fields.get(name) or _field_by_name(model, name)
            if field is not None and field.is_relation:
                wanted.setdefault(field.related_model, set()).update(v for v in (old, new) if v)
    names = {
        related: related._base_manager.in_bulk(list(ids)) for related, ids in wanted.items() if ids
    }
    entries = []
    for record, changes in raw:
        rows = []
        for name, old, new in changes:
            field = fields.get(name) or _field_by_name(model, name)
            rows.append(
                (
                    getattr(field, "verbose_name", name),
                    _display(field, old, names),
                    _display(field, new, names),
                )
            )
        entries.append({"record": record, "user": record.history_user, "changes": rows})
    return entries


def _field_by_name(model, name):
    try:
        return model._meta.get_field(name)
    except Exception:
        return None


def _display(field, value, names):
    if value is None or value == "":
        return ""
    if field is not None and field.is_relation:
        target = names.get(field.related_model, {}).get(value)
        return str(target) if target is not None else f"#{value}"
    if field is not None and field.choices:
        return dict(field.flatchoices).get(value, value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return value


class ObjectImportView(BaseObjectView):
    """Upload CSV/XLSX, preview what each row does, then apply all or nothing.

    Steps (the ``step`` POST field): ``preview`` reads and checks the file, writes nothing,
    shows create/update/unchanged/error per row and keeps the file on the server under a
    signed token; ``apply`` re-reads that file and imports it all or nothing. A POST without
    ``step`` imports in one go (``dry_run`` only checks): kept for scripts and older tests.
    ``GET ?download=csv|xlsx`` gives the records the user maintains in the import's columns.

    Files over ``CBNET_IMPORT_INLINE_ROWS`` rows are previewed and applied as background
    jobs (``cbnet.core.import_jobs``): the user follows the job's page, which leads to the
    preview (``GET ?job=<id>``) and, after "Apply", shows the outcome.
    """

    import_form_class = None
    template_name = "generic/object_import.html"
    preview_template_name = "generic/import_preview.html"

    def check(self, request):
        if not importing.can_import(request.user, self.get_model()):
            raise PermissionDenied

    def columns(self):
        form = self.import_form_class()
        return [
            {
                "name": name,
                "label": field.label,
                "required": field.required,
                "help": field.help_text,
            }
            for name, field in form.fields.items()
            if name != "version"
        ]

    def context(self, request, **extra):
        keys = getattr(self.import_form_class, "natural_keys", ())
        return self.base_context(
            request,
            columns=self.columns(),
            natural_keys=[", ".join(key) for key in keys],
            inline_rows=importing.inline_row_limit(),
            max_rows=importing.MAX_ROWS,
            import_url=model_url(self.get_model(), "import"),
            tab="import",
            **extra,
        )

    def get(self, request):
        self.check(request)
        if request.GET.get("download") in ("csv", "xlsx"):
            return self.download(request, request.GET["download"])
        if "job" in request.GET:
            return self.job_preview(request, request.GET["job"])
        return render(request, self.template_name, self.context(request))

    def job_preview(self, request, job_id):
        """The preview a background check left on its job (its owner may apply it)."""
        job = permissions.access_object(Job, request.user, job_id)
        payload = job.result if isinstance(job.result, dict) else {}
        if job.kind != import_jobs.PREVIEW_KIND or payload.get("model") != (
            self.get_model()._meta.label_lower
        ):
            raise Http404
        if not job.succeeded:
            return redirect(job.get_absolute_url())
        result = import_jobs.result_from_payload(payload)
        shown, total = len(result.rows), payload.get("total_rows", len(result.rows))
        return self.preview(
            request,
            result,
            payload.get("filename", ""),
            token=payload.get("token", "") if job.user_id == request.user.pk else "",
            counts=payload.get("counts", {}),
            truncated={"shown": shown, "total": total} if total > shown else None,
        )

    def start_job(self, request, kind, token):
        if kind == import_jobs.PREVIEW_KIND:
            job = import_jobs.start_preview(request.user, self.import_form_class, token)
        else:
            job = import_jobs.start_apply(request.user, self.import_form_class, token)
        return redirect(job.get_absolute_url() + "?follow=1")

    def download(self, request, fmt):
        model = self.get_model()
        queryset = permissions.restrict(model._default_manager.all(), request.user, "change")
        if hasattr(model, "archived_at"):
            queryset = queryset.filter(archived_at__isnull=True)
        headers, rows = exporting.form_rows(self.import_form_class, queryset.order_by("pk"))
        name = f"{model._meta.model_name}-import-{timezone.localdate().isoformat()}"
        if fmt == "xlsx":
            body = exporting.to_xlsx(headers, rows, title=str(model._meta.verbose_name_plural))
            response = HttpResponse(body, content_type=exporting.XLSX_CONTENT_TYPE)
        else:
            response = HttpResponse(
                exporting.to_csv(headers, rows), content_type=exporting.CSV_CONTENT_TYPE
            )
        response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
        return response

    def post(self, request):
        self.check(request)
        step = request.POST.get("step", "")
        if step == "apply":
            return self.apply(request)
        upload = request.FILES.get("file")
        if upload is None:
            return self.failed(request, _("Choose a CSV or XLSX file to upload."))
        if upload.size > importing.settings.CBNET_MAX_UPLOAD_BYTES:
            return self.failed(
                request,
                _("The file is larger than %(size)s MB.")
                % {"size": importing.settings.CBNET_MAX_UPLOAD_BYTES // (1024 * 1024)},
            )
        data = upload.read()
        decimal = request.POST.get("decimal", "auto")
        if decimal not in ("auto", "point", "comma"):
            decimal = "auto"
        try:
            parsed = importing.read_file(data, upload.name)
        except importing.ImportFileError as error:
            return self.failed(request, str(error))
        if importing.runs_as_job(parsed):
            token = importing.store_upload(
                data, upload.name, user=request.user, model=self.get_model(), decimal=decimal
            )
            applies = step != "preview" and not request.POST.get("dry_run")
            kind = import_jobs.APPLY_KIND if applies else import_jobs.PREVIEW_KIND
            return self.start_job(request, kind, token)
        decimal_comma = importing.wants_decimal_comma(decimal, parsed)
        if step == "preview":
            result = self.run(request, parsed, decimal_comma, dry_run=True)
            token = ""
            if result.ok and result.count:
                token = importing.store_upload(
                    data, upload.name, user=request.user, model=self.get_model(), decimal=decimal
                )
            return self.preview(request, result, upload.name, token=token)
        dry_run = bool(request.POST.get("dry_run"))
        result = self.run(request, parsed, decimal_comma, dry_run=dry_run)
        if result.ok and not dry_run:
            messages.success(request, _("Imported %(count)s records.") % {"count": result.count})
            return redirect(model_url(self.get_model(), "list"))
        return render(
            request, self.template_name, self.context(request, result=result, filename=upload.name)
        )

    def run(self, request, parsed, decimal_comma, *, dry_run):
        return importing.import_rows(
            self.import_form_class,
            parsed.headers,
            parsed.rows,
            user=request.user,
            dry_run=dry_run,
            decimal_comma=decimal_comma,
        )

    def apply(self, request):
        token = request.POST.get("token", "")
        model = self.get_model()
        try:
            data, filename, decimal = importing.load_upload(token, user=request.user, model=model)
            parsed = importing.read_file(data, filename)
        except importing.ImportFileError as error:
            return self.failed(request, str(error))
        if importing.runs_as_job(parsed):
            return self.start_job(request, import_jobs.APPLY_KIND, token)
        decimal_comma = importing.wants_decimal_comma(decimal, parsed)
        result = self.run(request, parsed, decimal_comma, dry_run=False)
        if not result.ok:
            return self.preview(request, result, filename, token="", changed_meanwhile=True)
        importing.discard_upload(token)
        counts = result.counts
        messages.success(
            request,
            _(
                "Imported %(name)s: %(created)s created, %(updated)s updated, "
                "%(unchanged)s unchanged."
            )
            % {
                "name": filename,
                "created": counts["create"],
                "updated": counts["update"],
                "unchanged": counts["unchanged"],
            },
        )
        return redirect(model_url(model, "list"))

    def preview(
        self, request, result, filename, *, token, changed_meanwhile=False, counts=None, **extra
    ):
        context = self.context(
            request,
            result=result,
            filename=filename,
            token=token,
            counts=result.counts if counts is None else counts,
            changed_meanwhile=changed_meanwhile,
            **extra,
        )
        return render(request, self.preview_template_name, context)

    def failed(self, request, message):
        return render(request, self.template_name, self.context(request, file_error=message))
