"""Drift monitoring: column profiles that merge across partitions, and drift tests on them."""
