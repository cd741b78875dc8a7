# -*- coding: utf-8 -*-
# Copyright (c) offsite.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The upstream part of a Debian package version."""

from __future__ import annotations

DOCUMENTATION = r"""
name: debian_upstream_version
short_description: The upstream part of a Debian package version
version_added: 0.1.0
author: offsite.backup contributors
description:
  - Drops the epoch (C(1:)) and everything from the Debian revision or a suffix on (C(-1+b1), C(+dfsg), C(~rc1)),
    so that C(1:3.0.4-1+b1) gives C(3.0.4), as the role P(offsite.backup.duplicity#role) reports
    C(duplicity_version) for the distribution's package.
  - An empty or missing version gives an empty string.
positional: _input
options:
  _input:
    description: A Debian package version, as C(package_facts) or C(apt-cache policy) report it.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Report the installed duply's upstream version
  ansible.builtin.debug:
    msg: "{{ ansible_facts.packages['duply'][0].version | offsite.backup.debian_upstream_version }}"
  # 2.5.5-1 gives 2.5.5
"""

RETURN = r"""
_value:
  description: The upstream version, or an empty string.
  type: str
"""

from ansible_collections.offsite.backup.plugins.module_utils.duplicity_install import upstream_version


def debian_upstream_version(version):
    return upstream_version(version)


class FilterModule:
    """Debian version parts."""

    def filters(self):
        return {'debian_upstream_version': debian_upstream_version}
