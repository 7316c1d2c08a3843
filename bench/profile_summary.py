"""Where the delivering processes' time went: py-spy raw (collapsed) stacks, summed by the
project's own step each sample was in. `python -m bench.profile_summary FILE...`"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

# The first of these found in a stack, from the leaf up, names the sample's step.
STEPS = [
    ("encrypt (ECDH, HKDF, AES-GCM)", ("http_ece", "def encode", "_encrypt", "exchange", "generate_private_key")),
    ("VAPID sign", ("py_vapid", "def sign")),
    ("aiohttp client request", ("aiohttp/client", "aiohttp/connector", "aiohttp/http", "aiohttp/streams")),
    ("outbox claim", ("_claim",)),
    ("delivery state writes", ("_record", "complete_in", "record_many")),
    ("delivery read", ("_delivery", "_deliveries")),
    ("planning", ("delivery.py", "plan")),
    ("database driver", ("psycopg", "sqlite")),
    ("JSON", ("json/",)),
    ("event loop / other", ("",)),
]


def step(stack: str) -> str:
    frames = stack.split(";")[::-1]
    for frame in frames:
        for name, needles in STEPS[:-1]:
            if any(n in frame for n in needles):
                return name
    return STEPS[-1][0]


def main(paths: list[str]) -> None:
    counts: Counter[str] = Counter()
    for path in paths:
        for line in Path(path).read_text().splitlines():
            stack, _, n = line.rstrip().rpartition(" ")
            if stack and n.isdigit():
                counts[step(stack)] += int(n)
    total = sum(counts.values()) or 1
    for name, n in counts.most_common():
        print(f"| {name} | {100 * n / total:.0f} % |")


if __name__ == "__main__":
    main(sys.argv[1:])
