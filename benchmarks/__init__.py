"""Benchmarks: accuracy, public pair sets, speed, end to end (`python3 -m benchmarks.run_all`)."""
