"""Text of PDF reports (committee reports, fact sheets) with pypdf."""

from __future__ import annotations

import io
import logging

from pypdf import PdfReader
from pypdf.errors import PdfReadError

logging.getLogger("pypdf").setLevel(logging.ERROR)  # malformed-but-readable PDFs are common


def is_pdf(body: bytes, content_type: str = "") -> bool:
    return body[:5] == b"%PDF-" or "application/pdf" in content_type.lower()


def pdf_text(body: bytes, max_pages: int = 300) -> tuple[str | None, str | None]:
    """(title from the PDF's metadata, text of its pages); (None, None) if unreadable."""
    try:
        reader = PdfReader(io.BytesIO(body))
        pages = [page.extract_text() or "" for page in reader.pages[:max_pages]]
        title = reader.metadata.get("/Title") if reader.metadata else None
    except (PdfReadError, ValueError, KeyError, TypeError):
        return None, None
    text = "\n\n".join(p.strip() for p in pages if p.strip())
    return (str(title).strip() or None) if title else None, text or None
