# -*- coding: utf-8 -*-
# Copyright (c) offsite.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filters about duplicity object names; documentation is in duplicity_file.yml."""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.offsite.backup.plugins.module_utils.duplicity_names import parse


def duplicity_file(value):
    """Parse a key (or an object dict with 'key'/'Key') into a dict, or None."""
    if isinstance(value, Mapping):
        if 'key' in value:
            key = value['key']
        elif 'Key' in value:
            key = value['Key']
        else:
            raise AnsibleFilterError("duplicity_file: the dict has neither a 'key' nor a 'Key' field")
    else:
        key = value
    if not isinstance(key, str):
        raise AnsibleFilterError('duplicity_file: expected a string key, got %s' % type(key).__name__)
    parsed = parse(str(key))
    if parsed is None:
        return None
    return parsed.as_dict()


class FilterModule:
    """Duplicity filters."""

    def filters(self):
        return {
            'duplicity_file': duplicity_file,
        }
