#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) offsite.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: warn
short_description: Show messages as Ansible warnings
version_added: 0.1.0
description:
  - Shows each message as a C([WARNING]) in the play's output, for settings that work but that a
    user should reconsider, such as volumes so small that an archive class's per-object charges
    outweigh their storage. Never fails and never changes anything.
  - Runs on the controller; the host is not contacted.
author:
  - offsite.backup maintainers (!UNKNOWN)
options:
  msg:
    description: The messages, one warning each. An empty list shows nothing.
    type: list
    elements: str
    required: true
attributes:
  action:
    support: full
    description: Runs on the controller as an action plugin.
  async:
    support: none
    description: It returns at once.
  bypass_host_loop:
    support: none
    description: It runs once per host, as any task does.
  check_mode:
    support: full
    description: It changes nothing, so check mode shows the same warnings.
  diff_mode:
    support: none
    description: There is nothing to compare.
  platform:
    support: full
    platforms: all
    description: The host is not contacted.
notes:
  - This is an action plugin; the module file holds its documentation only.
"""

EXAMPLES = r"""
- name: Warn about profile settings that cost more than they need to
  offsite.backup.warn:
    msg: "{{ _duply_view.warnings }}"
"""

RETURN = r"""
msg:
  description: The messages shown.
  returned: always
  type: list
  elements: str
  sample: ["duply_profiles[0] (photos).volume_size 1 MB: each volume in DEEP_ARCHIVE costs a transition request ..."]
"""
