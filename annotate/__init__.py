"""annotate: gold-standard span datasets about armed conflict, built with Label Studio."""

__version__ = "0.1.0"
