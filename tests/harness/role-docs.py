#!/usr/bin/env python3
"""Role documentation from one source: meta/argument_specs.yml.

  role-docs.py --write   regenerate the variable table of every roles/*/README.md
  role-docs.py --check   fail when a table is stale, or when defaults/main.yml and argument_specs.yml disagree
                         (same variables, same default values)

The table sits between the markers below in each role's README; the rest of the README is written by hand.
"""

import argparse
import re
import os
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BEGIN = '<!-- BEGIN variables: generated from meta/argument_specs.yml by tests/harness/role-docs.py -->'
END = '<!-- END variables -->'


def load(path):
    with open(path) as handle:
        return yaml.safe_load(handle) or {}


def cell(text):
    return str(text).replace('|', '\\|').replace('\n', ' ')


def default_text(option):
    if 'default' not in option:
        return '' if not option.get('required') else '(required)'
    value = option['default']
    if isinstance(value, bool):
        value = 'true' if value else 'false'
    elif isinstance(value, (list, dict)):
        value = yaml.safe_dump(value, default_flow_style=True, width=1000).strip()
    elif value == '':
        value = '""'
    return '`%s`' % cell(value)


def describe(option):
    text = option.get('description', '')
    if isinstance(text, list):
        text = ' '.join(text)
    if option.get('choices'):
        text += ' One of: %s.' % ', '.join('`%s`' % c for c in option['choices'])
    return cell(_plain(text))


def _plain(text):
    """Ansible's documentation markup (C(), O(), V(), ...) as Markdown."""
    text = re.sub(r'\b[CVOE]\(([^)]*)\)', r'`\1`', text)
    text = re.sub(r'\bI\(([^)]*)\)', r'*\1*', text)
    return re.sub(r'\bRV\(([^)]*)\)', r'`\1`', text)


def table(options):
    lines = [BEGIN, '', '| variable | default | meaning |', '|---|---|---|']
    for name in options:
        option = options[name]
        lines.append('| `%s` | %s | %s |' % (name, default_text(option), describe(option)))
    lines += ['', END]
    return '\n'.join(lines)


def roles():
    base = os.path.join(ROOT, 'roles')
    return sorted(name for name in os.listdir(base) if os.path.isdir(os.path.join(base, name)))


def problems_of(role, write):
    directory = os.path.join(ROOT, 'roles', role)
    options = load(os.path.join(directory, 'meta', 'argument_specs.yml'))['argument_specs']['main'].get('options', {})
    defaults = load(os.path.join(directory, 'defaults', 'main.yml'))
    problems = []
    for name in sorted(set(defaults) - set(options)):
        problems.append('%s: %s is in defaults/main.yml but not in meta/argument_specs.yml' % (role, name))
    for name in sorted(set(options) - set(defaults)):
        problems.append('%s: %s is in meta/argument_specs.yml but not in defaults/main.yml' % (role, name))
    for name in sorted(set(options) & set(defaults)):
        if 'default' in options[name] and options[name]['default'] != defaults[name]:
            problems.append('%s: %s defaults to %r in defaults/main.yml but %r in meta/argument_specs.yml'
                            % (role, name, defaults[name], options[name]['default']))
    readme = os.path.join(directory, 'README.md')
    with open(readme) as handle:
        text = handle.read()
    if BEGIN not in text or END not in text:
        problems.append('%s: README.md has no generated variable table (markers %s ... %s)' % (role, BEGIN, END))
        return problems
    start = text.index(BEGIN)
    end = text.index(END) + len(END)
    wanted = text[:start] + table(options) + text[end:]
    if wanted != text:
        if write:
            with open(readme, 'w') as handle:
                handle.write(wanted)
            print('%s: README.md variable table regenerated' % role)
        else:
            problems.append('%s: README.md variable table is stale; run tests/harness/role-docs.py --write' % role)
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument('--write', action='store_true')
    group.add_argument('--check', action='store_true')
    args = parser.parse_args()
    problems = []
    for role in roles():
        problems += problems_of(role, args.write)
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print('role docs: %d roles, defaults, argument specs and README tables agree' % len(roles()))
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
