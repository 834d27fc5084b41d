"""The assessments API: one module per part; viewsets are registered in cbnet/config/api_urls.py."""
