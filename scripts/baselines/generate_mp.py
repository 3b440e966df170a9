"""Baseline for the generation benchmark: a plain multiprocessing script, no workflow.

Generates and saves the same blocks as the workflow (block i from default_rng([seed, i])),
with a pool of N processes. Usage:

    python generate_mp.py OUTDIR N_BLOCKS ROWS COLS SEED normal|uniform P1 P2 PROCESSES

P1, P2 are (mean, sd) for normal and (low, high) for uniform.
"""

import sys
from multiprocessing import Pool

import numpy as np


def write(args):
    outdir, i, rows, cols, seed, dist, p1, p2 = args
    rng = np.random.default_rng([seed, i])
    draw = rng.normal if dist == "normal" else rng.uniform
    np.save(f"{outdir}/x{i:06d}.npy", draw(p1, p2, size=(rows, cols)))


if __name__ == "__main__":
    outdir, n, rows, cols, seed = sys.argv[1], *map(int, sys.argv[2:6])
    dist, p1, p2, processes = sys.argv[6], float(sys.argv[7]), float(sys.argv[8]), int(sys.argv[9])
    jobs = [(outdir, i, rows, cols, seed, dist, p1, p2) for i in range(n)]
    with Pool(processes) as pool:
        pool.map(write, jobs, chunksize=1)
