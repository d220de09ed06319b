# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""The fleet report: one JSON, one self-contained HTML page and one Markdown summary of every host's state.

Everything here is a pure function of the host entries, so the same fleet gives byte-identical files (no timestamp
unless one is passed in). ``build_report()`` normalises the entries, ``render_json()``, ``render_markdown()`` and
``render_html()`` turn the report into text. The HTML page is one self-contained file for fleets of any size:
inline CSS, an inline SVG chart, and one small inline script (pinned by its sha256 in the page's Content Security
Policy, which also forbids any network access) that filters the host table by status and problem id and searches
host names; the filter state lives in the URL fragment (``#status=failed&problem=...&q=...``), so a filtered view
can be linked to. Without the script the page shows everything. Everything that comes from a host is escaped
(Jinja2 autoescape).
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import os
import traceback

from urllib.parse import quote, urlparse

try:
    import jinja2
    HAS_JINJA2 = True
    JINJA2_IMPORT_ERROR = None
except ImportError:
    HAS_JINJA2 = False
    JINJA2_IMPORT_ERROR = traceback.format_exc()

STATUSES = ('ok', 'warning', 'failed', 'unreachable')
SEVERITIES = ('error', 'warning', 'info')
DEFAULT_TITLE = 'Hailo fleet report'
DEFAULT_TROUBLESHOOTING_URL = 'docs/troubleshooting.md'
FILE_NAMES = {'json': 'fleet-report.json', 'html': 'fleet-report.html', 'markdown': 'fleet-report.md'}
REPORT_FORMAT = 2
# Failed hosts first, then the ones that need a look, then the healthy ones.
STATUS_ORDER = {'failed': 0, 'unreachable': 1, 'warning': 2, 'ok': 3}
SEVERITY_ORDER = {'error': 0, 'warning': 1, 'info': 2}
# Above this many hosts the chart draws only the hosts below their threshold (worst first), at most this many.
CHART_MAX_ROWS = 40

_HOST_TEXT_FIELDS = ('architecture', 'board_name', 'kernel', 'driver_version', 'firmware_version', 'runtime_version',
                     'model', 'fps_metric', 'note', 'service_state')


def _text(value):
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def _number(value):
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _int(value):
    number = _number(value)
    return int(number) if number is not None else None


def _versions_on_disk(value):
    """A list of strings from a list, a {kernel: version} mapping or a single string."""
    if value is None:
        return []
    if isinstance(value, dict):
        return ['%s: %s' % (kernel, value[kernel]) for kernel in sorted(value, key=str)]
    if isinstance(value, (list, tuple)):
        return [str(item) for item in value if item is not None and str(item).strip()]
    text = _text(value)
    return [text] if text else []


def _problem(entry):
    if not isinstance(entry, dict):
        raise ValueError('every problem must be a dict with an id, not %r' % (entry,))
    severity = _text(entry.get('severity')) or 'error'
    if severity not in SEVERITIES:
        raise ValueError('problem severity must be one of %s, not %r' % (', '.join(SEVERITIES), severity))
    problem_id = _text(entry.get('id'))
    if not problem_id:
        raise ValueError('every problem needs an id')
    return {'id': problem_id, 'severity': severity, 'message': _text(entry.get('message')) or '',
            'fix': _text(entry.get('fix'))}


def derive_status(host):
    """Status of a host that does not state one: failed on a failed benchmark or an error, warning on any other
    problem or a benchmark below a threshold that was not enforced, else ok."""
    if host['passed'] is False or any(problem['severity'] == 'error' for problem in host['problems']):
        return 'failed'
    if any(problem['severity'] == 'warning' for problem in host['problems']):
        return 'warning'
    return 'ok'


def normalize_host(entry):
    """One host entry with every field present, typed, and a status. Raises ValueError on a bad entry."""
    hostname = _text((entry or {}).get('hostname'))
    if not hostname:
        raise ValueError('every host entry needs a hostname')
    host = {'hostname': hostname}
    for field in _HOST_TEXT_FIELDS:
        host[field] = _text(entry.get(field))
    host['driver_versions_on_disk'] = _versions_on_disk(entry.get('driver_versions_on_disk'))
    pcie = entry.get('pcie') or {}
    host['pcie'] = {'gen': _int(pcie.get('gen')), 'width': _int(pcie.get('width')), 'max_gen': _int(pcie.get('max_gen'))}
    host['fps'] = _number(entry.get('fps'))
    host['threshold'] = _number(entry.get('threshold'))
    # What the collection's C++ baseline application measured on the same HEF (apps/hailo-baseline).
    host['app_fps'] = _number(entry.get('app_fps'))
    host['app_p99_ms'] = _number(entry.get('app_p99_ms'))
    # The inference service's state and the p50 latency of its check requests (roles/inference).
    host['service_p50_ms'] = _number(entry.get('service_p50_ms'))
    passed = entry.get('passed')
    host['passed'] = passed if isinstance(passed, bool) else None
    if host['passed'] is None and host['fps'] is not None and host['threshold'] is not None:
        host['passed'] = host['fps'] >= host['threshold']
    try:
        host['problems'] = [_problem(problem) for problem in entry.get('problems') or []]
    except ValueError as exc:
        raise ValueError('host %s: %s' % (hostname, exc))
    status = _text(entry.get('status'))
    if status is not None and status not in STATUSES:
        raise ValueError('host %s: status must be one of %s, not %r' % (hostname, ', '.join(STATUSES), status))
    host['status'] = status or derive_status(host)
    return host


def problem_groups(hosts):
    """Each problem id across the fleet: ``{'id', 'severity' (the worst seen), 'hosts' (count)}``, the ids that
    affect most hosts first, errors before warnings on a tie."""
    groups = {}
    for host in hosts:
        for problem in host['problems']:
            group = groups.setdefault(problem['id'], {'id': problem['id'], 'severity': problem['severity'],
                                                      'names': set()})
            group['names'].add(host['hostname'])
            if SEVERITY_ORDER[problem['severity']] < SEVERITY_ORDER[group['severity']]:
                group['severity'] = problem['severity']
    listed = [{'id': g['id'], 'severity': g['severity'], 'hosts': len(g['names'])} for g in groups.values()]
    return sorted(listed, key=lambda g: (-g['hosts'], SEVERITY_ORDER[g['severity']], g['id']))


def attention_order(hosts):
    """Hosts as a person should read them: failed, unreachable, warning, ok; by name within each."""
    return sorted(hosts, key=lambda host: (STATUS_ORDER[host['status']], host['hostname']))


def summarize(hosts):
    summary = {'total': len(hosts)}
    for status in STATUSES:
        summary[status] = sum(1 for host in hosts if host['status'] == status)
    summary['benchmark_passed'] = sum(1 for host in hosts if host['passed'] is True)
    summary['benchmark_below_threshold'] = sum(1 for host in hosts if host['passed'] is False)
    summary['benchmark_missing'] = sum(1 for host in hosts if host['fps'] is None)
    summary['problems'] = sum(len(host['problems']) for host in hosts)
    summary['problem_groups'] = problem_groups(hosts)
    return summary


def build_report(entries, title=None, banner=None, generated_at=None):
    """The report dict written as JSON: hosts normalised and sorted by hostname, and their summary."""
    hosts = sorted((normalize_host(entry) for entry in entries or []), key=lambda host: host['hostname'])
    seen = set()
    for host in hosts:
        if host['hostname'] in seen:
            raise ValueError('host %s is listed twice' % host['hostname'])
        seen.add(host['hostname'])
    return {
        'format': REPORT_FORMAT,
        'title': _text(title) or DEFAULT_TITLE,
        'banner': _text(banner),
        'generated_at': _text(generated_at),
        'summary': summarize(hosts),
        'hosts': hosts,
    }


def render_json(report):
    return json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False) + '\n'


def check_troubleshooting_url(url):
    """Only relative references and http(s) URLs may become links."""
    if urlparse(url).scheme not in ('', 'http', 'https'):
        raise ValueError('troubleshooting_url must be a relative path or an http(s) URL, not %r' % (url,))
    return url


def problem_href(problem_id, base=DEFAULT_TROUBLESHOOTING_URL):
    return '%s#%s' % (quote(base, safe=":/?=&%.-_~+@"), quote(problem_id, safe=''))


def _fmt_number(value):
    if value is None:
        return None
    return '%.1f' % value


def _version_cells(host):
    """Loaded driver, firmware and runtime, and whether they are the same release (firmware: major.minor)."""
    runtime = host['runtime_version']
    consistent = True
    if runtime and host['driver_version'] and host['driver_version'] != runtime:
        consistent = False
    if runtime and host['firmware_version'] and \
            host['firmware_version'].split('.')[:2] != runtime.split('.')[:2]:
        consistent = False
    return consistent


def pcie_text(pcie):
    if not pcie or pcie.get('gen') is None:
        return None
    text = 'Gen%d' % pcie['gen']
    if pcie.get('width') is not None:
        text += ' x%d' % pcie['width']
    if pcie.get('max_gen') is not None and pcie['max_gen'] != pcie['gen']:
        text += ' (max Gen%d)' % pcie['max_gen']
    return text


def fps_text(host):
    if host['fps'] is None:
        return 'not measured'
    text = '%s FPS' % _fmt_number(host['fps'])
    if host['threshold'] is not None:
        text += ' / %s' % _fmt_number(host['threshold'])
    return text


def app_text(host):
    """The baseline application's figures beside hailortcli's: "app 1242 FPS, p99 3.1 ms", or None."""
    if host['app_fps'] is None:
        return None
    text = 'app %s FPS' % _fmt_number(host['app_fps'])
    if host['app_p99_ms'] is not None:
        text += ', p99 %s ms' % _fmt_number(host['app_p99_ms'])
    return text


def service_text(host):
    """The inference service's state and latency: "service ready, p50 4.2 ms", or None when it is not deployed."""
    if host['service_state'] is None:
        return None
    text = 'service %s' % host['service_state'].replace('_', ' ')
    if host['service_p50_ms'] is not None:
        text += ', p50 %s ms' % _fmt_number(host['service_p50_ms'])
    return text


# --- Markdown ---------------------------------------------------------------------------------------------------

_MD_SPECIAL = '\\`*_[]<>|&~#!'


def md_escape(value):
    """Text safe inside a Markdown table cell: punctuation escaped, no newline, no pipe."""
    text = ' '.join(str(value if value is not None else '').split())
    return ''.join('\\' + char if char in _MD_SPECIAL else char for char in text)


def summary_line(summary):
    return ('%d hosts: %d ok, %d warning, %d failed, %d unreachable. Benchmark: %d passed, %d below threshold, '
            '%d not measured.' % (summary['total'], summary['ok'], summary['warning'], summary['failed'],
                                  summary['unreachable'], summary['benchmark_passed'],
                                  summary['benchmark_below_threshold'], summary['benchmark_missing']))


def group_lines(summary, troubleshooting_url=DEFAULT_TROUBLESHOOTING_URL):
    """One Markdown line per problem id across the fleet: "37 hosts: pcie_link_below_expected (warning)"."""
    return ['- %d host%s: [%s](%s) (%s)' % (
        group['hosts'], '' if group['hosts'] == 1 else 's', md_escape(group['id']),
        problem_href(group['id'], troubleshooting_url), group['severity']) for group in summary['problem_groups']]


def render_brief(report, limit=20, troubleshooting_url=DEFAULT_TROUBLESHOOTING_URL):
    """A few lines for the end of a run, whatever the fleet's size: the counts, the problems grouped across the
    fleet, and the first ``limit`` hosts that are not ok."""
    summary = report['summary']
    lines = [summary_line(summary)]
    if summary['problem_groups']:
        lines += ['Problems across the fleet:'] + group_lines(summary, troubleshooting_url)
    attention = [host for host in attention_order(report['hosts']) if host['status'] != 'ok']
    if attention:
        more = ' (first %d of %d)' % (limit, len(attention)) if len(attention) > limit else ''
        lines.append('Hosts that need a look%s:' % more)
        for host in attention[:limit]:
            lines.append('- %s %s: %s' % (host['hostname'], host['status'].upper(),
                                          ', '.join(p['id'] for p in host['problems']) or host['note'] or '-'))
    return '\n'.join(lines) + '\n'


def render_markdown(report, troubleshooting_url=DEFAULT_TROUBLESHOOTING_URL):
    check_troubleshooting_url(troubleshooting_url)
    summary = report['summary']
    lines = ['# %s' % md_escape(report['title']), '']
    if report['banner']:
        lines += ['> **%s**' % md_escape(report['banner']), '']
    if report['generated_at']:
        lines += ['Generated %s.' % md_escape(report['generated_at']), '']
    lines += [summary_line(summary), '']
    if not report['hosts']:
        return '\n'.join(lines)
    if summary['problem_groups']:
        lines += ['## Problems across the fleet', ''] + group_lines(summary, troubleshooting_url) + ['', '## Hosts', '']
    lines += ['| Host | Status | Device | Kernel | Driver / firmware / runtime | PCIe | FPS / threshold | Problems |',
              '|---|---|---|---|---|---|---|---|']
    for host in attention_order(report['hosts']):
        versions = ' / '.join(version or '-' for version in (
            host['driver_version'], host['firmware_version'], host['runtime_version']))
        problems = ', '.join('[%s](%s)' % (md_escape(problem['id']), problem_href(problem['id'], troubleshooting_url))
                             for problem in host['problems'])
        fps = fps_text(host)
        if host['passed'] is False:
            fps += ' (below)'
        for extra in (app_text(host), service_text(host)):
            if extra:
                fps += '; ' + extra
        lines.append('| %s |' % ' | '.join([
            md_escape(host['hostname']),
            md_escape(host['status'].upper()),
            md_escape(host['architecture'] or '-'),
            md_escape(host['kernel'] or '-'),
            md_escape(versions),
            md_escape(pcie_text(host['pcie']) or '-'),
            md_escape(fps),
            problems or '-',
        ]))
    return '\n'.join(lines) + '\n'


# --- HTML -------------------------------------------------------------------------------------------------------

def nice_ceiling(value):
    """The smallest round number (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 x 10^k) that is at least ``value``."""
    if value <= 0:
        return 1.0
    exponent = 10.0 ** math.floor(math.log10(value))
    for step in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if round(step * exponent, 9) >= value:
            return round(step * exponent, 9)
    return round(10 * exponent, 9)


def _percent(value, scale):
    return round(min(100.0, max(0.0, 100.0 * value / scale)), 2)


def chart_hosts(hosts, limit=CHART_MAX_ROWS):
    """The hosts the chart draws, and a note about the others: every host up to ``limit``; beyond, only the ones
    below their threshold, the furthest below first (a fleet of hundreds would be an unreadable wall of bars)."""
    if len(hosts) <= limit:
        return hosts, None
    below = sorted((host for host in hosts if host['passed'] is False),
                   key=lambda host: ((host['fps'] or 0) / (host['threshold'] or 1), host['hostname']))
    drawn = below[:limit]
    return drawn, ('%d of %d hosts drawn: those below their threshold, furthest below first%s. The table lists '
                   'every host.' % (len(drawn), len(hosts), ' (the first %d)' % limit if len(below) > limit else ''))


def chart_geometry(hosts):
    """Numbers for the inline SVG chart: per host a bar and a threshold tick, in percent of the common scale.

    Each bar is its own small SVG sized in percent, so it stretches to any width while the host names and values
    stay HTML text, readable on a phone.
    """
    hosts, note = chart_hosts(hosts)
    values = [value for host in hosts for value in (host['fps'], host['threshold']) if value is not None]
    scale = nice_ceiling(max(values) * 1.05) if values else 1.0
    rows = []
    for host in hosts:
        if host['fps'] is None:
            state = 'none'
        elif host['passed'] is True:
            state = 'ok'
        elif host['passed'] is False:
            state = 'failed'
        else:
            state = 'unjudged'
        rows.append({
            'hostname': host['hostname'],
            'state': state,
            'bar_pct': _percent(host['fps'], scale) if host['fps'] is not None else 0,
            'threshold_pct': _percent(host['threshold'], scale) if host['threshold'] is not None else None,
            'value': fps_text(host),
        })
    ticks = [{'pct': round(100.0 * fraction, 2), 'label': '%g' % (scale * fraction),
              'anchor': 'start' if fraction == 0 else ('end' if fraction == 1 else 'middle')}
             for fraction in (0, 0.25, 0.5, 0.75, 1)]
    return {'scale': scale, 'ticks': ticks, 'rows': rows, 'note': note}


# Filters the host table by status, problem id and host name; the state lives in the URL fragment. Host data is
# read from data-* attributes and compared as text, never inserted as markup.
FILTER_SCRIPT = r'''
(function () {
  var form = document.getElementById('filters');
  var rows = Array.prototype.slice.call(document.querySelectorAll('#hosts tbody tr'));
  var shown = document.getElementById('shown');
  function state() {
    var params = {};
    location.hash.replace(/^#/, '').split('&').forEach(function (pair) {
      var kv = pair.split('=');
      if (kv[0]) { params[decodeURIComponent(kv[0])] = decodeURIComponent((kv[1] || '').replace(/\+/g, ' ')); }
    });
    return params;
  }
  function apply() {
    var p = state(), status = p.status || '', problem = p.problem || '', q = (p.q || '').toLowerCase(), count = 0;
    form.status.value = status; form.problem.value = problem; form.q.value = p.q || '';
    rows.forEach(function (row) {
      var visible = (!status || row.dataset.status === status) &&
        (!problem || (' ' + row.dataset.problems + ' ').indexOf(' ' + problem + ' ') >= 0) &&
        (!q || row.dataset.host.indexOf(q) >= 0);
      row.hidden = !visible;
      if (visible) { count += 1; }
    });
    shown.textContent = count + ' of ' + rows.length + ' hosts shown';
    document.body.dataset.filtered = (status || problem || q) ? 'yes' : 'no';
  }
  function update() {
    var parts = [];
    ['status', 'problem', 'q'].forEach(function (name) {
      if (form[name].value) { parts.push(name + '=' + encodeURIComponent(form[name].value)); }
    });
    history.replaceState(null, '', parts.length ? '#' + parts.join('&') : location.pathname + location.search);
    apply();
  }
  form.hidden = false;
  form.addEventListener('input', update);
  form.addEventListener('submit', function (event) { event.preventDefault(); update(); });
  window.addEventListener('hashchange', apply);
  apply();
}());
'''


def script_hash(script):
    """The CSP source that allows exactly this inline script."""
    return "'sha256-%s'" % base64.b64encode(hashlib.sha256(script.encode('utf-8')).digest()).decode('ascii')


def html_view(report, troubleshooting_url=DEFAULT_TROUBLESHOOTING_URL):
    hosts = []
    for host in attention_order(report['hosts']):
        pcie = host['pcie']
        hosts.append(dict(
            host,
            device=' '.join(part for part in (host['architecture'], host['board_name']) if part) or None,
            pcie_text=pcie_text(pcie),
            pcie_degraded=bool(pcie and pcie.get('gen') and pcie.get('max_gen') and pcie['gen'] < pcie['max_gen']),
            versions_consistent=_version_cells(host),
            fps_text=fps_text(host),
            app_text=app_text(host),
            service_text=service_text(host),
            problems=[dict(problem, href=problem_href(problem['id'], troubleshooting_url))
                      for problem in host['problems']],
            problem_ids=' '.join(sorted(set(problem['id'] for problem in host['problems']))),
            search_name=host['hostname'].lower(),
        ))
    groups = [dict(group, href=problem_href(group['id'], troubleshooting_url),
                   filter_href='#problem=%s' % quote(group['id'], safe=''))
              for group in report['summary']['problem_groups']]
    return {'report': report, 'hosts': hosts, 'chart': chart_geometry(report['hosts']), 'groups': groups,
            'troubleshooting_url': troubleshooting_url, 'script': FILTER_SCRIPT,
            'script_hash': script_hash(FILTER_SCRIPT)}


HTML_TEMPLATE = r'''<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src {{ script_hash | safe }}">
<title>{{ report.title }}</title>
<style>
:root { --ok: #1a7f37; --ok-bg: #dafbe1; --warn: #9a6700; --warn-bg: #fff8c5; --fail: #cf222e; --fail-bg: #ffebe9;
  --gone: #57606a; --gone-bg: #eaeef2; --line: #d0d7de; --muted: #57606a; --ink: #1f2328; --accent: #0969da; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
  background: #f6f8fa; }
main { max-width: 1280px; margin: 0 auto; padding: 16px; }
.banner { background: repeating-linear-gradient(45deg, #ffd33d, #ffd33d 14px, #ffe58a 14px, #ffe58a 28px);
  color: #3d2e00; font-weight: 700; letter-spacing: .08em; text-align: center; padding: 10px 16px;
  border-bottom: 2px solid #bf8700; text-transform: uppercase; }
h1 { font-size: 1.6em; margin: .3em 0 .2em; }
h2 { font-size: 1.15em; margin: 0 0 .6em; }
.meta { color: var(--muted); margin: 0 0 12px; }
.counts { display: flex; flex-wrap: wrap; gap: 8px; list-style: none; padding: 0; margin: 0 0 16px; }
.counts li { padding: 6px 12px; border-radius: 6px; font-weight: 600; border: 1px solid transparent; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 14px; margin-bottom: 16px; }
.ok { color: var(--ok); background: var(--ok-bg); border-color: var(--ok); }
.warning { color: var(--warn); background: var(--warn-bg); border-color: var(--warn); }
.failed { color: var(--fail); background: var(--fail-bg); border-color: var(--fail); }
.unreachable { color: var(--gone); background: var(--gone-bg); border-color: var(--gone); }
.total { background: #fff; border-color: var(--line); }
.chart-row { display: grid; grid-template-columns: minmax(8em, 14em) 1fr minmax(9em, 11em); gap: 4px 12px;
  align-items: center; margin: 2px 0; }
.chart-name { text-align: right; font-weight: 600; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.chart-value { font-variant-numeric: tabular-nums; white-space: nowrap; }
svg { display: block; overflow: visible; }
svg text { font: 12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; fill: var(--muted); }
svg .track { fill: #f0f3f6; }
svg .grid { stroke: var(--line); stroke-width: 1; }
svg .bar-ok { fill: var(--ok); }
svg .bar-failed { fill: var(--fail); }
svg .bar-unjudged { fill: var(--accent); }
svg .threshold { stroke: var(--ink); stroke-width: 2.5; }
.legend { color: var(--muted); font-size: .9em; margin: 6px 0 0; }
.legend .key { white-space: nowrap; margin-right: 12px; }
.legend .swatch { display: inline-block; width: 12px; height: 12px; vertical-align: -1px; margin-right: 4px; border-radius: 2px; }
.legend .swatch.tick { width: 3px; background: var(--ink); }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { text-align: left; vertical-align: top; padding: 8px 10px; border-bottom: 1px solid var(--line); }
th { background: #f6f8fa; font-size: .85em; text-transform: uppercase; letter-spacing: .03em; color: var(--muted); }
td.host { font-weight: 600; overflow-wrap: anywhere; min-width: 8em; }
tr.row-ok td:first-child { border-left: 5px solid var(--ok); }
tr.row-warning td:first-child { border-left: 5px solid var(--warn); }
tr.row-failed td:first-child { border-left: 5px solid var(--fail); }
tr.row-unreachable td:first-child { border-left: 5px solid var(--gone); }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: .8em; font-weight: 700;
  border: 1px solid; white-space: nowrap; }
.dim { color: var(--muted); }
.small { font-size: .85em; }
.bad { color: var(--fail); font-weight: 600; }
.soso { color: var(--warn); font-weight: 600; }
ul.problems { margin: 0; padding: 0; list-style: none; }
ul.problems li { margin: 0 0 4px; padding-left: 8px; border-left: 3px solid var(--line); }
ul.problems li.sev-error { border-left-color: var(--fail); }
ul.problems li.sev-warning { border-left-color: var(--warn); }
ul.problems a { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .85em; color: var(--accent); }
footer { color: var(--muted); font-size: .85em; margin-top: 8px; }
.counts a { color: inherit; text-decoration: none; }
.counts a:hover { text-decoration: underline; }
form.filters { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: center; margin: 0 0 10px; }
form.filters label { font-size: .9em; color: var(--muted); }
form.filters select, form.filters input { font: inherit; padding: 4px 6px; border: 1px solid var(--line);
  border-radius: 6px; background: #fff; }
form.filters input { min-width: 14em; }
#shown { color: var(--muted); font-size: .9em; }
table.groups td.count { font-variant-numeric: tabular-nums; font-weight: 700; white-space: nowrap; }
table.groups a.id { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .9em; color: var(--accent); }
.note { color: var(--muted); font-size: .9em; margin: 6px 0 0; }
@media (max-width: 760px) {
  main { padding: 10px; }
  .chart-row { grid-template-columns: 1fr auto; margin: 8px 0; }
  .chart-row svg { grid-column: 1 / -1; grid-row: 2; }
  .chart-name { text-align: left; }
  .chart-axis { display: none; }
  table, tbody, tr, td { display: block; width: 100%; }
  thead { display: none; }
  tr { border: 1px solid var(--line); border-radius: 8px; margin-bottom: 12px; background: #fff; overflow: hidden; }
  tr td:first-child { border-left: 0 !important; }
  tr.row-ok { border-left: 6px solid var(--ok); }
  tr.row-warning { border-left: 6px solid var(--warn); }
  tr.row-failed { border-left: 6px solid var(--fail); }
  tr.row-unreachable { border-left: 6px solid var(--gone); }
  td { border-bottom: 1px solid #eaeef2; padding: 6px 10px; }
  td::before { content: attr(data-label); display: block; font-size: .75em; text-transform: uppercase;
    color: var(--muted); letter-spacing: .03em; }
  table { background: transparent; }
  table.groups tr { display: flex; flex-wrap: wrap; align-items: baseline; gap: 2px 10px; padding: 8px 10px; }
  table.groups td { display: inline; width: auto; border: 0; padding: 0; }
  table.groups td::before { content: none; }
}
</style>
</head>
<body>
{% if report.banner %}<div class="banner" role="note">{{ report.banner }}</div>
{% endif %}<main>
<header>
<h1>{{ report.title }}</h1>
<p class="meta">{{ report.summary.total }} host{{ '' if report.summary.total == 1 else 's' }}
{%- if report.generated_at %} &middot; generated {{ report.generated_at }}{% endif %}</p>
<ul class="counts">
<li class="failed"><a href="#status=failed">{{ report.summary.failed }} failed</a></li>
<li class="unreachable"><a href="#status=unreachable">{{ report.summary.unreachable }} unreachable</a></li>
<li class="warning"><a href="#status=warning">{{ report.summary.warning }} warning</a></li>
<li class="ok"><a href="#status=ok">{{ report.summary.ok }} ok</a></li>
<li class="total">benchmark: {{ report.summary.benchmark_passed }} passed,
{{ report.summary.benchmark_below_threshold }} below threshold, {{ report.summary.benchmark_missing }} not measured</li>
</ul>
</header>
{% if groups %}<section class="card" aria-labelledby="groups-title">
<h2 id="groups-title">Problems across the fleet</h2>
<div class="table-wrap">
<table class="groups">
<thead><tr><th>Hosts</th><th>Problem</th><th>Severity</th><th></th></tr></thead>
<tbody>
{% for group in groups %}<tr class="sev-{{ group.severity }}">
<td class="count" data-label="Hosts">{{ group.hosts }} host{{ '' if group.hosts == 1 else 's' }}</td>
<td data-label="Problem"><a class="id" href="{{ group.href }}">{{ group.id }}</a></td>
<td data-label="Severity">{{ group.severity }}</td>
<td data-label=""><a href="{{ group.filter_href }}">show these hosts</a></td>
</tr>
{% endfor %}</tbody>
</table>
</div>
</section>
{% endif %}{% if hosts %}<section class="card" aria-labelledby="chart-title">
<h2 id="chart-title">Throughput against each host's threshold (FPS)</h2>
<div class="chart">
<div class="chart-row chart-axis"><div></div><svg class="axis" width="100%" height="18" aria-hidden="true">
{% for tick in chart.ticks %}<text x="{{ tick.pct }}%" y="13" text-anchor="{{ tick.anchor }}">{{ tick.label }}</text>
{% endfor %}</svg><div></div></div>
{% for row in chart.rows %}<div class="chart-row">
<div class="chart-name">{{ row.hostname }}</div>
<svg class="bar" width="100%" height="24" role="img" aria-label="{{ row.hostname }}: {{ row.value }}">
<title>{{ row.hostname }}: {{ row.value }}</title>
<rect class="track" x="0" y="4" width="100%" height="16"/>
{% for tick in chart.ticks %}<line class="grid" x1="{{ tick.pct }}%" y1="0" x2="{{ tick.pct }}%" y2="24"/>
{% endfor %}{% if row.state != 'none' %}<rect class="bar-{{ row.state }}" x="0" y="4" width="{{ row.bar_pct }}%"
 height="16" rx="2"/>
{% endif %}{% if row.threshold_pct is not none %}<line class="threshold" x1="{{ row.threshold_pct }}%" y1="0"
 x2="{{ row.threshold_pct }}%" y2="24"/>
{% endif %}</svg>
<div class="chart-value{% if row.state == 'failed' %} bad{% endif %}">{{ row.value }}</div>
</div>
{% endfor %}</div>
<p class="legend">
<span class="key"><span class="swatch" style="background: var(--ok)"></span>at or above threshold</span>
<span class="key"><span class="swatch" style="background: var(--fail)"></span>below threshold</span>
<span class="key"><span class="swatch" style="background: var(--accent)"></span>no threshold</span>
<span class="key"><span class="swatch tick"></span>threshold</span>
<span class="key">scale 0 to {{ '%g' % chart.scale }} FPS</span>
</p>
{% if chart.note %}<p class="note">{{ chart.note }}</p>
{% endif %}</section>
<section class="card" aria-labelledby="hosts-title">
<h2 id="hosts-title">Hosts</h2>
<form id="filters" class="filters" hidden>
<label>Status <select name="status"><option value="">any</option>
{% for status in ['failed', 'unreachable', 'warning', 'ok'] %}<option value="{{ status }}">{{ status }}</option>
{% endfor %}</select></label>
<label>Problem <select name="problem"><option value="">any</option>
{% for group in groups %}<option value="{{ group.id }}">{{ group.id }} ({{ group.hosts }})</option>
{% endfor %}</select></label>
<label>Host <input name="q" type="search" placeholder="name contains" autocomplete="off"></label>
<span id="shown" role="status"></span>
</form>
<div class="table-wrap">
<table id="hosts">
<thead><tr><th>Host</th><th>Status</th><th>Device</th><th>Kernel</th><th>Driver</th><th>Firmware / runtime</th>
<th>PCIe link</th><th>FPS / threshold</th><th>Problems</th></tr></thead>
<tbody>
{% for host in hosts %}<tr class="row-{{ host.status }}" data-status="{{ host.status }}"
 data-problems="{{ host.problem_ids }}" data-host="{{ host.search_name }}">
<td class="host" data-label="Host">{{ host.hostname }}{% if host.note %}<div class="dim small">{{ host.note }}</div>{% endif %}</td>
<td data-label="Status"><span class="badge {{ host.status }}">{{ host.status | upper }}</span></td>
<td data-label="Device">{{ host.device or '-' }}</td>
<td data-label="Kernel">{{ host.kernel or '-' }}</td>
<td data-label="Driver"><span{% if not host.versions_consistent %} class="bad"{% endif %}>
{{- host.driver_version or '-' }}</span>
{%- if host.driver_versions_on_disk %}
<div class="dim small">on disk: {{ host.driver_versions_on_disk | join(', ') }}</div>{% endif %}</td>
<td data-label="Firmware / runtime"><span{% if not host.versions_consistent %} class="bad"{% endif %}>
{{- host.firmware_version or '-' }} / {{ host.runtime_version or '-' }}</span></td>
<td data-label="PCIe link"><span{% if host.pcie_degraded %} class="soso"{% endif %}>{{ host.pcie_text or '-' }}</span></td>
<td data-label="FPS / threshold"><span{% if host.passed is false %} class="bad"{% endif %}>{{ host.fps_text }}</span>
{%- if host.model or host.fps_metric %}
<div class="dim small">{{ [host.model, host.fps_metric] | select | join(', ') }}</div>{% endif %}
{%- if host.app_text %}
<div class="small">{{ host.app_text }}</div>{% endif %}
{%- if host.service_text %}
<div class="small">{{ host.service_text }}</div>{% endif %}</td>
<td data-label="Problems">{% if host.problems %}<ul class="problems">
{% for problem in host.problems %}<li class="sev-{{ problem.severity }}"><a href="{{ problem.href }}">{{ problem.id }}</a>
{{ problem.message }}{% if problem.fix %}<div class="dim small">{{ problem.fix }}</div>{% endif %}</li>
{% endfor %}</ul>{% else %}<span class="dim">none</span>{% endif %}</td>
</tr>
{% endfor %}</tbody>
</table>
</div>
</section>
{% else %}<p class="card">No hosts in this report.</p>
{% endif %}<footer>Problem ids link to {{ troubleshooting_url }}. Figures are measured with hailortcli benchmark on each host.</footer>
</main>
{% if hosts %}<script>{{ script | safe }}</script>
{% endif %}</body>
</html>
'''


def render_html(report, troubleshooting_url=DEFAULT_TROUBLESHOOTING_URL):
    if not HAS_JINJA2:
        raise RuntimeError('jinja2 is needed to render the HTML report')
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    template = environment.from_string(HTML_TEMPLATE)
    return template.render(**html_view(report, check_troubleshooting_url(troubleshooting_url)))


def render_all(report, troubleshooting_url=DEFAULT_TROUBLESHOOTING_URL):
    """{'json', 'html', 'markdown'} -> file content."""
    return {
        'json': render_json(report),
        'html': render_html(report, troubleshooting_url),
        'markdown': render_markdown(report, troubleshooting_url),
    }


def content_differs(path, content):
    """True when ``path`` does not exist or holds something else than ``content`` (text, UTF-8)."""
    try:
        with open(path, 'rb') as handle:
            return handle.read() != content.encode('utf-8')
    except (IOError, OSError):
        return True


def report_paths(dest):
    return dict((kind, os.path.join(dest, name)) for kind, name in FILE_NAMES.items())
