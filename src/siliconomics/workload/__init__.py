"""Model architecture -> operators (FLOPs, bytes) for a prefill or decode step, and the
memory the weights and KV cache take."""
