#!/usr/bin/env python3
"""Turns the fleet benchmark's results (one JSON object per line) into one JSON file and a Markdown table.

    bench-table.py RESULTS.jsonl OUT.json OUT.md
"""

import json
import sys


def main(results_path, json_path, markdown_path):
    results = {}
    with open(results_path) as handle:
        for line in handle:
            if line.strip():
                results.update(json.loads(line))
    with open(json_path, 'w') as handle:
        json.dump(results, handle, indent=2, sort_keys=True)
        handle.write('\n')

    rows = []
    trip = results.get('round_trip')
    if trip:
        rows.append(('P0 task round trip', '%.2f s on 1 host; %.2f s on %d hosts at once'
                     % (trip['one_host_s'], trip['all_hosts_s'], trip['hosts']), '-', '-'))
        if 'pipelined_one_host_s' in trip:
            rows.append(('P0 the same, pipelined test connection', '%.2f s on 1 host; %.2f s on %d hosts at once'
                         % (trip['pipelined_one_host_s'], trip['pipelined_all_hosts_s'], trip['hosts']),
                         '%.2f; %.2f' % (trip['pipelined_ratio_one'], trip['pipelined_ratio_all']), 'lower is better'))
    p1 = results.get('p1')
    if p1:
        rows.append(('P1 first provisioning, 1 host vs %d' % p1['hosts'],
                     '%.0f s vs %.0f s; HailoRT builds %d vs %d; DKMS builds %d vs %d; tasks per host %.0f'
                     % (p1['one_host_s'], p1['many_hosts_s'], p1['hailort_builds_one']['count'],
                        p1['hailort_builds_many']['count'], p1['dkms_builds_one'], p1['dkms_builds_many'],
                        p1['recap_many']['tasks_per_host']),
                     '%.2f' % p1['ratio'], '<= 1.5'))
    p2 = results.get('p2')
    if p2:
        rows.append(('P2 re-run, nothing changed', '%.0f s vs %.0f s first; changed tasks %d; tasks per host %.0f'
                     % (p2['rerun_s'], p2['first_s'], p2['recap']['changed'], p2['recap']['tasks_per_host']),
                     '%.2f' % p2['ratio'], '<= 0.35, changed = 0'))
    p3 = results.get('p3')
    if p3:
        rows.append(('P3 kernel upgrade (reprovision.yml)', '%.0f s vs one DKMS build %.0f s; HailoRT builds %d'
                     % (p3['reprovision_s'], p3['one_dkms_build_s'], p3['hailort_builds']['count']),
                     '%.2f' % p3['ratio'], '<= 1.5, no HailoRT build'))
    p4 = results.get('p4')
    if p4 and p4['cold']['seconds'] and p4['warm']['seconds']:
        cold, warm = p4['cold']['seconds'][0], p4['warm']['seconds'][0]
        rows.append(('P4 HailoRT rebuild, warm ccache vs cold (fixture)', '%d s vs %d s' % (warm, cold),
                     '%.2f' % (float(warm) / cold if cold else 0), 'lower is better'))
    report = results.get('report')
    if report:
        rows.append(('R fleet report, %d hosts' % report['hosts'], '%.2f s' % report['seconds'], '-', '<= 2 s'))

    lines = ['# Fleet benchmark (simulated fleet of containers)', '',
             '| figure | measured | ratio | goal |', '|---|---|---|---|']
    lines += ['| %s |' % ' | '.join(row) for row in rows]
    with open(markdown_path, 'w') as handle:
        handle.write('\n'.join(lines) + '\n')


if __name__ == '__main__':
    main(*sys.argv[1:4])
