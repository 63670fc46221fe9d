"""The point-by-point picture check behind descriptor matches: a cropped, rotated, mirrored or
screen-filmed (perspective) copy of a picture, or the picture inside another, maps onto it; another
picture of the same kind (which the descriptor finds about as alike as the copies) does not."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from footage import generated_photo, pan_frames

from evidence.core.descriptor_match import DescriptorParams
from evidence.media import sscd
from evidence.media.image.local_features import SHORT_SIDE, closest, mapped_points

ENOUGH = DescriptorParams().inliers


def grey(rgb: np.ndarray) -> np.ndarray:
    picture = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    h, w = picture.shape
    scale = SHORT_SIDE / min(h, w)
    return cv2.resize(picture, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)


def _edits(a: np.ndarray, other: np.ndarray) -> dict[str, np.ndarray]:
    h, w = a.shape[:2]
    turn = cv2.warpAffine(a, cv2.getRotationMatrix2D((w / 2, h / 2), 8, 1.2), (w, h))
    corners = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    moved = np.float32([[40, 30], [w - 10, 60], [w - 50, h - 20], [20, h - 40]])
    filmed = cv2.warpPerspective(a, cv2.getPerspectiveTransform(corners, moved), (w, h))
    inside = other.copy()
    inside[100 : 100 + h // 2, 200 : 200 + w // 2] = cv2.resize(a, (w // 2, h // 2))
    return {
        "crop": a[int(h * 0.12) : int(h * 0.9), int(w * 0.1) : int(w * 0.85)],
        "rotation": turn,
        "mirror": np.ascontiguousarray(a[:, ::-1]),
        "filmed": filmed,
        "inside": inside,
    }


@pytest.mark.parametrize("edit", ["crop", "rotation", "mirror", "filmed", "inside"])
def test_an_edited_copy_maps_onto_its_source(edit: str) -> None:
    source, other = generated_photo(1), generated_photo(2)
    copy = _edits(source, other)[edit]
    assert mapped_points(grey(copy), grey(source)) >= 3 * ENOUGH


def test_a_look_alike_picture_does_not_map_though_the_descriptor_finds_it_alike() -> None:
    source = generated_photo(1)
    crop = _edits(source, generated_photo(2))["crop"]
    for n in (2, 3, 4):
        other = generated_photo(n)
        a, b, c = sscd.describe([source, other, crop])
        assert float(a @ b) >= 0.9 * float(a @ c) - 0.2  # about as alike to the descriptor as the crop
        assert mapped_points(grey(other), grey(source)) < ENOUGH


def test_tiny_or_blank_pictures_map_nothing() -> None:
    blank = np.full((360, 640), 90, dtype=np.uint8)
    assert mapped_points(blank, blank) == 0
    assert mapped_points(np.zeros((8, 8), dtype=np.uint8), grey(generated_photo(1))) == 0


def _channel_graphics(picture: np.ndarray, phase: int) -> np.ndarray:
    """A channel's lower third (with a ticker's text scrolled by `phase` pixels) and its logo."""
    out = picture.copy()
    h = out.shape[0]
    out[int(h * 0.78) :] = (30, 40, 160)
    text = "BREAKING NEWS  LIVE FROM THE SCENE  MORE TO FOLLOW  " * 4
    cv2.putText(out, text, (20 - phase, int(h * 0.92)), cv2.FONT_HERSHEY_SIMPLEX, 1.4, (255, 255, 255), 3)
    out[20:150, 20:190] = (240, 200, 40)
    cv2.putText(out, "NEWS24", (30, 100), cv2.FONT_HERSHEY_DUPLEX, 1.6, (20, 20, 20), 4)
    return out


def test_unrelated_pictures_under_the_same_channel_graphics_do_not_map() -> None:
    # the graphics sit at the same pixels of both (and the ticker moved along): set aside when both
    # are whole pictures; the footage under them decides
    first = _channel_graphics(generated_photo(5), 0)
    second = _channel_graphics(generated_photo(6), 140)
    assert mapped_points(grey(first), grey(second), overlays_possible=True) < ENOUGH
    copy = cv2.resize(first[40:-40, 60:-60], (first.shape[1], first.shape[0]))  # a zoomed copy
    assert mapped_points(grey(copy), grey(first), overlays_possible=True) >= 3 * ENOUGH


def test_a_hazy_zoomed_copy_of_a_plain_scene_maps() -> None:
    # a low-contrast scene (haze over the sea: grey levels within a narrow band), zoomed 1.25x, blurred
    source = generated_photo(1)
    hazy = (128 + (source.astype(np.float32) - 128) * 0.25).astype(np.uint8)
    h, w = hazy.shape[:2]
    zoomed = cv2.resize(hazy[h // 10 : h - h // 10, w // 10 : w - w // 10], (w, h))
    copy = cv2.GaussianBlur(zoomed, (0, 0), 1.2)
    assert mapped_points(grey(copy), grey(hazy)) >= ENOUGH


def test_the_same_footage_in_place_maps_and_other_footage_in_one_programme_frame_does_not() -> None:
    # a compilation's piece of an unedited clip (re-encoded) sits at the same pixels as its source, as
    # graphics do; the pictures agree everywhere, where graphics around other footage leave it unlike
    source = generated_photo(1)
    _, jpeg = cv2.imencode(".jpg", source, [cv2.IMWRITE_JPEG_QUALITY, 60])
    piece = cv2.imdecode(jpeg, cv2.IMREAD_COLOR)
    assert mapped_points(grey(piece), grey(source), overlays_possible=True) >= 3 * ENOUGH
    studio = generated_photo(4)
    first, second = studio.copy(), studio.copy()
    h, w = studio.shape[:2]
    first[h // 4 : h // 4 + h // 2, w // 3 : w // 3 + w // 2] = cv2.resize(
        generated_photo(5), (w // 2, h // 2)
    )
    second[h // 4 : h // 4 + h // 2, w // 3 : w // 3 + w // 2] = cv2.resize(
        generated_photo(6), (w // 2, h // 2)
    )
    assert mapped_points(grey(first), grey(second), overlays_possible=True) < ENOUGH


def test_the_frame_of_the_same_moment_is_picked_among_its_neighbours() -> None:
    # frames a quarter second apart around an aligned moment: the one showing what the query shows is
    # the likest at a glance, for a re-encoded copy as for one slightly cropped
    frames = [grey(f) for f in pan_frames(generated_photo(2), 2, fps=8, size=(480, 270), seed=3)]
    around = frames[4:13:2]  # 0.5 s to 1.5 s, the moment at index 2
    moment = frames[8]
    _, jpeg = cv2.imencode(".jpg", moment, [cv2.IMWRITE_JPEG_QUALITY, 50])
    h, w = moment.shape
    cropped = cv2.resize(moment[h // 20 : -h // 20, w // 20 : -w // 20], (w, h))
    for query in (cv2.imdecode(jpeg, cv2.IMREAD_GRAYSCALE), cropped):
        assert closest(query, around) == 2


def test_the_footage_of_a_small_window_maps_onto_its_source() -> None:
    # a portrait clip in a small window of a landscape programme: its footage, cut out, is about 64 px
    # wide, too small for the detector's margins as it is
    source = grey(np.ascontiguousarray(np.rot90(generated_photo(1))))  # portrait, 360 px wide
    small = cv2.resize(
        source, (64, round(64 * source.shape[0] / source.shape[1])), interpolation=cv2.INTER_AREA
    )
    assert mapped_points(small, source) >= ENOUGH
    for n in (2, 3):
        other = grey(np.ascontiguousarray(np.rot90(generated_photo(n))))
        assert mapped_points(small, other) < ENOUGH


def _column_of_text(seed: int) -> np.ndarray:
    """A phone's page of short left-aligned lines: its detail is a column a third of the page wide."""
    rng = np.random.default_rng(seed)
    page = np.full((640, 360, 3), 235, np.uint8)
    for row in range(24):
        words = " ".join("".join(rng.choice(list("aeioulmnrstkv"), rng.integers(2, 6))) for _ in range(2))
        cv2.putText(page, words, (16, 40 + 24 * row), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (30, 30, 30), 1)
    return page


def test_a_page_whose_text_is_a_narrow_column_maps_onto_its_copy() -> None:
    # the mapping's points span a seventh of the page's width and most of its height: footage, not a
    # ticker's line (a few hundredths high) or a logo
    page = _column_of_text(4)
    zoomed = cv2.resize(page[40:600, 4:319], (360, 640))  # zoomed 1.14x about the text
    assert mapped_points(grey(zoomed), grey(page), overlays_possible=True) >= ENOUGH
    assert mapped_points(grey(_column_of_text(5)), grey(page), overlays_possible=True) < ENOUGH
