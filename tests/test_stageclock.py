"""The stage clock and ``generate --timings``: where a run spends its time, without changing what it writes."""

import json
import threading
import time

from clirun import cli, one_line_exit_2

from fraudgraph import stageclock


def _busy(seconds: float) -> None:
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


def _in_stage(name: str, seconds: float) -> None:
    with stageclock.stage(name):
        _busy(seconds)


def test_stages_are_counted_per_thread_in_order_of_first_use():
    with stageclock.recording() as clock:
        with stageclock.stage("first"):
            _busy(0.05)
        worker = threading.Thread(target=_in_stage, args=("second", 0.05))
        worker.start()
        worker.join()
        for _ in range(3):
            with stageclock.stage("first"):
                time.sleep(0.02)  # waiting is wall time, not CPU
        stageclock.tally("things", 5)
        stageclock.tally("things", 2)
    report = clock.report()
    stages = {s["stage"]: s for s in report["stages"]}
    assert [s["stage"] for s in report["stages"]] == ["first", "second", "other"]
    assert stages["first"]["calls"] == 4
    assert stages["first"]["wall_s"] >= 0.05 + 3 * 0.02
    assert 0.04 <= stages["first"]["cpu_s"] < stages["first"]["wall_s"]
    assert stages["second"]["cpu_s"] >= 0.04
    assert report["counts"] == {"things": 7}
    assert report["peak_rss_mib"] > 0


def test_outside_a_recording_stages_cost_nothing_and_keep_nothing():
    with stageclock.stage("ignored"):
        pass
    stageclock.tally("ignored", 1)
    with stageclock.recording() as clock:
        pass
    assert [s["stage"] for s in clock.report()["stages"]] == ["other"]


def test_generate_timings_names_every_stage_and_leaves_the_output_alone(tmp_path):
    args = ["generate", "--persons", 300, "--days", 4, "--seed", 3, "--format", "parquet", "--streams", "transactions"]
    code, _, err = cli(*args, "--out", tmp_path / "timed", "--timings", tmp_path / "timings.json")
    assert code == 0, err
    code, _, err = cli(*args, "--out", tmp_path / "plain")
    assert code == 0, err
    report = json.loads((tmp_path / "timings.json").read_text())
    names = [s["stage"] for s in report["stages"]]
    for expected in ("population persons", "pattern money_mule", "truth", "events plan transactions", "events ledger",
                     "events features", "events render transactions", "events ordering", "write graph parquet",
                     "write events parquet", "other"):
        assert expected in names, (expected, names)
    assert all(s["cpu_s"] >= 0 for s in report["stages"])
    assert sum(s["cpu_s"] for s in report["stages"]) <= report["cpu_s"] * 1.05 + 0.05
    manifest = json.loads((tmp_path / "timed" / "manifest.json").read_text())
    counts = manifest["counts"]["events"]
    # every payment is initiated, except returns: they reverse one and show as transaction-returned alone
    assert report["money_movements"] == counts["transaction-initiated"] + counts.get("transaction-returned", 0)
    assert report["events"] == sum(manifest["counts"]["events"].values())
    assert report["accounts"] == manifest["counts"]["nodes"]["Account"]
    assert report["bytes"] == sum(f["bytes"] for f in manifest["files"])
    plain = json.loads((tmp_path / "plain" / "manifest.json").read_text())
    assert [(f["path"], f["sha256"]) for f in manifest["files"]] == [(f["path"], f["sha256"]) for f in plain["files"]]


def test_timings_inside_the_output_or_in_a_missing_folder_is_one_line(tmp_path):
    code, _, err = cli("generate", "--persons", 200, "--out", tmp_path / "ds", "--timings", tmp_path / "ds" / "t.json")
    one_line_exit_2(code, err, "--timings", "inside the output folder")
    code, _, err = cli("generate", "--persons", 200, "--out", tmp_path / "ds", "--timings", tmp_path / "nowhere" / "t.json")
    one_line_exit_2(code, err, "--timings", "nowhere")
    assert not (tmp_path / "ds").exists()


def test_a_clock_absorbs_the_reports_of_other_processes():
    from fraudgraph.stageclock import StageClock

    clock = StageClock()
    clock.add("events ledger", 1.0, 0.0)
    shard = {"stages": [{"stage": "events ledger", "wall_s": 2.0, "cpu_s": 1.5, "calls": 3, "rss_mib": 900.0},
                        {"stage": "pattern kiting_cycle", "wall_s": 1.0, "cpu_s": 1.0, "calls": 1, "rss_mib": 800.0},
                        {"stage": "other", "wall_s": None, "cpu_s": 0.25, "calls": None, "rss_mib": None}],
             "counts": {"money movements": 40}, "wall_s": 3.5, "cpu_s": 2.75, "peak_rss_mib": 1e6}
    clock.absorb(shard)
    clock.absorb(shard)
    report = clock.report()
    rows = {r["stage"]: r for r in report["stages"]}
    assert rows["events ledger"]["cpu_s"] == 3.0 and rows["events ledger"]["calls"] == 7
    assert rows["events ledger"]["wall_s"] == 5.0 and rows["events ledger"]["rss_mib"] >= 900.0
    assert rows["pattern kiting_cycle"]["calls"] == 2
    assert report["counts"] == {"money movements": 80}
    assert report["peak_rss_mib"] == 1e6
    assert report["cpu_s"] >= 5.5
    assert abs(sum(r["cpu_s"] for r in report["stages"]) - report["cpu_s"]) < 1e-3
    assert rows["other"]["cpu_s"] >= 0.5 - 1e-3  # the shards' own unclaimed CPU
