# -*- coding: utf-8 -*-
# Copyright (c) offsite.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Checks duply_bucket_needs against its schema in module_utils/duply_profiles.py."""

from __future__ import annotations

DOCUMENTATION = r"""
name: duply_bucket_need_errors
short_description: Check what the duply role publishes for the bucket role and the restore playbook
version_added: 0.1.0
author: offsite.backup contributors
description:
  - Checks a C(duply_bucket_needs) list against its schema and returns one message per problem.
  - Each entry holds C(profile), C(bucket), C(prefix), C(strategy) (prefix, tags, storage_class or none),
    C(rule) (the lifecycle rule, or null), C(split) (depth, order and keep_going, or null) and C(source).
  - The schema is documented once, in the docstring of C(plugins/module_utils/duply_profiles.py).
positional: _input
options:
  _input:
    description:
      - A host's C(duply_bucket_needs), or a dictionary of host names and their C(duply_bucket_needs); the
        messages then start with the host's name.
    type: raw
    required: true
seealso:
  - plugin: offsite.backup.duply_profile_view
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Refuse needs the bucket role cannot read
  ansible.builtin.assert:
    that: _problems | length == 0
    fail_msg: "{{ _problems | join('; ') }}"
  vars:
    _problems: "{{ hostvars['pi'].duply_bucket_needs | offsite.backup.duply_bucket_need_errors }}"

- name: The same for several hosts, each message naming its host
  ansible.builtin.debug:
    msg: "{{ {'pi': hostvars['pi'].duply_bucket_needs, 'nas': []} | offsite.backup.duply_bucket_need_errors }}"
"""

RETURN = r"""
_value:
  description: One message per problem, naming the entry and the key; empty when the list fits the schema.
  type: list
  elements: str
"""

from ansible_collections.offsite.backup.plugins.module_utils.duply_profiles import bucket_need_errors


def duply_bucket_need_errors(needs):
    """Return where needs break the schema."""
    return bucket_need_errors(needs)


class FilterModule:
    """duply_bucket_needs check."""

    def filters(self):
        return {'duply_bucket_need_errors': duply_bucket_need_errors}
