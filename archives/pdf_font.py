"""The CJK font every PDF of the portal embeds (the monthly report, the household register).

It lives here, in the lowest layer, so that ``archives`` (household registers) and ``exports``
(reports) draw with the same font without ``archives`` importing ``exports``.

Chinese text needs an embedded TrueType font: reportlab's built-in CID fonts are not embedded
and show as empty boxes on a machine without Chinese fonts, and it cannot embed CFF-outline
fonts such as Noto Sans CJK. WenQuanYi Micro Hei (Apache-2.0, TrueType outlines) comes from the
PyPI package ``paperang-p2-fonts-cjk``, is checked against a known SHA-256 and is registered once
per process; reportlab embeds only the glyphs used. Licences: ``archives/fonts/``.
"""

import functools
import hashlib
import io
from importlib import resources

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_NAME = "WenQuanYiMicroHei"
FONT_PACKAGE = "paperang_p2_fonts_cjk"
FONT_FILE = "fonts/wqy-microhei.ttc"
#: SHA-256 of wqy-microhei.ttc in paperang-p2-fonts-cjk 0.1.0; another file is refused.
FONT_SHA256 = "2420e8078af796b19a3f6ef13de527a1a91c1e7171eea115926c614ced1009b3"


class FontError(RuntimeError):
    pass


@functools.cache
def register_font() -> str:
    """Register the CJK font once per process and return its name."""
    try:
        font_file = resources.files(FONT_PACKAGE).joinpath(FONT_FILE)
        content = font_file.read_bytes()
    except (ModuleNotFoundError, FileNotFoundError) as error:
        raise FontError(
            f"The PDF font is missing: install {FONT_PACKAGE.replace('_', '-')}==0.1.0 "
            f"(pip install -e .) ({error})"
        ) from None
    digest = hashlib.sha256(content).hexdigest()
    if digest != FONT_SHA256:
        raise FontError(
            f"{font_file} has SHA-256 {digest}, expected {FONT_SHA256}: "
            "refusing to embed an unknown font file"
        )
    pdfmetrics.registerFont(TTFont(FONT_NAME, io.BytesIO(content), subfontIndex=0))
    return FONT_NAME
