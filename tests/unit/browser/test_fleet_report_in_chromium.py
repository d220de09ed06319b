# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report of a 500-host fleet (synthetic) in a real browser: Debian's headless Chromium runs the page's
filter script from a URL fragment and dumps the resulting DOM; screenshots at desktop and phone widths are kept in
build/report-screenshots for a person to look at. `make test` installs chromium; without it these tests skip."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile

import pytest

from ansible_collections.hailo_open.hailo.plugins.module_utils import _fleet_report as fleet_report
from ansible_collections.hailo_open.hailo.tests.unit.module_utils.test_fleet_report import big_fleet

CHROMIUM = os.environ.get('HAILO_TEST_CHROMIUM') or shutil.which('chromium')
SHOTS = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'build', 'report-screenshots')
pytestmark = pytest.mark.skipif(not CHROMIUM, reason='chromium is not installed (make test installs it)')
ROW_RE = re.compile(r'<tr class="row-\w+" data-status="(?P<status>\w+)" data-problems="(?P<problems>[^"]*)" '
                    r'data-host="(?P<host>[^"]*)"(?P<hidden> hidden(?:="")?)?>')


def chromium(*args):
    profile = tempfile.mkdtemp()
    try:
        # No network: background services off, and every host name resolves to nothing.
        return subprocess.run(
            [CHROMIUM, '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
             '--disable-component-update', '--disable-sync', '--no-first-run', '--user-data-dir=' + profile,
             '--host-resolver-rules=MAP * ~NOTFOUND'] + list(args),
            capture_output=True, text=True, timeout=120, check=False)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope='module')
def page(tmp_path_factory):
    report = fleet_report.build_report(big_fleet(500), banner='SIMULATED FLEET (500 synthetic hosts)')
    path = tmp_path_factory.mktemp('report') / 'fleet-report.html'
    path.write_text(fleet_report.render_html(report))
    return {'url': 'file://%s' % path, 'report': report}


def rows_after(page, fragment):
    dom = chromium('--virtual-time-budget=3000', '--dump-dom', page['url'] + fragment).stdout
    rows = [match.groupdict() for match in ROW_RE.finditer(dom)]
    shown = re.search(r'id="shown"[^>]*>([^<]*)<', dom)
    return rows, shown.group(1) if shown else None


def test_every_host_shown_without_a_filter(page):
    rows, shown = rows_after(page, '')
    assert len(rows) == 500 and not any(row['hidden'] for row in rows)
    assert shown == '500 of 500 hosts shown'


def test_status_filter_from_the_fragment(page):
    rows, shown = rows_after(page, '#status=failed')
    visible = [row for row in rows if not row['hidden']]
    failed = page['report']['summary']['failed']
    assert failed > 0 and len(visible) == failed and all(row['status'] == 'failed' for row in visible)
    assert shown == '%d of 500 hosts shown' % failed


def test_problem_filter_and_name_search_together(page):
    rows, shown = rows_after(page, '#problem=pcie_link_below_expected&q=PI-00')
    visible = [row for row in rows if not row['hidden']]
    wanted = [host['hostname'] for host in page['report']['hosts']
              if 'pcie_link_below_expected' in [p['id'] for p in host['problems']] and 'pi-00' in host['hostname']]
    assert wanted and sorted(row['host'] for row in visible) == sorted(wanted)
    assert shown == '%d of 500 hosts shown' % len(wanted)


@pytest.mark.parametrize('name, size', [('desktop', '1280,900'), ('phone', '390,844')])
def test_screenshots(page, name, size):
    os.makedirs(SHOTS, exist_ok=True)
    out = os.path.abspath(os.path.join(SHOTS, 'fleet-500-%s.png' % name))
    if os.path.exists(out):
        os.remove(out)
    chromium('--screenshot=' + out, '--window-size=' + size, '--virtual-time-budget=2000', page['url'])
    with open(out, 'rb') as handle:
        head = handle.read(24)
    assert head[:8] == b'\x89PNG\r\n\x1a\n'
    width = int.from_bytes(head[16:20], 'big')
    assert width == int(size.split(',')[0])
    assert os.path.getsize(out) > 20000  # a rendered page, not a blank one
