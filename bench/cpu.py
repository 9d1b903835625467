"""CPU time of the benchmark's processes, read from the kernel, so that a rate comes with its cost.

The loader's rate on a shared 2-core machine moves with other people's load; its CPU time per
document does not move much. With both, a reader can tell "slow because busy" from "slow
because it does more work", and compute the fastest the loader could be on this machine:
cores / (CPU seconds per document), with perfect packing and nobody else on the cores.
"""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int | str) -> list[str]:
    # The command name (field 2) may hold spaces; everything after its ')' is space-separated.
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def server_cpu_seconds(data_dir: Path) -> float:
    """CPU of a PostgreSQL cluster so far: the postmaster, its reaped and its live children.

    utime/stime are fields 14/15 of /proc/PID/stat, cutime/cstime (children already waited
    for: every backend of a closed connection) 16/17; after the ')' they are indexes 11-14.
    """
    pid = int((data_dir / "postmaster.pid").read_text().split()[0])
    ticks = sum(int(x) for x in _stat_fields(pid)[11:15])
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    for child in children:
        try:
            fields = _stat_fields(child)
        except FileNotFoundError:  # exited between the listing and the read
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / _TICKS


@dataclass(frozen=True)
class CpuSnapshot:
    """CPU seconds of this process, of its waited-for children (the loader's worker) and of
    the cluster's processes."""

    main: float
    children: float
    server: float

    @classmethod
    def take(cls, data_dir: Path) -> CpuSnapshot:
        own = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        return cls(
            own.ru_utime + own.ru_stime,
            kids.ru_utime + kids.ru_stime,
            server_cpu_seconds(data_dir),
        )

    def seconds_to(self, later: CpuSnapshot) -> dict[str, float]:
        """CPU seconds between this snapshot and `later`, per side, and their total."""
        spent = {
            "main": later.main - self.main,
            "worker": later.children - self.children,
            "server": later.server - self.server,
        }
        spent["total"] = sum(spent.values())
        return spent

    def per_doc_us(self, later: CpuSnapshot, docs: int) -> dict[str, float]:
        """Microseconds of CPU per document between this snapshot and `later`, per side."""
        spent = {
            "main": later.main - self.main,
            "worker": later.children - self.children,
            "server": later.server - self.server,
        }
        spent["total"] = sum(spent.values())
        return {k: round(v * 1e6 / docs, 1) for k, v in spent.items()}
