"""Benchmarks of mql-notebook beside the official SDK (metriqual), plain loops and bare httpx.

python -m bench [--quick]      # runs everything, writes BENCHMARKS.md and docs/bench_*.png
"""
