# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this doc fragment is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

from __future__ import annotations


class ModuleDocFragment(object):

    # Where the modules that run hailortcli find it (plugins/module_utils/_commands.py: find_hailortcli).
    DOCUMENTATION = r'''
options:
  hailortcli_path:
    description:
      - Path of C(hailortcli). By default it is searched in O(prefix), else in E(PATH) and C(/usr/local/bin).
      - Mutually exclusive with O(prefix).
    type: path
  prefix:
    description:
      - The HailoRT installation prefix (the roles' C(hailo_prefix)). Only C(<prefix>/bin/hailortcli) is used, so
        that another installation elsewhere on E(PATH) is never taken for the one the roles installed; modules that
        look for C(libhailort) look in C(<prefix>/lib) first.
      - Mutually exclusive with O(hailortcli_path).
    type: path
notes:
  - C(hailortcli) runs with C(LC_ALL=C) and C(HAILORT_LOGGER_PATH=NONE), so that its output is not translated and it
    writes no C(hailort.log) into the working directory.
'''
