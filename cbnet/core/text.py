"""Text normalisation shared by search, filters and imports."""

import unicodedata


def strip_accents(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalize(value: str) -> str:
    """Lower case, accents stripped, whitespace collapsed: "  José  RAMÍREZ" -> "jose ramirez"."""
    return " ".join(strip_accents(value).casefold().split())
