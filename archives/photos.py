"""Photos taken with a phone, checked and re-encoded before they are stored.

What is kept is a JPEG the portal wrote itself from the decoded pixels: no EXIF (the phone's
position, its make, the time), no XMP or comments, nothing appended after the image — a file
that carried a script carries none once re-encoded. A file Pillow cannot decode as one of a
few photo formats, or one larger than ``PHOTO_MAX_BYTES`` or ``MAX_PIXELS``, is refused
with a message saying which file and why.
"""

import io
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

#: What phones' cameras and browsers hand over.
ACCEPTED_FORMATS = {"JPEG", "MPO", "PNG", "WEBP"}
#: Larger images are refused before they are decoded (a "decompression bomb" is a small file
#: that decodes to gigabytes).
MAX_PIXELS = 50_000_000
#: Stored photos are at most this wide or high: enough to read a sign in the picture.
STORED_SIDE = 2560
JPEG_QUALITY = 85


@dataclass(frozen=True)
class PreparedPhoto:
    content: bytes
    width: int
    height: int


def photo_prepare(upload: UploadedFile) -> PreparedPhoto:
    """``upload`` decoded, turned upright, shrunk to ``STORED_SIDE`` and written anew as a
    JPEG without metadata; ``ValidationError`` naming the file when it is not such a photo."""
    name = upload.name or _("the photo")
    limit = settings.PHOTO_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise ValidationError(
            _("%(name)s is larger than %(limit)d MB.") % {"name": name, "limit": limit // 2**20}
        )
    if upload.seekable():
        upload.seek(0)  # a form's own check may have read it already
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ValidationError(
            _("%(name)s is larger than %(limit)d MB.") % {"name": name, "limit": limit // 2**20}
        )
    not_a_photo = ValidationError(
        _("%(name)s is not a photo (JPEG, PNG or WebP) the portal can read.") % {"name": name}
    )
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in ACCEPTED_FORMATS:
                raise not_a_photo
            if probe.width * probe.height > MAX_PIXELS:
                raise ValidationError(
                    _("%(name)s has too many pixels (%(width)d × %(height)d).")
                    % {"name": name, "width": probe.width, "height": probe.height}
                )
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            upright = ImageOps.exif_transpose(image)
            upright = upright.convert("RGB")
    except Image.DecompressionBombError:
        # Pillow's own limit, met on opening before the check above can run.
        raise ValidationError(_("%(name)s has too many pixels.") % {"name": name}) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise not_a_photo from None
    upright.thumbnail((STORED_SIDE, STORED_SIDE))
    # A new image holding the pixels alone: Pillow writes a JPEG comment it finds in the
    # source's ``info`` (which ``convert`` and ``thumbnail`` carry over) even when not asked.
    clean = Image.new("RGB", upright.size)
    clean.paste(upright)
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return PreparedPhoto(content=out.getvalue(), width=clean.width, height=clean.height)


def photos_prepare(uploads: Sequence[UploadedFile], *, at_most: int) -> list[PreparedPhoto]:
    """Every photo of one step checked and re-encoded before anything is written: more than
    ``at_most`` photos, or one bad file, refuses the step, and the others are not kept
    either."""
    if len(uploads) > at_most:
        raise ValidationError(
            _("At most %(count)d photos can go with one step.") % {"count": at_most}
        )
    return [photo_prepare(upload) for upload in uploads]


#: Photos never change once stored: the reader's browser may keep them for a day.
PHOTO_MAX_AGE = 24 * 3600


def photo_response(image: FieldFile | None, *, filename: str) -> FileResponse:
    """A stored photo for the reader's browser: ``image`` is None when the reader may not see
    it (a 404, as for one that does not exist). Marked as the JPEG the portal wrote, not to be
    sniffed as anything else, kept only by the reader's browser."""
    missing = Http404(_("No such photo in your area."))
    if image is None:
        raise missing
    try:
        handle = image.open("rb")
    except FileNotFoundError:
        raise missing from None
    response = FileResponse(handle, content_type="image/jpeg")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = f"private, max-age={PHOTO_MAX_AGE}"
    return response
