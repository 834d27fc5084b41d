"""Who may see and change assessment records (registered with cbnet.core.permissions).

Confidentiality (issue 4): an assessment is visible to its administration's people with
rights on it (capacity-building NCP and alternate, head of administration), the region's
ROCB officers and the Secretariat; a validated assessment the administration shared with a
development partner is visible to that partner's current focal points until the share is
revoked. Answers and evidence follow their assessment. Needs other than drafts are visible to
every signed-in user; drafts only to those who see the administration's assessments.
Questionnaires are public to signed-in users and written by the Secretariat; rounds are
opened by the region's ROCB officers.

Workflow rules (who may submit, return, validate, share) are checked in services.py; the
policies here answer "may this actor see / change this row at all".
"""

from django.db.models import Q

from cbnet.assessments.choices import AssessmentStatus, NeedStatus
from cbnet.core.permissions import Policy, register_policy


def _rocb_q(actor, prefix):
    """Rows whose organisation (``prefix``) is in one of the actor's ROCB regions."""
    return Q(**{f"{prefix}__region_id__in": actor.rocb_region_ids}) | Q(
        **{f"{prefix}__subregion_id__in": actor.rocb_region_ids}
    )


def administration_q(actor, prefix="organisation"):
    """Rows of administrations the actor answers for, or oversees as ROCB."""
    return _rocb_q(actor, prefix) | Q(**{f"{prefix}_id__in": actor.assessment_org_ids})


def scoped(actor, qs, condition):
    """``qs`` for the Secretariat, nothing for anonymous users, else the rows matching
    ``condition`` (a Q, or a callable returning the filtered queryset)."""
    if actor.is_secretariat:
        return qs
    if not actor.is_authenticated:
        return qs.none()
    return condition(qs) if callable(condition) else qs.filter(condition)


class AssessmentPolicy(Policy):
    # Prefix from the policed model to the assessment ("" for Assessment itself).
    path = ""

    def _p(self, name):
        return f"{self.path}{name}"

    def viewable(self, actor, qs):
        return scoped(actor, qs, lambda rows: self._own_or_shared(actor, rows))

    def _own_or_shared(self, actor, qs):
        shared = Q(
            **{
                self._p("status"): AssessmentStatus.VALIDATED,
                self._p("shares__partner_id__in"): actor.partner_org_ids,
                self._p("shares__revoked_at__isnull"): True,
            }
        )
        own = administration_q(actor, self._p("organisation"))
        if not actor.partner_org_ids:
            return qs.filter(own)
        # A join on shares can repeat a row: select by primary key instead.
        ids = qs.model._default_manager.filter(own | shared).values("pk")
        return qs.filter(pk__in=ids)

    def changeable(self, actor, qs):
        return scoped(actor, qs, administration_q(actor, self._p("organisation")))

    def can_add(self, actor):
        return actor.is_secretariat or actor.is_rocb


class AnswerPolicy(AssessmentPolicy):
    path = "assessment__"

    def can_add(self, actor):
        return actor.is_secretariat or actor.is_rocb or bool(actor.assessment_org_ids)


class AssessmentSharePolicy(AnswerPolicy):
    def can_add(self, actor):
        return actor.is_secretariat or bool(actor.assessment_org_ids)


class RoundPolicy(Policy):
    """Rounds are not confidential; the region's ROCB officers open and change them."""

    def changeable(self, actor, qs):
        return scoped(actor, qs, Q(region_id__in=actor.rocb_region_ids))

    def can_add(self, actor):
        return actor.is_secretariat or actor.is_rocb


class AdministrationRecordPolicy(Policy):
    """Targets and plans: the administration's people with rights, its ROCB, the Secretariat."""

    prefix = "organisation"

    def viewable(self, actor, qs):
        return scoped(actor, qs, administration_q(actor, self.prefix))

    def changeable(self, actor, qs):
        return scoped(actor, qs, administration_q(actor, self.prefix))

    def can_add(self, actor):
        return actor.is_secretariat or actor.is_rocb or bool(actor.assessment_org_ids)


class MilestonePolicy(AdministrationRecordPolicy):
    prefix = "plan__organisation"


class NeedPolicy(AdministrationRecordPolicy):
    def viewable(self, actor, qs):
        return scoped(
            actor, qs, ~Q(status=NeedStatus.DRAFT) | administration_q(actor, "organisation")
        )


class RegionalNeedPolicy(Policy):
    """Visible to every signed-in user once published; written by the region's ROCB."""

    def viewable(self, actor, qs):
        return scoped(actor, qs, ~Q(status="draft") | Q(region_id__in=actor.rocb_region_ids))

    def changeable(self, actor, qs):
        return scoped(actor, qs, Q(region_id__in=actor.rocb_region_ids))

    def can_add(self, actor):
        return actor.is_secretariat or actor.is_rocb


def register():
    register_policy("assessments.assessment", AssessmentPolicy())
    register_policy("assessments.answer", AnswerPolicy())
    register_policy("assessments.evidence", AnswerPolicy())
    register_policy("assessments.assessmentshare", AssessmentSharePolicy())
    register_policy("assessments.round", RoundPolicy())
    register_policy("assessments.areatarget", AdministrationRecordPolicy())
    register_policy("assessments.plan", AdministrationRecordPolicy())
    register_policy("assessments.milestone", MilestonePolicy())
    register_policy("assessments.need", NeedPolicy())
    register_policy("assessments.regionalneed", RegionalNeedPolicy())
    # Questionnaire, Section, Question, LevelDescriptor: the default policy (signed-in users
    # read, the Secretariat writes).
