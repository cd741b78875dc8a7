# -*- coding: utf-8 -*-
# Copyright (c) offsite.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A backup host's IAM policy, from module_utils/offsite_protection.py."""

from __future__ import annotations

DOCUMENTATION = r"""
name: bucket_host_policy
short_description: The IAM policy a backup host's keys need, and nothing that destroys history
version_added: 0.1.0
author: offsite.backup contributors
description:
  - From a host's C(duply_bucket_needs), the policy document that lets its profiles back up, list, restore,
    resume, purge and run drills in their own prefixes (and tag objects where a profile uses the tags strategy).
  - Explicitly denies deleting object versions and changing the bucket's versioning, lifecycle, policy, ACL,
    public access block, encryption, replication or Object Lock, and object retention and legal holds. Other
    prefixes are not granted.
  - C(s3:ListBucket) carries a C(StringLikeIfExists) condition on C(s3:prefix), because duplicity's first
    request, HeadBucket, needs C(s3:ListBucket) and has no prefix; a host may therefore list the key names of
    the whole bucket, not read them.
positional: _input
options:
  _input:
    description: One host's C(duply_bucket_needs).
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
- name: Write the policy of the host pi
  ansible.builtin.copy:
    content: "{{ hostvars['pi'].duply_bucket_needs | offsite.backup.bucket_host_policy | to_nice_json }}"
    dest: /etc/offsite-backup/policies/pi.json
    mode: "0644"
"""

RETURN = r"""
_value:
  description: The IAM policy document (C(Version) and C(Statement)).
  type: dict
"""

from ansible_collections.offsite.backup.plugins.module_utils.offsite_protection import host_policy


def bucket_host_policy(needs):
    """Return the host's policy document."""
    return host_policy(needs)


class FilterModule:
    """Backup host IAM policy."""

    def filters(self):
        return {'bucket_host_policy': bucket_host_policy}
