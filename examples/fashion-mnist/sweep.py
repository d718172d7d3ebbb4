"""The SE / no-SE comparison and the reduction-ratio sweep, over several seeds (issue 13).

Runs train.py once per network, reduction ratio and seed (--only: nothing in models/ or the test
fixtures is touched), keeps each run's result in --out (an interrupted sweep resumes: finished runs
are not trained again), and writes the table of test accuracy mean and standard deviation as
sweep.json and sweep.md there.

    /usr/bin/python3 examples/fashion-mnist/sweep.py                       # 3 seeds: no SE, SE at r = 2, 4, 8, 16
    /usr/bin/python3 examples/fashion-mnist/sweep.py --seeds 0 1 2 3 4     # more seeds
    /usr/bin/python3 examples/fashion-mnist/sweep.py --epochs 1 --seeds 0  # a smoke run of the whole sweep

15 runs at about 6.5 minutes each on 2 cores (PyTorch 2.13 CPU, AMD EPYC Zen 5, 2026-11-29; the
committed model's PyTorch 1.13 took 10 to 16): about 1.7 hours. Needs what train.py needs (PyTorch,
dataset-fashion-mnist); `python3` for a python whose PyTorch is not Debian's.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--reductions", type=int, nargs="+", default=[2, 4, 8, 16])
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--out", default=os.path.join(HERE, "sweep"))
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)

    # No SE once per seed; SE at each ratio per seed. The smallest stage has 16 channels: r = 16
    # leaves one hidden unit in its SE blocks.
    configs = [("plain", None)] + [("se", r) for r in args.reductions]
    rows = []
    for network, r in configs:
        accs = []
        for seed in args.seeds:
            name = f"{network}{'' if r is None else f'-r{r}'}-seed{seed}-e{args.epochs}.json"
            path = os.path.join(args.out, name)
            if not os.path.exists(path):
                cmd = [sys.executable, os.path.join(HERE, "train.py"), "--only", network, "--seed", str(seed),
                       "--epochs", str(args.epochs), "--result", path]
                if r is not None:
                    cmd += ["--reduction", str(r)]
                print(" ".join(cmd), flush=True)
                subprocess.run(cmd, check=True)
            with open(path) as f:
                accs.append(json.load(f)["testAccuracy"])
        rows.append({"network": "SE" if network == "se" else "no SE", "reduction": r, "seeds": args.seeds,
                     "accuracies": accs, "mean": statistics.mean(accs),
                     "std": statistics.stdev(accs) if len(accs) > 1 else None})

    with open(os.path.join(args.out, "sweep.json"), "w") as f:
        json.dump({"epochs": args.epochs, "rows": rows}, f, indent=2)
    lines = [f"Fashion-MNIST test accuracy (10,000 images), {args.epochs} epochs, seeds {', '.join(map(str, args.seeds))}",
             "", "| network | r | mean | std (sample) | runs |", "|---|---|---|---|---|"]
    for row in rows:
        std = "-" if row["std"] is None else f"{100 * row['std']:.2f}"
        lines.append(f"| {row['network']} | {row['reduction'] or '-'} | {100 * row['mean']:.2f}% | {std} | "
                     + ", ".join(f"{100 * a:.2f}" for a in row["accuracies"]) + " |")
    with open(os.path.join(args.out, "sweep.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
