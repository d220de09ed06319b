#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: hailort_build
short_description: Build HailoRT from a prepared source in the background, and wait for it with progress reports
version_added: 1.0.0
description:
  - With O(state=started), starts a build of HailoRT in O(work_dir), detached from the Ansible connection;
    unpack the prepared source (M(hailo_open.hailo.hailo_source)), configure with CMake, build with O(jobs) jobs,
    install into a staging directory, and pack the installed tree as the artifact O(artifact) (paths relative to
    O(prefix), reproducible), writing everything the tools print to C(build.log).
  - With O(state=finished), waits up to O(wait) seconds for that build and returns its progress (elapsed time, phase,
    the last C([ NN%]) step of the log), so that a task looping over it reports progress at a steady pace. Once the
    build has finished it returns the outcome; a failed build is not a failure of this module (RV(rc) says it),
    so that the caller can report it with the log.
  - A build whose inputs are unchanged is not started twice; a running one is waited for, a finished one whose
    artifact still has its recorded sha256 is reused. A build whose runner ended without recording a result (the
    host rebooted, the process was killed) is started again from an empty tree.
  - A build still running after O(timeout) seconds (from its start) is stopped.
author:
  - hailo_open.hailo contributors (@hailo-open)
attributes:
  check_mode:
    support: full
    description: Nothing is started; O(state=started) reports whether a build would start.
  diff_mode:
    support: none
    description: Nothing to show.
options:
  state:
    description: Start the build, or wait for it.
    type: str
    choices: [started, finished]
    required: true
  work_dir:
    description: The build's directory on the host (C(src/), C(build/), C(staging/), C(build.log), the artifact).
    type: path
    required: true
  source:
    description: The prepared source archive on the host (one top-level directory). Required with O(state=started).
    type: path
  source_sha256:
    description: sha256 of O(source); part of the build's identity. Required with O(state=started).
    type: str
  cmake_args:
    description: CMake arguments (C(-D...)), as M(hailo_open.hailo.hailort_build_plan) returns them.
    type: list
    elements: str
    default: []
  prefix:
    description: The installation prefix the build is configured for; the artifact's paths are relative to it.
    type: path
    default: /usr/local
  jobs:
    description: Parallel compiler jobs.
    type: int
    default: 1
  ccache_dir:
    description: ccache directory kept between builds; omit to leave ccache off.
    type: path
  artifact:
    description: File name of the artifact, written in O(work_dir). Required with O(state=started).
    type: str
  python_binding:
    description:
      - Also build HailoRT's Python binding (C(hailo_platform)) as a wheel, after the runtime is installed into the
        staging directory and against it, and put the wheel into the artifact under C(share/hailo_open/wheels/).
        The keys are what M(hailo_open.hailo.hailort_build_plan) returns per host in C(python_binding).
      - The binding phase first checks that the Python has its headers (C(Python.h)), setuptools and wheel, and
        fails naming the Debian packages that are missing.
    type: dict
    suboptions:
      python:
        description: The Python interpreter to build for (the node's system Python).
        type: path
        default: /usr/bin/python3
      version:
        description: Its major.minor version (C(3.13)).
        type: str
        required: true
      pybind11:
        description: V(pinned) (HailoRT's own) or V(system) (the distribution's pybind11, at least O(python_binding.minimum)).
        type: str
        choices: [pinned, system]
        required: true
      minimum:
        description: Lowest pybind11 version this Python needs (with V(system)).
        type: str
        required: true
      wheel:
        description: The wheel's expected file name (C(hailort-4.23.0-cp313-cp313-linux_aarch64.whl)).
        type: str
        required: true
      offline:
        description:
          - Build without downloading (C(FETCHCONTENT_FULLY_DISCONNECTED)); the source must carry
            C(hailort/external/pybind11-src) when O(python_binding.pybind11=pinned).
        type: bool
        default: false
  wait:
    description:
      - With O(state=finished), how often progress is reported, in seconds. The module returns at the next
        multiple of O(wait) since the build started (at least a second away) or when the build ends, so that
        reports arrive every O(wait) seconds whatever a module start costs on the host.
    type: int
    default: 60
  timeout:
    description: Seconds the whole build may take; a build running longer is stopped.
    type: int
    default: 14400
notes:
  - Configuring HailoRT clones its external dependencies unless the source is an offline bundle built with
    C(HAILO_OFFLINE_COMPILATION=ON), and compiles protobuf's compiler on the way.
seealso:
  - module: hailo_open.hailo.hailort_build_plan
  - module: hailo_open.hailo.hailort_artifact
'''

EXAMPLES = r'''
- name: Start the build
  hailo_open.hailo.hailort_build:
    state: started
    work_dir: /var/cache/hailo_open.hailo/hailort-0123456789abcdef
    source: /var/cache/hailo_open.hailo/sources/hailort-4.23.0.tar.gz
    source_sha256: "{{ hailort_source['sha256'] }}"
    cmake_args: ["-DCMAKE_BUILD_TYPE=Release", "-DHAILO_BUILD_SERVICE=OFF"]
    jobs: 2
    ccache_dir: /var/cache/hailo_open.hailo/ccache
    artifact: hailort-4.23.0-aarch64-trixie-0123456789abcdef.tar.gz

- name: Wait for it, one progress line a minute
  hailo_open.hailo.hailort_build:
    state: finished
    work_dir: /var/cache/hailo_open.hailo/hailort-0123456789abcdef
    wait: 60
  register: build
  loop: "{{ range(240) | list }}"
  loop_control:
    label: "{{ build['progress'] | default('') }}"
    break_when: build['finished']
'''

RETURN = r'''
started:
  description: Unix time the build started.
  returned: success
  type: float
finished:
  description: Whether the build has ended (successfully or not).
  returned: success
  type: bool
rc:
  description: 0 when the build succeeded; the exit code of the failing command otherwise; null while it runs.
  returned: success
  type: int
phase:
  description: V(unpacking), V(configuring), V(building), V(installing) or V(packing) (the failing one when it failed).
  returned: success
  type: str
progress:
  description: One line of progress, for example C(312 s - [ 45%] Building CXX object ...).
  returned: success
  type: str
elapsed:
  description: Seconds since the build started.
  returned: success
  type: int
log:
  description: Path of the build log.
  returned: success
  type: str
log_tail:
  description: The last lines of the build log, once the build failed.
  returned: when the build failed
  type: str
artifact:
  description: Path of the artifact, once the build succeeded.
  returned: when the build succeeded
  type: str
artifact_sha256:
  description: sha256 of the artifact.
  returned: when the build succeeded
  type: str
reused:
  description: With O(state=started), whether a running or finished build of the same inputs was taken over.
  returned: success
  type: bool
'''

import json
import os
import shutil
import signal
import subprocess
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.hailo_open.hailo.plugins.module_utils import _commands as commands
from ansible_collections.hailo_open.hailo.plugins.module_utils import _hailort_build as hailort_build
from ansible_collections.hailo_open.hailo.plugins.module_utils import _pyhailort as pyhailort
from ansible_collections.hailo_open.hailo.plugins.module_utils import _source as source

POLL_SECONDS = 1.0


def save_status(paths, status):
    source.write_json(paths['status'], status)


def run_build(paths, params, status):
    """The build itself (in the detached process): every phase, the status file kept current."""
    # CMAKE_BUILD_PARALLEL_LEVEL: the job limit, also for the protobuf build HailoRT runs while it configures (with
    # the built-in fix execute_cmake_jobs_ccache; upstream uses one job per core there).
    env = dict(os.environ, CMAKE_BUILD_PARALLEL_LEVEL=str(int(params['jobs'])), **commands.C_LOCALE)
    if params['ccache_dir']:
        env['CCACHE_DIR'] = params['ccache_dir']
    else:
        env['CCACHE_DISABLE'] = 'true'
    with open(paths['log'], 'ab', buffering=0) as log:
        def phase(name):
            status['phase'] = name
            save_status(paths, status)
            log.write(('==> hailo_open.hailo: %s\n' % name).encode())

        def finish(rc):
            status.update(finished=True, rc=rc, ended=time.time())
            save_status(paths, status)

        try:
            phase('unpacking')
            unpacked = paths['src'] + '.unpack'
            os.makedirs(unpacked)
            source.extract_archive(params['source'], unpacked)
            os.rename(source.single_root(unpacked), paths['src'])
            shutil.rmtree(unpacked, ignore_errors=True)
            for name, argv, extra in hailort_build.build_commands(paths, params['cmake_args'], params['prefix'],
                                                                  params['jobs']):
                phase(name)
                rc = subprocess.call(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                     env=dict(env, **extra), cwd=os.path.dirname(paths['src']))
                if rc != 0:
                    return finish(rc)
            if params['python_binding']:
                phase('binding')
                rc = build_binding(paths, params, env, log)
                if rc != 0:
                    return finish(rc)
            phase('packing')
            artifact = os.path.join(os.path.dirname(paths['src']), params['artifact'])
            tree = os.path.join(paths['staging'], params['prefix'].lstrip('/'))
            status['artifact_sha256'] = source.pack_tree(tree, None, artifact)
            status['artifact'] = artifact
            finish(0)
        except Exception as exc:  # anything that stops the runner is recorded, never lost with the process
            log.write(('hailo_open.hailo: the build runner failed: %s\n' % exc).encode())
            finish(1)


REQUIREMENTS_PROBE = ('import importlib.util as u, json, sysconfig; print(json.dumps([sysconfig.get_paths()["include"], '
                      'u.find_spec("setuptools") is not None, u.find_spec("wheel") is not None]))')


def build_binding(paths, params, env, log):
    """The binding phase: the wheel, built against the staged runtime, into the staging tree. Returns an exit code."""
    binding = params['python_binding']
    staged_prefix = os.path.join(paths['staging'], params['prefix'].lstrip('/'))
    wheel_dir = os.path.join(staged_prefix, pyhailort.WHEEL_DIR)
    probe = subprocess.run([binding['python'], '-c', REQUIREMENTS_PROBE], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, env=env, check=False)
    try:
        include, has_setuptools, has_wheel = json.loads(probe.stdout.decode().strip().splitlines()[-1])
        missing = pyhailort.missing_build_requirements(include, has_setuptools, has_wheel)
    except (ValueError, IndexError):
        include, missing = None, ['a working %s' % binding['python']]
    if missing:
        log.write(('hailo_open.hailo: cannot build the Python binding for %s (Python %s): missing %s\n'
                   % (binding['python'], binding['version'], ', '.join(missing))).encode())
        return 1
    platform = os.path.join(paths['src'], pyhailort.BINDING_DIR, 'platform')
    if not os.path.isfile(os.path.join(platform, 'setup.py')):
        log.write(('hailo_open.hailo: the source has no Python binding (%s/platform/setup.py)\n'
                   % pyhailort.BINDING_DIR).encode())
        return 1
    pinned_source = os.path.join(paths['src'], 'hailort', 'external', 'pybind11-src')
    if binding['pybind11'] == pyhailort.PINNED and binding['offline'] and not os.path.isdir(pinned_source):
        log.write(('hailo_open.hailo: an offline build of the binding with the pinned pybind11 needs '
                   'hailort/external/pybind11-src in the bundle (prepare_externals.cmake fetches it)\n').encode())
        return 1
    choice = {'pybind11': binding['pybind11'], 'python': binding['version']}
    shim = os.path.join(os.path.dirname(paths['src']), pyhailort.SHIM_DIR)
    if binding['pybind11'] == pyhailort.SYSTEM:
        os.makedirs(shim, exist_ok=True)
        with open(os.path.join(shim, 'CMakeLists.txt'), 'w') as handle:
            handle.write(pyhailort.shim_cmakelists(binding['minimum']))
    os.makedirs(wheel_dir, exist_ok=True)
    for argv, cwd in pyhailort.binding_commands(paths['src'], staged_prefix, binding['python'], choice, shim,
                                                binding['offline'], wheel_dir):
        log.write(('hailo_open.hailo: %s\n' % ' '.join(argv)).encode())
        rc = subprocess.call(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=cwd)
        if rc != 0:
            return rc
    if not os.path.isfile(os.path.join(wheel_dir, binding['wheel'])):
        log.write(('hailo_open.hailo: the binding built, but not the wheel %s (found: %s)\n'
                   % (binding['wheel'], ', '.join(sorted(os.listdir(wheel_dir))) or 'nothing')).encode())
        return 1
    return 0


def detach(paths, params, status):
    """Start the build in a process of its own session that outlives the module (double fork)."""
    first = os.fork()
    if first:
        os.waitpid(first, 0)
        return
    try:
        os.setsid()
        if os.fork():
            os._exit(0)
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        os.closerange(3, 256)
        status.update(pid=os.getpid(), pgid=os.getpgid(0))
        save_status(paths, status)
        run_build(paths, params, status)
    finally:
        os._exit(0)


def start(module, paths, result):
    params = module.params
    inputs = hailort_build.build_inputs(params['source_sha256'], params['cmake_args'], params['prefix'],
                                        params['jobs'], params['artifact'], params['python_binding'])
    status = hailort_build.read_status(paths['status'])
    artifact = os.path.join(params['work_dir'], params['artifact'])
    existing = source.sha256_file(artifact) if os.path.isfile(artifact) else None
    state = hailort_build.classify(status, inputs, existing)
    if state in ('running', 'done'):
        result.update(reused=True, started=status['started'])
        return
    result['changed'] = True
    if module.check_mode:
        return
    for name in ('src', 'build', 'staging'):
        shutil.rmtree(paths[name], ignore_errors=True)
    shutil.rmtree(paths['src'] + '.unpack', ignore_errors=True)
    for name in (paths['log'], artifact):
        if os.path.exists(name):
            os.remove(name)
    os.makedirs(params['work_dir'], exist_ok=True)
    status = {'inputs': inputs, 'started': time.time(), 'phase': 'unpacking', 'finished': False, 'rc': None,
              'pid': None}
    save_status(paths, status)
    detach(paths, params, status)
    result['started'] = status['started']


def stop(status):
    try:
        os.killpg(int(status.get('pgid') or status.get('pid')), signal.SIGTERM)
    except (OSError, TypeError, ValueError):
        pass


def read_log(path):
    try:
        with open(path, 'rb') as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 65536))
            return source.text_of(handle.read())
    except (IOError, OSError):
        return ''


def wait(module, paths, result):
    params = module.params
    deadline = None
    while True:
        status = hailort_build.read_status(paths['status'])
        if status is None:
            module.fail_json(msg='No build was started in %s (run this module with state=started first).'
                             % params['work_dir'], **result)
        if deadline is None:
            deadline = hailort_build.report_deadline(status['started'], time.time(), max(0, params['wait']))
        never_started = not status.get('pid') and time.time() - status['started'] > 60
        runner_gone = status.get('pid') and not hailort_build.process_alive(status['pid'])
        if not status.get('finished') and (never_started or runner_gone):
            status.update(finished=True, rc=-1, ended=time.time())
            with open(paths['log'], 'a') as log:
                log.write('hailo_open.hailo: the build process %s ended without a result (killed?)\n' % status['pid'])
            save_status(paths, status)
        if not status.get('finished') and time.time() - status['started'] > params['timeout']:
            stop(status)
            status.update(finished=True, rc=-2, ended=time.time())
            with open(paths['log'], 'a') as log:
                log.write('hailo_open.hailo: stopped after the timeout of %d s\n' % params['timeout'])
            save_status(paths, status)
        if status.get('finished') or time.time() >= deadline:
            break
        time.sleep(min(POLL_SECONDS, max(0.0, deadline - time.time())))
    log_text = read_log(paths['log'])
    result.update(started=status['started'], finished=bool(status.get('finished')), rc=status.get('rc'),
                  phase=status.get('phase'), elapsed=int((status.get('ended') or time.time()) - status['started']),
                  progress=hailort_build.progress_text(status, log_text, status.get('ended') or time.time()))
    if status.get('finished') and status.get('rc') == 0:
        result.update(artifact=status.get('artifact'), artifact_sha256=status.get('artifact_sha256'))
    elif status.get('finished'):
        result['log_tail'] = hailort_build.tail(log_text)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type='str', choices=['started', 'finished'], required=True),
            work_dir=dict(type='path', required=True),
            source=dict(type='path'),
            source_sha256=dict(type='str'),
            cmake_args=dict(type='list', elements='str', default=[]),
            prefix=dict(type='path', default='/usr/local'),
            jobs=dict(type='int', default=1),
            ccache_dir=dict(type='path'),
            artifact=dict(type='str'),
            python_binding=dict(type='dict', options=dict(
                python=dict(type='path', default='/usr/bin/python3'),
                version=dict(type='str', required=True),
                pybind11=dict(type='str', choices=[pyhailort.PINNED, pyhailort.SYSTEM], required=True),
                minimum=dict(type='str', required=True),
                wheel=dict(type='str', required=True),
                offline=dict(type='bool', default=False),
            )),
            wait=dict(type='int', default=60),
            timeout=dict(type='int', default=14400),
        ),
        required_if=[('state', 'started', ('source', 'source_sha256', 'artifact'))],
        supports_check_mode=True,
    )
    params = module.params
    paths = hailort_build.work_paths(params['work_dir'])
    result = dict(changed=False, reused=False, log=paths['log'])
    if params['state'] == 'started':
        if not os.path.isfile(params['source']):
            module.fail_json(msg='The prepared source %s does not exist on the host.' % params['source'], **result)
        if params['jobs'] < 1:
            module.fail_json(msg='jobs must be 1 or more, not %d.' % params['jobs'], **result)
        start(module, paths, result)
    elif module.check_mode:
        result.update(finished=True, rc=None, phase=None, progress='check mode: nothing was built', elapsed=0)
    else:
        wait(module, paths, result)
    # A failed build is reported in rc, not as a failure of this module (see the description).
    module.exit_json(failed=False, **result)


if __name__ == '__main__':
    main()
