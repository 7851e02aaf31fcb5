import hashlib
import random
import struct

from audits import sampling

POPULATION = {
    10: list(range(1, 400, 3)),
    11: list(range(2, 300, 7)),
    12: [5000, 5001, 5002],
}
SIZES = {10: 19, 11: 19, 12: 19}


def seed_from(rng: random.Random) -> bytes:
    return rng.randbytes(sampling.SEED_BYTES)


def test_same_seed_and_population_give_the_same_sample():
    seed = seed_from(random.Random(2026))
    assert sampling.draw(POPULATION, SIZES, seed) == sampling.draw(POPULATION, SIZES, seed)


def test_a_different_seed_gives_a_different_sample():
    rng = random.Random(2026)
    assert sampling.draw(POPULATION, SIZES, seed_from(rng)) != sampling.draw(
        POPULATION, SIZES, seed_from(rng)
    )


def test_each_grid_gives_its_planned_number_or_all_it_has():
    sample = sampling.draw(POPULATION, SIZES, seed_from(random.Random(1)))
    assert {grid: len(ids) for grid, ids in sample.items()} == {10: 19, 11: 19, 12: 3}
    for grid, ids in sample.items():
        assert ids == sorted(ids) and set(ids) <= set(POPULATION[grid])


def test_strata_are_independent_of_the_other_grids_in_scope():
    seed = seed_from(random.Random(7))
    alone = sampling.draw({10: POPULATION[10]}, SIZES, seed)
    together = sampling.draw(POPULATION, SIZES, seed)
    assert alone[10] == together[10]


def test_a_share_plan_rounds_up_so_a_small_grid_is_still_checked():
    assert sampling.planned_size("share", 3, per_grid=None, share=0.05) == 1
    assert sampling.planned_size("share", 200, per_grid=None, share=0.05) == 10
    assert sampling.planned_size("share", 0, per_grid=None, share=0.05) == 0
    assert sampling.planned_size("fixed", 3, per_grid=19, share=None) == 19


def test_the_packed_population_unpacks_to_itself_and_keeps_its_hash():
    packed = sampling.population_pack(POPULATION)
    assert sampling.population_unpack(packed) == POPULATION
    assert sampling.population_hash(sampling.population_unpack(packed)) == (
        sampling.population_hash(POPULATION)
    )


def test_the_population_hash_changes_when_one_resident_changes():
    other = {**POPULATION, 12: [5000, 5001, 5003]}
    assert sampling.population_hash(other) != sampling.population_hash(POPULATION)


def test_a_million_ids_pack_into_little_space():
    population = {grid: list(range(grid, 1_000_000, 500)) for grid in range(500)}
    assert len(sampling.population_pack(population)) < 1_500_000


def test_the_population_hash_is_sha256_of_little_endian_64_bit_integers():
    # One grid (ID 7) of residents 3 and 5: grid count, grid ID, resident count, then the IDs
    # as gaps (3, then 5 - 3), each a little-endian signed 64-bit integer.
    expected = hashlib.sha256(struct.pack("<5q", 1, 7, 2, 3, 2)).hexdigest()
    assert sampling.population_hash({7: [3, 5]}) == expected


def test_a_population_stored_by_version_1_still_opens_with_its_text_hash():
    packed = sampling.population_pack_v1(POPULATION)
    population, sha256 = sampling.population_open(packed, sampling.ALGORITHM_VERSION_1)
    assert population == POPULATION
    lines = [f"{grid}:{','.join(map(str, POPULATION[grid]))}\n" for grid in sorted(POPULATION)]
    text = "".join(lines)
    assert sha256 == hashlib.sha256(text.encode()).hexdigest()


def test_sealing_gives_the_hash_and_the_packing_of_one_encoding():
    sha256, packed = sampling.population_seal(POPULATION)
    assert sha256 == sampling.population_hash(POPULATION)
    assert sampling.population_open(packed, sampling.ALGORITHM_VERSION) == (POPULATION, sha256)
