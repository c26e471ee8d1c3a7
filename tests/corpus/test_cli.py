"""`gaiji corpus add / status` and their errors, in-process."""

from __future__ import annotations

import json

from click.testing import CliRunner

from gaiji.cli import cli


def test_add_then_status(tmp_path, three_towns):
    corpus = tmp_path / "national"
    r = CliRunner().invoke(cli, ["corpus", "add", str(corpus), str(three_towns["town-a"]),
                                 str(three_towns["town-b"]), "--municipality", "千代田区", "--code", "131016",
                                 "--vendor", "A社"])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(cli, ["corpus", "status", str(corpus), "--json"])
    assert r.exit_code == 0, r.output
    status = json.loads(r.stdout)
    assert (status["sets"], status["municipalities"], status["vendors"]) == (2, 1, ["A社"])
    assert status["gaiji_prepared"] is None


def test_a_wrong_check_digit_is_explained(tmp_path, three_towns):
    r = CliRunner().invoke(cli, ["corpus", "add", str(tmp_path / "c"), str(three_towns["town-a"]),
                                 "--municipality", "千代田区", "--code", "131017"])
    assert r.exit_code == 1
    assert "check digit should be 6" in r.output


def test_status_of_a_folder_that_is_no_corpus(tmp_path):
    r = CliRunner().invoke(cli, ["corpus", "status", str(tmp_path)])
    assert r.exit_code == 1 and "gaiji corpus add" in r.output


def test_group_refuses_workers_with_a_scheduler(tmp_path):
    r = CliRunner().invoke(cli, ["corpus", "group", str(tmp_path), "--scheduler", "tcp://127.0.0.1:1",
                                 "--workers", "2"])
    assert r.exit_code == 2
