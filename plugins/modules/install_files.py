#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) offsite.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: install_files
short_description: Install several small text files into one directory in one task
version_added: 0.1.0
description:
  - Writes each file of O(files) into O(dest) unless it already holds exactly that content, then sets its
    mode, owner and group. Each write goes to a temporary file in O(dest) first and is renamed into place,
    so a program that reads the files never sees half of one.
  - The duply role installs the runner, its helpers and the host library this way. One task instead of a
    M(ansible.builtin.copy) per file means one module run on the host instead of one or two per file,
    which is most of a converge's time on a slow host (an emulated Pi takes about ten seconds per run).
  - Files in O(dest) that are not in O(files) are left alone.
author:
  - offsite.backup maintainers (!UNKNOWN)
options:
  dest:
    description: The directory to install into. It must exist, except in check mode.
    type: path
    required: true
  files:
    description: The files, each with a file name (no directory part) and its whole content.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: The file name in O(dest).
        type: str
        required: true
      content:
        description: The file's whole content, as text (written as UTF-8).
        type: str
        required: true
      mode:
        description: The file's mode, as an octal string.
        type: str
        default: "0644"
  owner:
    description: The owner of every file; unchanged when not set.
    type: str
  group:
    description: The group of every file; unchanged when not set.
    type: str
attributes:
  check_mode:
    support: full
    description: Reports what would be written and changed, and writes nothing.
  diff_mode:
    support: full
    description: Shows each changed file's content before and after.
  platform:
    support: full
    platforms: posix
    description: Any POSIX host.
"""

EXAMPLES = r"""
- name: Install the runner and the code it imports
  offsite.backup.install_files:
    dest: /usr/local/lib/offsite-backup
    owner: root
    group: root
    files:
      - name: offsite-backup.py
        content: "{{ lookup('ansible.builtin.file', 'offsite-backup.py', rstrip=false) }}"
        mode: "0755"
      - name: duplicity_names.py
        content: "{{ lookup('ansible.builtin.file', 'duplicity_names.py', rstrip=false) }}"
"""

RETURN = r"""
dest:
  description: The directory.
  returned: always
  type: str
  sample: /usr/local/lib/offsite-backup
written:
  description: The files whose content was (or, in check mode, would be) written, in the order of O(files).
  returned: always
  type: list
  elements: str
  sample: [offsite_runner.py]
changed_files:
  description: The files that changed in any way (content, mode, owner or group), in the order of O(files).
  returned: always
  type: list
  elements: str
  sample: [offsite_runner.py, offsite-backup.py]
"""

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_text


def file_errors(files):
    """One message per bad entry: names must be plain, unique file names; modes octal."""
    errors = []
    seen = set()
    for index, entry in enumerate(files):
        name = entry['name']
        if not name or '/' in name or name in ('.', '..') or '\0' in name:
            errors.append("files[%d].name must be a plain file name, not %r" % (index, name))
        elif name in seen:
            errors.append("files[%d].name %r is given twice" % (index, name))
        seen.add(name)
        try:
            int(str(entry['mode']), 8)
        except ValueError:
            errors.append("files[%d].mode must be an octal string such as '0644', not %r" % (index, entry['mode']))
    return errors


def read(path):
    try:
        with open(path, 'rb') as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def write(module, path, data):
    handle, temp = tempfile.mkstemp(dir=os.path.dirname(path), prefix='.%s.' % os.path.basename(path))
    try:
        with os.fdopen(handle, 'wb') as out:
            out.write(data)
        module.atomic_move(temp, path)
    finally:
        if os.path.exists(temp):
            os.unlink(temp)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            dest=dict(type='path', required=True),
            files=dict(type='list', elements='dict', required=True, options=dict(
                name=dict(type='str', required=True),
                content=dict(type='str', required=True),
                mode=dict(type='str', default='0644'),
            )),
            owner=dict(type='str'),
            group=dict(type='str'),
        ),
        supports_check_mode=True,
    )
    dest = module.params['dest']
    files = module.params['files']
    errors = file_errors(files)
    if errors:
        module.fail_json(msg='; '.join(errors))
    if not os.path.isdir(dest):
        if not module.check_mode:
            module.fail_json(msg='dest %s is not a directory; create it first' % dest)
        # In check mode the task that would create it has not run.
        names = [entry['name'] for entry in files]
        module.exit_json(changed=bool(names), dest=dest, written=names, changed_files=names)

    written = []
    changed_files = []
    diffs = []
    for entry in files:
        path = os.path.join(dest, entry['name'])
        data = to_bytes(entry['content'], errors='surrogate_or_strict')
        before = read(path)
        changed = False
        if before != data:
            written.append(entry['name'])
            changed = True
            if module._diff:
                diffs.append({'before_header': path, 'after_header': path,
                              'before': '' if before is None else to_text(before, errors='surrogate_or_replace'),
                              'after': entry['content']})
            if not module.check_mode:
                write(module, path, data)
        if before is not None or not module.check_mode:
            attributes = module.load_file_common_arguments(
                dict(path=path, mode=entry['mode'], owner=module.params['owner'], group=module.params['group']))
            changed = module.set_fs_attributes_if_different(attributes, changed)
        if changed:
            changed_files.append(entry['name'])

    result = dict(changed=bool(changed_files), dest=dest, written=written, changed_files=changed_files)
    if module._diff and diffs:
        result['diff'] = diffs
    module.exit_json(**result)


if __name__ == '__main__':
    main()
