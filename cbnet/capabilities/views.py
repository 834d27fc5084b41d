"""Capability frameworks (read-only pages; the Secretariat edits them in the admin)."""

from django.shortcuts import get_object_or_404, render

from cbnet.capabilities.models import Area, Framework, MaturityScale


def framework_list(request):
    frameworks = Framework.objects.restrict(request.user, "view").order_by("code")
    scales = MaturityScale.objects.restrict(request.user, "view").order_by("code")
    return render(
        request,
        "capabilities/framework_list.html",
        {"frameworks": frameworks, "scales": scales},
    )


def area_tree(areas):
    """Areas in tree order (parents before children, by position) with ``depth`` set.

    Works on one list already fetched, so the page runs one query however deep the tree.
    """
    children = {}
    for area in areas:
        children.setdefault(area.parent_id, []).append(area)
    for siblings in children.values():
        siblings.sort(key=lambda a: (a.position, a.code))
    ordered = []

    def walk(parent_id, depth):
        for area in children.get(parent_id, []):
            area.depth = depth
            ordered.append(area)
            walk(area.pk, depth + 1)

    walk(None, 0)
    known = {a.pk for a in ordered}
    for area in areas:  # orphans (a parent outside this framework) are still shown
        if area.pk not in known:
            area.depth = 0
            ordered.append(area)
    return ordered


def framework_detail(request, pk):
    framework = get_object_or_404(Framework.objects.restrict(request.user, "view"), pk=pk)
    areas = list(Area.objects.restrict(request.user, "view").filter(framework=framework))
    return render(
        request,
        "capabilities/framework_detail.html",
        {"framework": framework, "areas": area_tree(areas)},
    )


def maturity_scale_detail(request, pk):
    scale = get_object_or_404(MaturityScale.objects.restrict(request.user, "view"), pk=pk)
    return render(
        request,
        "capabilities/maturity_scale.html",
        {"scale": scale, "levels": scale.levels.order_by("level")},
    )
