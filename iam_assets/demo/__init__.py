"""The demo code location: the production graph on an embedded, seeded, simulated IAM account."""
