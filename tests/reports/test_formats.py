"""Every report format rendered from one fixed result: snapshots, schemas, and what a reviewer relies on."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
import xmlschema

from failback.runner.writers import FORMATS, writer_for

SCHEMA = json.loads((Path(__file__).parents[2] / "runner" / "schemas" / "report.schema.json").read_text())
DIGEST = "0" * 64


@pytest.mark.parametrize("format_name", sorted(FORMATS))
def test_each_format_matches_its_snapshot(fixed_report, format_name, snapshot):
    assert writer_for(format_name)(fixed_report, DIGEST) == snapshot


def test_json_round_trips_and_follows_the_published_schema(fixed_report, fixed_document):
    document = json.loads(writer_for("json")(fixed_report))
    jsonschema.Draft202012Validator(SCHEMA).validate(document)
    assert document["results"] == fixed_document["results"]
    assert document["waivers"] == fixed_document["waivers"] and document["summary"] == fixed_document["summary"]


def test_schema_rejects_a_failure_without_remediation(fixed_document):
    failing = next(r for r in fixed_document["results"] if r["status"] == "fail")
    failing["remediation"] = None
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(SCHEMA).validate(fixed_document)


def test_junit_is_valid_and_maps_statuses(fixed_report):
    text = writer_for("junit")(fixed_report, DIGEST)
    xmlschema.XMLSchema(Path(__file__).parent / "junit.xsd").validate(text)
    suite = ET.fromstring(text).find("testsuite")
    cases = suite.findall("testcase")
    counts = fixed_report.counts()
    assert len(cases) == len(fixed_report.results)
    assert len([c for c in cases if c.find("failure") is not None]) == counts["fail"] == int(suite.get("failures"))
    assert len([c for c in cases if c.find("skipped") is not None]) == counts["skip"] + counts["waived"]
    waived = next(c for c in cases if c.get("classname") == "esxi.license" and c.find("skipped") is not None)
    assert "CAB-2026-118" in waived.find("skipped").get("message")


def test_csv_has_a_header_and_a_row_per_result(fixed_report):
    rows = list(csv.DictReader(io.StringIO(writer_for("csv")(fixed_report))))
    assert len(rows) == len(fixed_report.results)
    snapshots = next(r for r in rows if r["check"] == "vm.snapshots")
    assert snapshots["status"] == "fail" and snapshots["remediation_id"] == "remove-snapshots"


def test_markdown_and_html_show_verdict_waivers_operator_and_digest(fixed_report):
    for name in ("markdown", "html"):
        text = writer_for(name)(fixed_report, DIGEST)
        for expected in ("NO-GO", "CAB-2026-118 (M. Jensen)", "expired", "jdoe@jump01", DIGEST, "before-windows-update", "gate:reprotect"):
            assert expected in text, f"{name} lacks {expected}"


def test_html_is_self_contained(fixed_report):
    text = writer_for("html")(fixed_report, DIGEST)
    for external in ("<script src", "<link", "@import", "url(http", "<img src=\"http"):
        assert external not in text
    assert "default-src 'none'" in text, "a Content-Security-Policy forbids every fetch"
