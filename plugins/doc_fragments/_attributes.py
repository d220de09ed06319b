# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this doc fragment is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

from __future__ import annotations


class ModuleDocFragment(object):

    # Attributes of the collection's read-only modules: they change nothing, so check mode needs no special case.
    DOCUMENTATION = r'''
options: {}
'''

    READ_ONLY = r'''
options: {}
attributes:
  check_mode:
    support: full
    description: The module changes nothing, so it runs unchanged in check mode.
  diff_mode:
    support: none
    description: Nothing is changed, so there is nothing to show.
'''
