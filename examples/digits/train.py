#!/usr/bin/python3
"""Train a small CNN on the handwritten digits data set that scikit-learn
ships (1797 8x8 images, 10 classes) and write, next to this script:

  digits.onnx        opset 13, input `image` f32[1,1,8,8] (pixels / 16),
                     output `logits` f32[1,10]
  test_x.npy         held-out images f32[N,1,8,8] (N = 360)
  test_y.npy         their labels int64[N]
  test_logits.npy    the trained model's logits for test_x, from PyTorch
                     (independent of neuroc), f32[N,10]
  calib/NNNN.npy     64 training images f32[1,1,8,8], the calibration set

and print the f32 held-out accuracy. Deterministic: fixed seeds, one thread.
Needs Debian python3-torch, python3-sklearn, python3-onnx, python3-numpy.

    /usr/bin/python3 examples/digits/train.py
"""
import os
import time

import numpy as np
import torch
from sklearn.datasets import load_digits
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20261121
N_TEST = 360
N_CALIB = 64
EPOCHS = 40
BATCH = 64


class DigitsCNN(nn.Module):
    """conv3x3(8)-relu-conv3x3(16)-relu-maxpool2-gemm(10)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(16 * 4 * 4, 10)

    def forward(self, x):
        x = torch.relu(self.conv1(x))
        x = torch.relu(self.conv2(x))
        x = self.pool(x)
        return self.fc(torch.flatten(x, 1))


def split():
    digits = load_digits()
    x = (digits.images.astype(np.float32) / 16.0)[:, None, :, :]
    y = digits.target.astype(np.int64)
    perm = np.random.default_rng(SEED).permutation(len(y))
    test, train = perm[:N_TEST], perm[N_TEST:]
    return x[train], y[train], x[test], y[test]


def train(xtr, ytr):
    torch.manual_seed(SEED)
    model = DigitsCNN()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    loss_fn = nn.CrossEntropyLoss()
    xt, yt = torch.from_numpy(xtr), torch.from_numpy(ytr)
    gen = torch.Generator().manual_seed(SEED)
    for _ in range(EPOCHS):
        order = torch.randperm(len(yt), generator=gen)
        for i in range(0, len(yt), BATCH):
            idx = order[i:i + BATCH]
            opt.zero_grad()
            loss = loss_fn(model(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
    return model.eval()


def main():
    torch.set_num_threads(1)
    start = time.time()
    xtr, ytr, xte, yte = split()
    model = train(xtr, ytr)
    seconds = time.time() - start
    with torch.no_grad():
        logits = model(torch.from_numpy(xte)).numpy().astype(np.float32)
    acc = float((logits.argmax(1) == yte).mean())

    torch.onnx.export(model, torch.zeros(1, 1, 8, 8), os.path.join(HERE, "digits.onnx"),
                      input_names=["image"], output_names=["logits"], opset_version=13,
                      do_constant_folding=True)
    np.save(os.path.join(HERE, "test_x.npy"), xte)
    np.save(os.path.join(HERE, "test_y.npy"), yte)
    np.save(os.path.join(HERE, "test_logits.npy"), logits)
    calib = os.path.join(HERE, "calib")
    os.makedirs(calib, exist_ok=True)
    for name in os.listdir(calib):
        if name.endswith(".npy"):
            os.remove(os.path.join(calib, name))
    for i in range(N_CALIB):
        np.save(os.path.join(calib, "%04d.npy" % i), xtr[i:i + 1])
    print("trained %d epochs on %d images in %.1f s" % (EPOCHS, len(ytr), seconds))
    print("f32 held-out accuracy: %.4f (%d/%d)" % (acc, int(round(acc * len(yte))), len(yte)))


if __name__ == "__main__":
    main()
