"""The catalogue of bad input the README promises: one line on stderr naming the field or path and the value,
exit status 2, and nothing left behind.

Most cases run the command line in this process (the same ``main`` the installed
script calls); the file-system cases use a real full or read-only file system.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from clirun import cli, one_line_exit_2

assert_one_line_exit_2 = one_line_exit_2


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_the_installed_entry_point_behaves_the_same(tmp_path):
    r = subprocess.run([sys.executable, "-m", "fraudgraph", "generate", "--persons", "-5", "--out", str(tmp_path / "X")],
                       capture_output=True, text=True)
    assert_one_line_exit_2(r.returncode, r.stderr, "'persons.count'", "-5")
    assert leftovers(tmp_path) == []


# -- generate: parameters -------------------------------------------------------------------------------

GENERATE_CASES = [
    (["--persons", "-5"], ["'persons.count'", "-5", "[1, 50000000]"]),
    (["--persons", "0"], ["'persons.count'", "0"]),
    (["--persons", "abc"], ["--persons", "abc"]),
    (["--days", "0"], ["'days'", "0"]),
    (["--days", "99999"], ["'days'", "99999"]),
    (["--seed", "-1"], ["'seed'", "-1"]),
    (["--format", "csv,xml"], ["unknown format 'xml'", "csv, cypher, gnn, jsonl, neo4j-admin, parquet, report"]),
    (["--format", ","], ["'output.formats'"]),
    (["--scenario", "nope"], ["unknown scenario 'nope'", "demo"]),
    (["--streams", "transactions,tweets"], ["'events.streams'", "tweets"]),
    (["--scenario", "demo", "--config", "x.yaml"], ["--scenario", "--config"]),
    (["--config", "missing.yaml"], ["'config'", "missing.yaml", "does not exist"]),
    (["--bogus"], ["--bogus"]),
]


@pytest.mark.parametrize("args, needles", GENERATE_CASES, ids=lambda v: " ".join(v) if isinstance(v, list) else None)
def test_generate_bad_parameter(tmp_path, args, needles):
    code, _, err = cli("generate", *args, "--out", tmp_path / "X")
    assert_one_line_exit_2(code, err, *needles)
    assert leftovers(tmp_path) == []


CONFIG_CASES = [
    ("persons: [1, 2]\n", ["'persons'"]),
    ("persons:\n  cuont: 5\n", ["'persons.cuont'", "count"]),
    ("days: 3.5\n", ["'days'", "3.5"]),
    ("start_date: yesterday\n", ["'start_date'", "yesterday"]),
    ("ips:\n  vpn_share: 1.5\n", ["'ips.vpn_share'", "1.5", "[0.0, 1.0]"]),
    ("persons:\n  countries: {XX: 1}\n", ["'persons.countries'", "'XX'"]),
    ("devices:\n  primary_type_weights: {ios: -1, android: 1}\n", ["'devices.primary_type_weights'", "-1"]),
    ("circles:\n  min_members: 20\n  max_members: 10\n",
     ["'circles.min_members'", "<= 'circles.max_members' (10)", "Got 20"]),
    ("accounts:\n  credit_limit_min: 9000\n  credit_limit_max: 100\n", ["'accounts.credit_limit_min'", "9000"]),
    ("fraud:\n  patterns:\n    kiting_cycle: {min_accounts: 6, max_accounts: 3}\n",
     ["'fraud.patterns.kiting_cycle.min_accounts'", "<= 'fraud.patterns.kiting_cycle.max_accounts' (3)", "Got 6"]),
    ("fraud:\n  patterns:\n    device_sharing: {min_persons: 30, max_persons: 10}\n",
     ["'fraud.patterns.device_sharing.min_persons'", "Got 30"]),
    ("fraud:\n  patterns:\n    fraud_ring: {min_identities: 9, max_identities: 4}\n",
     ["'fraud.patterns.fraud_ring.min_identities'", "Got 9"]),
    ("fraud:\n  patterns:\n    ip_recycling: {min_ips: 9, max_ips: 4}\n", ["'fraud.patterns.ip_recycling.min_ips'"]),
    ("fraud:\n  patterns:\n    account_takeover: {min_links: 3, max_links: 1}\n",
     ["'fraud.patterns.account_takeover.min_links'"]),
    ("fraud:\n  patterns:\n    collusion: {min_colluders: 5, max_colluders: 3}\n",
     ["'fraud.patterns.collusion.min_colluders'", "<= 'fraud.patterns.collusion.max_colluders' (3)", "Got 5"]),
    ("fraud:\n  patterns:\n    ponzi: {count: 1}\n", ["unknown pattern 'ponzi'", "kiting_cycle"]),
    ("fraud:\n  patterns:\n    kiting_cycle: {count: -1}\n", ["'fraud.patterns.kiting_cycle.count'", "-1"]),
    ("fraud:\n  patterns:\n    kiting_cycle: {colour: red}\n", ["'fraud.patterns.kiting_cycle.colour'"]),
    ("fraud:\n  hardness: extreme\n", ["'fraud.hardness'", "extreme"]),
    ("output:\n  formats: [csv, xml]\n", ["unknown format 'xml'"]),
    ("events:\n  part_rows: 5\n", ["'events.part_rows'", "5"]),
    ("key: [unclosed\n", ["not valid YAML", "line"]),
    ("- a\n- list\n", ["must be a mapping"]),
]


@pytest.mark.parametrize("text, needles", CONFIG_CASES, ids=lambda v: v.splitlines()[-1].strip() if isinstance(v, str) else None)
def test_generate_bad_config_file(tmp_path, text, needles):
    config = write(tmp_path / "c.yaml", text)
    code, _, err = cli("generate", "--config", config, "--out", tmp_path / "X")
    assert_one_line_exit_2(code, err, *needles)
    assert leftovers(tmp_path) == ["c.yaml"]


# -- generate: the output path --------------------------------------------------------------------------

def test_out_parent_missing(tmp_path):
    code, _, err = cli("generate", "--scenario", "demo", "--out", tmp_path / "a" / "b")
    assert_one_line_exit_2(code, err, str(tmp_path / "a"), "does not exist")
    assert leftovers(tmp_path) == []


def test_out_parent_is_a_file(tmp_path):
    write(tmp_path / "f", "x")
    code, _, err = cli("generate", "--scenario", "demo", "--out", tmp_path / "f" / "X")
    assert_one_line_exit_2(code, err, str(tmp_path / "f"), "is a file")
    assert leftovers(tmp_path) == ["f"]


def test_out_is_a_file(tmp_path):
    write(tmp_path / "X", "x")
    code, _, err = cli("generate", "--scenario", "demo", "--out", tmp_path / "X")
    assert_one_line_exit_2(code, err, str(tmp_path / "X"), "is a file")
    assert leftovers(tmp_path) == ["X"]


def test_out_not_empty_without_force_and_not_a_dataset_with_force(tmp_path):
    write((tmp_path / "X").mkdir() or tmp_path / "X" / "mine.txt", "keep")
    code, _, err = cli("generate", "--scenario", "demo", "--out", tmp_path / "X")
    assert_one_line_exit_2(code, err, str(tmp_path / "X"), "not empty", "--force")
    code, _, err = cli("generate", "--scenario", "demo", "--out", tmp_path / "X", "--force")
    assert_one_line_exit_2(code, err, str(tmp_path / "X"), "holds no fraudgraph dataset")
    assert leftovers(tmp_path) == ["X"] and leftovers(tmp_path / "X") == ["mine.txt"]


def test_out_in_a_pseudo_file_system_fails_before_generating():
    code, out, err = cli("generate", "--scenario", "demo", "--out", "/proc/fraudgraph-test-out")
    assert_one_line_exit_2(code, err, "'/proc'", "cannot be written")
    assert out == ""  # failed before generating: no counts table
    assert not Path("/proc/fraudgraph-test-out").exists()


def _mount_tmpfs(folder: Path, options: str) -> bool:
    """Mount a tmpfs on ``folder`` (root only); False where this machine does not allow it."""
    if os.geteuid() != 0:
        return False
    return subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
                          capture_output=True).returncode == 0


def _unmount(folder: Path) -> None:
    subprocess.run(["umount", "-l", str(folder)], capture_output=True, check=False)


GENERATE_SMALL = ["generate", "--scenario", "demo", "--persons", "300", "--days", "10", "--format", "csv,jsonl,parquet"]


def test_read_only_file_system(tmp_path):
    target = tmp_path / "ro"
    target.mkdir()
    mounted = _mount_tmpfs(target, "ro,size=1m")
    if not mounted:
        target.chmod(0o555)  # not root: a folder without write permission fails the same way
    try:
        code, out, err = cli(*GENERATE_SMALL, "--out", target / "X")
        assert_one_line_exit_2(code, err, str(target), "cannot be written")
        assert "Read-only file system" in err or "Permission denied" in err
        assert out == "" and leftovers(target) == []
    finally:
        if mounted:
            _unmount(target)
        target.chmod(0o755)


def test_full_disk_part_way_leaves_nothing(tmp_path):
    """A 3 MB file system passes the up-front probe, then fills up while the dataset (about 17 MB) is written."""
    target = tmp_path / "small"
    target.mkdir()
    if _mount_tmpfs(target, "size=3m"):
        try:
            code, _, err = cli(*GENERATE_SMALL, "--out", target / "X")
            assert_one_line_exit_2(code, err, str(target / "X"), "No space left on device (ENOSPC)")
            assert leftovers(target) == []
            assert os.statvfs(target).f_bfree == os.statvfs(target).f_blocks  # every byte given back
        finally:
            _unmount(target)
        return
    # Not root: the same failure part-way, from a file-size limit (EFBIG) in a child process.
    script = ("import resource, sys; resource.setrlimit(resource.RLIMIT_FSIZE, (2_000_000, 2_000_000)); "
              "from fraudgraph.cli import main; main(sys.argv[1:])")
    r = subprocess.run([sys.executable, "-c", script, *GENERATE_SMALL, "--out", str(target / "X")],
                       capture_output=True, text=True)
    assert_one_line_exit_2(r.returncode, r.stderr, str(target / "X"), "File too large (EFBIG)")
    assert leftovers(target) == []


# -- the other commands ---------------------------------------------------------------------------------

def test_validate_and_stats_on_missing_or_foreign_folders(tmp_path):
    for command in ("validate", "stats"):
        code, _, err = cli(command, tmp_path / "missing")
        assert_one_line_exit_2(code, err, str(tmp_path / "missing"), "does not exist")
    (tmp_path / "plain").mkdir()
    code, _, err = cli("validate", tmp_path / "plain")
    assert_one_line_exit_2(code, err, str(tmp_path / "plain"), "manifest.json")
    (tmp_path / "broken").mkdir()
    write(tmp_path / "broken" / "manifest.json", "{not json")
    code, _, err = cli("stats", tmp_path / "broken")
    assert_one_line_exit_2(code, err, "manifest.json", "cannot be read")


def test_stats_unknown_format(written):
    code, _, err = cli("stats", written, "--format", "xml")
    assert_one_line_exit_2(code, err, "'format'", "xml", "csv, jsonl, parquet")


def test_report_paths(written, tmp_path):
    code, _, err = cli("report", "hardness", written, "--json", written / "hardness.json")
    assert_one_line_exit_2(code, err, "'--json'", "inside the dataset folder")
    code, _, err = cli("report", "hardness", written, "--json", tmp_path / "no" / "r.json")
    assert_one_line_exit_2(code, err, "'--json'", "does not exist")
    assert leftovers(tmp_path) == []


def test_stream_and_scenario_options():
    code, _, err = cli("stream", "--rate", "0")
    assert_one_line_exit_2(code, err, "'rate'", "0")
    code, _, err = cli("stream", "--rate", "10", "--duration", "-1")
    assert_one_line_exit_2(code, err, "'duration'", "-1")
    code, _, err = cli("stream", "--rate", "10", "--persons", "-3")
    assert_one_line_exit_2(code, err, "'persons.count'", "-3")
    code, _, err = cli("scenario", "show", "nope")
    assert_one_line_exit_2(code, err, "unknown scenario 'nope'")


def _typology_ranges():
    from fraudgraph.patterns.base import available_patterns, get_injector

    from fraudgraph.config import range_pairs

    return [(name, low, high) for name in available_patterns()
            for low, high in range_pairs(get_injector(name).config_model)]


def test_every_typology_has_a_range_to_invert():
    from fraudgraph.patterns.base import available_patterns

    assert {name for name, _, _ in _typology_ranges()} == set(available_patterns())


@pytest.mark.parametrize("name, low, high", _typology_ranges(), ids=lambda v: v)
def test_every_typology_refuses_an_inverted_range_on_the_command_line(tmp_path, name, low, high):
    from fraudgraph.patterns.base import get_injector

    fields = get_injector(name).config_model.model_fields
    floor = max([m.ge for f in (fields[low], fields[high]) for m in f.metadata if getattr(m, "ge", None) is not None]
                + [m.gt for f in (fields[low], fields[high]) for m in f.metadata if getattr(m, "gt", None) is not None]
                + [0])
    small = floor + 1 if fields[high].annotation is int else floor + 0.5
    big = small + 1 if fields[high].annotation is int else small + 0.25
    config = write(tmp_path / "c.yaml", f"fraud:\n  patterns:\n    {name}: {{{low}: {big}, {high}: {small}}}\n")
    code, _, err = cli("generate", "--config", config, "--out", tmp_path / "X")
    assert_one_line_exit_2(code, err, f"'fraud.patterns.{name}.{low}'", f"<= 'fraud.patterns.{name}.{high}' ({small})",
                           f"Got {big}")
    assert leftovers(tmp_path) == ["c.yaml"]
