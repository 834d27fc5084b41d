# CBNet is served over WSGI (see MACHINE-NOTES.md); this exists for tools that expect it.
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cbnet.config.settings")
application = get_asgi_application()
