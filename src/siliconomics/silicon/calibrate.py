"""Published dies the area model is fitted on (A100, H100) and checked against (Maia 100,
MTIA v2, Groq LPU), and the fit of the two area coefficients.

Each reference lists the die's resources from its vendor's architecture paper, counting
disabled blocks (a die carries all its SMs; the product enables fewer). Vector lanes are
FP32-FMA equivalents, an FP64 FMA counted as 3 (Horowitz, ISSCC 2014: a 64-bit FP
multiplier is ~3-4x a 32-bit one) (U).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from siliconomics.catalog.process_nodes import process_node
from siliconomics.silicon import area, defaults

KIB = 1024.0
MIB = 1024.0**2


@dataclass(frozen=True)
class ReferenceDie:
    """A published die and the resources it is built from."""

    name: str
    node: str
    published_area_mm2: float
    units: int
    macs_bf16eq_per_unit: float
    vector_lanes_per_unit: float
    local_sram_bytes_per_unit: float
    global_sram_bytes: float
    memory_kind: str
    memory_devices: int
    serdes_lanes: int
    host_lanes: int
    source: str

    def area(self, coeffs: area.AreaCoefficients | None = None) -> area.AreaBreakdown:
        node = process_node(self.node)
        phy = self.memory_devices * defaults.num("memory_kinds", self.memory_kind, "phy_area_mm2")
        return area.die_area(
            units=self.units, macs_bf16eq_per_unit=self.macs_bf16eq_per_unit,
            vector_lanes_per_unit=self.vector_lanes_per_unit,
            local_sram_bytes_per_unit=self.local_sram_bytes_per_unit,
            global_sram_bytes=self.global_sram_bytes, memory_phy_mm2=phy,
            serdes_lanes=self.serdes_lanes, host_lanes=self.host_lanes,
            logic_density_mtr_mm2=node.value("logic_density_mtr_mm2"),
            sram_bitcell_um2=node.value("sram_bitcell_um2"), coeffs=coeffs,
        )


A100 = ReferenceDie(
    "A100 (GA100)", "N7", 826.0, units=128, macs_bf16eq_per_unit=1024,
    vector_lanes_per_unit=64 + 3 * 32, local_sram_bytes_per_unit=(256 + 192) * KIB,
    global_sram_bytes=48 * MIB, memory_kind="HBM2e", memory_devices=6, serdes_lanes=12 * 4,
    host_lanes=16,
    source="NVIDIA A100 whitepaper (2020): full GA100 128 SMs, 4 tensor cores x 256 dense "
    "FP16 FMA/clk, 64 FP32 + 32 FP64 lanes, 256 KB RF + 192 KB L1 per SM, 48 MB L2, 6 HBM2 "
    "PHYs, 12 NVLink3 links x4 lanes, PCIe 4 x16; 826 mm2 N7 (Epoch chip dataset)",
)
H100 = ReferenceDie(
    "H100 (GH100)", "4N", 814.0, units=144, macs_bf16eq_per_unit=2048,
    vector_lanes_per_unit=128 + 3 * 64, local_sram_bytes_per_unit=(256 + 256) * KIB,
    global_sram_bytes=60 * MIB, memory_kind="HBM3", memory_devices=6, serdes_lanes=18 * 2,
    host_lanes=16,
    source="NVIDIA H100 whitepaper (2022): full GH100 144 SMs, 4 tensor cores x 512 dense "
    "FP16 FMA/clk, 128 FP32 + 64 FP64 lanes, 256 KB RF + 256 KB L1 per SM, 60 MB L2, 6 HBM3 "
    "PHYs, 18 NVLink4 links x2 lanes, PCIe 5 x16; 814 mm2 4N (Epoch; Tom's Hardware)",
)
MAIA_100 = ReferenceDie(
    "Maia 100", "N5", 820.0, units=64, macs_bf16eq_per_unit=0.8e15 / (2 * 64 * 2.0e9),
    vector_lanes_per_unit=64, local_sram_bytes_per_unit=0.0, global_sram_bytes=500e6,
    memory_kind="HBM2e", memory_devices=4, serdes_lanes=12 * 4, host_lanes=16,
    source="Microsoft, Hot Chips 2024 'Inside Maia 100': 16 clusters x 4 tiles, BF16 0.8 "
    "POPS dense, 500 MB L1/L2, 4 HBM2E, 12x400GbE on 112G SerDes, PCIe PHY x16; clock not "
    "published (2.0 GHz assumed, U); vector lanes per tile assumed 64 (U); 820 mm2 N5",
)
MTIA_V2 = ReferenceDie(
    "MTIA v2", "N5", 421.0, units=64, macs_bf16eq_per_unit=177e12 / (2 * 64 * 1.35e9),
    vector_lanes_per_unit=32, local_sram_bytes_per_unit=384 * KIB,
    global_sram_bytes=256 * MIB, memory_kind="LPDDR5", memory_devices=16, serdes_lanes=0,
    host_lanes=8,
    source="Meta MTIA v2 (2024 blog; techpowerup): 8x8 grid of 64 PEs, 1.35 GHz, 177 TFLOPS "
    "BF16 dense, 384 KB local memory per PE, 256 MB on-chip SRAM, LPDDR5 204.8 GB/s (16 x16 "
    "channels), PCIe Gen5 x8; vector lanes per PE assumed 32 (U); 421 mm2 TSMC 5nm",
)
GROQ_LPU = ReferenceDie(
    "Groq LPU v1", "GF14", 725.0, units=4, macs_bf16eq_per_unit=320 * 320 * 0.14,
    vector_lanes_per_unit=16 * 320 / 4, local_sram_bytes_per_unit=0.0,
    global_sram_bytes=220 * MIB, memory_kind="none", memory_devices=0, serdes_lanes=16 * 4,
    host_lanes=16,
    source="Abts et al., 'Think Fast', ISCA 2020: 4 MXM planes of 320x320 int8 MACs (area "
    "counted as int8, 0.14 of a bf16 MAC), VXM 16 x 320 ALUs, 220 MiB SRAM, 16 C2C links x4, "
    "PCIe 4 x16, 900 MHz; 725 mm2 GlobalFoundries 14nm",
)

CALIBRATION_DIES = (A100, H100)
VALIDATION_DIES = (MAIA_100, MTIA_V2, GROQ_LPU)


def fit_area_coefficients(
    dies: tuple[ReferenceDie, ...] = CALIBRATION_DIES,
) -> tuple[float, float]:
    """Least-squares fit of (MAC area at N7 [µm²], per-unit control area at N7 [mm²]).

    The die area is linear in both coefficients (every other coefficient held at its
    sourced value), so evaluating the model at unit coefficients gives the design matrix.
    Residuals are relative (each die weighs the same).
    """
    base = area.coefficients()
    rows, rhs = [], []
    for die in dies:
        zero = die.area(_with(base, 0.0, 0.0)).total_mm2
        mac = die.area(_with(base, 1.0, 0.0)).total_mm2 - zero
        unit = die.area(_with(base, 0.0, 1.0)).total_mm2 - zero
        rows.append([mac / die.published_area_mm2, unit / die.published_area_mm2])
        rhs.append((die.published_area_mm2 - zero) / die.published_area_mm2)
    solution, *_ = np.linalg.lstsq(np.array(rows, dtype=float), np.array(rhs), rcond=None)
    return float(solution[0]), float(solution[1])


def _with(c: area.AreaCoefficients, mac_um2: float, unit_mm2: float) -> area.AreaCoefficients:
    from dataclasses import replace

    return replace(c, mac_area_um2_n7=mac_um2, unit_area_mm2_n7=unit_mm2)


def area_table() -> list[dict[str, float | str]]:
    """Published vs predicted area of every reference die (the docs table)."""
    rows: list[dict[str, float | str]] = []
    for die in (*CALIBRATION_DIES, *VALIDATION_DIES):
        predicted = float(die.area().total_mm2)
        rows.append({
            "chip": die.name, "node": die.node, "role": "fit" if die in CALIBRATION_DIES else "check",
            "published_mm2": die.published_area_mm2, "predicted_mm2": predicted,
            "error_frac": predicted / die.published_area_mm2 - 1.0,
        })
    return rows
