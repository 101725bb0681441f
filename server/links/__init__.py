"""Links: parsing and normalising URLs, and the domain facts detectors reason about."""
