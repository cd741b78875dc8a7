# -*- coding: utf-8 -*-
# Copyright (c) offsite.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The key-safe name of a unit of a split duply profile."""

from __future__ import annotations

DOCUMENTATION = r"""
name: duply_unit_slug
short_description: Name of a split profile's unit, as used in its key prefix
version_added: 0.1.0
author: offsite.backup contributors
description:
  - A duply profile with C(split) backs up each directory at the split depth as its own duplicity chain
    under C(PREFIX/SLUG/). This filter gives the SLUG of a unit's directory, relative to the source
    (C(photos), C(2024/raw)).
  - Characters other than letters, digits, C(.), C(_) and C(-) (and C(/) between levels) become C(_); when
    anything was replaced, C(-) and the first 8 hex digits of the SHA-1 of the real path follow, so names stay unique.
  - The remainder unit (whatever lies outside the units' directories) is always C(_rest).
positional: _input
options:
  _input:
    description: The unit's directory relative to the profile's source.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Where the unit "my photos" of profile share is stored
  ansible.builtin.debug:
    msg: "pi/share/{{ 'my photos' | offsite.backup.duply_unit_slug }}/"
  # msg: pi/share/my_photos-1af16ce5/
"""

RETURN = r"""
_value:
  description: The unit's name.
  type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.offsite.backup.plugins.module_utils.duplicity_units import unit_slug


def duply_unit_slug(relpath):
    """Return the unit name of a directory relative to the source."""
    if not isinstance(relpath, str) or not relpath or relpath.startswith('/'):
        raise AnsibleFilterError('duply_unit_slug: give a directory relative to the source, not %r' % (relpath,))
    return unit_slug(relpath.strip('/'))


class FilterModule:
    """Unit name filter."""

    def filters(self):
        return {'duply_unit_slug': duply_unit_slug}
