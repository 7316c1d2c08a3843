"""The media library's pure parts, without a server: tus headers, sizes, containers, probes."""

from __future__ import annotations

import subprocess
from pathlib import Path

import imageio_ffmpeg
import pytest

from media.errors import MediaError, NotMedia
from media.probe import probe, sniff_container
from media.tus import encode_metadata, parse_length, parse_metadata
from media.video import atoms, target_size

from .media import files


def test_upload_metadata_round_trips_and_refuses_junk() -> None:
    meta = {"report": "4a7b-uuid", "filename": "ảnh hiện trường.jpg", "kind": "original"}
    assert parse_metadata(encode_metadata(meta)) == meta
    assert parse_metadata("flag,report NGE3Yg==") == {"flag": "", "report": "4a7b"}
    assert parse_metadata(None) == {}
    for bad in ("report !!!", "a b c", "report NGE3Yg==,report NGE3Yg==", "r\u00e9port eA=="):
        with pytest.raises(MediaError) as caught:
            parse_metadata(bad)
        assert caught.value.status == 400
    assert parse_length("12") == 12
    for bad in ("-1", "1.5", "", "9" * 20):
        with pytest.raises(MediaError):
            parse_length(bad)


def test_720p_is_the_short_side_and_nothing_is_enlarged() -> None:
    assert target_size(1920, 1080) == (1280, 720)
    assert target_size(1080, 1920) == (720, 1280)
    assert target_size(3840, 2160) == (1280, 720)
    assert target_size(640, 360) == (640, 360)
    assert target_size(643, 363) == (644, 364)  # even sides for 4:2:0


def test_containers_are_chosen_by_content_not_by_name(tmp_path: Path) -> None:
    playlist = tmp_path / "clip.mp4"
    playlist.write_text("#EXTM3U\n#EXTINF:1,\nfile:///etc/passwd\n")
    assert sniff_container(playlist) is None
    with pytest.raises(NotMedia):
        probe(playlist, imageio_ffmpeg.get_ffmpeg_exe())
    concat = tmp_path / "x.mov"
    concat.write_text("ffconcat version 1.0\nfile /etc/passwd\n")
    with pytest.raises(NotMedia):
        probe(concat, imageio_ffmpeg.get_ffmpeg_exe())
    renamed = tmp_path / "photo.mp4"
    renamed.write_bytes(files.jpeg(tmp_path / "a.jpg").read_bytes())
    assert probe(renamed, imageio_ffmpeg.get_ffmpeg_exe()).media_type == "image"


def test_audio_only_and_rotated_videos(tmp_path: Path) -> None:
    exe = imageio_ffmpeg.get_ffmpeg_exe()
    audio = tmp_path / "voice.m4a"
    subprocess.run([exe, "-loglevel", "error", "-f", "lavfi", "-i", "sine=duration=1", "-c:a", "aac", str(audio)], check=True)
    with pytest.raises(NotMedia, match="no video"):
        probe(audio, exe)
    upright = tmp_path / "upright.mp4"
    source = files.video(tmp_path / "v.mp4", seconds=1, size="640x360", faststart=True)
    assert atoms(source).index("moov") < atoms(source).index("mdat")
    subprocess.run([exe, "-loglevel", "error", "-display_rotation", "90", "-i", str(source), "-c", "copy", str(upright)], check=True)
    facts = probe(upright, exe)
    assert (facts.width, facts.height, facts.video_codec, facts.audio_codec) == (360, 640, "h264", "aac")
    assert facts.content_type == "video/mp4"
