"""Splink baseline for `ledgerline bench dedupe`: the same generated records, the same
blocking keys, comparable comparisons, DuckDB backend. Prints one JSON object with its
timings and peak memory; writes `unique_id,cluster_id` to the output CSV.

usage: python splink_dedupe.py RECORDS.csv CLUSTERS.csv
"""

import json
import resource
import sys
import time

import duckdb
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on


def main(records_csv: str, clusters_csv: str) -> None:
    t0 = time.perf_counter()
    con = duckdb.connect()
    con.execute(
        f"CREATE TABLE records AS SELECT * FROM read_csv('{records_csv}', header=true, all_varchar=true)"
    )
    con.execute("ALTER TABLE records ALTER unique_id TYPE BIGINT")
    db_api = DuckDBAPI(connection=con)
    load = time.perf_counter() - t0

    id_parts = ("substr(id_number, 1, 6)", "substr(id_number, 7, 6)", "substr(id_number, 13, 6)")
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        blocking_rules_to_generate_predictions=[
            block_on(id_parts[0], id_parts[1]),
            block_on(id_parts[0], id_parts[2]),
            block_on(id_parts[1], id_parts[2]),
            block_on("birth_date", "substr(name, 1, 1)"),
            block_on("death_date", "name_pinyin"),
            block_on("name", "substr(birth_date, 1, 4)"),
            block_on("birth_date", "death_date"),
        ],
        comparisons=[
            cl.JaroWinklerAtThresholds("name", [0.9, 0.7]).configure(term_frequency_adjustments=True),
            cl.LevenshteinAtThresholds("id_number", [1, 2]),
            cl.DateOfBirthComparison("birth_date", input_is_string=True),
            cl.LevenshteinAtThresholds("death_date", [1, 2]),
            cl.ExactMatch("gender"),
            cl.JaroWinklerAtThresholds("address", [0.88]),
            cl.JaroWinklerAtThresholds("family_name", [0.9]),
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )
    linker = Linker("records", settings, db_api, set_up_basic_logging=False)

    t1 = time.perf_counter()
    linker.training.estimate_probability_two_random_records_match(
        [block_on("id_number", "name")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("birth_date", "death_date"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on(id_parts[0], id_parts[2]))
    t2 = time.perf_counter()
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    t3 = time.perf_counter()
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=0.99
    )
    con.execute(
        f"COPY (SELECT unique_id, cluster_id FROM {clusters.physical_name}) TO '{clusters_csv}' (HEADER)"
    )
    t4 = time.perf_counter()
    pairs = con.execute(f"SELECT count(*) FROM {predictions.physical_name}").fetchone()[0]
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "seconds_load": load,
                "seconds_training": t2 - t1,
                "seconds_prediction": t3 - t2,
                "seconds_clustering": t4 - t3,
                "seconds": t4 - t1,
                "scored_pairs": pairs,
                "peak_rss_bytes": peak_kib * 1024,
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
