"""How a model is split over the chips of one replica."""

from __future__ import annotations

from dataclasses import dataclass

from siliconomics.catalog.model_arch import ModelArch
from siliconomics.errors import SiliconomicsError


@dataclass(frozen=True, slots=True)
class Parallelism:
    """Tensor (``tp``), pipeline (``pp``) and expert (``ep``) parallel degrees.

    A replica uses ``tp * pp`` chips. Expert parallelism places whole experts on the chips of
    the tensor-parallel group (``ep`` is 1 or equal to ``tp``): with ``ep = tp`` each chip holds
    ``experts / ep`` experts and tokens are exchanged with all-to-all; with ``ep = 1`` every
    expert is split ``tp`` ways like a dense FFN.
    """

    tp: int = 1
    pp: int = 1
    ep: int = 1

    @property
    def chips(self) -> int:
        return self.tp * self.pp

    def check(self, arch: ModelArch) -> None:
        """Raise a clear error when the split does not fit the model's shape."""
        for name, value in (("tp", self.tp), ("pp", self.pp), ("ep", self.ep)):
            if value < 1:
                raise SiliconomicsError(f"{name}={value} must be >= 1")
        if arch.q_heads % self.tp != 0:
            raise SiliconomicsError(
                f"tp={self.tp} must divide the {arch.q_heads} attention heads of {arch.id}"
            )
        if self.pp > arch.layers:
            raise SiliconomicsError(f"pp={self.pp} exceeds the {arch.layers} layers of {arch.id}")
        if self.ep > 1:
            if arch.moe is None:
                raise SiliconomicsError(
                    f"ep={self.ep} needs a mixture-of-experts model; {arch.id} is dense"
                )
            if self.ep != self.tp:
                raise SiliconomicsError(f"ep={self.ep} must be 1 or equal to tp ({self.tp})")
            if arch.moe.experts % self.ep != 0:
                raise SiliconomicsError(
                    f"ep={self.ep} must divide the {arch.moe.experts} experts of {arch.id}"
                )
