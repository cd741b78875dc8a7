# -*- coding: utf-8 -*-
# Copyright (c) offsite.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Paths of this collection's module_utils files that backup hosts run without Ansible."""

from __future__ import annotations

DOCUMENTATION = r"""
name: host_library
short_description: Controller paths of the collection's host library files
version_added: 0.1.0
author:
  - offsite.backup maintainers (!UNKNOWN)
description:
  - Some of this collection's C(plugins/module_utils) files are standard-library-only Python that
    also runs on backup hosts without Ansible (the runner, the units of split profiles, the
    duplicity filename grammar, the tagging engine). This lookup returns the absolute path of each
    named file in the collection as installed on the controller, for M(ansible.builtin.copy) to
    install on hosts, so roles need no C(role_path/../..) paths.
  - A name that is not a file under C(plugins/module_utils) fails the lookup. Only files that need the
    standard library alone, and import their siblings as top-level modules outside Ansible, work on hosts.
options:
  _terms:
    description: Module names, without C(.py) (V(duplicity_units)).
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: Install the units code on the host
  ansible.builtin.copy:
    src: "{{ item }}"
    dest: "/usr/local/lib/offsite-backup/{{ item | basename }}"
    mode: "0644"
  loop: "{{ lookup('offsite.backup.host_library', 'duply_globs', 'duplicity_units', wantlist=True) }}"
"""

RETURN = r"""
_raw:
  description: The absolute path of each module's file, in the order of the terms.
  type: list
  elements: path
"""

import os
import re

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

MODULE_UTILS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'module_utils')


class LookupModule(LookupBase):
    """Paths of module_utils files by module name."""

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        paths = []
        for name in terms:
            if not isinstance(name, str) or not re.match(r'^[a-z_][a-z0-9_]*$', name):
                raise AnsibleLookupError('host_library: %r is no module name (like duplicity_units)' % (name,))
            path = os.path.join(MODULE_UTILS, name + '.py')
            if not os.path.isfile(path):
                raise AnsibleLookupError('host_library: %s is not in %s' % (name, MODULE_UTILS))
            paths.append(path)
        return paths
