import pytest

from archives import pdf_font


def test_it_refuses_a_font_file_it_does_not_know(monkeypatch):
    pdf_font.register_font.cache_clear()
    monkeypatch.setattr(pdf_font, "FONT_SHA256", "0" * 64)
    try:
        with pytest.raises(pdf_font.FontError, match="refusing to embed"):
            pdf_font.register_font()
    finally:
        pdf_font.register_font.cache_clear()
