"""Training data: a seeded pool of synthetic crops plus real crops augmented on the fly.

Rendering and degrading a synthetic crop costs ~3 ms, as much as the network step it
feeds, so the pool is rendered up front on both cores (deterministically: chunk `i` is
rendered from seed `(seed, i)` whichever process draws it) and cached as .npz.
"""

from __future__ import annotations

import csv
import logging
import multiprocessing
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from gate.vision.plates.alphabet import PROVINCES, encode
from gate.vision.plates.recogniser import to_model_input
from training.plates.augment import augment_real, swap_province, synthetic_sample
from training.plates.synthetic_plates import GlyphBank, PlateRenderer

logger = logging.getLogger(__name__)

CHUNK = 2000
_renderer: PlateRenderer | None = None  # one per pool worker process, built on first use


@dataclass(frozen=True)
class SyntheticRecipe:
    """How synthetic crops are drawn; the default is model v1's recipe."""

    variation: bool = False
    """Glyph stroke weight and slant varied, green plates' fade varied (v2, v3)."""
    glyph_variants: int = 0
    """With `variation`: pre-varied copies per font (v3) instead of varying every paste (v2)."""
    wide_margins: bool = False
    """A third of the crops as loose as our detector's boxes on real scenes (v3)."""
    typefaces: bool = False
    """More CJK faces and bent hanzi (typeface randomisation, v6)."""

    def cache_suffix(self) -> str:
        """File-name suffix that tells pools of different recipes apart ('' for v1)."""
        suffix = "_var" if self.variation else ""
        suffix += f"_gv{self.glyph_variants}" if self.variation and self.glyph_variants else ""
        suffix += "_tf" if self.typefaces else ""
        return suffix + ("_wide" if self.wide_margins else "")


_renderer_recipe: SyntheticRecipe | None = None


def _render_chunk(args: tuple[int, int, int, SyntheticRecipe]) -> tuple[np.ndarray, list[str]]:
    global _renderer, _renderer_recipe
    seed, chunk, count, recipe = args
    if _renderer is None or _renderer_recipe != recipe:
        _renderer = PlateRenderer(recipe.variation, recipe.glyph_variants, recipe.typefaces)
        _renderer_recipe = recipe
    rng = np.random.default_rng([seed, chunk])
    samples = [synthetic_sample(_renderer, rng, recipe.wide_margins) for _ in range(count)]
    return np.stack([image for image, _ in samples]), [text for _, text in samples]


def synthetic_pool(count: int, seed: int, cache_dir: Path | None, processes: int = 2,
                   recipe: SyntheticRecipe | None = None) -> tuple[np.ndarray, list[str]]:
    """`count` synthetic crops (N, H, W, 3) uint8 and their texts; cached by (count, seed,
    recipe)."""
    recipe = recipe or SyntheticRecipe()
    name = f"synthetic_{count}_seed{seed}{recipe.cache_suffix()}.npz"
    cache = cache_dir / name if cache_dir else None
    if cache is not None and cache.is_file():
        data = np.load(cache)
        return data["images"], [str(t) for t in data["texts"]]
    jobs = [(seed, i, min(CHUNK, count - i * CHUNK), recipe)
            for i in range((count + CHUNK - 1) // CHUNK)]
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        parts = pool.map(_render_chunk, jobs)
    images = np.concatenate([images for images, _ in parts])
    texts = [text for _, chunk_texts in parts for text in chunk_texts]
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez(cache, images=images, texts=np.array(texts))
    return images, texts


@dataclass(frozen=True)
class RealCrop:
    """A labelled real crop."""

    name: str
    image: np.ndarray
    text: str
    colour: str


def read_labelled_crops(folder: Path) -> list[RealCrop]:
    """Rows of `folder/labels.csv` (filename,label,color,...) with their images, sorted."""
    with (folder / "labels.csv").open(encoding="utf-8", newline="") as handle:
        rows = sorted(csv.DictReader(handle), key=lambda row: row["filename"])
    crops = []
    for row in rows:
        image = cv2.imdecode(np.fromfile(folder / row["filename"], np.uint8), cv2.IMREAD_COLOR)
        if image is None:
            raise FileNotFoundError(f"cannot read {folder / row['filename']}")
        crops.append(RealCrop(row["filename"], image, row["label"], row.get("color") or ""))
    return crops


def split_real(
    crops: list[RealCrop], holdout_every: int = 9
) -> tuple[list[RealCrop], list[RealCrop]]:
    """(train, holdout): every `holdout_every`-th crop (by file name) is held out for validation."""
    train = [c for i, c in enumerate(crops) if i % holdout_every != holdout_every - 1]
    holdout = [c for i, c in enumerate(crops) if i % holdout_every == holdout_every - 1]
    return train, holdout


class BatchSampler:
    """Mixed batches: synthetic pool draws plus `real_fraction` augmented real crops.

    A `province_swap` share of the real crops get a random province painted over theirs
    (with `vary_glyphs`, in a randomly varied stroke weight and slant: varied per paste,
    or drawn from `glyph_variants` pre-varied copies of each font).
    """

    def __init__(self, pool_images: np.ndarray, pool_texts: list[str], real: list[RealCrop],
                 real_fraction: float, seed: int, province_swap: float = 0.5,
                 vary_glyphs: bool = False, glyph_variants: int = 0,
                 typefaces: bool = False) -> None:
        self.pool_images = pool_images
        self.pool_targets = [encode(t) for t in pool_texts]
        self.real = real
        self.province_swap = province_swap
        self.vary_each_paste = vary_glyphs and not glyph_variants
        self.real_fraction = real_fraction if real else 0.0
        self.rng = np.random.default_rng([seed, 1])
        self.glyph_bank = GlyphBank(glyph_variants if vary_glyphs else 0, seed + 7, typefaces)

    def batch(self, size: int) -> tuple[np.ndarray, list[list[int]]]:
        """(N, H, W, 3) uint8 inputs and their class-index targets."""
        n_real = int(round(size * self.real_fraction))
        picks = self.rng.integers(len(self.pool_images), size=size - n_real)
        images = [self.pool_images[i] for i in picks]
        targets = [self.pool_targets[i] for i in picks]
        for i in self.rng.integers(max(1, len(self.real)), size=n_real):
            image, text = self.real[i].image, self.real[i].text
            if self.rng.random() < self.province_swap and text[0] in PROVINCES:
                province = PROVINCES[self.rng.integers(len(PROVINCES))]
                cjk, _ = self.glyph_bank.pick(self.rng)
                image = swap_province(image, cjk, province, self.rng, self.vary_each_paste,
                                      self.glyph_bank.elastic)
                text = province + text[1:]
            images.append(augment_real(image, self.rng))
            targets.append(encode(text))
        return np.stack(images), targets


def clean_inputs(crops: list[RealCrop]) -> np.ndarray:
    """Unaugmented model inputs for evaluation."""
    return np.stack([to_model_input(c.image) for c in crops])
