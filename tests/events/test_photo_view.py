"""An event's photo is served only to those who see the event, as a JPEG not to be sniffed,
kept only by the reader's browser."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image


def jpeg() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 10)).save(buffer, "JPEG")
    return SimpleUploadedFile("p.jpg", buffer.getvalue(), content_type="image/jpeg")


def test_the_photo_is_served_to_those_who_see_the_event(city, client):
    event = city.report(photos=[jpeg()])
    url = reverse("events:photo", args=[event.photos.get().pk])
    for reader in (city.member, city.community_staff, city.street_official, city.municipal):
        client.force_login(reader)
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "private" in response["Cache-Control"]
        content = b"".join(response.streaming_content)
        assert Image.open(io.BytesIO(content)).format == "JPEG"


def test_others_get_404(city, client):
    event = city.report(photos=[jpeg()])
    url = reverse("events:photo", args=[event.photos.get().pk])
    for reader in (city.other_member, city.other_street_official, city.housing_staff):
        client.force_login(reader)
        assert client.get(url).status_code == 404
    assert client.get(reverse("events:photo", args=[999999])).status_code == 404


def test_without_signing_in_one_is_sent_to_the_login(city, client):
    event = city.report(photos=[jpeg()])
    response = client.get(reverse("events:photo", args=[event.photos.get().pk]))
    assert response.status_code == 302 and "/login/" in response["Location"]
