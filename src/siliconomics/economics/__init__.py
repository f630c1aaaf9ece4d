"""Economics: TCO per chip-hour, cost per token / query / day, strategy options with their
quarterly cash flows, NPV and a seeded, vectorised Monte Carlo, sensitivity (tornado)."""
