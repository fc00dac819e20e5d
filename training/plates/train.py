"""Train the plate recogniser on synthetic plates mixed with the real training crops.

    PYTHONPATH=. /work/trainvenv/bin/python -m training.plates.train --out RUN_DIR

Only `plates/train` (real crops meant for fine-tuning) is read; every 9th crop of it is
held out for validation. The evaluation crops and scenes are never touched here.
Deterministic for a given seed on this machine (fixed seeds, two threads).
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from gate.vision.plates.alphabet import NUM_CLASSES, decode
from gate.vision.plates.recogniser import to_blob
from hw_sim.datasets import shared_data_dir
from training.plates.dataset import (
    BatchSampler,
    SyntheticRecipe,
    clean_inputs,
    read_labelled_crops,
    split_real,
    synthetic_pool,
)
from training.plates.model import PlateNet, ctc_log_probs

logger = logging.getLogger("training.plates.train")
DEFAULT_DATA = shared_data_dir() / "plates" / "train"  # $GATE_SHARED_DATA, else ../shared/data


def greedy_texts(scores: torch.Tensor) -> list[str]:
    """Greedy CTC decode of (N, C, 1, T) scores."""
    best = scores.squeeze(2).argmax(1).numpy()
    texts = []
    for row in best:
        collapsed = [int(c) for i, c in enumerate(row) if c != 0 and (i == 0 or c != row[i - 1])]
        texts.append(decode(collapsed))
    return texts


def accuracy(model: nn.Module, images: np.ndarray, texts: list[str]) -> float:
    """Fraction of exact plate reads."""
    model.eval()
    correct = 0
    with torch.no_grad():
        for start in range(0, len(images), 256):
            scores = model(torch.from_numpy(to_blob(list(images[start : start + 256]))))
            preds = greedy_texts(scores)
            correct += sum(p == t for p, t in zip(preds, texts[start : start + 256], strict=True))
    model.train()
    return correct / max(1, len(texts))


def save(model: nn.Module, args: argparse.Namespace, step: int,
         raw: nn.Module | None = None) -> None:
    """Write RUN_DIR/model.pt (replaced at every checkpoint, so a run can be exported early).

    `model` is what gets exported; with --ema, `raw` (the trained weights before averaging)
    is kept beside it as "raw_model" so the two can be compared.
    """
    config = {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}
    state = {"model": model.state_dict(), "num_classes": NUM_CLASSES, "step": step,
             "args": config}
    if raw is not None:
        state["raw_model"] = raw.state_dict()
    torch.save(state, args.out / "model.tmp")
    (args.out / "model.tmp").replace(args.out / "model.pt")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="run folder (checkpoint, log)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="real training crops")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/plate_training_cache"))
    parser.add_argument("--pool", type=int, default=100_000, help="synthetic pool size")
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--real-fraction", type=float, default=0.3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--init", type=Path, help="start from this checkpoint")
    parser.add_argument("--province-swap", type=float, default=0.5,
                        help="share of real crops whose province is repainted")
    parser.add_argument("--glyph-variation", action="store_true",
                        help="vary glyph stroke weight and slant, and the green fade "
                        "(v2 and v3: see README)")
    parser.add_argument("--glyph-variants", type=int, default=0,
                        help="with --glyph-variation: pre-varied copies per font instead of "
                        "varying every glyph (v3: 8)")
    parser.add_argument("--channels-last", action="store_true",
                        help="NHWC tensors: ~1.2x faster steps on AVX2-only CPUs (v3)")
    parser.add_argument("--bf16", action="store_true",
                        help="bfloat16 autocast for the forward pass (weights stay float32): "
                        "~2.2x faster steps on the AMD CPU with AVX512_BF16 of v4, slower than "
                        "float32 channels-last on the Intel Xeon of v6: time a step first")
    parser.add_argument("--wide-margins", action="store_true",
                        help="a third of synthetic crops as loose as real detector boxes (v3)")
    parser.add_argument("--typeface-randomisation", action="store_true",
                        help="with --glyph-variation: hanzi from more CJK faces and bent by "
                        "a smooth random field (v6)")
    parser.add_argument("--ema", type=float, default=0.0,
                        help="export an exponential moving average of the weights (and "
                        "BatchNorm statistics) with this decay, e.g. 0.999 (v6; no warm-up, so "
                        "early checkpoints are mostly the initial weights); 0 = off")
    args = parser.parse_args()
    if args.typeface_randomisation and not args.glyph_variation:
        parser.error("--typeface-randomisation needs --glyph-variation")
    return args


def main() -> None:
    args = parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    torch.set_num_threads(2)
    torch.manual_seed(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    started = time.time()

    recipe = SyntheticRecipe(args.glyph_variation, args.glyph_variants, args.wide_margins,
                             args.typeface_randomisation)
    pool_images, pool_texts = synthetic_pool(args.pool, args.seed, args.cache, recipe=recipe)
    val_images, val_texts = synthetic_pool(2000, args.seed + 1000, args.cache, recipe=recipe)
    logger.info("synthetic pool ready: %d crops in %.0f s", len(pool_texts), time.time() - started)
    real_train, real_holdout = split_real(read_labelled_crops(args.data))
    holdout_images = clean_inputs(real_holdout)
    holdout_texts = [c.text for c in real_holdout]
    sampler = BatchSampler(pool_images, pool_texts, real_train, args.real_fraction, args.seed,
                           province_swap=args.province_swap, vary_glyphs=args.glyph_variation,
                           glyph_variants=args.glyph_variants,
                           typefaces=args.typeface_randomisation)

    model = PlateNet()
    if args.init:
        model.load_state_dict(torch.load(args.init, weights_only=True)["model"])
    layout = torch.channels_last if args.channels_last else torch.contiguous_format
    model = model.to(memory_format=layout)
    averaged = (AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(args.ema),
                              use_buffers=True) if args.ema else None)
    optimiser = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimiser, max_lr=args.lr, total_steps=args.steps, pct_start=0.15
    )
    ctc = nn.CTCLoss(blank=0, zero_infinity=True)
    history = []
    train_started = time.time()
    running = 0.0
    for step in range(1, args.steps + 1):
        images, targets = sampler.batch(args.batch)
        inputs = torch.from_numpy(to_blob(list(images))).contiguous(memory_format=layout)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.bf16):
            scores = model(inputs)
        log_probs = ctc_log_probs(scores.float())
        loss = ctc(
            log_probs,
            torch.tensor([c for t in targets for c in t]),
            torch.full((len(targets),), log_probs.shape[0], dtype=torch.long),
            torch.tensor([len(t) for t in targets]),
        )
        optimiser.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimiser.step()
        schedule.step()
        if averaged is not None:
            averaged.update_parameters(model)
        running = 0.98 * running + 0.02 * loss.item() if step > 1 else loss.item()
        if step % 250 == 0 or step == args.steps:
            exported = averaged.module if averaged is not None else model
            record = {
                "step": step,
                "loss": round(running, 4),
                "synthetic_val": accuracy(exported, val_images, val_texts),
                "real_holdout": accuracy(exported, holdout_images, holdout_texts),
                "minutes": round((time.time() - started) / 60, 1),
            }
            if averaged is not None:
                record["raw_real_holdout"] = accuracy(model, holdout_images, holdout_texts)
            history.append(record)
            logger.info("%s", json.dumps(record))
            save(exported, args, step, raw=model if averaged is not None else None)
    summary = {
        "train_minutes": round((time.time() - train_started) / 60, 1),
        "total_minutes": round((time.time() - started) / 60, 1),
        "final": history[-1],
    }
    (args.out / "history.json").write_text(json.dumps({"history": history, **summary}, indent=1))
    logger.info("done: %s", json.dumps(summary))


if __name__ == "__main__":
    main()
