"""`python -m tests.material OUT_DIR`: write the PDF and scanned test material into OUT_DIR."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from tests.material.build import SEED_GOLD, describe, write_material


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.material",
                                     description="Write PDF and scanned 绩效自评表 test material from gold forms.")
    parser.add_argument("out_dir", help="folder to write into (created if missing)")
    parser.add_argument("--gold", default=str(SEED_GOLD), help="gold.json whose forms are rendered (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="random seed of the scan noise and rotation")
    parser.add_argument("--variants", action="store_true",
                        help="also every scan variant (turned, skewed, 150 dpi, light, blur, JPEG, landscape) in OUT_DIR/variants")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    gold = Path(args.gold)
    if not gold.is_file():
        print(f"no gold file at {gold}: pass --gold PATH to a gold.json", file=sys.stderr)
        return 2
    started = time.perf_counter()
    files = write_material(args.out_dir, gold=gold, scan_seed=args.seed, variants=args.variants)
    print(describe(files))
    print(f"wrote {len(files)} files to {args.out_dir} in {time.perf_counter() - started:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
