"""The draw: pure functions from (population, sizes, seed) to a sample, and the population's
compact record and fingerprint, so that anyone can re-run a draw and get the same sample.

The population is a mapping grid ID -> sorted resident IDs (the strata). Each stratum is sampled
with its own ``random.Random``, seeded from SHA-256(campaign seed, grid ID): strata are
independent of each other, so adding a grid to a scope does not change the sample of another.
"""

import hashlib
import itertools
import math
import operator
import random
import secrets
import struct
import zlib
from collections.abc import Iterable, Mapping

#: Stored with every draw; a change to anything below that could change a sample gets a new
#: version, and verification refuses a draw made by another version rather than mis-verify it.
ALGORITHM_VERSION = "strata-sha256-mt19937-sample/2"
#: Version 1 hashed a text form of the population; its draws are still verified.
ALGORITHM_VERSION_1 = "strata-sha256-mt19937-sample/1"
VERIFIABLE_VERSIONS = (ALGORITHM_VERSION, ALGORITHM_VERSION_1)
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


def population_encode(population: Population) -> bytes:
    """The canonical binary form of the strata, which the SHA-256 is taken over.

    Little-endian signed 64-bit integers throughout: the number of grids, then per grid by
    ascending ID its ID, its count and its resident IDs as gaps (the first ID, then each one's
    distance from the one before). Anyone can recompute it from a listing with ``struct`` (or
    any language's 64-bit integers); it is about ten times faster to build than a text form.
    """
    parts = [struct.pack("<q", len(population))]
    for grid_id in sorted(population):
        ids = population[grid_id]
        gaps = map(operator.sub, ids[1:], ids[:-1])
        parts.append(struct.pack(f"<qq{len(ids)}q", grid_id, len(ids), *ids[:1], *gaps))
    return b"".join(parts)


def population_decode(payload: bytes) -> dict[int, list[int]]:
    return _strata_decode(payload, header="<q", entry="<qq", gap="q")


def _strata_decode(data: bytes, *, header: str, entry: str, gap: str) -> dict[int, list[int]]:
    """Strata from a grid count, then per grid (ID, count) and its gaps, in struct formats."""
    (grids,) = struct.unpack_from(header, data)
    offset = struct.calcsize(header)
    population = {}
    for _ in range(grids):
        grid_id, count = struct.unpack_from(entry, data, offset)
        offset += struct.calcsize(entry)
        gaps = struct.unpack_from(f"<{count}{gap}", data, offset)
        offset += 8 * count
        population[grid_id] = list(itertools.accumulate(gaps))
    return population


def payload_hash(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


def population_hash(population: Population) -> str:
    """SHA-256 of the population's canonical binary form (``population_encode``)."""
    return payload_hash(population_encode(population))


def population_pack(population: Population) -> bytes:
    """The canonical binary form, zlib-compressed: sorted IDs are close together, so the gaps
    are small and a million residents take well under a megabyte."""
    return zlib.compress(population_encode(population), 6)


def population_unpack(packed: bytes) -> dict[int, list[int]]:
    return population_decode(zlib.decompress(packed))


def population_seal(population: Population) -> tuple[str, bytes]:
    """(SHA-256, packed) of a population from one encoding of it, as the draw stores them."""
    payload = population_encode(population)
    return payload_hash(payload), zlib.compress(payload, 6)


def population_open(packed: bytes, version: str) -> tuple[dict[int, list[int]], str]:
    """A stored population and the SHA-256 it has now, read as the draw's ``version`` wrote it.

    Version 1 stored a text SHA-256 and a packing of its own; both are still read, so that a
    campaign drawn before version 2 still verifies.
    """
    if version == ALGORITHM_VERSION_1:
        population = population_unpack_v1(packed)
        return population, population_hash_v1(population)
    payload = zlib.decompress(packed)
    return population_decode(payload), payload_hash(payload)


def population_hash_v1(population: Population) -> str:
    """Version 1: SHA-256 over "grid:id,id,...\\n" per grid, by grid ID."""
    digest = hashlib.sha256()
    for grid_id in sorted(population):
        line = f"{grid_id}:{','.join(map(str, population[grid_id]))}\n"
        digest.update(line.encode())
    return digest.hexdigest()


def population_pack_v1(population: Population) -> bytes:
    """Version 1's packing: the portal no longer writes it; tests make old draws with it."""
    parts = [struct.pack("<I", len(population))]
    for grid_id in sorted(population):
        ids = population[grid_id]
        gaps = [b - a for a, b in zip([0, *ids], ids, strict=False)]
        parts.append(struct.pack(f"<QI{len(ids)}Q", grid_id, len(ids), *gaps))
    return zlib.compress(b"".join(parts), 6)


def population_unpack_v1(packed: bytes) -> dict[int, list[int]]:
    return _strata_decode(zlib.decompress(packed), header="<I", entry="<QI", gap="Q")
