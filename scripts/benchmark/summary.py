#!/usr/bin/env python3
"""Summarises a `scripts/benchmark.sh` run from its raw JSON results.

Prints, per benchmark, the median extrinsic time (and, for a component, the median at its lowest
and highest value), then `submit_proof` against `balances.transfer_allow_death`, and the slope of
`claim_rewards_with_pieces` (cost per piece held, which must be about zero).

    scripts/benchmark/summary.py .cairn/benchmarks
"""
import json
import statistics
import sys
from pathlib import Path


def medians(bench):
    """{component values: median extrinsic time in ns}"""
    runs = {}
    for row in bench["db_results"]:
        key = tuple(value for _, value in row["components"])
        runs.setdefault(key, []).append(row["extrinsic_time"] / 1000)
    return {key: statistics.median(times) for key, times in sorted(runs.items())}


def slope(points):
    """Least-squares slope of [(x, y)]."""
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    den = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / den if den else 0.0


def main(out):
    results = {}
    for path in sorted(Path(out).glob("*.json")):
        for bench in json.loads(path.read_text()):
            results[(bench["pallet"], bench["benchmark"])] = medians(bench)
    for (pallet, name), meds in results.items():
        keys = list(meds)
        if keys == [()]:
            print(f"{pallet}::{name}: {meds[()]:.1f} us")
        else:
            lo, hi = keys[0], keys[-1]
            print(f"{pallet}::{name}: {meds[lo]:.1f} us at {lo[0]} .. {meds[hi]:.1f} us at {hi[0]}")
    proof = results.get(("pallet_storage", "submit_proof"), {}).get(())
    transfer = results.get(("pallet_balances", "transfer_allow_death"), {}).get(())
    if proof and transfer:
        print(f"submit_proof / transfer_allow_death = {proof:.1f} / {transfer:.1f} us = {proof / transfer:.2f}")
    claims = results.get(("pallet_storage", "claim_rewards_with_pieces"))
    if claims:
        points = [(key[0], time) for key, time in claims.items()]
        base = min(time for _, time in points)
        per_piece = slope(points)
        span = points[-1][0] - points[0][0]
        print(f"claim_rewards_with_pieces: {per_piece * 1000:.1f} ns per piece held "
              f"({per_piece * span / base * 100:.1f} % of {base:.1f} us over {span} pieces)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".cairn/benchmarks")
