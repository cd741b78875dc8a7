"""Test roots under emulation only: keep the bytecode of modules imported from zip files.

Ansible runs every task as a zip of the module and the ansible module_utils it needs,
imported with zipimport, which never writes bytecode: each task compiles the same
sources again, at qemu-user's speed. scripts/testroot installs this file with a .pth
line in emulated roots. It stores the compiled code under CACHE, keyed by the Python
version, the module name and the source, and loads it from there on the next import.
Nothing a test checks depends on it; the modules' own code runs unchanged.
"""

import hashlib
import marshal
import os
import sys
import zipimport

CACHE = '/var/cache/offsite-test-bytecode'


class CachingZipImporter(zipimport.zipimporter):
    def get_code(self, fullname):
        source = self.get_source(fullname)
        if source is None:
            return super().get_code(fullname)
        text = '%s\0%s\0%s' % (sys.version, fullname, source)
        path = os.path.join(CACHE, hashlib.sha256(text.encode('utf-8', 'surrogateescape')).hexdigest())
        try:
            with open(path, 'rb') as handle:
                return marshal.load(handle)
        except (OSError, EOFError, ValueError, TypeError):
            pass
        code = compile(source, self.get_filename(fullname), 'exec', dont_inherit=True)
        try:
            os.makedirs(CACHE, exist_ok=True)
            partial = '%s.%d' % (path, os.getpid())
            with open(partial, 'wb') as handle:
                marshal.dump(code, handle)
            os.replace(partial, path)
        except OSError:
            pass
        return code

    def exec_module(self, module):
        exec(self.get_code(module.__spec__.name), module.__dict__)  # pylint: disable=exec-used


sys.path_hooks[:] = [CachingZipImporter if hook is zipimport.zipimporter else hook for hook in sys.path_hooks]
