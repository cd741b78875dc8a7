# -*- coding: utf-8 -*-
# Copyright (c) offsite.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Action plugin of offsite.backup.warn: messages become task warnings."""

from __future__ import annotations

from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):
    """Return the messages as the task's warnings; nothing runs on the host."""

    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        messages = self._task.args.get('msg')
        if isinstance(messages, str):
            messages = [messages]
        if not isinstance(messages, list) or not all(isinstance(m, str) for m in messages):
            result.update(failed=True, msg='msg must be a list of strings')
            return result
        unknown = sorted(set(self._task.args) - {'msg'})
        if unknown:
            result.update(failed=True, msg='unsupported parameters: %s' % ', '.join(unknown))
            return result
        result.update(changed=False, msg=list(messages))
        if messages:
            result['warnings'] = list(messages)
        return result
