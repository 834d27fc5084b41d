from django.conf import settings

from cbnet.core.permissions import get_actor


def cbnet(request):
    user = getattr(request, "user", None)
    return {
        "actor": get_actor(user),
        "CBNET_DEMO": settings.CBNET_DEMO,
    }
