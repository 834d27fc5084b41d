from django import template

from cbnet.core.notifications.services import unread_count

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notifications(context):
    """The signed-in user's unread count: one COUNT query, at most once per request."""
    request = context.get("request")
    if request is None:
        return 0
    if not hasattr(request, "_cbnet_unread"):
        request._cbnet_unread = unread_count(request.user)
    return request._cbnet_unread
