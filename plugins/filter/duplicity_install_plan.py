# -*- coding: utf-8 -*-
# Copyright (c) offsite.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""How the duplicity role installs duplicity: method auto's choice."""

from __future__ import annotations

DOCUMENTATION = r"""
name: duplicity_install_plan
short_description: Settle how duplicity is installed on a host
version_added: 0.1.0
author: offsite.backup contributors
description:
  - Resolves C(duplicity_install_method) for one host, as the C(offsite.backup.duplicity) role does.
  - C(auto) takes the distribution's package when its candidate version is at least O(minimum); otherwise
    C(pip) on the machines PyPI has wheels for, and C(source) everywhere else.
  - C(auto) with O(patches) always builds from source, the only method that can apply them.
  - C(package) or C(pip) with O(patches) is reported in RV(_value.problems), and the role refuses it.
positional: _input
options:
  _input:
    description: The requested method.
    type: str
    choices: [package, pip, source, auto]
    required: true
  apt_policy:
    description: The output of C(apt-cache policy duplicity) on the host.
    type: str
    default: ''
  machine:
    description: The host's C(uname -m).
    type: str
    default: ''
  patches:
    description: C(duplicity_source_patches).
    type: list
    elements: str
    default: []
  minimum:
    description: The lowest distribution version C(auto) accepts.
    type: str
    default: '2.0'
  wheel_architectures:
    description: The machines PyPI has duplicity wheels for.
    type: list
    elements: str
    default: [x86_64, aarch64]
"""

EXAMPLES = r"""
- name: What auto picks on Debian 13 arm64
  ansible.builtin.debug:
    msg: "{{ 'auto' | offsite.backup.duplicity_install_plan(apt_policy='  Candidate: 3.0.4-1', machine='aarch64') }}"
  # msg: {method: package, candidate: 3.0.4, problems: [], reason: the distribution offers duplicity 3.0.4, ...}
"""

RETURN = r"""
_value:
  description: The plan.
  type: dict
  contains:
    method:
      description: C(package), C(pip) or C(source).
      type: str
    reason:
      description: Why, in words.
      type: str
    candidate:
      description: The distribution's candidate version without epoch or Debian revision; C(0) when there is none.
      type: str
    problems:
      description: Settings that cannot be honoured, one message each.
      type: list
      elements: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.offsite.backup.plugins.module_utils.duplicity_install import install_plan


def duplicity_install_plan(requested, apt_policy='', machine='', patches=None, minimum='2.0',
                           wheel_architectures=('x86_64', 'aarch64')):
    """Return the install plan for one host."""
    try:
        return install_plan(requested, apt_policy, machine, list(patches or []), str(minimum),
                            list(wheel_architectures))
    except ValueError as exc:
        raise AnsibleFilterError(str(exc))


class FilterModule:
    """Install method filter."""

    def filters(self):
        return {'duplicity_install_plan': duplicity_install_plan}
