# -*- coding: utf-8 -*-
# Copyright (c) offsite.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The bucket role's protection plan, from module_utils/offsite_protection.py."""

from __future__ import annotations

DOCUMENTATION = r"""
name: bucket_protection
short_description: Which buckets get protected history, for how long, and with which Object Lock
version_added: 0.1.0
author: offsite.backup contributors
description:
  - For each bucket the hosts' profiles write to, says whether the bucket role turns on versioning and the
    lifecycle rule C(offsite-backup/protect) (noncurrent versions and expired delete markers removed after
    C(days)), and the S3 Object Lock default retention of a bucket it makes.
  - V(auto) protects buckets the role makes and those that already carry its rule; V(always) every bucket;
    V(never) none.
  - The days default to the longest minimum storage duration of the classes the profiles' backups end up in
    (at least 90); fewer days than a class's minimum come with a warning about early-deletion fees.
positional: _input, protect, protect_days, lock, info_results
options:
  _input:
    description: The flattened C(duply_bucket_needs) of every host.
    type: list
    elements: dict
    required: true
  protect:
    description: V(auto), V(always) or V(never).
    type: str
    required: true
  protect_days:
    description: Days S3 keeps overwritten and deleted versions; 0 for the automatic value.
    type: int
    required: true
  lock:
    description: C(mode) (GOVERNANCE or COMPLIANCE) and C(days) of Object Lock's default retention; empty for none.
    type: dict
    required: true
  info_results:
    description:
      - The results of C(amazon.aws.s3_bucket_info) looped over the bucket names, with the facts
        C(bucket_versioning) and C(bucket_lifecycle_configuration).
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
- name: The plan for the buckets of two hosts
  ansible.builtin.debug:
    msg: "{{ needs | offsite.backup.bucket_protection('auto', 0, {}, bucket_info.results) }}"
  vars:
    needs: "{{ (hostvars['pi'].duply_bucket_needs + hostvars['nas'].duply_bucket_needs) }}"
"""

RETURN = r"""
_value:
  description: Per bucket name, the plan.
  type: dict
  contains:
    new:
      description: Whether the bucket does not exist yet.
      type: bool
    protect:
      description: Whether the role turns versioning on and applies the protection rule.
      type: bool
    days:
      description: Days noncurrent versions are kept; 0 when not protected.
      type: int
    rule:
      description: The lifecycle rule in M(offsite.backup.s3_lifecycle)'s form, or null.
      type: dict
    lock:
      description: C(mode) and C(days) of the Object Lock default retention for a new bucket, or null.
      type: dict
    warnings:
      description: What the user should know (early-deletion fees, Object Lock left as it is).
      type: list
      elements: str
"""

from ansible_collections.offsite.backup.plugins.module_utils.offsite_protection import bucket_plan, existing_buckets


def bucket_protection(needs, protect, protect_days, lock, info_results):
    """Return the protection plan per bucket."""
    return bucket_plan(needs, protect, int(protect_days or 0), lock or None, existing_buckets(info_results or []))


class FilterModule:
    """Protected history of the buckets."""

    def filters(self):
        return {'bucket_protection': bucket_protection}
