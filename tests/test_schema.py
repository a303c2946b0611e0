"""The shipped JSON Schema is the one the models produce, and reports validate against it."""

from __future__ import annotations

import json
from importlib import resources

from provenance.models import Report


def test_shipped_schema_is_current():
    shipped = json.loads(
        resources.files("provenance").joinpath("schema/report.schema.json").read_text("utf-8")
    )
    assert shipped == Report.model_json_schema(), (
        "run: provenance schema > provenance/schema/report.schema.json"
    )


def test_example_report_round_trips(example_project, cli):
    result = cli(
        "check", "--no-fetch", "--format", "json", "-o", "-", "examples/factually-trump-putin.txt"
    )
    report = Report.model_validate_json(result.out)
    assert report.schema_version == 1
    assert report.model_dump_json(indent=2) + "\n" == result.out
