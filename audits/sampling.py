"""The draw: pure functions from (population, sizes, seed) to a sample, and the population's
compact record and fingerprint, so that anyone can re-run a draw and get the same sample.

The population is a mapping grid ID -> sorted resident IDs (the strata). Each stratum is sampled
with its own ``random.Random``, seeded from SHA-256(campaign seed, grid ID): strata are
independent of each other, so adding a grid to a scope does not change the sample of another.
"""

import hashlib
import itertools
import math
import random
import secrets
import struct
import zlib
from collections.abc import Iterable, Mapping

#: Stored with every draw; a change to anything below that could change a sample gets a new
#: version, and verification refuses a draw made by another version rather than mis-verify it.
ALGORITHM_VERSION = "strata-sha256-mt19937-sample/1"
SEED_BYTES = 32

Population = Mapping[int, list[int]]


def new_seed() -> bytes:
    """Fresh randomness from the operating system, taken at draw time and stored."""
    return secrets.token_bytes(SEED_BYTES)


def stratum_seed(seed: bytes, grid_id: int) -> int:
    return int.from_bytes(hashlib.sha256(seed + b":" + str(grid_id).encode()).digest(), "big")


def draw(population: Population, sizes: Mapping[int, int], seed: bytes) -> dict[int, list[int]]:
    """``min(sizes[grid], len(population[grid]))`` residents of each grid, sorted.

    ``random.sample`` over the sorted IDs: Python documents Mersenne Twister seeding from an int
    as reproducible across versions, and ``sample`` has kept its algorithm since 3.2.
    """
    sample = {}
    for grid_id in sorted(population):
        ids = population[grid_id]
        k = min(sizes.get(grid_id, 0), len(ids))
        rng = random.Random(stratum_seed(seed, grid_id))
        sample[grid_id] = sorted(rng.sample(ids, k))
    return sample


def planned_size(plan: str, population: int, *, per_grid: int | None, share: float | None) -> int:
    """How many to draw from a grid of ``population`` under a plan, before capping at it."""
    if plan == "share":
        # Round up, so that a small grid still gets at least one record checked.
        return math.ceil((share or 0) * population) if population else 0
    return per_grid or 0


def group(rows: Iterable[tuple[int, int]]) -> dict[int, list[int]]:
    """(resident ID, grid ID) rows, ordered by resident ID, into sorted strata."""
    strata: dict[int, list[int]] = {}
    for resident_id, grid_id in rows:
        strata.setdefault(grid_id, []).append(resident_id)
    return strata


def population_hash(population: Population) -> str:
    """SHA-256 over a canonical text of the strata: "grid:id,id,...\\n" per grid, by grid ID.

    Text rather than packed integers so that anyone can recompute it from a listing.
    """
    digest = hashlib.sha256()
    for grid_id in sorted(population):
        line = f"{grid_id}:{','.join(map(str, population[grid_id]))}\n"
        digest.update(line.encode())
    return digest.hexdigest()


def population_pack(population: Population) -> bytes:
    """The strata, zlib-compressed: per grid its ID, its count and its resident IDs as gaps.

    Sorted IDs are close together, so the gaps are small and compress to about a byte each: a
    million residents take about a megabyte.
    """
    parts = [struct.pack("<I", len(population))]
    for grid_id in sorted(population):
        ids = population[grid_id]
        gaps = [b - a for a, b in zip([0, *ids], ids, strict=False)]
        parts.append(struct.pack(f"<QI{len(ids)}Q", grid_id, len(ids), *gaps))
    return zlib.compress(b"".join(parts), 6)


def population_unpack(packed: bytes) -> dict[int, list[int]]:
    data = zlib.decompress(packed)
    (grids,) = struct.unpack_from("<I", data)
    offset = 4
    population = {}
    for _ in range(grids):
        grid_id, count = struct.unpack_from("<QI", data, offset)
        offset += 12
        gaps = struct.unpack_from(f"<{count}Q", data, offset)
        offset += 8 * count
        population[grid_id] = list(itertools.accumulate(gaps))
    return population
