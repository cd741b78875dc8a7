# -*- coding: utf-8 -*-
# Copyright (c) offsite.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The patterns duply_filelist rejects; the rules live in duply_filelist.py."""

from __future__ import annotations

DOCUMENTATION = r"""
name: duply_filelist_errors
short_description: Why includes or excludes relative to a source are rejected
version_added: 0.1.0
author: offsite.backup contributors
description:
  - Checks the O(includes) and O(excludes) of a duply profile with the rules of
    P(offsite.backup.duply_filelist#filter) and returns one message per rejected pattern, naming the
    field and the index (C(excludes[2] '/etc/foo' lies outside the source /srv/data and can never match)).
  - A pattern is rejected when it is empty, not a string or more than one line; when it is absolute and
    cannot match below the source, or names the source itself or a directory above it; or when it is
    relative and its C(..) components leave the source, or it names the source itself.
  - An O(includes) or O(excludes) that is not a list is reported too.
positional: _input, includes, excludes
extends_documentation_fragment:
  - offsite.backup.duply_patterns
seealso:
  - plugin: offsite.backup.duply_filelist
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Stop before rendering anything when a pattern can never match
  ansible.builtin.assert:
    that: _problems | length == 0
    fail_msg: "{{ _problems | join('; ') }}"
  vars:
    _problems: "{{ '/srv/data' | offsite.backup.duply_filelist_errors(['../other'], ['cache', '/etc/foo']) }}"
  # fail_msg: includes[0] '../other' climbs out of the source /srv/data with '..' and can never match;
  #           excludes[1] '/etc/foo' lies outside the source /srv/data and can never match
"""

RETURN = r"""
_value:
  description: One message per rejected pattern, includes first; empty when every pattern is accepted.
  type: list
  elements: str
"""

from ansible_collections.offsite.backup.plugins.filter.duply_filelist import duply_filelist_errors


class FilterModule:
    """Duply filelist check."""

    def filters(self):
        return {
            'duply_filelist_errors': duply_filelist_errors,
        }
