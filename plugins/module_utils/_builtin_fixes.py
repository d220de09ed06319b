# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Planning the built-in fixes of a source tree, the same way for every project (the driver's fixes in
_driver_source.py, HailoRT's in _hailort_fixes.py). Nothing here runs commands or writes files.

A project describes its fixes as a table ``{name: {'path', 'transform', 'description'}}``: ``path`` is the file the
fix changes (relative to the tree), ``transform(text)`` returns ``(new_text, 'applied')``, or ``(text, 'present')``
when the fix is already in, and raises the project's own error when it cannot find what it has to change.
"""

from __future__ import annotations

import os

READ = 'read'
TRANSFORM = 'transform'


class BuiltinFixError(Exception):
    """A needed built-in fix cannot be applied: its file cannot be read (``stage`` READ), or its transform does not
    recognise the file (``stage`` TRANSFORM). The project turns it into a sentence of its own."""

    def __init__(self, name, fix, path, stage, cause):
        super().__init__('%s: %s' % (path, cause))
        self.name = name
        self.fix = fix
        self.path = path
        self.stage = stage
        self.cause = cause


def plan_builtin_fixes(root, names, fixes, skip=(), transform_errors=()):
    """What the built-in fixes ``names`` (keys of the table ``fixes``) would do to the tree at ``root``.

    Returns a list of dicts ``{'name', 'path' (relative), 'status' ('applied'|'present'|'skipped'), 'before',
    'after'}`` in the order of ``names`` (``before``/``after`` are the file's text, equal unless status is
    'applied'; both None for a fix in ``skip``). Raises BuiltinFixError when a needed fix cannot read its file, or
    when its transform raises one of ``transform_errors``.
    """
    plan = []
    for name in names:
        fix = fixes[name]
        entry = {'name': name, 'path': fix['path'], 'status': 'skipped', 'before': None, 'after': None}
        if name not in skip:
            full = os.path.join(root, fix['path'])
            try:
                with open(full) as handle:
                    before = handle.read()
            except (IOError, OSError, UnicodeDecodeError) as exc:
                raise BuiltinFixError(name, fix, full, READ, exc)
            try:
                after, status = fix['transform'](before)
            except transform_errors as exc:
                raise BuiltinFixError(name, fix, full, TRANSFORM, exc)
            entry.update(status=status, before=before, after=after)
        plan.append(entry)
    return plan
