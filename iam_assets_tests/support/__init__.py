"""Loopback test doubles: moto behind an IAM-like proxy, and a Sekoia.io intake double."""
