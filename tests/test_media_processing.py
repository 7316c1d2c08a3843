"""Real files through the whole pipeline: checked by decoding, processed off the request path,
served upright and without metadata; videos as faststart 720p H.264/AAC with a poster."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from app.settings import Settings
from media.probe import probe
from media.video import atoms

from .conftest import LiveServer
from .media import files
from .media.helpers import citizen_with_report, create, patch, sha256, upload, wait_media


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_(triage_timeout_s=3600)


def fetch_image(client, url: str) -> tuple[Image.Image, bytes]:
    r = client.http.get(url)
    assert r.status_code == 200, r.text
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["cache-control"].startswith("private")
    image = Image.open(io.BytesIO(r.content))
    assert Image.MIME[image.format] == r.headers["content-type"]
    return image, r.content


def assert_no_metadata(image: Image.Image, raw: bytes) -> None:
    assert not image.getexif(), dict(image.getexif())
    assert not {"exif", "xmp", "icc_profile", "XML:com.adobe.xmp"} & set(image.info)
    assert b"Exif" not in raw and b"GPS" not in raw and b"TestPhone" not in raw


def colour_at(image: Image.Image, fx: float, fy: float) -> tuple[int, int, int]:
    return image.convert("RGB").getpixel((int(image.width * fx), int(image.height * fy)))  # type: ignore[return-value]


def close(colour: tuple[int, int, int], expected: tuple[int, int, int]) -> bool:
    return all(abs(a - b) < 40 for a, b in zip(colour, expected, strict=True))


def test_a_sideways_photo_with_gps_comes_out_upright_and_stripped(live_server: LiveServer, tmp_path: Path) -> None:
    device, report_id = citizen_with_report(live_server)
    path = files.sideways_jpeg(tmp_path / "IMG_0001.JPG")
    with Image.open(path) as original:
        assert original.size == (400, 800) and original.getexif()[0x0112] == 6
        assert original.getexif().get_ifd(0x8825)  # the GPS is really in there

    media_id, r = upload(device, report_id, path)
    assert r.status_code == 204, r.text
    body = wait_media(device, media_id)
    assert body["state"] == "ready" and body["type"] == "image", body
    assert (body["width"], body["height"]) == (800, 400)  # as displayed
    assert body["sha256"] == sha256(path.read_bytes()) and body["content_type"] == "image/jpeg"
    for variant, longest in (("display", 800), ("thumb", 320)):
        image, raw = fetch_image(device, body["urls"][variant])
        assert image.format == "WEBP"
        assert image.width > image.height and max(image.size) == longest  # landscape again
        # The pattern reads as drawn: red left, blue right, green in the top-left corner.
        assert close(colour_at(image, 0.25, 0.75), files.RED)
        assert close(colour_at(image, 0.75, 0.5), files.BLUE)
        assert close(colour_at(image, 0.03, 0.05), files.GREEN)
        assert_no_metadata(image, raw)
    # The original is kept byte for byte, GPS and all: it is the evidence.
    stored = live_server.svc.media.store.original(media_id)
    assert stored.read_bytes() == path.read_bytes()
    assert stored.stat().st_mode & 0o222 == 0  # read-only


def test_a_heic_photo_is_accepted(live_server: LiveServer, tmp_path: Path) -> None:
    device, report_id = citizen_with_report(live_server)
    path = files.heic(tmp_path / "IMG_0002.HEIC")
    media_id, r = upload(device, report_id, path, filetype="image/heic")
    assert r.status_code == 204, r.text
    body = wait_media(device, media_id)
    assert body["state"] == "ready" and body["content_type"] == "image/heif", body
    image, raw = fetch_image(device, body["urls"]["display"])
    assert image.size == (640, 480) and close(colour_at(image, 0.25, 0.6), files.RED)
    assert_no_metadata(image, raw)
    original = device.http.get(body["urls"]["original"])
    assert original.status_code == 200 and original.content == path.read_bytes()
    assert original.headers["content-type"] == "image/heif"
    assert original.headers["content-disposition"].startswith("attachment;")


def test_a_text_file_named_jpg_is_refused_and_deleted(live_server: LiveServer, tmp_path: Path) -> None:
    device, report_id = citizen_with_report(live_server)
    path = files.text_as_jpg(tmp_path / "photo.jpg")
    media_id, r = upload(device, report_id, path, filetype="image/jpeg")
    assert r.status_code == 422, r.text
    assert r.json()["error"] == "media_refused"
    assert "not a photo or a video" in r.json()["message"]
    body = device.http.get(f"/media/{media_id}").json()
    assert body["state"] == "failed" and "not a photo or a video" in body["reason"]
    assert body["urls"] == {} and body["sha256"] is None
    assert not live_server.svc.media.store.folder(media_id).exists()
    r = device.http.get(f"/media/{media_id}/original")
    assert r.status_code == 410 and "not a photo" in r.json()["message"]


def test_a_jpeg_cut_short_is_refused(live_server: LiveServer, tmp_path: Path) -> None:
    device, report_id = citizen_with_report(live_server)
    path = files.jpeg(tmp_path / "whole.jpg")
    truncated = tmp_path / "cut.jpg"
    truncated.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    _, r = upload(device, report_id, truncated)
    assert r.status_code == 422 and "damaged or incomplete" in r.json()["message"]


def test_the_preview_comes_first_and_the_original_replaces_it(live_server: LiveServer, tmp_path: Path) -> None:
    device, report_id = citizen_with_report(live_server)
    original = files.jpeg(tmp_path / "IMG_0003.JPG", size=(3000, 2000))
    preview = files.jpeg(tmp_path / "preview.jpg", size=(1280, 853), quality=70)
    data = original.read_bytes()
    r = create(device, report_id, len(data), filename=original.name, filetype="image/jpeg")
    location = r.headers["location"]
    media_id = location.rsplit("/", 1)[-1]
    # The preview is its own small upload, naming the original it stands in for.
    _, r = upload(device, report_id, preview, kind="preview", preview_of=media_id)
    assert r.status_code == 204, r.text

    body = wait_media(device, media_id, when=lambda m: m["preview"])
    assert body["preview"] and body["state"] == "uploading"
    assert body["urls"]["thumb"].endswith("?v=p")
    thumb, raw = fetch_image(device, body["urls"]["thumb"])
    assert max(thumb.size) == 320
    assert_no_metadata(thumb, raw)
    assert "original" not in body["urls"]

    # The original follows; its own derivatives take over.
    assert patch(device, location, 0, data).status_code == 204
    body = wait_media(device, media_id)
    assert body["state"] == "ready"
    assert not body["urls"]["thumb"].endswith("?v=p")
    display, _ = fetch_image(device, body["urls"]["display"])
    assert display.size == (1600, 1067)
    # The media list of the report shows the original only, with its state.
    listing = device.http.get(f"/api/reports/{report_id}/media").json()
    assert [m["id"] for m in listing["media"]] == [media_id]


@pytest.mark.slow
def test_a_video_becomes_a_faststart_720p_mp4_with_a_poster(live_server: LiveServer, tmp_path: Path) -> None:
    device, report_id = citizen_with_report(live_server)
    path = files.video(tmp_path / "VID_0001.mp4")
    assert atoms(path).index("mdat") < atoms(path).index("moov")  # as phones write it
    media_id, r = upload(device, report_id, path, filetype="video/mp4")
    assert r.status_code == 204, r.text
    body = wait_media(device, media_id, timeout=120)
    assert body["state"] == "ready" and body["type"] == "video", body
    assert (body["width"], body["height"], body["video_codec"], body["audio_codec"]) == (1920, 1080, "h264", "aac")
    assert body["duration_s"] == pytest.approx(2.0, abs=0.1)
    facts = body["derivatives"]["video"]
    assert (facts["width"], facts["height"], facts["video_codec"], facts["audio_codec"]) == (1280, 720, "h264", "aac")

    r = device.http.get(body["urls"]["video"])
    assert r.status_code == 200 and r.headers["content-type"] == "video/mp4"
    out = tmp_path / "out.mp4"
    out.write_bytes(r.content)
    order = atoms(out)
    assert order.index("moov") < order.index("mdat"), order  # faststart
    decoded = probe(out, live_server.svc.media.config.ffmpeg())
    assert (decoded.width, decoded.height, decoded.video_codec, decoded.audio_codec) == (1280, 720, "h264", "aac")
    assert b"location" not in r.content[:200_000] and b"+10.7626" not in r.content  # no metadata

    poster, raw = fetch_image(device, body["urls"]["poster"])
    assert poster.format == "JPEG" and poster.size == (1280, 720)
    assert_no_metadata(poster, raw)
    thumb, _ = fetch_image(device, body["urls"]["thumb"])
    assert max(thumb.size) == 320
