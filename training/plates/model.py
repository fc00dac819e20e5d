"""The recogniser network: a small all-convolutional CTC model (no RNN, so cv2.dnn runs it).

Input (N, 3, 32, 128) in [-1, 1]; output (N, NUM_CLASSES, 1, 32): one column of class
scores every 4 input pixels. Only Conv, BatchNorm, ReLU, MaxPool and Dropout are used,
and the height is collapsed by a full-height convolution rather than a reshape, so the
exported graph needs no Reshape/Transpose that older ONNX importers stumble on.
"""

from __future__ import annotations

import torch
from torch import nn

from gate.vision.plates.alphabet import NUM_CLASSES


def _conv(cin: int, cout: int, kernel: tuple[int, int] = (3, 3),
          padding: tuple[int, int] = (1, 1)) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, kernel, padding=padding, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class PlateNet(nn.Module):
    """Conv feature extractor, full-height collapse, 1-D context convolutions, classifier."""

    def __init__(self, num_classes: int = NUM_CLASSES, width: int = 1) -> None:
        super().__init__()
        c1, c2, c3, c4 = 32 * width, 64 * width, 128 * width, 160 * width
        self.features = nn.Sequential(
            _conv(3, c1),
            nn.MaxPool2d(2),  # 16 x 64
            _conv(c1, c2),
            nn.MaxPool2d(2),  # 8 x 32
            _conv(c2, c3),
            _conv(c3, c3),
            nn.MaxPool2d((2, 1)),  # 4 x 32
            _conv(c3, c4),
            _conv(c4, c4, kernel=(4, 1), padding=(0, 0)),  # 1 x 32: collapse the height
        )
        # Context along the plate: each column sees ~ two characters either side.
        self.context = nn.Sequential(
            _conv(c4, c4, kernel=(1, 5), padding=(0, 2)),
            _conv(c4, c4, kernel=(1, 5), padding=(0, 2)),
            nn.Dropout(0.15),
        )
        self.classifier = nn.Conv2d(c4, num_classes, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 3, 32, 128) -> (N, num_classes, 1, 32) raw scores."""
        features = self.features(x)
        return self.classifier(features + self.context(features))


def ctc_log_probs(scores: torch.Tensor) -> torch.Tensor:
    """(N, C, 1, T) scores -> (T, N, C) log-probabilities, the layout nn.CTCLoss wants."""
    return scores.squeeze(2).permute(2, 0, 1).log_softmax(2)
