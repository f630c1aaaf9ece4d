"""What a person sees: the self-contained HTML report with embedded plots, and CSV tables."""
