# -*- coding: utf-8 -*-
# Copyright (c) offsite.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The arguments shared by the duply_filelist and duply_filelist_errors filters."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  _input:
    description: Absolute path of the source directory, with or without a trailing C(/).
    type: str
    required: true
  includes:
    description: Patterns of paths to back up even where an exclude matches them.
    type: list
    elements: str
    default: []
  excludes:
    description: Patterns of paths to leave out of the backup.
    type: list
    elements: str
    default: []
"""
