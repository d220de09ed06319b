# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report's normalisation, summary and the three renderings."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest

from ansible_collections.hailo_open.hailo.plugins.module_utils import _fleet_report as fleet_report

HOSTILE = '<script>alert("x")</script>'


def fleet():
    return [
        {'hostname': 'pi-02', 'architecture': 'HAILO8L', 'board_name': 'Hailo-8', 'kernel': '6.12.47+rpt-rpi-2712',
         'driver_version': '4.23.0', 'driver_versions_on_disk': {'6.12.47+rpt-rpi-v8': '4.23.0',
                                                                  '6.12.47+rpt-rpi-2712': '4.23.0'},
         'firmware_version': '4.23.0', 'runtime_version': '4.23.0', 'pcie': {'gen': 2, 'width': 1, 'max_gen': 3},
         'model': 'resnet_v1_50', 'fps': 131.5, 'fps_metric': 'hw_only', 'threshold': 110.4,
         'problems': [{'id': 'pcie_link_below_expected', 'severity': 'warning',
                       'message': 'The link runs at Gen2.', 'fix': 'Set dtparam=pciex1_gen=3.'}]},
        {'hostname': 'pi-01', 'architecture': 'HAILO8', 'kernel': '6.12.47+rpt-rpi-2712', 'driver_version': '4.23.0',
         'driver_versions_on_disk': ['4.23.0'], 'firmware_version': '4.23.0', 'runtime_version': '4.23.0',
         'pcie': {'gen': 3, 'width': 1, 'max_gen': 3}, 'model': 'resnet_v1_50', 'fps': 1371.2,
         'fps_metric': 'hw_only', 'threshold': 1097.6, 'passed': True, 'app_fps': 1299.7, 'app_p99_ms': '3.4',
         'problems': []},
        {'hostname': 'pi-03', 'architecture': 'HAILO8', 'driver_version': '4.20.0', 'firmware_version': '4.23.0',
         'runtime_version': '4.23.0', 'fps': 402.0, 'threshold': 1097.6,
         'problems': [{'id': 'driver_version_mismatch', 'severity': 'error', 'message': 'Driver 4.20.0.'}]},
        {'hostname': 'pi-04', 'status': 'unreachable', 'note': 'SSH timed out'},
    ]


def report(entries=None, **kwargs):
    return fleet_report.build_report(fleet() if entries is None else entries, **kwargs)


def test_hosts_sorted_normalised_and_statuses_derived():
    built = report()
    assert [host['hostname'] for host in built['hosts']] == ['pi-01', 'pi-02', 'pi-03', 'pi-04']
    assert [host['status'] for host in built['hosts']] == ['ok', 'warning', 'failed', 'unreachable']
    pi02 = built['hosts'][1]
    assert pi02['passed'] is True  # derived from fps and threshold
    assert pi02['driver_versions_on_disk'] == ['6.12.47+rpt-rpi-2712: 4.23.0', '6.12.47+rpt-rpi-v8: 4.23.0']
    assert built['hosts'][2]['passed'] is False
    pi04 = built['hosts'][3]
    assert pi04['fps'] is None and pi04['problems'] == [] and pi04['pcie'] == {'gen': None, 'width': None,
                                                                              'max_gen': None}


def test_summary():
    assert report()['summary'] == {'total': 4, 'ok': 1, 'warning': 1, 'failed': 1, 'unreachable': 1,
                                   'benchmark_passed': 2, 'benchmark_below_threshold': 1, 'benchmark_missing': 1,
                                   'problems': 2,
                                   'problem_groups': [{'id': 'driver_version_mismatch', 'severity': 'error', 'hosts': 1},
                                                      {'id': 'pcie_link_below_expected', 'severity': 'warning',
                                                       'hosts': 1}]}


def test_given_status_wins_and_bad_values_are_refused():
    assert report([{'hostname': 'a', 'status': 'warning'}])['hosts'][0]['status'] == 'warning'
    assert report([{'hostname': 'a', 'passed': False}])['hosts'][0]['status'] == 'failed'
    with pytest.raises(ValueError, match='status must be one of'):
        report([{'hostname': 'a', 'status': 'broken'}])
    with pytest.raises(ValueError, match='hostname'):
        report([{'fps': 1}])
    with pytest.raises(ValueError, match='listed twice'):
        report([{'hostname': 'a'}, {'hostname': 'a'}])
    with pytest.raises(ValueError, match='host a: problem severity'):
        report([{'hostname': 'a', 'problems': [{'id': 'x', 'severity': 'fatal'}]}])
    with pytest.raises(ValueError, match='needs an id'):
        report([{'hostname': 'a', 'problems': [{'message': 'x'}]}])


def test_numbers_are_typed_and_junk_dropped():
    host = report([{'hostname': 'a', 'fps': '12.5', 'threshold': 'n/a', 'pcie': {'gen': '3', 'width': 1}}])['hosts'][0]
    assert host['fps'] == 12.5 and host['threshold'] is None and host['passed'] is None
    assert host['pcie'] == {'gen': 3, 'width': 1, 'max_gen': None}
    assert report([{'hostname': 'a', 'fps': float('nan')}])['hosts'][0]['fps'] is None


def test_json_is_stable_and_has_no_timestamp():
    first = fleet_report.render_json(report())
    assert first == fleet_report.render_json(report(list(reversed(fleet()))))
    parsed = json.loads(first)
    assert parsed['generated_at'] is None and parsed['format'] == 2 and parsed['title'] == 'Hailo fleet report'
    assert json.loads(fleet_report.render_json(report(generated_at='2025-11-30 09:00 UTC')))['generated_at'] == \
        '2025-11-30 09:00 UTC'


def test_empty_fleet():
    built = report([])
    assert built['summary']['total'] == 0
    html = fleet_report.render_html(built)
    assert 'No hosts in this report.' in html
    assert '| Host |' not in fleet_report.render_markdown(built)


class _Collector(HTMLParser):
    """Every start tag and every link of a page."""

    def __init__(self):
        HTMLParser.__init__(self)
        self.tags = []
        self.links = []
        self.text = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        attrs = dict(attrs)
        for name in ('href', 'src'):
            if name in attrs:
                self.links.append(attrs[name])

    def handle_data(self, data):
        self.text.append(data)


def parse(html):
    collector = _Collector()
    collector.feed(html)
    return collector


def test_html_is_self_contained():
    html = fleet_report.render_html(report(banner='SIMULATED FLEET'))
    page = parse(html)
    assert 'link' not in page.tags and 'img' not in page.tags and 'iframe' not in page.tags
    # one inline script, allowed by its hash and nothing else; the policy forbids any network access
    assert page.tags.count('script') == 1 and '<script src' not in html
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', html).group(1)
    assert policy == ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src %s"
                      % fleet_report.script_hash(fleet_report.FILTER_SCRIPT))
    script = html.split('<script>')[1].split('</script>')[0]
    assert fleet_report.script_hash(script) == fleet_report.script_hash(fleet_report.FILTER_SCRIPT)
    assert all(link.startswith('docs/troubleshooting.md#') or link.startswith('#') for link in page.links)
    assert not re.search(r'(?i)(https?:)?//|@import|url\(', html.split('<body>')[0])
    assert not re.search(r'(?i)https?:|fetch\(|XMLHttpRequest|innerHTML|eval\(', script)
    assert '<style>' in html and '<svg' in html and 'name="viewport"' in html


def test_html_content():
    html = fleet_report.render_html(report(banner='SIMULATED FLEET', title='Lab fleet'))
    text = ' '.join(parse(html).text)
    assert '<title>Lab fleet</title>' in html
    assert '<div class="banner" role="note">SIMULATED FLEET</div>' in html
    for expected in ('pi-01', 'HAILO8L Hailo-8', '6.12.47+rpt-rpi-2712', 'Gen2 x1 (max Gen3)', '1371.2 FPS / 1097.6',
                     'on disk: 6.12.47+rpt-rpi-2712: 4.23.0, 6.12.47+rpt-rpi-v8: 4.23.0', 'SSH timed out',
                     'resnet_v1_50, hw_only', 'Set dtparam=pciex1_gen=3.', 'not measured'):
        assert expected in text, expected
    assert '<a href="docs/troubleshooting.md#pcie_link_below_expected">pcie_link_below_expected</a>' in html
    assert ('<tr class="row-failed" data-status="failed"\n data-problems="driver_version_mismatch" data-host="pi-03">'
            in html)
    assert '<span class="badge unreachable">UNREACHABLE</span>' in html
    # one bar per measured host, coloured by the verdict; the threshold as a tick
    assert html.count('<rect class="bar-ok"') == 2 and html.count('<rect class="bar-failed"') == 1
    assert html.count('<line class="threshold"') == 3
    # driver 4.20.0 against runtime 4.23.0 is flagged
    assert '<span class="bad">4.20.0</span>' in html


def test_html_without_banner_or_timestamp():
    html = fleet_report.render_html(report())
    assert 'class="banner"' not in html and 'generated' not in html
    assert 'generated 2025-11-30' in fleet_report.render_html(report(generated_at='2025-11-30'))


def test_chart_geometry():
    chart = fleet_report.chart_geometry(report()['hosts'])
    assert chart['scale'] == 1500.0
    pi01 = chart['rows'][0]
    assert pi01['state'] == 'ok' and pi01['bar_pct'] == round(100 * 1371.2 / 1500, 2)
    assert pi01['threshold_pct'] == round(100 * 1097.6 / 1500, 2)
    assert [row['state'] for row in chart['rows']] == ['ok', 'ok', 'failed', 'none']
    assert [tick['label'] for tick in chart['ticks']] == ['0', '375', '750', '1125', '1500']
    assert fleet_report.chart_geometry(report([{'hostname': 'a', 'fps': 10}])['hosts'])['rows'][0]['state'] == \
        'unjudged'


@pytest.mark.parametrize('value, ceiling', [(0, 1.0), (0.7, 0.8), (1440, 1500.0), (1501, 2000.0), (2100, 2500.0),
                                            (2700, 3000.0), (99, 100.0), (101, 120.0)])
def test_nice_ceiling(value, ceiling):
    assert fleet_report.nice_ceiling(value) == ceiling


def hostile_fleet():
    return [{'hostname': HOSTILE, 'architecture': '<b>HAILO8</b>', 'kernel': '"><svg onload=alert(1)>',
             'note': "'quoted' & <i>", 'fps': 10, 'threshold': 20, 'model': '<img src=x onerror=alert(1)>',
             'problems': [{'id': '"><script>alert(2)</script>', 'severity': 'error',
                           'message': '<iframe src="//evil.example"></iframe>', 'fix': '</td></tr></table>'}]}]


def test_html_escapes_everything_from_hosts():
    html = fleet_report.render_html(report(hostile_fleet(), title=HOSTILE, banner='<marquee>SIM</marquee>'))
    page = parse(html)
    for tag in ('iframe', 'img', 'marquee', 'b', 'i'):
        assert tag not in page.tags, tag
    assert page.tags.count('script') == 1  # ours, pinned by its hash; none from the hosts
    assert page.tags.count('svg') == 2  # the axis and the one bar, none from the kernel string
    assert '&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;' in html
    assert '<a href="docs/troubleshooting.md#%22%3E%3Cscript%3Ealert%282%29%3C%2Fscript%3E">' in html
    assert set(page.links) == {'docs/troubleshooting.md#%22%3E%3Cscript%3Ealert%282%29%3C%2Fscript%3E',
                               '#problem=%22%3E%3Cscript%3Ealert%282%29%3C%2Fscript%3E',
                               '#status=failed', '#status=unreachable', '#status=warning', '#status=ok'}
    text = ''.join(page.text)
    assert HOSTILE in text and '<iframe src="//evil.example"></iframe>' in text


def test_markdown_escapes_and_links():
    markdown = fleet_report.render_markdown(report(hostile_fleet(), banner='SIMULATED FLEET'))
    assert '<script>' not in markdown and '<iframe' not in markdown
    assert '\\<script\\>alert("x")\\</script\\>' in markdown
    row = [line for line in markdown.splitlines() if line.startswith('| \\<script')][0]
    # 8 columns: no pipe from the data
    assert row.count(' | ') == 7
    assert '> **SIMULATED FLEET**' in markdown


def test_markdown_table():
    markdown = fleet_report.render_markdown(report())
    lines = markdown.splitlines()
    assert lines[0] == '# Hailo fleet report'
    assert lines[2] == ('4 hosts: 1 ok, 1 warning, 1 failed, 1 unreachable. Benchmark: 2 passed, 1 below threshold, '
                        '1 not measured.')
    assert '| pi-01 | OK | HAILO8 | 6.12.47+rpt-rpi-2712 | 4.23.0 / 4.23.0 / 4.23.0 | Gen3 x1 | ' \
           '1371.2 FPS / 1097.6; app 1299.7 FPS, p99 3.4 ms | - |' in lines
    assert any('[driver\\_version\\_mismatch](docs/troubleshooting.md#driver_version_mismatch)' in line
               for line in lines)
    assert any('402.0 FPS / 1097.6 (below) |' in line for line in lines), 'no app figures: nothing added'


def test_troubleshooting_url():
    base = 'https://github.com/hailo-open/hailo_open.hailo/blob/main/docs/troubleshooting.md'
    html = fleet_report.render_html(report(), troubleshooting_url=base)
    assert '<a href="%s#driver_version_mismatch">' % base in html
    for bad in ('javascript:alert(1)', 'data:text/html,x'):
        with pytest.raises(ValueError, match='relative path or an http'):
            fleet_report.render_html(report(), troubleshooting_url=bad)
        with pytest.raises(ValueError):
            fleet_report.render_markdown(report(), troubleshooting_url=bad)


def test_render_all_and_paths(tmp_path):
    contents = fleet_report.render_all(report())
    assert sorted(contents) == ['html', 'json', 'markdown']
    paths = fleet_report.report_paths(str(tmp_path))
    assert paths == {'json': str(tmp_path / 'fleet-report.json'), 'html': str(tmp_path / 'fleet-report.html'),
                     'markdown': str(tmp_path / 'fleet-report.md')}
    assert fleet_report.content_differs(paths['json'], contents['json']) is True
    (tmp_path / 'fleet-report.json').write_text(contents['json'], encoding='utf-8')
    assert fleet_report.content_differs(paths['json'], contents['json']) is False


def big_fleet(count, seed=7):
    """A synthetic fleet: mostly healthy hosts, some slow on a Gen2 link, some failed, some unreachable."""
    import random
    rng = random.Random(seed)
    hosts = []
    for number in range(count):
        name = 'pi-%04d' % number
        roll = rng.random()
        if roll < 0.04:
            hosts.append({'hostname': name, 'status': 'unreachable', 'note': 'SSH timed out'})
            continue
        arch = 'HAILO8' if number % 3 else 'HAILO8L'
        threshold = 1097.6 if arch == 'HAILO8' else 110.4
        problems = []
        fps = threshold * rng.uniform(1.0, 1.3)
        gen = 3
        if roll < 0.12:
            gen = 2
            problems.append({'id': 'pcie_link_below_expected', 'severity': 'warning', 'message': 'Gen2'})
            fps = threshold * rng.uniform(0.4, 0.95) if arch == 'HAILO8' else fps
        if 0.12 <= roll < 0.15:
            problems.append({'id': 'driver_library_mismatch', 'severity': 'error', 'message': 'libhailort refuses'})
            fps = None
        hosts.append({'hostname': name, 'architecture': arch, 'driver_version': '4.23.0', 'firmware_version': '4.23.0',
                      'runtime_version': '4.23.0', 'pcie': {'gen': gen, 'width': 1, 'max_gen': 3}, 'fps': fps,
                      'threshold': threshold, 'fps_metric': 'hw_only', 'model': 'resnet_v1_50', 'problems': problems})
    return hosts


def test_problems_are_grouped_across_the_fleet():
    built = report(big_fleet(500))
    groups = built['summary']['problem_groups']
    assert [g['id'] for g in groups] == ['pcie_link_below_expected', 'driver_library_mismatch']
    counted = dict((g['id'], sum(1 for h in built['hosts'] if g['id'] in [p['id'] for p in h['problems']]))
                   for g in groups)
    assert dict((g['id'], g['hosts']) for g in groups) == counted
    markdown = fleet_report.render_markdown(built)
    assert '- %d hosts: [pcie\\_link\\_below\\_expected]' % counted['pcie_link_below_expected'] in markdown


def test_hosts_that_need_a_look_come_first():
    built = report(big_fleet(500))
    html = fleet_report.render_html(built)
    statuses = re.findall(r'<tr class="row-(\w+)" data-status', html)
    assert len(statuses) == 500
    order = [fleet_report.STATUS_ORDER[status] for status in statuses]
    assert order == sorted(order) and statuses[0] == 'failed' and statuses[-1] == 'ok'
    table = fleet_report.render_markdown(built).split('## Hosts')[1]
    first = re.findall(r'^\| pi-\d+ \| (\w+) \|', table, re.M)
    assert first[0] == 'FAILED' and first[-1] == 'OK'


def test_big_fleet_chart_draws_only_hosts_below_threshold():
    built = report(big_fleet(500))
    chart = fleet_report.chart_geometry(built['hosts'])
    below = [h for h in built['hosts'] if h['passed'] is False]
    assert len(chart['rows']) == min(len(below), fleet_report.CHART_MAX_ROWS)
    assert all(row['state'] == 'failed' for row in chart['rows'])
    ratios = [h['fps'] / h['threshold'] for h in below]
    assert chart['rows'][0]['hostname'] == below[ratios.index(min(ratios))]['hostname']
    assert 'hosts drawn' in chart['note']
    small = fleet_report.chart_geometry(report()['hosts'])
    assert small['note'] is None and len(small['rows']) == 4


def test_brief_summary_stays_short():
    built = report(big_fleet(500))
    brief = fleet_report.render_brief(built, limit=20)
    lines = brief.splitlines()
    assert lines[0].startswith('500 hosts: ')
    assert 'Problems across the fleet:' in lines and len(lines) < 30
    assert 'Hosts that need a look (first 20 of' in brief


def test_filter_controls_list_the_problems():
    html = fleet_report.render_html(report(big_fleet(60)))
    assert '<form id="filters" class="filters" hidden>' in html
    assert re.search(r'<option value="pcie_link_below_expected">pcie_link_below_expected \(\d+\)</option>', html)
    assert '<a href="#problem=pcie_link_below_expected">show these hosts</a>' in html


def test_a_thousand_hosts_render():
    built = report(big_fleet(1000))
    contents = fleet_report.render_all(built)
    assert contents['html'].count('<tr class="row-') == 1000
    assert len(contents['html']) < 3 * 1024 * 1024
