# -*- coding: utf-8 -*-
# Copyright (c) offsite.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The duply role's view of its profiles; the logic lives in module_utils/duply_profiles.py."""

from __future__ import annotations

DOCUMENTATION = r"""
name: duply_profile_view
short_description: Merge, derive and check the duply role's profiles in one pass
version_added: 0.1.0
author: offsite.backup contributors
description:
  - Merges every entry of C(duply_profiles) over the role's C(duply_*) defaults, derives what follows from
    each profile (key prefix, tiering, duply batch, lifecycle rule, split, schedule, log rotation, cron file,
    key files) and checks every profile, as the C(offsite.backup.duply) role does once per converge.
  - Validation messages name the profile and the field, one per problem.
  - RV(_value.bucket_needs) is the contract the role publishes as C(duply_bucket_needs); its schema is
    documented in C(plugins/module_utils/duply_profiles.py) and checked by
    P(offsite.backup.duply_bucket_need_errors#filter).
positional: _input, settings, host
options:
  _input:
    description: C(duply_profiles).
    type: list
    elements: dict
    required: true
  settings:
    description:
      - The role's C(duply_*) variables without the C(duply_) prefix (C(bucket), C(gpg_mode), C(tiering) and
        so on), plus C(duplicity_version), the installed duplicity version or empty, and
        C(duplicity_version_pending), true while the duplicity role has not run yet, which
        leaves the checks that need the installed version for later.
    type: dict
    required: true
  host:
    description: C(inventory_hostname); the default key prefix is C(HOST/PROFILE).
    type: str
    required: true
seealso:
  - plugin: offsite.backup.duply_bucket_need_errors
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Compute the profiles once, without printing their secrets
  ansible.builtin.set_fact:
    _view: "{{ duply_profiles | offsite.backup.duply_profile_view(_settings, inventory_hostname) }}"
  no_log: true
  vars:
    _settings:
      bucket: family-backups
      gpg_mode: symmetric
      tiering: {strategy: prefix, storage_class: DEEP_ARCHIVE, days: 30}

- name: Stop when a profile is wrong
  ansible.builtin.assert:
    that: _view.errors | length == 0
    fail_msg: "{{ _view.errors | join('; ') }}"
"""

RETURN = r"""
_value:
  description: The profiles, merged, derived and checked.
  type: dict
  contains:
    profiles:
      description: Each profile merged over the defaults, in order. Holds secrets.
      type: list
      elements: dict
    by_name:
      description: The merged profiles by name. Holds secrets.
      type: dict
    effective:
      description:
        - By profile name, what follows from its settings, with keys C(prefix), C(tiering), C(batch), C(rule),
          C(state), C(split), C(schedule), C(logrotate), C(cron_file) and C(key_files).
        - C(rule) and C(split) are null when the profile has none.
      type: dict
    present:
      description: Names of the profiles with state present.
      type: list
      elements: str
    absent:
      description: Names of the profiles with state absent.
      type: list
      elements: str
    errors:
      description: One message per problem, naming the profile and the field; empty when all is well.
      type: list
      elements: str
    split_profiles:
      description: Present profiles that are split into units.
      type: list
      elements: str
    tags_profiles:
      description: Present profiles tiered by the tags strategy.
      type: list
      elements: str
    cron_profiles:
      description: Profiles scheduled by cron.
      type: list
      elements: str
    hooks:
      description: The hooks profiles have, as C(PROFILE/pre) or C(PROFILE/post).
      type: list
      elements: str
    pubkey_profiles:
      description: Profiles encrypting to a public key.
      type: list
      elements: str
    seckey_profiles:
      description: Public-key profiles that also install the secret key.
      type: list
      elements: str
    key_files:
      description: The key files present profiles install, as C(PROFILE/gpgkey.ID.pub.asc) or C(.sec.asc).
      type: list
      elements: str
    bucket_needs:
      description: What the role publishes as C(duply_bucket_needs), one entry per present profile.
      type: list
      elements: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.offsite.backup.plugins.module_utils.duply_profiles import profile_view


def duply_profile_view(profiles, settings, host):
    """Return the merged, derived and checked profiles."""
    if not isinstance(profiles, (list, tuple)) or not all(isinstance(p, dict) for p in profiles):
        raise AnsibleFilterError('duply_profile_view: duply_profiles must be a list of dicts')
    if not isinstance(settings, dict):
        raise AnsibleFilterError('duply_profile_view: settings must be a dict')
    return profile_view(list(profiles), dict(settings), str(host))


class FilterModule:
    """Duply profile view."""

    def filters(self):
        return {'duply_profile_view': duply_profile_view}
