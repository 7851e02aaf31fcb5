"""Photos for the demo's events, drawn with Pillow: what a grid member's phone would show of
each category before (with the report) and after (with the handling). Drawn once a run and
handed to the chain's services as uploads, which check and re-encode them like any other
(``archives.photos.photo_prepare``)."""

import functools
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

SIZE = (480, 360)
_SKY, _WALL, _GROUND = (196, 214, 229), (222, 214, 196), (150, 146, 138)


def demo_photo(category_code: str, *, handled: bool, number: int = 1) -> SimpleUploadedFile:
    """A new upload of the category's photo, before or after its handling."""
    content = _drawn(category_code, handled)
    name = f"{category_code}-{'after' if handled else 'before'}-{number}.jpg"
    return SimpleUploadedFile(name, content, content_type="image/jpeg")


@functools.cache
def _drawn(category_code: str, handled: bool) -> bytes:
    width, height = SIZE
    image = Image.new("RGB", SIZE, _SKY)
    draw = ImageDraw.Draw(image)
    horizon = height * 3 // 5
    # A building on the left, the ground below.
    draw.rectangle([0, height // 6, width * 2 // 5, horizon], fill=_WALL, outline=(120, 110, 100))
    for row in range(3):
        for col in range(2):
            x, y = 30 + col * 90, height // 6 + 25 + row * 55
            draw.rectangle([x, y, x + 50, y + 35], fill=(120, 150, 180))
    draw.rectangle([0, horizon, width, height], fill=_GROUND)
    if not handled:
        _problem(draw, category_code, width, height, horizon)
    else:
        # Cleared, with a cone where the work was done.
        cx, cy = width * 2 // 3, horizon + 60
        draw.polygon([(cx, cy - 50), (cx - 22, cy + 10), (cx + 22, cy + 10)], fill=(240, 120, 30))
        draw.rectangle([cx - 14, cy - 22, cx + 14, cy - 14], fill=(250, 250, 250))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=75)
    return buffer.getvalue()


def _problem(draw: ImageDraw.ImageDraw, code: str, width: int, height: int, horizon: int) -> None:
    cx, cy = width * 2 // 3, horizon + 60
    if code == "manhole":
        draw.ellipse([cx - 55, cy - 22, cx + 55, cy + 22], fill=(30, 30, 30))
    elif code == "road":
        draw.polygon(
            [(cx - 90, cy), (cx - 30, cy - 25), (cx + 70, cy - 10), (cx + 20, cy + 25)],
            fill=(90, 100, 120),
        )
    elif code == "carcass":
        draw.ellipse([cx - 45, cy - 15, cx + 45, cy + 15], fill=(110, 80, 60))
        draw.ellipse([cx + 35, cy - 22, cx + 60, cy], fill=(110, 80, 60))
    elif code == "illegal-building":
        draw.rectangle([cx - 80, horizon - 110, cx + 60, horizon], fill=(70, 130, 190))
        draw.line([cx - 80, horizon - 110, cx + 60, horizon - 110], fill=(40, 80, 130), width=6)
    else:  # rubbish, sanitation: a heap
        for n, colour in enumerate([(140, 120, 100), (170, 160, 150), (100, 90, 80), (60, 90, 60)]):
            x = cx - 80 + n * 35
            draw.ellipse([x, cy - 35 + n * 4, x + 70, cy + 20], fill=colour)
