import pytest
from django.utils.translation import gettext_lazy as _

from cbnet.core.notifications import registry


@pytest.fixture
def kind():
    """A test kind (templates under cbnet/core/notifications/tests/templates), removed after."""
    registered = registry.register_kind(
        "test.happened",
        label=_("Something happened"),
        template="notifications/tests/happened",
    )
    yield registered.name
    registry.KINDS.pop(registered.name, None)
