from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema


class AutoSchema(SpectacularAutoSchema):
    """Placeholder: documents 400/401/403/404 once the API module lands."""
