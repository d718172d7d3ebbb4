"""Train a small SE-ResNet on Fashion-MNIST (and the same network without SE), export to ONNX.

The one-time step behind models/fashion-mnist-se-resnet.onnx. Uses Debian's packages only:
python3-torch and dataset-fashion-mnist (IDX files in /usr/share/datasets/fashion-mnist/).

    /usr/bin/python3 examples/fashion-mnist/train.py            # both models, writes models/
    /usr/bin/python3 examples/fashion-mnist/train.py --epochs 1  # a quick smoke run
    /usr/bin/python3 examples/fashion-mnist/train.py --only se --reduction 4 --seed 2 --result r4-s2.json
                                                                 # one network, its accuracy to JSON, nothing else written
                                                                 # (what sweep.py runs)

Seeded; about 20 minutes on 2 cores. The SE block is the paper's (Hu et al. 2018, Fig. 3): on the
residual branch, after its last BatchNorm, before the addition.
"""
import argparse
import gzip
import json
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA = "/usr/share/datasets/fashion-mnist"
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
# Mean and std of the training images' pixels scaled to [0, 1].
MEAN, STD = 0.2860, 0.3530


def read_idx(name):
    with gzip.open(os.path.join(DATA, name), "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


class SqueezeExcite(nn.Module):
    def __init__(self, channels, reduction):
        super().__init__()
        self.fc1 = nn.Linear(channels, channels // reduction)
        self.fc2 = nn.Linear(channels // reduction, channels)

    def forward(self, x):
        s = x.mean((2, 3))
        s = torch.sigmoid(self.fc2(F.relu(self.fc1(s))))
        return x * s.view(s.shape[0], s.shape[1], 1, 1)


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride, se_reduction):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.se = SqueezeExcite(cout, se_reduction) if se_reduction else nn.Identity()
        self.shortcut = nn.Identity()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.se(self.bn2(self.conv2(out)))
        return F.relu(out + self.shortcut(x))


class SmallResNet(nn.Module):
    def __init__(self, widths, blocks, se_reduction):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, widths[0], 3, 1, 1, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU())
        layers, cin = [], widths[0]
        for i, (w, n) in enumerate(zip(widths, blocks)):
            for j in range(n):
                layers.append(BasicBlock(cin, w, 2 if i > 0 and j == 0 else 1, se_reduction))
                cin = w
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(cin, 10)

    def forward(self, x):
        x = self.layers(self.stem(x))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def normalise(images):
    return (torch.from_numpy(images.copy()).float().div(255).sub(MEAN).div(STD)).unsqueeze(1)


def augment(x, gen):
    """Random crop from a 2-pixel zero-padded image, and a random horizontal flip."""
    n = x.shape[0]
    padded = F.pad(x, (2, 2, 2, 2), value=(0 - MEAN) / STD)
    dy = torch.randint(0, 5, (n,), generator=gen)
    dx = torch.randint(0, 5, (n,), generator=gen)
    rows = (dy.view(n, 1) + torch.arange(28).view(1, 28))
    cols = (dx.view(n, 1) + torch.arange(28).view(1, 28))
    out = padded[torch.arange(n).view(n, 1, 1), 0, rows.view(n, 28, 1), cols.view(n, 1, 28)].unsqueeze(1)
    flip = torch.rand(n, generator=gen) < 0.5
    out[flip] = out[flip].flip(3)
    return out


def accuracy(model, x, y, batch=1000):
    model.eval()
    with torch.no_grad():
        pred = torch.cat([model(x[i:i + batch]).argmax(1) for i in range(0, len(x), batch)])
    return (pred == y).float().mean().item(), pred


def train(args, se_reduction, x_train, y_train, x_test, y_test):
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    model = SmallResNet(args.widths, args.blocks, se_reduction)
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, weight_decay=5e-4, nesterov=True)
    steps = args.epochs * ((len(x_train) + args.batch - 1) // args.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=steps, pct_start=0.25)
    for epoch in range(args.epochs):
        model.train()
        t0 = time.time()
        order = torch.randperm(len(x_train), generator=gen)
        for i in range(0, len(x_train), args.batch):
            idx = order[i:i + args.batch]
            loss = F.cross_entropy(model(augment(x_train[idx], gen)), y_train[idx], label_smoothing=0.1)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        acc, _ = accuracy(model, x_test, y_test)
        print(f"  {'SE' if se_reduction else 'no SE'} epoch {epoch + 1}/{args.epochs}: loss {loss.item():.3f}, "
              f"test accuracy {acc:.4f} ({time.time() - t0:.0f} s)", flush=True)
    return model, acc


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--lr", type=float, default=0.2)
    p.add_argument("--widths", type=int, nargs="+", default=[16, 32, 64])
    p.add_argument("--blocks", type=int, nargs="+", default=[1, 2, 2])
    p.add_argument("--reduction", type=int, default=8)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--subset", type=int, default=1000, help="test images bundled for senet-wasm's tests")
    p.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "..", "models"))
    p.add_argument("--fixtures", default=os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "fashion-mnist"))
    p.add_argument("--only", choices=["se", "plain"], help="train this network only and write --result instead of the model files")
    p.add_argument("--result", help="with --only: the JSON file for its test accuracy")
    args = p.parse_args()
    if (args.only is None) != (args.result is None):
        p.error("--only and --result go together")
    torch.set_num_threads(os.cpu_count())

    x_train, y_train = normalise(read_idx("train-images-idx3-ubyte.gz")), torch.from_numpy(read_idx("train-labels-idx1-ubyte.gz").astype(np.int64))
    test_images = read_idx("t10k-images-idx3-ubyte.gz")
    x_test, y_test = normalise(test_images), torch.from_numpy(read_idx("t10k-labels-idx1-ubyte.gz").astype(np.int64))

    if args.only:
        t0 = time.time()
        _, acc = train(args, args.reduction if args.only == "se" else 0, x_train, y_train, x_test, y_test)
        with open(args.result, "w") as f:
            json.dump({"network": args.only, "reduction": args.reduction if args.only == "se" else None, "seed": args.seed,
                       "epochs": args.epochs, "testAccuracy": acc, "images": len(x_test), "seconds": round(time.time() - t0),
                       "torch": torch.__version__}, f, indent=2)
        return

    results = {}
    for name, reduction in (("se", args.reduction), ("plain", 0)):
        t0 = time.time()
        model, acc = train(args, reduction, x_train, y_train, x_test, y_test)
        results[name] = {"model": model, "accuracy": acc, "seconds": round(time.time() - t0)}
        print(f"{name}: test accuracy {acc:.4f} on {len(x_test)} images, {results[name]['seconds']} s", flush=True)

    # The bundled subset: a seeded choice of test images, every class present.
    rng = np.random.default_rng(args.seed)
    subset = np.sort(rng.choice(len(x_test), args.subset, replace=False))
    model = results["se"]["model"].eval()
    subset_acc, subset_pred = accuracy(model, x_test[subset], y_test[subset])

    os.makedirs(args.out, exist_ok=True)
    onnx_path = os.path.join(args.out, "fashion-mnist-se-resnet.onnx")
    torch.onnx.export(model, torch.zeros(1, 1, 28, 28), onnx_path, opset_version=13,
                      input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    params = sum(p.numel() for p in model.parameters())
    meta = {
        "model": "fashion-mnist-se-resnet.onnx",
        "description": "Small SE-ResNet (basic blocks, SE on the residual branch before the addition) trained on Fashion-MNIST",
        "classes": CLASSES,
        "input": {"shape": [1, 1, 28, 28], "channels": "grayscale",
                  "preprocessing": {"scale": 1 / 255, "mean": MEAN, "std": STD,
                                    "formula": "(pixel / 255 - mean) / std"}},
        "params": params,
        "testAccuracy": {"se": round(results["se"]["accuracy"], 4), "plain": round(results["plain"]["accuracy"], 4),
                         "images": len(x_test)},
        "subset": {"images": args.subset, "seed": args.seed, "pytorchAccuracy": round(subset_acc, 4),
                   "pytorchCorrect": int((subset_pred == y_test[subset]).sum())},
        "training": {"epochs": args.epochs, "batch": args.batch, "optimizer": "SGD nesterov momentum 0.9, weight decay 5e-4",
                     "schedule": f"one-cycle, max lr {args.lr}", "labelSmoothing": 0.1,
                     "augmentation": "random 28x28 crop of the 2-pixel padded image, horizontal flip",
                     "widths": args.widths, "blocks": args.blocks, "seReduction": args.reduction, "seed": args.seed,
                     "seconds": {"se": results["se"]["seconds"], "plain": results["plain"]["seconds"]},
                     "torch": torch.__version__},
    }
    with open(os.path.join(args.out, "fashion-mnist-se-resnet.json"), "w") as f:
        json.dump(meta, f, indent=2)
    # The test subset for senet-wasm's tests: uint8 pixels and labels, gzip-compressed.
    os.makedirs(args.fixtures, exist_ok=True)
    with gzip.GzipFile(os.path.join(args.fixtures, "test-subset.u8.gz"), "wb", mtime=0) as f:
        f.write(np.asarray(y_test[subset], dtype=np.uint8).tobytes())
        f.write(test_images[subset].tobytes())
    print(json.dumps(meta["testAccuracy"]), json.dumps(meta["subset"]))


if __name__ == "__main__":
    main()
