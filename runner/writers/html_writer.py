"""One self-contained HTML file for a change review: no external asset or request, readable printed, filterable offline.

The summary pictures are inline SVG (status counts per gate, a VM x check matrix); filtering by status is CSS over
radio buttons, so the file works where scripts are blocked.
"""

from __future__ import annotations

import json
from html import escape

from failback.runner.report import Report
from failback.runner.writers.summary import STATUS_ORDER, counts_per_gate, header, ordered

COLOURS = {"fail": "#c62828", "error": "#6a1b9a", "warn": "#ef6c00", "waived": "#546e7a", "pass": "#2e7d32", "skip": "#9e9e9e"}

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:70rem;color:#212121;padding:0 1rem}
h1{margin-bottom:.2rem}table.meta td{padding:.15rem .8rem .15rem 0}
.verdict{font-size:1.4rem;font-weight:700;padding:.4rem .8rem;border-radius:.3rem;display:inline-block;color:#fff}
.go{background:#2e7d32}.nogo{background:#c62828}
.filters{margin:1rem 0}.filters label{margin-right:.8rem;cursor:pointer;padding:.2rem .5rem;border:1px solid #bbb;border-radius:.3rem}
input[name=filter]{position:absolute;opacity:0}
input[name=filter]:focus-visible+*{outline:2px solid #1565c0}
#f-all:checked~.filters label[for=f-all],#f-problems:checked~.filters label[for=f-problems],#f-fail:checked~.filters label[for=f-fail],#f-error:checked~.filters label[for=f-error],#f-warn:checked~.filters label[for=f-warn],#f-waived:checked~.filters label[for=f-waived],#f-pass:checked~.filters label[for=f-pass],#f-skip:checked~.filters label[for=f-skip]{background:#1565c0;color:#fff;border-color:#1565c0}
article{border-left:.4rem solid #999;padding:.4rem .8rem;margin:.6rem 0;background:#fafafa;break-inside:avoid}
article h3{margin:.1rem 0;font-size:1rem}article .status{font-weight:700;text-transform:uppercase}
.s-fail{border-color:#c62828}.s-error{border-color:#6a1b9a}.s-warn{border-color:#ef6c00}.s-waived{border-color:#546e7a}
.s-pass{border-color:#2e7d32}.s-skip{border-color:#9e9e9e}
pre{background:#eee;padding:.5rem;overflow-x:auto;font-size:.8rem}code{font-size:.9em}
table.grid{border-collapse:collapse;margin:.5rem 0}table.grid td,table.grid th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left}
.waiver{background:#eceff1;padding:.3rem .6rem}
#f-fail:checked~.results article:not(.s-fail),#f-error:checked~.results article:not(.s-error),
#f-warn:checked~.results article:not(.s-warn),#f-waived:checked~.results article:not(.s-waived),
#f-pass:checked~.results article:not(.s-pass),#f-skip:checked~.results article:not(.s-skip),
#f-problems:checked~.results article.s-pass,#f-problems:checked~.results article.s-skip{display:none}
@media print{.filters,.filters~input{display:none}.results article{display:block!important}body{margin:0;max-width:none}}
"""


def _bar_chart(per_gate: dict[str, dict[str, int]]) -> str:
    """Horizontal stacked bars: one per gate, segments per status."""
    width, bar, gap, label = 600, 22, 10, 120
    height = len(per_gate) * (bar + gap) + 30
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="status counts per gate" width="{width + label}" height="{height}" font-size="12">']
    for row, (gate, counts) in enumerate(per_gate.items()):
        y = row * (bar + gap)
        total = sum(counts.values()) or 1
        x = label
        parts.append(f'<text x="0" y="{y + 15}">{escape(gate)}</text>')
        for status in STATUS_ORDER:
            count = counts[status.value]
            if not count:
                continue
            w = width * count / total
            parts.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar}" fill="{COLOURS[status.value]}"><title>{status.value}: {count}</title></rect>')
            if w > 24:
                parts.append(f'<text x="{x + 4:.1f}" y="{y + 15}" fill="#fff">{count}</text>')
            x += w
    legend_y = len(per_gate) * (bar + gap) + 15
    for index, status in enumerate(STATUS_ORDER):
        x = label + index * 90
        parts.append(f'<rect x="{x}" y="{legend_y - 10}" width="12" height="12" fill="{COLOURS[status.value]}"/><text x="{x + 16}" y="{legend_y}">{status.value}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _matrix(report: Report) -> str:
    """A cell per (VM or master target, check) with the worst status seen."""
    machines = sorted({r.target for r in report.results if r.target.split(":")[0] in ("vm", "mt")})
    checks = sorted({r.check for r in report.results if r.target in machines})
    if not machines:
        return "<p>No VM-level results.</p>"
    rank = {status.value: index for index, status in enumerate(STATUS_ORDER)}
    cells: dict[tuple[str, str], str] = {}
    for r in report.results:
        key = (r.target, r.check)
        if key in cells and rank[cells[key]] <= rank[r.status.value]:
            continue
        cells[key] = r.status.value
    size, left, top = 18, 130, 150
    # Column labels lean right by up to their length: leave room for the last one.
    width, height = left + len(checks) * size + 120, top + len(machines) * size + 10
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="VM by check matrix" width="{width}" height="{height}" font-size="11">']
    for column, check in enumerate(checks):
        x = left + column * size + size / 2
        parts.append(f'<text transform="translate({x + 4:.0f},{top - 6}) rotate(-60)">{escape(check)}</text>')
    for row, machine in enumerate(machines):
        y = top + row * size
        parts.append(f'<text x="0" y="{y + 13}">{escape(machine)}</text>')
        for column, check in enumerate(checks):
            status = cells.get((machine, check))
            fill = COLOURS[status] if status else "#f5f5f5"
            tip = f"{machine} {check}: {status or 'not checked'}"
            parts.append(f'<rect x="{left + column * size}" y="{y}" width="{size - 2}" height="{size - 2}" fill="{fill}"><title>{escape(tip)}</title></rect>')
    parts.append("</svg>")
    return "".join(parts)


def _result(result) -> str:
    html = [f'<article class="s-{result.status.value}"><h3><span class="status">{result.status.value}</span> '
            f'<code>{escape(result.check)}</code> on <code>{escape(result.target)}</code></h3>',
            f"<p>{escape(result.message)}</p>"]
    if result.waiver:
        w = result.waiver
        html.append(f'<p class="waiver">Waived (was {escape(w["original_status"])}) by <b>{escape(w["approver"])}</b> until '
                    f'{escape(w["expires"])}: {escape(w["justification"])}</p>')
    if result.remediation:
        steps = "".join(f"<li>{escape(step)}</li>" for step in result.remediation["steps"])
        docs = "".join(f'<li><a href="{escape(link)}">{escape(link)}</a></li>' for link in result.remediation["docs"])
        html.append(f"<p><b>{escape(result.remediation['title'])}</b></p><ol>{steps}</ol>" + (f"<ul>{docs}</ul>" if docs else ""))
    if result.evidence:
        html.append(f"<details><summary>Evidence</summary><pre>{escape(json.dumps(result.evidence, indent=2, default=str))}</pre></details>")
    html.append("</article>")
    return "".join(html)


def write(report: Report, json_digest: str | None = None) -> str:
    head = header(report)
    counts = report.counts()
    filters = [("all", "All"), ("problems", "Problems")] + [(s.value, f"{s.value} ({counts[s.value]})") for s in STATUS_ORDER]
    radios = "".join(f'<input type="radio" name="filter" id="f-{key}"{" checked" if key == "all" else ""}>' for key, _ in filters)
    labels = "".join(f'<label for="f-{key}">{escape(text)}</label>' for key, text in filters)
    waivers = "".join(
        f"<tr><td>{escape(w['check'])}</td><td>{escape(w['target'])}</td><td>{escape(w['state'])}</td><td>{escape(w['justification'])}</td>"
        f"<td>{escape(w['approver'])}</td><td>{escape(w['expires'])}</td><td>{escape(', '.join(w['results']) or 'none')}</td></tr>"
        for w in report.waivers
    )
    timeline = "".join(
        f"<tr><td>{escape(str(e['at']))}</td><td>{escape(str(e['step']))}</td><td>{escape(str(e['event']))}</td><td>{escape(str(e.get('message', '')))}</td></tr>"
        for e in report.timeline
    )
    digest = f"<code>{escape(json_digest)}</code>" if json_digest else "no JSON report written in this run"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Failback preflight: {escape(head.site)}</title><style>{_CSS}</style></head>
<body>
<h1>Failback preflight: {escape(head.site)}</h1>
<p class="verdict {'go' if report.ready else 'nogo'}">{escape(head.verdict)}</p>
<table class="meta">
<tr><td>Site</td><td>{escape(head.site)} ({escape(head.experience)})</td></tr>
<tr><td>Gate</td><td>{escape(head.gate)}</td></tr>
<tr><td>Generated</td><td>{escape(head.generated_at)} by {escape(head.operator)}</td></tr>
<tr><td>Tool</td><td>failback {escape(head.tool_version)}</td></tr>
<tr><td>JSON report SHA-256</td><td>{digest}</td></tr>
</table>
<h2>Summary</h2>
{_bar_chart(counts_per_gate(report))}
<h2>VMs and master targets by check</h2>
{_matrix(report)}
<h2>Results</h2>
{radios}<div class="filters">Show: {labels}</div>
<div class="results">{''.join(_result(r) for r in ordered(report.results))}</div>
<h2>Waivers</h2>
{f'<table class="grid"><tr><th>check</th><th>target</th><th>state</th><th>justification</th><th>approver</th><th>expires</th><th>results</th></tr>{waivers}</table>' if waivers else '<p>None.</p>'}
{f'<h2>Run timeline</h2><table class="grid"><tr><th>at</th><th>step</th><th>event</th><th>message</th></tr>{timeline}</table>' if timeline else ''}
</body></html>
"""
