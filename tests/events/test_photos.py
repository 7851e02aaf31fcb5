"""Photos as phones and attackers send them: what is refused, and that what is kept is a JPEG
the portal wrote from the pixels alone (read back with Pillow: no EXIF, no GPS, no comment, no
text chunks, nothing after the image)."""

import datetime as dt
import io
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, PngImagePlugin

from archives import photos
from archives.photos import photo_prepare
from events.models import Event, EventPhoto, EventStep
from events.services import event_accept, event_handle, photos_prepare
from tests.events.conftest import TUESDAY_9AM

LATER = TUESDAY_9AM + dt.timedelta(hours=1)
SCRIPT = b"<script>alert(document.cookie)</script>"


def upload(content: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def jpeg(size=(64, 48), **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format="JPEG", **save)
    return out.getvalue()


def png(size=(64, 48), **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (30, 200, 30)).save(out, format="PNG", **save)
    return out.getvalue()


def gps_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0132] = "2026:11:10 09:00:00"  # DateTime
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (43.0, 49.0, 30.0)  # latitude
    gps[3], gps[4] = "E", (129.0, 30.0, 10.0)  # longitude
    return exif


def assert_clean_jpeg(content: bytes) -> Image.Image:
    """``content`` read back: a JPEG with no metadata of any kind."""
    image = Image.open(io.BytesIO(content))
    image.load()
    assert image.format == "JPEG"
    assert not image.getexif(), "EXIF survived"
    assert image.getexif().get_ifd(0x8825) == {}, "GPS survived"
    for key in ("exif", "comment", "xmp", "icc_profile", "photoshop", "adobe", "dpi"):
        assert key not in image.info, f"{key} survived: {image.info.get(key)!r}"
    assert not getattr(image, "applist", []) or all(
        marker == "APP0" and payload.startswith(b"JFIF") for marker, payload in image.applist
    ), image.applist
    assert b"<script" not in content.lower()
    assert content.endswith(b"\xff\xd9"), "something follows the image"
    return image


def test_a_jpeg_with_gps_exif_and_a_comment_is_stored_without_any_of_them():
    original = jpeg(exif=gps_exif(), comment=b"taken at 43.825N 129.503E " + SCRIPT)
    probe = Image.open(io.BytesIO(original))
    assert probe.getexif().get_ifd(0x8825) and probe.info.get("comment")  # the test can fail
    prepared = photo_prepare(upload(original))
    image = assert_clean_jpeg(prepared.content)
    assert (prepared.width, prepared.height) == image.size == (64, 48)


def test_a_rotated_phone_photo_is_turned_upright_and_loses_its_orientation_tag():
    exif = gps_exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to view
    prepared = photo_prepare(upload(jpeg(size=(64, 48), exif=exif)))
    image = assert_clean_jpeg(prepared.content)
    assert image.size == (48, 64)


def test_a_png_with_text_chunks_carrying_a_script_is_stored_as_a_clean_jpeg():
    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", SCRIPT.decode())
    text.add_text("Description", SCRIPT.decode(), zip=True)
    text.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta>" + SCRIPT.decode() + "</x:xmpmeta>")
    original = png(pnginfo=text)
    assert SCRIPT in original
    assert_clean_jpeg(photo_prepare(upload(original, "p.png", "image/png")).content)


def test_a_script_appended_after_a_jpeg_is_not_kept():
    prepared = photo_prepare(upload(jpeg() + b"\n" + SCRIPT))
    assert_clean_jpeg(prepared.content)


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"just some text, not a photo", "notes.jpg"),
        (b"", "empty.jpg"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'>" + SCRIPT + b"</svg>", "image.svg"),
        (b"<!DOCTYPE html><html><body>" + SCRIPT + b"</body></html>", "page.jpg"),
        (b"GIF89a" + b"\x00" * 40, "anim.gif"),
        (b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n", "doc.jpg"),
    ],
    ids=["text", "empty", "svg", "html", "broken-gif", "pdf"],
)
def test_what_is_not_a_photo_is_refused_naming_the_file(content, name):
    with pytest.raises(ValidationError, match=name.replace(".", r"\.")):
        photo_prepare(upload(content, name))


def test_a_gif_is_refused_though_pillow_reads_it():
    out = io.BytesIO()
    Image.new("P", (10, 10)).save(out, format="GIF")
    with pytest.raises(ValidationError, match=r"a\.gif"):
        photo_prepare(upload(out.getvalue(), "a.gif", "image/gif"))


@pytest.mark.parametrize("kind", ["jpeg", "png"])
def test_a_truncated_photo_is_refused(kind):
    whole = jpeg(size=(400, 300), quality=95) if kind == "jpeg" else png(size=(400, 300))
    with pytest.raises(ValidationError, match=r"cut\.jpg"):
        photo_prepare(upload(whole[: len(whole) // 2], "cut.jpg"))


def test_a_file_over_the_byte_limit_is_refused_before_it_is_read(settings):
    settings.PHOTO_MAX_BYTES = 1000
    big = jpeg(size=(300, 300), quality=100)
    assert len(big) > 1000
    with pytest.raises(ValidationError, match=r"big\.jpg"):
        photo_prepare(upload(big, "big.jpg"))


class _LyingSize(SimpleUploadedFile):
    """An upload whose declared size is smaller than what it holds (a streamed body)."""

    @property
    def size(self):  # type: ignore[override]
        return 10

    @size.setter
    def size(self, value):
        pass


def test_a_file_whose_declared_size_lies_is_still_refused_past_the_limit(settings):
    settings.PHOTO_MAX_BYTES = 1000
    big = jpeg(size=(300, 300), quality=100)
    with pytest.raises(ValidationError, match=r"big\.jpg"):
        photo_prepare(_LyingSize("big.jpg", big, content_type="image/jpeg"))


def _png_of(width: int, height: int) -> bytes:
    """A tiny PNG file that decodes to ``width`` × ``height`` grey pixels (a decompression
    bomb when large): written chunk by chunk so the test never holds the pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 0, 0, 0, 0])
    compressor = zlib.compressobj(1)
    row = b"\x00" + b"\x00" * width
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    chunks = chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + chunks


@pytest.mark.parametrize(
    "side", [8000, 14000], ids=["over-the-portal-limit", "over-pillows-own-limit"]
)
def test_a_decompression_bomb_is_refused_for_its_pixels(side):
    bomb = _png_of(side, side)
    assert len(bomb) < 2**20  # small on the wire
    with pytest.raises(ValidationError, match=r"too many pixels|像素过多"):
        photo_prepare(upload(bomb, "bomb.png", "image/png"))


def test_a_large_photo_is_shrunk_to_the_stored_side():
    prepared = photo_prepare(upload(jpeg(size=(photos.STORED_SIDE * 2, 100))))
    assert prepared.width == photos.STORED_SIDE
    assert_clean_jpeg(prepared.content)


def test_too_many_photos_for_one_step_are_refused(settings):
    settings.EVENT_PHOTOS_PER_STEP = 2
    with pytest.raises(ValidationError):
        photos_prepare([upload(jpeg(), f"{n}.jpg") for n in range(3)])


def test_one_bad_photo_of_several_saves_nothing_at_all(city, settings, tmp_path):
    event = city.report()
    event_accept(actor=city.community_staff, event=event, at=LATER)
    before = (Event.objects.get(pk=event.pk).version, EventStep.objects.count())
    batch = [upload(jpeg(), "1.jpg"), upload(b"<html>" + SCRIPT, "2.jpg"), upload(png(), "3.png")]
    with pytest.raises(ValidationError, match=r"2\.jpg"):
        event_handle(actor=city.community_staff, event=event, note="已清运", photos=batch, at=LATER)
    assert (Event.objects.get(pk=event.pk).version, EventStep.objects.count()) == before
    assert not EventPhoto.objects.exists()
    media = tmp_path / "media"
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_photos_of_a_report_are_stored_clean_and_read_back(city):
    original = jpeg(exif=gps_exif(), comment=b"secret")
    event = city.report(
        photos=[upload(original, "IMG_0001.jpg"), upload(png(), "IMG_0002.png", "image/png")]
    )
    stored = list(EventPhoto.objects.filter(event=event))
    assert len(stored) == 2
    for photo in stored:
        assert "IMG_" not in photo.image.name  # the portal names it, not the uploader
        with photo.image.open("rb") as file:
            image = assert_clean_jpeg(file.read())
        assert image.size == (photo.width, photo.height)


def test_a_photo_a_form_has_read_already_is_read_from_its_start():
    photo = upload(jpeg(), "read.jpg")
    photo.read()
    assert_clean_jpeg(photo_prepare(photo).content)


def test_a_failure_while_storing_photos_leaves_no_file_behind(city, monkeypatch, tmp_path):
    event = city.report()
    event_accept(actor=city.community_staff, event=event, at=LATER)
    saves = []
    original_save = EventPhoto.save

    def fail_on_the_second(self, *args, **kwargs):
        saves.append(self)
        if len(saves) == 2:
            raise OSError("disk full")
        return original_save(self, *args, **kwargs)

    monkeypatch.setattr(EventPhoto, "save", fail_on_the_second)
    batch = [upload(jpeg(), "1.jpg"), upload(png(), "2.png", "image/png")]
    with pytest.raises(OSError, match="disk full"):
        event_handle(actor=city.community_staff, event=event, note="已清运", photos=batch, at=LATER)
    assert not EventPhoto.objects.exists()
    media = tmp_path / "media"
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))
