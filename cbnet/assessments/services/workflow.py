"""Filling in and reviewing an assessment: answers, evidence, submit, return, validate, share.

Every function is atomic, checks the user's right through ``cbnet.core.permissions`` and the
transition table in ``cbnet/assessments/choices.py``, records one named workflow event
(``cbnet.core.events``) and tells the people concerned (``cbnet.core.notifications``)::

    save_answers(assessment, {"D1-01": {"level": 2}}, user=ncp, version=form_version)
    add_evidence(assessment, upload, user=ncp, question=question)
    submit(assessment, user=ncp)                       # in_progress -> submitted
    return_assessment(assessment, user=rocb, comment="Add evidence for D1-02")
    validate(assessment, user=rocb)                    # submitted -> validated (final)
    share(assessment, partner, user=ncp)               # validated only
    revoke_share(share_row, user=ncp)

Who does what (docs/assessments.md, "Filling in and reviewing"):

- the administration's people with rights on its assessment (capacity-building NCP and
  alternate, head of administration: ``Actor.assessment_org_ids``) save answers, attach and
  remove evidence, submit, share and revoke;
- the region's ROCB officers and the Secretariat return and validate. They do not edit the
  answers: they return the assessment with their comments (or extend the round's due date).

After the round closes (23:59:59 on its due date in the round's time zone) nobody edits or
submits: the ROCB extends the due date to reopen it. A refused operation raises
``ValidationError`` (with a dict ``{question code or field: message}`` for answers) or
``PermissionDenied`` and writes nothing.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cbnet.assessments import evidence_files
from cbnet.assessments.answer_values import COMMENT_MAX, apply_values, clean_answer, scale_levels
from cbnet.assessments.choices import (
    ASSESSMENT_TRANSITIONS,
    EDITABLE_STATUSES,
    AssessmentStatus,
)
from cbnet.assessments.models import Answer, Assessment, AssessmentShare, Evidence
from cbnet.core import permissions
from cbnet.core.events import record_event as _record_event
from cbnet.core.events import register_event
from cbnet.core.models import StaleObjectError
from cbnet.directory.choices import Domain, OrganisationKind, Role
from cbnet.directory.models import Appointment, Person

# --- names ------------------------------------------------------------------------------

STARTED = "assessment.started"
REOPENED = "assessment.reopened"
SUBMITTED = "assessment.submitted"
RETURNED = "assessment.returned"
VALIDATED = "assessment.validated"
SHARED = "assessment.shared"
SHARE_REVOKED = "assessment.share_revoked"

register_event(STARTED, _("Assessment started"))
register_event(REOPENED, _("Returned assessment reopened"))
register_event(SUBMITTED, _("Assessment submitted"))
register_event(RETURNED, _("Assessment returned for changes"))
register_event(VALIDATED, _("Assessment validated"))
register_event(SHARED, _("Assessment shared with a partner"))
register_event(SHARE_REVOKED, _("Assessment share revoked"))


# --- the people concerned ---------------------------------------------------------------


def assessment_contacts(organisation, on=None):
    """The people who fill in ``organisation``'s assessment today: its current
    capacity-building NCP and alternate NCP, and its head of administration."""
    appointments = Q(role__in=[Role.NCP, Role.ALTERNATE_NCP], domain=Domain.CAPACITY_BUILDING) | Q(
        role=Role.HEAD_OF_ADMINISTRATION
    )
    ids = (
        Appointment.objects.current(on=on or timezone.localdate())
        .filter(appointments, organisation=organisation, archived_at__isnull=True)
        .values("person_id")
    )
    return list(
        Person.objects.filter(pk__in=ids, archived_at__isnull=True)
        .select_related("user")
        .order_by("pk")
    )


def rocb_officers(region, on=None):
    """The current ROCB officers of ``region`` (a sub-region's: its parent region's)."""
    if region is None:
        return []
    region_id = region.parent_id or region.pk
    ids = (
        Appointment.objects.current(on=on or timezone.localdate())
        .filter(
            role=Role.ROCB_OFFICER,
            organisation__kind=OrganisationKind.ROCB,
            organisation__region_id=region_id,
            archived_at__isnull=True,
        )
        .values("person_id")
    )
    return list(
        Person.objects.filter(pk__in=ids, archived_at__isnull=True)
        .select_related("user")
        .order_by("pk")
    )


def _notify(recipients, kind, assessment, *, user, context=None):
    """Tell ``recipients`` through cbnet.core.notifications (e-mails after the transaction
    commits). The kinds are declared in cbnet/assessments/notifications.py."""
    try:
        from cbnet.core.notifications.services import notify
    except ImportError:  # an installation without the notifications app
        return []

    base = {
        "assessment": assessment,
        "organisation": assessment.organisation,
        # The round by name (its page may not exist for every reader).
        "round": {"id": assessment.round_id, "name": assessment.round.name},
        "due_on": assessment.round.due_on,
    }
    base.update(context or {})
    return notify(recipients, kind, obj=assessment, context=base, actor=user)


# --- rights -----------------------------------------------------------------------------


def answers_for(actor, assessment):
    """Whether ``actor`` answers for the assessment's administration."""
    return assessment.organisation_id in actor.assessment_org_ids


def reviews(actor, assessment):
    """Whether ``actor`` reviews the assessment: its region's ROCB officers, the Secretariat."""
    if actor.is_secretariat:
        return True
    organisation = assessment.organisation
    return organisation.region_id in actor.rocb_region_ids or (
        organisation.subregion_id is not None and organisation.subregion_id in actor.rocb_region_ids
    )


def may_fill_in(user, assessment):
    return answers_for(permissions.get_actor(user), assessment) and permissions.can(
        user, "change", assessment
    )


def may_review(user, assessment):
    return reviews(permissions.get_actor(user), assessment) and permissions.can(
        user, "change", assessment
    )


def _lock(assessment, user, *, action="change"):
    """The assessment re-read under a row lock, through the permission door."""
    base = Assessment.objects.select_related(
        "round__questionnaire__scale", "organisation__region"
    ).select_for_update(of=("self",))
    try:
        current = permissions.restrict(base, user, "view").get(pk=assessment.pk)
    except Assessment.DoesNotExist:
        raise PermissionDenied(_("You may not see this assessment.")) from None
    if not permissions.can(user, action, current):
        raise PermissionDenied(_("You may read this assessment but not change it."))
    if current.archived_at is not None:
        raise ValidationError(_("This assessment is archived."))
    return current


def _check_fill_in(user, current):
    if not answers_for(permissions.get_actor(user), current):
        raise PermissionDenied(
            _("Only the administration's NCPs and head of administration fill in its assessment.")
        )


def _check_review(user, current):
    if not reviews(permissions.get_actor(user), current):
        raise PermissionDenied(
            _("Only the region's ROCB officers and the Secretariat review assessments.")
        )


def _check_editable(current, now=None):
    if current.status not in EDITABLE_STATUSES:
        if current.status == AssessmentStatus.VALIDATED:
            raise ValidationError(_("This assessment is validated: it can no longer change."))
        raise ValidationError(
            _("This assessment is submitted: it can change again only if the ROCB returns it.")
        )
    _check_round_open(current, now)


def _check_round_open(current, now=None):
    now = now or timezone.now()
    round_ = current.round
    if now > round_.closes_at:
        raise ValidationError(
            _(
                "The round closed on %(date)s: ask the ROCB to extend its due date to change "
                "or submit this assessment."
            )
            % {"date": round_.due_on.isoformat()}
        )
    if now < round_.opens_at:
        raise ValidationError(
            _("The round opens on %(date)s.") % {"date": round_.opens_on.isoformat()}
        )


def _check_version(current, version):
    if version is None:
        return
    try:
        seen = int(version)
    except (TypeError, ValueError):
        raise ValidationError({"version": _("A whole number is required.")}) from None
    if seen != current.version:
        raise StaleObjectError(current)


def _transition(current, new_status):
    if new_status not in ASSESSMENT_TRANSITIONS[AssessmentStatus(current.status)]:
        raise ValidationError(
            _("An assessment that is %(old)s cannot become %(new)s.")
            % {
                "old": AssessmentStatus(current.status).label,
                "new": AssessmentStatus(new_status).label,
            }
        )
    old = current.status
    current.status = new_status
    return old


def _record(name, current, user, old, new):
    return _record_event(
        name, current, actor=user, old=old, new=new, organisation=current.organisation
    )


def _sync(assessment, current):
    """Copy what the service changed back into the caller's instance."""
    if assessment is current:
        return current
    for name in (
        "status",
        "version",
        "updated",
        "submitted_at",
        "submitted_by_id",
        "validated_at",
        "validated_by_id",
        "review_comment",
    ):
        setattr(assessment, name, getattr(current, name))
    return assessment


def _start_editing(current, user):
    """not_started -> in_progress (first save), returned -> in_progress (first edit)."""
    if current.status == AssessmentStatus.NOT_STARTED:
        old = _transition(current, AssessmentStatus.IN_PROGRESS)
        return (STARTED, old)
    if current.status == AssessmentStatus.RETURNED:
        old = _transition(current, AssessmentStatus.IN_PROGRESS)
        return (REOPENED, old)
    return None


def _save_assessment(current, user, fields=None):
    current._history_user = user
    if fields is None:
        current.save()
    else:
        current.save(update_fields=fields)


# --- answers ----------------------------------------------------------------------------


@transaction.atomic
def save_answers(assessment, answers, *, user, version=None):
    """Save some answers of ``assessment`` (all or nothing); returns the assessment.

    ``answers`` maps question codes to dicts with any of ``level`` (int or None),
    ``not_applicable``, ``tfa_category`` ("A"/"B"/"C"/""), ``indicative_date``,
    ``definitive_date`` (dates or None), ``assistance_needed`` (bool or None) and
    ``comment``; only the keys given change. ``version`` is the assessment's version the
    user's form was based on: if the assessment changed since, ``StaleObjectError``.
    The first save moves ``not_started`` (and ``returned``) to ``in_progress``.
    """
    current = _lock(assessment, user)
    _check_fill_in(user, current)
    _check_version(current, version)
    _check_editable(current)
    if not isinstance(answers, dict):
        raise ValidationError(_("Answers must be given by question code."))
    questionnaire = current.round.questionnaire
    questions = {q.code: q for q in questionnaire.questions.all()}
    levels = scale_levels(questionnaire)
    errors, cleaned = {}, {}
    for code, given in answers.items():
        question = questions.get(str(code))
        if question is None:
            errors[str(code)] = _(
                "There is no question %(code)s in this questionnaire version."
            ) % {"code": code}
            continue
        try:
            cleaned[question.code] = (question, clean_answer(question, given, levels))
        except ValueError as error:
            errors[question.code] = str(error.args[0]) if error.args else str(error)
    if errors:
        raise ValidationError(errors)
    existing = {
        a.question_id: a
        for a in Answer.objects.filter(
            assessment=current, question_id__in=[q.pk for q, _v in cleaned.values()]
        )
    }
    changed_any = False
    for question, values in cleaned.values():
        answer = existing.get(question.pk) or Answer(assessment=current, question=question)
        changed = apply_values(answer, values)
        if answer.pk is not None and not changed:
            continue
        if answer.pk is None and not any(
            (
                answer.level is not None,
                answer.not_applicable,
                answer.tfa_category,
                answer.comment,
                answer.indicative_date,
                answer.definitive_date,
                answer.assistance_needed is not None,
            )
        ):
            continue  # nothing said about this question yet
        answer._history_user = user
        answer.save()
        changed_any = True
    if not changed_any:
        return _sync(assessment, current)
    started = _start_editing(current, user)
    _save_assessment(current, user)  # bumps the version: a second form based on it is stale
    if started is not None:
        name, old = started
        _record(name, current, user, {"status": old}, {"status": current.status})
    return _sync(assessment, current)


# --- evidence ---------------------------------------------------------------------------


@transaction.atomic
def add_evidence(assessment, file, *, user, question=None):
    """Attach an evidence file (to a question of the assessment's questionnaire, or to the
    whole assessment); returns the Evidence. Counts as an edit (first save / reopening)."""
    current = _lock(assessment, user)
    _check_fill_in(user, current)
    _check_editable(current)
    if question is not None and question.questionnaire_id != current.round.questionnaire_id:
        raise ValidationError({"question": _("That question is not in this assessment.")})
    name, data = evidence_files.check(file)
    evidence = Evidence(assessment=current, question=question, name=name, uploaded_by=user)
    evidence._history_user = user
    evidence.file.save(name, ContentFile(data), save=False)
    stored = evidence.file.name
    try:
        evidence.save()
        started = _start_editing(current, user)
        if started is not None:
            # Only a status change saves the assessment: evidence is not part of the answers
            # form, so attaching a file does not make a colleague's open form stale.
            _save_assessment(current, user)
            _record(started[0], current, user, {"status": started[1]}, {"status": current.status})
    except Exception:
        evidence.file.storage.delete(stored)
        raise
    # The file is written before its row: should a caller's surrounding transaction roll back
    # later, the file stays in storage without a row (never served: downloads go by row).
    _sync(assessment, current)
    return evidence


@transaction.atomic
def remove_evidence(evidence, *, user):
    """Remove an evidence file while the assessment can still change."""
    current = _lock(evidence.assessment, user)
    _check_fill_in(user, current)
    _check_editable(current)
    row = Evidence.objects.select_for_update().filter(pk=evidence.pk, assessment=current).first()
    if row is None:
        raise ValidationError(_("This evidence file was already removed."))
    name, storage = row.file.name, row.file.storage
    row._history_user = user
    row.delete()
    transaction.on_commit(lambda: storage.delete(name))
    return current


# --- transitions ------------------------------------------------------------------------


@transaction.atomic
def submit(assessment, *, user, version=None):
    """in_progress -> submitted; every answered question that requires evidence has some.
    Tells the region's ROCB officers."""
    current = _lock(assessment, user)
    _check_fill_in(user, current)
    _check_version(current, version)
    _check_round_open(current)
    if current.status != AssessmentStatus.IN_PROGRESS:
        _transition(current, AssessmentStatus.SUBMITTED)  # raises with the reason
    missing = list(
        Answer.objects.filter(assessment=current, question__evidence_required=True)
        .exclude(level__isnull=True, not_applicable=False, tfa_category="")
        .exclude(
            question__in=Evidence.objects.filter(assessment=current, question__isnull=False).values(
                "question"
            )
        )
        .exclude(not_applicable=True)
        .values_list("question__code", flat=True)
        .order_by("question__position", "question__code")
    )
    if missing:
        raise ValidationError(
            {
                code: _("This question requires an evidence file: attach one before submitting.")
                for code in missing
            }
        )
    old = _transition(current, AssessmentStatus.SUBMITTED)
    current.submitted_at = timezone.now()
    current.submitted_by = user
    _save_assessment(current, user)
    _record(SUBMITTED, current, user, {"status": old}, {"status": current.status})
    _notify(rocb_officers(current.organisation.region), SUBMITTED, current, user=user)
    return _sync(assessment, current)


@transaction.atomic
def return_assessment(assessment, *, user, comment, version=None):
    """submitted -> returned with the reviewer's comments; tells the administration's people."""
    current = _lock(assessment, user)
    _check_review(user, current)
    _check_version(current, version)
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": _("Say what should change before returning it.")})
    if len(comment) > COMMENT_MAX:
        raise ValidationError(
            {"comment": _("The comment is longer than %(max)s characters.") % {"max": COMMENT_MAX}}
        )
    old = _transition(current, AssessmentStatus.RETURNED)
    old_comment = current.review_comment
    current.review_comment = comment
    _save_assessment(current, user)
    _record(
        RETURNED,
        current,
        user,
        {"status": old, "review_comment": old_comment},
        {"status": current.status, "review_comment": comment},
    )
    _notify(
        assessment_contacts(current.organisation),
        RETURNED,
        current,
        user=user,
        context={"comment": comment},
    )
    return _sync(assessment, current)


@transaction.atomic
def validate(assessment, *, user, version=None):
    """submitted -> validated, final; tells the administration's people."""
    current = _lock(assessment, user)
    _check_review(user, current)
    _check_version(current, version)
    old = _transition(current, AssessmentStatus.VALIDATED)
    current.validated_at = timezone.now()
    current.validated_by = user
    _save_assessment(current, user)
    _record(VALIDATED, current, user, {"status": old}, {"status": current.status})
    _notify(assessment_contacts(current.organisation), VALIDATED, current, user=user)
    return _sync(assessment, current)


# --- sharing ----------------------------------------------------------------------------


def _check_share(user, current):
    if not answers_for(permissions.get_actor(user), current):
        raise PermissionDenied(
            _("Only the administration's NCPs and head of administration share its assessment.")
        )
    if current.status != AssessmentStatus.VALIDATED:
        raise ValidationError(_("Only a validated assessment can be shared."))


@transaction.atomic
def share(assessment, partner, *, user):
    """Let ``partner``'s current focal points view the validated assessment."""
    current = _lock(assessment, user)
    _check_share(user, current)
    if partner is None or partner.kind != OrganisationKind.DEVELOPMENT_PARTNER:
        raise ValidationError({"partner": _("Assessments are shared with development partners.")})
    if partner.archived_at is not None:
        raise ValidationError({"partner": _("This partner is archived.")})
    if AssessmentShare.objects.filter(
        assessment=current, partner=partner, revoked_at__isnull=True
    ).exists():
        raise ValidationError(
            {
                "partner": _("The assessment is already shared with %(partner)s.")
                % {"partner": partner}
            }
        )
    row = AssessmentShare(assessment=current, partner=partner, shared_by=user)
    row._history_user = user
    row.save()
    _record(SHARED, current, user, None, {"partner": partner})
    return row


@transaction.atomic
def revoke_share(share_row, *, user):
    """End a share: the partner's focal points no longer see the assessment."""
    current = _lock(share_row.assessment, user)
    _check_share(user, current)
    row = (
        AssessmentShare.objects.select_for_update()
        .select_related("partner")
        .filter(pk=share_row.pk, assessment=current)
        .first()
    )
    if row is None or row.revoked_at is not None:
        raise ValidationError(_("This share was already revoked."))
    row.revoked_at = timezone.now()
    row.revoked_by = user
    row._history_user = user
    row.save()
    _record(SHARE_REVOKED, current, user, {"partner": row.partner}, None)
    return row
