"""The REST API's base classes: every model's API is these, declared.

How a new model gets its API (three lines, plus its filterset):

1. In ``cbnet/<app>/api.py``: ``class ThingSerializer(BaseModelSerializer)`` with ``Meta.model``
   and ``Meta.fields``, and ``class ThingViewSet(PrimaryModelViewSet)`` (``ModelViewSet`` for
   models that are not archivable) with ``queryset``, ``serializer_class``, ``filterset_class``
   and ``ordering_fields``.
2. In ``cbnet/config/api_urls.py``: ``router.register("<app>/<plural>", ThingViewSet,
   basename="<app>-<model>")``; the URL names are ``api:<app>-<model>-list|detail|purge``.
3. In ``cbnet/<app>/tests/test_api.py``: a ``TestThingAPI(APITests)`` class that declares its
   data (see ``cbnet.core.testing.api``); the fuzz test picks the new paths up by itself.

What the bases do for every model (docs/api.md has the client's view):

- Rows come only through ``Model.objects.restrict(request.user, action)``: not viewable is
  404, viewable but not changeable is 403, anonymous is 401.
- Writes run the model's ``full_clean`` (the forms' field errors, in the user's language),
  check field-level rights (``permissions.check_fields``), and are rolled back when the saved
  row would fall outside the writer's ``change`` scope.
- PUT/PATCH carry the row's ``version`` (body) or ``If-Match: "<version>"``: a mismatch is 409
  (412 for If-Match), neither is 428. DELETE archives; ``POST .../<id>/purge/`` deletes
  (Secretariat only).
- Unknown query parameters and orderings are 400; Django's ValidationError, ProtectedError
  and IntegrityError become 400/409 JSON instead of a 500.
"""
