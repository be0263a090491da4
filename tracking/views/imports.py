"""Orders → Import: download the template, upload a CSV, watch it import, read what was wrong.

The upload is stored first (an ImportJob) and imported by a worker; the job page polls a small
fragment every second with htmx until the job is done, then the fragment stops polling.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from config.errors import ApplicationError
from orders.models import ImportJob
from tenants.permissions import Perm
from tenants.views.base import can, dashboard_view

from ..csv_import import orders_csv_import_start
from ..csv_rows import COLUMNS, MAX_BYTES, MAX_ROWS, template_csv

RECENT = 10


class UploadForm(forms.Form):
    file = forms.FileField(label="CSV file",
                           widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
                           help_text=f"Up to {MAX_BYTES // (1024 * 1024)} MB and {MAX_ROWS:,} rows.")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size / (1024 * 1024):.1f} MB; the limit is "
                f"{MAX_BYTES // (1024 * 1024)} MB. Split it into smaller files.")
        if upload.size == 0:
            raise forms.ValidationError("The file is empty.")
        return upload


def _page(request: HttpRequest, form: UploadForm | None = None, status: int = 200) -> HttpResponse:
    recent = ImportJob.objects.defer("content", "errors").select_related("created_by")[:RECENT]
    return render(request, "orders/import.html", {
        "form": form or UploadForm(), "recent": recent, "columns": COLUMNS,
        "can_import": can(request, Perm.ORDERS_MANAGE), "nav_active": "orders", "tab": "import",
    }, status=status)


@dashboard_view(Perm.ORDERS_VIEW, manage=Perm.ORDERS_MANAGE)
def orders_import(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _page(request)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, form, status=400)
    upload = form.cleaned_data["file"]
    try:
        job = orders_csv_import_start(request.tenant, filename=upload.name, content=upload.read(),
                                      actor=request.user)
    except ApplicationError as exc:
        form.add_error("file", exc.message)
        return _page(request, form, status=400)
    messages.success(request, f"{job.filename} is uploaded; importing it now.")
    return redirect("tracking:orders-import-job", job_id=job.pk)


@dashboard_view(Perm.ORDERS_VIEW)
def orders_import_template(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="doorstep-orders-template.csv"'
    return response


def _access_job(tenant, job_id: int) -> ImportJob:
    """access_scoped without the stored file: the progress poll runs every second."""
    try:
        return (ImportJob.objects.unscoped(reason="access helper filters by tenant itself")
                .defer("content").get(tenant=tenant, pk=job_id))
    except ImportJob.DoesNotExist:
        raise Http404("import not found") from None


def _job_context(job: ImportJob) -> dict:
    total = job.total_rows or 0
    percent = 100 if job.status in (ImportJob.Status.DONE, ImportJob.Status.FAILED) else (
        int(job.processed_rows * 100 / total) if total else 0)
    return {"job": job, "percent": percent,
            "finished": job.status in (ImportJob.Status.DONE, ImportJob.Status.FAILED),
            "more_errors": max(0, job.error_count - len(job.errors))}


@dashboard_view(Perm.ORDERS_VIEW)
def orders_import_job(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _access_job(request.tenant, job_id)
    return render(request, "orders/import_job.html", {
        **_job_context(job), "nav_active": "orders", "tab": "import"})


@dashboard_view(Perm.ORDERS_VIEW)
def orders_import_progress(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _access_job(request.tenant, job_id)
    return render(request, "orders/_import_progress.html", _job_context(job))
