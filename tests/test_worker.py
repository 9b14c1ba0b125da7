"""The worker loop: jobs take turns on their intervals, a failing job does not stop the others,
and `accord worker` refuses an unknown job."""

from __future__ import annotations

from datetime import datetime

import pytest
from typer.testing import CliRunner

from accord.cli import app
from accord.worker.runner import ScheduledJob, Worker


def test_jobs_take_turns_and_a_failure_is_contained() -> None:
    seen: list[str] = []

    def ok(at: datetime) -> str:
        seen.append("ok")
        return "fine"

    def broken(at: datetime) -> str:
        seen.append("broken")
        raise RuntimeError("boom")

    worker = Worker([ScheduledJob("ok", 0.01, ok), ScheduledJob("broken", 0.01, broken)])
    worker.run(turns=3)
    assert worker.turns == {"ok": 3, "broken": 3}
    assert worker.failures == {"ok": 0, "broken": 3}
    assert seen.count("ok") == 3


def test_a_stopped_worker_returns() -> None:
    worker = Worker([ScheduledJob("slow", 3_600, lambda at: "done")])
    worker.stopping.set()
    worker.run()
    assert worker.turns == {"slow": 0}


def test_a_worker_needs_jobs() -> None:
    with pytest.raises(ValueError, match="at least one job"):
        Worker([])


def test_an_unknown_job_is_refused(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCORD_DATABASE_URL", f"sqlite:///{tmp_path}/w.db")
    result = CliRunner().invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(app, ["worker", "--job", "mow-the-lawn", "--turns", "1"])
    assert result.exit_code != 0
    assert "mow-the-lawn" in result.output


def test_one_turn_of_every_job_on_an_empty_database(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACCORD_DATABASE_URL", f"sqlite:///{tmp_path}/w.db")
    assert CliRunner().invoke(app, ["db", "upgrade"]).exit_code == 0
    result = CliRunner().invoke(app, ["worker", "--turns", "1"])
    assert result.exit_code == 0, result.output
    assert "worker running: evaluate, pull, housekeeping" in result.output
