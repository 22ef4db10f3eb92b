"""JUnit XML for CI pipelines: one testcase per result (check x target).

fail -> failure, error -> error, skip and waived -> skipped, warn passes (with its message in system-out).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from failback.checks.model import Status
from failback.runner.report import Report


def _seconds_free_timestamp(iso: str) -> str:
    # JUnit's timestamp is an ISO 8601 local time without a zone designator.
    return iso.split("+")[0].split(".")[0]


def write(report: Report, json_digest: str | None = None) -> str:
    counts = report.counts()
    suites = ET.Element("testsuites", name=f"failback {report.site_name}")
    suite = ET.SubElement(
        suites, "testsuite",
        name=f"failback.{report.site_name}.{report.gate.value if report.gate else 'all'}",
        tests=str(len(report.results)), failures=str(counts["fail"]), errors=str(counts["error"]),
        skipped=str(counts["skip"] + counts["waived"]), time="0", timestamp=_seconds_free_timestamp(report.generated_at),
        hostname=report.operator.get("host", "unknown"),
    )
    properties = ET.SubElement(suite, "properties")
    for name, value in (("experience", report.experience.value), ("tool_version", report.tool_version),
                        ("operator", report.operator.get("user", "")), ("json_sha256", json_digest or "")):
        ET.SubElement(properties, "property", name=name, value=value)
    for result in report.results:
        case = ET.SubElement(suite, "testcase", classname=result.check, name=result.target, time="0")
        steps = "\n".join(f"{n}. {s}" for n, s in enumerate((result.remediation or {}).get("steps", []), 1))
        detail = f"{result.message}\n{steps}".strip()
        if result.status is Status.FAIL:
            ET.SubElement(case, "failure", message=result.message, type=result.check).text = detail
        elif result.status is Status.ERROR:
            ET.SubElement(case, "error", message=result.message, type=result.check).text = detail
        elif result.status is Status.SKIP:
            ET.SubElement(case, "skipped", message=result.message)
        elif result.status is Status.WAIVED:
            waiver = result.waiver or {}
            ET.SubElement(case, "skipped", message=f"waived by {waiver.get('approver')} until {waiver.get('expires')}: {waiver.get('justification')}")
        elif result.status is Status.WARN:
            ET.SubElement(case, "system-out").text = f"WARN: {detail}"
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
