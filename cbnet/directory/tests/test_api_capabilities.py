"""The capabilities API: every signed-in user reads, only the Secretariat writes.

(Lives with the directory's API tests: the API helper's test files are test_api*.py here.)
"""

import itertools

from cbnet.capabilities.models import Area, Framework, MaturityLevel, MaturityScale
from cbnet.core.testing.api import APITests

_n = itertools.count(1)


def ml(english, **translations):
    """A multilingual value in the API's stored shape: English original, translations."""
    texts = {"en": {"text": english, "status": "original"}}
    texts.update(
        {code: {"text": text, "status": "translated"} for code, text in translations.items()}
    )
    return {"original": "en", "texts": texts}


class ReferenceDataAPITests(APITests):
    in_scope_user = None  # only the Secretariat writes
    out_of_scope_user = "rocb"  # an officer with rights elsewhere: reads only
    archivable = False


def framework(code=None):
    return Framework.objects.create(
        code=code or f"fw-{next(_n)}", kind="other", name=ml("Test framework", es="Marco")
    )


class TestFrameworkAPI(ReferenceDataAPITests):
    model = Framework

    def make_object(self, net):
        return framework()

    def create_data(self, net):
        return {"code": f"new-{next(_n)}", "kind": "competency", "name": ml("Competencies")}

    def update_data(self, net, obj):
        return {"name": ml("Renamed framework", fr="Cadre")}

    def protected_object(self, net, obj):
        return Area.objects.create(framework=obj, code="1", name="Area")

    def filter_params(self, net, obj):
        return [({"kind": "other"}, True), ({"kind": "tfa"}, False), ({"q": obj.code}, True)]


class TestAreaAPI(ReferenceDataAPITests):
    model = Area

    def make_object(self, net):
        return Area.objects.create(framework=framework(), code=f"{next(_n)}", name="Integrity")

    def create_data(self, net):
        return {"framework": framework().pk, "code": "7", "name": ml("Integrity"), "position": 7}

    def update_data(self, net, obj):
        return {"name": ml("Integrity and ethics", es="Integridad"), "notifiable": True}

    def protected_object(self, net, obj):
        return Area.objects.create(
            framework=obj.framework, parent=obj, code=f"{obj.code}.1", name="Child"
        )

    def filter_params(self, net, obj):
        return [
            ({"framework": obj.framework_id}, True),
            ({"top_level": "true"}, True),
            ({"top_level": "false"}, False),
        ]


def scale():
    return MaturityScale.objects.create(code=f"scale-{next(_n)}", name="Maturity")


class TestMaturityScaleAPI(ReferenceDataAPITests):
    model = MaturityScale

    def make_object(self, net):
        return scale()

    def create_data(self, net):
        return {"code": f"s-{next(_n)}", "name": ml("Another scale")}

    def update_data(self, net, obj):
        return {"name": ml("Renamed scale")}


class TestMaturityLevelAPI(ReferenceDataAPITests):
    model = MaturityLevel

    def make_object(self, net):
        return MaturityLevel.objects.create(
            scale=scale(), level=2, name="Defined", descriptor="Defined."
        )

    def create_data(self, net):
        return {
            "scale": scale().pk,
            "level": 4,
            "name": ml("Optimised"),
            "descriptor": ml("Improves."),
        }

    def update_data(self, net, obj):
        return {"descriptor": ml("Processes are defined and documented.", es="Definido.")}

    def filter_params(self, net, obj):
        return [({"scale": obj.scale_id}, True), ({"level": 3}, False)]
