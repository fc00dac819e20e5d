"""Render clean synthetic Chinese licence plates (GA 36 layouts) from Debian's fonts.

A plate is drawn flat and front-on at `PX_PER_MM` pixels per millimetre; `augment.py`
puts it into a scene, warps and degrades it. Glyphs are rendered once per font and
stretched into each layout's character cells (real plates use a narrow, tall face that
no Debian font has; stretched CJK "hei" glyphs come close enough for a recogniser).

Run as a script to write a contact sheet: `python -m training.plates.synthetic_plates out.png`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from gate.vision.plates.alphabet import CHARSET, DIGITS, LETTERS, PROVINCES

PX_PER_MM = 0.5
CJK_FONTS: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Black.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Medium.ttc", 2),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
)
# More CJK faces for typeface randomisation (v6): other weights, the serif design, the
# Japanese/Korean/Traditional regional forms of the same characters (TTC indices 0, 1, 3)
# and Droid Sans Fallback (fonts-noto-cjk-extra, fonts-droid-fallback). None of them is the
# plate typeface; together they make the province characters' structure, not one face's
# details, what the network learns.
EXTRA_CJK_FONTS: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", 0),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Black.ttc", 1),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Medium.ttc", 3),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-DemiLight.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Black.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-SemiBold.ttc", 2),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
)
LATIN_FONTS: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/truetype/liberation/LiberationSansNarrow-Bold.ttf", 0),
    ("/usr/share/fonts/truetype/liberation/LiberationSansNarrow-Regular.ttf", 0),
    ("/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed-Bold.ttf", 0),
    ("/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed.ttf", 0),
    ("/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf", 0),
) + CJK_FONTS

# Background / text colours in BGR, from photos of real plates (varied at render time).
STYLES: dict[str, tuple[tuple[int, int, int], tuple[int, int, int]]] = {
    "blue": ((180, 70, 10), (245, 245, 245)),
    "yellow": ((20, 190, 245), (20, 20, 20)),
    "green": ((120, 210, 90), (15, 15, 15)),
    "white": ((240, 240, 240), (15, 15, 15)),
    "black": ((20, 20, 20), (240, 240, 240)),
}
RED = (30, 30, 200)


@dataclass(frozen=True)
class Plate:
    """One rendered plate: BGR image, its text, colour, and whether it has two rows."""

    image: np.ndarray
    text: str
    colour: str
    two_rows: bool


def _font_paths(fonts: tuple[tuple[str, int], ...]) -> list[tuple[str, int]]:
    available = [(path, index) for path, index in fonts if Path(path).is_file()]
    if not available:
        raise FileNotFoundError(
            "no CJK fonts found: apt-get install -y fonts-noto-cjk fonts-wqy-zenhei"
        )
    return available


def _glyph_mask(font: ImageFont.FreeTypeFont, char: str) -> np.ndarray | None:
    """Ink of `char` cropped to its bounding box (uint8, 0..255), or None if the font lacks it."""
    size = 160
    canvas = Image.new("L", (size * 2, size * 2), 0)
    ImageDraw.Draw(canvas).text((size // 2, size // 2), char, font=font, fill=255)
    mask = np.asarray(canvas)
    ys, xs = np.nonzero(mask > 40)
    if len(xs) < 20:
        return None
    return mask[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1].copy()


def elastic_glyph(mask: np.ndarray, rng: np.random.Generator, amplitude: float) -> np.ndarray:
    """The glyph under a smooth random displacement field (about `amplitude` x its height).

    A 4x4 grid of random shifts of up to `amplitude` x height per axis, interpolated
    bicubically over the glyph (which can overshoot the grid by up to about half as much
    again): components move and change proportion a little, as they do between two
    typefaces of one character.
    """
    h, w = mask.shape
    pad = int(np.ceil(amplitude * h)) + 1
    out = cv2.copyMakeBorder(mask, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
    oh, ow = out.shape
    shifts = rng.uniform(-1.0, 1.0, size=(2, 4, 4)).astype(np.float32) * amplitude * h
    dx = cv2.resize(shifts[0], (ow, oh), interpolation=cv2.INTER_CUBIC)
    dy = cv2.resize(shifts[1], (ow, oh), interpolation=cv2.INTER_CUBIC)
    xs, ys = np.meshgrid(np.arange(ow, dtype=np.float32), np.arange(oh, dtype=np.float32))
    return cv2.remap(out, xs + dx, ys + dy, cv2.INTER_LINEAR, borderValue=0)


def vary_glyph(mask: np.ndarray, rng: np.random.Generator, strength: float = 1.0,
               elastic: float = 0.0) -> np.ndarray:
    """The glyph with a random stroke weight, slant and slight rotation.

    Our fonts are not the plate font: varying stroke weight and shape makes the model
    learn a character's structure rather than one typeface's details. With `elastic` > 0
    the glyph is also bent by `elastic_glyph` of that amplitude.
    """
    h, w = mask.shape
    out = elastic_glyph(mask, rng, elastic) if elastic > 0 else mask
    radius = int(round(rng.uniform(-3.5, 4.5) * strength * h / 140))
    if radius:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * abs(radius) + 1,) * 2)
        pad = abs(radius) + 1
        out = cv2.copyMakeBorder(out, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
        out = cv2.dilate(out, kernel) if radius > 0 else cv2.erode(out, kernel)
    if strength > 0 and rng.random() < 0.5:
        oh, ow = out.shape
        shear = rng.uniform(-0.12, 0.12) * strength
        angle = np.deg2rad(rng.uniform(-4, 4) * strength)
        matrix = np.array([[np.cos(angle), -np.sin(angle) + shear, 0],
                           [np.sin(angle), np.cos(angle), 0]], np.float32)
        corners = np.array([[0, 0, 1], [ow, 0, 1], [ow, oh, 1], [0, oh, 1]], np.float32)
        moved = corners @ matrix.T
        matrix[:, 2] = -moved.min(axis=0)
        size = np.ceil(moved.max(axis=0) - moved.min(axis=0)).astype(int)
        out = cv2.warpAffine(out, matrix, (int(size[0]), int(size[1])), flags=cv2.INTER_LINEAR)
    ys, xs = np.nonzero(out > 40)
    if len(xs) < 20:
        return mask
    return out[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]


def _varied_fonts(fonts: list[dict[str, np.ndarray]], variants: int, strength: float,
                  seed: int, elastic: float = 0.0) -> list[dict[str, np.ndarray]]:
    """`variants` copies of every font, each glyph with its own stroke weight and slant."""
    out = []
    for font_index, glyphs in enumerate(fonts):
        for variant in range(variants):
            rng = np.random.default_rng([seed, font_index, variant])
            out.append({c: vary_glyph(m, rng, strength, elastic)
                        for c, m in sorted(glyphs.items())})
    return out


ELASTIC_AMPLITUDE = 0.05
"""Typeface randomisation: hanzi components move by about 5 % of the glyph height per axis."""


class GlyphBank:
    """Glyph masks for every plate character, per font, rendered once.

    With `variants` > 0 each font is replaced by that many varied copies (`vary_glyph`,
    drawn once from a fixed seed): the variety of varying every pasted glyph, at the
    cost of rendering a plain font. With `typefaces` (v6) the hanzi come from more faces
    (`EXTRA_CJK_FONTS`, those installed) and their varied copies are also bent
    (`elastic_glyph`).
    """

    def __init__(self, variants: int = 0, seed: int = 0, typefaces: bool = False) -> None:
        self.cjk: list[dict[str, np.ndarray]] = []
        self.latin: list[dict[str, np.ndarray]] = []
        hanzi = PROVINCES + "学警挂港澳领使"
        cjk_fonts = _font_paths(CJK_FONTS)
        if typefaces:
            cjk_fonts += [(p, i) for p, i in EXTRA_CJK_FONTS if Path(p).is_file()]
        self.elastic = ELASTIC_AMPLITUDE if typefaces else 0.0
        for path, index in cjk_fonts:
            font = ImageFont.truetype(path, 140, index=index)
            glyphs = {c: m for c in hanzi if (m := _glyph_mask(font, c)) is not None}
            if len(glyphs) == len(hanzi):
                self.cjk.append(glyphs)
        for path, index in _font_paths(LATIN_FONTS):
            font = ImageFont.truetype(path, 140, index=index)
            glyphs = {c: m for c in LETTERS + DIGITS if (m := _glyph_mask(font, c)) is not None}
            if len(glyphs) == len(LETTERS + DIGITS):
                self.latin.append(glyphs)
        if not self.cjk or not self.latin:
            raise FileNotFoundError("fonts lack plate characters; install fonts-noto-cjk")
        if variants:
            self.cjk = _varied_fonts(self.cjk, variants, 1.0, seed, self.elastic)
            self.latin = _varied_fonts(self.latin, variants, 0.6, seed + 1)

    def pick(self, rng: np.random.Generator) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """A (CJK, Latin) font pair for one plate: one plate uses one face throughout."""
        return self.cjk[rng.integers(len(self.cjk))], self.latin[rng.integers(len(self.latin))]


def random_text(rng: np.random.Generator, kind: str) -> str:
    """Plausible plate text for a layout kind (formats per GA 36-2018)."""
    province = PROVINCES[rng.integers(len(PROVINCES))]
    letter = "A" if rng.random() < 0.3 else LETTERS[rng.integers(len(LETTERS))]

    def tail(n: int, p_letter: float = 0.3) -> str:
        return "".join(
            LETTERS[rng.integers(len(LETTERS))] if rng.random() < p_letter
            else DIGITS[rng.integers(10)]
            for _ in range(n)
        )

    if kind == "green":
        if rng.random() < 0.75:  # small car: D/F, then a letter or digit, then 4 digits
            return province + letter + "DF"[rng.integers(2)] + tail(1, 0.3) + tail(4, 0.0)
        return province + letter + tail(5, 0.0) + "DF"[rng.integers(2)]
    if kind == "yellow_suffix":
        return province + letter + tail(4, 0.15) + "学挂"[rng.integers(2)]
    if kind == "white":
        return province + letter + tail(4, 0.1) + "警"
    if kind == "black":
        if rng.random() < 0.6:
            return "粤Z" + tail(4, 0.2) + "港澳"[rng.integers(2)]
        if rng.random() < 0.5:
            return "使" + tail(5, 0.0) + ("" if rng.random() < 0.5 else "")
        return province + letter + tail(4, 0.0) + "领"
    return province + letter + tail(5)


def _cell_positions(n_chars: int, width_mm: float) -> tuple[list[float], float]:
    """Left edge (mm) of each character cell and the cell width for single-row layouts."""
    if n_chars == 8:
        char_w, gap, big_gap = 43.0, 9.0, 49.0
    else:
        char_w, gap, big_gap = 45.0, 12.0, 34.0
    total = n_chars * char_w + (n_chars - 2) * gap + big_gap
    x = (width_mm - total) / 2
    lefts = []
    for i in range(n_chars):
        lefts.append(x)
        x += char_w + (big_gap if i == 1 else gap)
    return lefts, char_w


class PlateRenderer:
    """Draws plates; every call takes the generator so output depends only on the seed.

    With `variation`, glyphs get random stroke weight and slant and green plates a random
    fade: per pasted glyph (`vary_glyph`, the v2 recipe) or, with `glyph_variants` > 0, by
    drawing from that many pre-varied copies of each font (v3, as varied and ~2x faster).
    Off, the renderer draws exactly as it did for model v1.
    """

    def __init__(self, variation: bool = False, glyph_variants: int = 0,
                 typefaces: bool = False) -> None:
        self.glyphs = GlyphBank(glyph_variants if variation else 0, typefaces=typefaces)
        self.variation = variation
        self.vary_each_paste = variation and not glyph_variants

    def _paste(self, canvas: np.ndarray, glyph: np.ndarray, box: tuple[float, float, float, float],
               colour: tuple[int, int, int], rng: np.random.Generator, narrow_ok: bool) -> None:
        x0, y0, w, h = (v * PX_PER_MM for v in box)
        if self.vary_each_paste:
            glyph = vary_glyph(glyph, rng, strength=1.0 if not narrow_ok else 0.6,
                               elastic=0.0 if narrow_ok else self.glyphs.elastic)
        gh, gw = glyph.shape
        target_h = h
        target_w = w
        natural_w = gw * target_h / gh
        if narrow_ok and natural_w < 0.6 * w:  # "1" and similar stay narrow
            target_w = natural_w
        target_w *= rng.uniform(0.9, 1.0)
        target_h *= rng.uniform(0.92, 1.0)
        tw, th = max(2, round(target_w)), max(2, round(target_h))
        mask = cv2.resize(glyph, (tw, th), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
        left = round(x0 + (w - tw) / 2)
        top = round(y0 + (h - th) / 2)
        region = canvas[top : top + th, left : left + tw]
        mask = mask[: region.shape[0], : region.shape[1], None]
        region[:] = region * (1 - mask) + np.array(colour, np.float32) * mask

    def render(self, rng: np.random.Generator, kind: str | None = None) -> Plate:
        """A random plate of `kind` (blue, yellow, yellow_suffix, yellow2, green, white, black)."""
        if kind is None:
            kinds = ("blue", "green", "yellow", "yellow_suffix", "yellow2", "white", "black")
            kind = kinds[rng.choice(len(kinds), p=(0.46, 0.22, 0.12, 0.05, 0.06, 0.05, 0.04))]
        text = random_text(rng, "blue" if kind in ("yellow", "yellow2") else kind)
        colour = {"yellow_suffix": "yellow", "yellow2": "yellow"}.get(kind, kind)
        background, ink = STYLES[colour]
        jitter = rng.integers(-25, 26, size=3)
        background = tuple(
            int(np.clip(c + j, 0, 255)) for c, j in zip(background, jitter, strict=True)
        )
        cjk, latin = self.glyphs.pick(rng)
        two_rows = kind == "yellow2"
        width_mm = 480.0 if len(text) == 8 else 440.0
        height_mm = 220.0 if two_rows else 140.0
        size = (round(height_mm * PX_PER_MM), round(width_mm * PX_PER_MM))
        canvas = np.empty((*size, 3), np.float32)
        canvas[:] = background
        if colour == "green":  # new-energy plates fade from near-white to green, top to bottom
            # How white the top is varies with plate and light.
            start = rng.uniform(0.0, 0.7) if self.variation else 0.0
            fade = np.linspace(start, 1.0, size[0], dtype=np.float32)[:, None, None]
            canvas[:] = (1 - fade) * np.array((235, 250, 240), np.float32) + fade * canvas
        border = ink if colour != "blue" else (235, 235, 235)
        inset = max(1, round(4 * PX_PER_MM))
        cv2.rectangle(canvas, (inset, inset), (size[1] - inset - 1, size[0] - inset - 1),
                      border, max(1, round(rng.uniform(1.5, 3.5) * PX_PER_MM * 2)))
        chars = []
        if two_rows:  # province + letter above (smaller), five characters below
            chars.append((text[0], (110.0, 15.0, 80.0, 60.0)))
            chars.append((text[1], (250.0, 15.0, 80.0, 60.0)))
            for i, char in enumerate(text[2:]):
                chars.append((char, (27.5 + i * 80.0, 90.0, 65.0, 110.0)))
            cv2.circle(canvas, (round(220 * PX_PER_MM), round(45 * PX_PER_MM)),
                       max(1, round(5 * PX_PER_MM)), border, -1)
        else:
            lefts, char_w = _cell_positions(len(text), width_mm)
            for char, left in zip(text, lefts, strict=True):
                chars.append((char, (left, 25.0, char_w, 90.0)))
            if len(text) == 7:  # separator dot between the 2nd and 3rd characters
                dot_x = (lefts[1] + char_w + lefts[2]) / 2
                cv2.circle(canvas, (round(dot_x * PX_PER_MM), round(70 * PX_PER_MM)),
                           max(1, round(5 * PX_PER_MM)), ink, -1)
        for i, (char, box) in enumerate(chars):
            is_hanzi = char in cjk
            glyph = cjk[char] if is_hanzi else latin[char]
            char_ink = ink
            if char in "警使" and i > 0 or (char in "学" and rng.random() < 0.5):
                char_ink = RED
            self._paste(canvas, glyph, box, char_ink, rng, narrow_ok=not is_hanzi)
        return Plate(np.clip(canvas, 0, 255).astype(np.uint8), text, colour, two_rows)


def contact_sheet(count: int = 24, seed: int = 0) -> np.ndarray:
    """A grid of clean renders, for eyeballing the renderer."""
    rng = np.random.default_rng(seed)
    renderer = PlateRenderer()
    tiles = [cv2.resize(renderer.render(rng).image, (240, 80)) for _ in range(count)]
    rows = [np.hstack(tiles[i : i + 4]) for i in range(0, count, 4)]
    return np.vstack(rows)


if __name__ == "__main__":
    assert all(c in CHARSET for c in PROVINCES)
    cv2.imwrite(sys.argv[1] if len(sys.argv) > 1 else "plates_sheet.png", contact_sheet())
