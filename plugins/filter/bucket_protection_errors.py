# -*- coding: utf-8 -*-
# Copyright (c) offsite.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Checks the bucket role's protection settings with module_utils/offsite_protection.py."""

from __future__ import annotations

DOCUMENTATION = r"""
name: bucket_protection_errors
short_description: Check the bucket role's protection settings
version_added: 0.1.0
author: offsite.backup contributors
description:
  - Returns one message per problem in C(bucket_protect), C(bucket_protect_days), C(bucket_object_lock) and
    C(bucket_iam_principals), each naming the setting and what to change.
positional: _input, protect_days, lock, principals
options:
  _input:
    description: C(bucket_protect).
    type: raw
    required: true
  protect_days:
    description: C(bucket_protect_days).
    type: raw
    required: true
  lock:
    description: C(bucket_object_lock).
    type: raw
    required: true
  principals:
    description: C(bucket_iam_principals).
    type: raw
    default: {}
"""

EXAMPLES = r"""
- name: Refuse protection settings that cannot work
  ansible.builtin.assert:
    that: _problems | length == 0
    fail_msg: "{{ _problems | join('; ') }}"
  vars:
    _problems: "{{ bucket_protect | offsite.backup.bucket_protection_errors(bucket_protect_days, bucket_object_lock, bucket_iam_principals) }}"
"""

RETURN = r"""
_value:
  description: One message per problem; empty when the settings are usable.
  type: list
  elements: str
"""

from ansible_collections.offsite.backup.plugins.module_utils.offsite_protection import protection_errors


def bucket_protection_errors(protect, protect_days, lock, principals=None):
    """Return what is wrong with the protection settings."""
    return protection_errors(protect, protect_days, lock, principals)


class FilterModule:
    """Protection settings check."""

    def filters(self):
        return {'bucket_protection_errors': bucket_protection_errors}
