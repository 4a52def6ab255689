"""Import benchmark: 36,000 seed files into an empty SQLite database, then a re-run with nothing changed.

Builds the corpus by copying the real sample (../shared/corpus/learn) under new slugs.

    .venv/bin/python bench/bench_import.py [--files 36000] [--keep DIR]
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "learn"


def build_corpus(target: Path, count: int) -> int:
    sources = sorted(CORPUS.glob("*/*.md"))
    written = 0
    copy = 0
    while written < count:
        for source in sources:
            if written >= count:
                break
            text = source.read_text("utf-8")
            slug = source.stem if copy == 0 else f"{source.stem}-{copy}"
            text = re.sub(r"^(url: /learn/[a-z0-9-]+/questions/)(\S+)$", rf"\g<1>{slug}", text, count=1, flags=re.M)
            text = re.sub(r"^file_name: .*$", f"file_name: {slug}.md", text, count=1, flags=re.M)
            out = target / source.parent.name / f"{slug}.md"
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text, "utf-8")
            written += 1
        copy += 1
    return written


def timed_import(env, seeds: Path) -> tuple[float, str]:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "manage.py", "import_seeds", str(seeds), "--quiet"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    )
    return time.perf_counter() - started, result.stdout.strip()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=36_000)
    args = parser.parse_args()
    if not CORPUS.is_dir():
        sys.exit(f"the real sample is not at {CORPUS}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        seeds = tmp / "seeds"
        count = build_corpus(seeds, args.files)
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp / 'bench.sqlite3'}", "SECRET_KEY": "bench-only"}
        env.pop("REDIS_URL", None)
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        first, out1 = timed_import(env, seeds)
        second, out2 = timed_import(env, seeds)
    print(f"files: {count} on {os.cpu_count()} cores")
    print(f"first import into an empty SQLite database: {first:.1f} s  ({out1})")
    print(f"re-run, nothing changed:                    {second:.1f} s  ({out2})")


if __name__ == "__main__":
    main()
