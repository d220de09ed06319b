# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""The inference role's decisions: which model files a node needs, where they come from, and the service's
configuration (the JSON file the service in apps/hailo-inference reads).

A model entry of the role (``inference_models``) names its files by URL (fetched once on the controller) or by a
path on the controller. URLs may use the placeholders ``{zoo}`` (the Model Zoo's base URL), ``{mz_version}`` (the
Model Zoo release paired with the HailoRT version) and ``{arch}`` (``hailo8`` or ``hailo8l``, from the identified
device), so that one list serves a mixed fleet.
"""

from __future__ import annotations

import hashlib
import ipaddress
import posixpath
import re
import string

from ansible_collections.hailo_open.hailo.plugins.module_utils import _hailo_models as hailo_models

TASKS = ('classification', 'detection')
BACKENDS = ('hailo', 'onnx')
PLACEHOLDERS = ('zoo', 'mz_version', 'arch')
BASE_PACKAGES = ['python3-venv', 'python3-numpy', 'python3-aiohttp', 'python3-uvloop', 'python3-pil',
                 'python3-prometheus-client']
ONNX_PACKAGES = ['python3-onnxruntime']
CAMERA_PACKAGES = ['ffmpeg']
MODEL_KEYS = ('name', 'task', 'backend', 'hef_url', 'hef_path', 'onnx_url', 'onnx_path', 'onnx_member', 'labels',
              'labels_url', 'labels_path', 'checksums', 'batch_size', 'max_batch_wait_ms', 'instances', 'preprocess',
              'onnx_preprocess', 'postprocess', 'camera')
# Keys passed to the service's configuration unchanged (it checks them itself, at start).
SERVICE_KEYS = ('batch_size', 'max_batch_wait_ms', 'instances', 'preprocess', 'onnx_preprocess', 'postprocess', 'camera')
# The Model Zoo's bucket: compiled HEFs under ModelZoo/Compiled/, pretrained archives (with ONNX) beside them.
MODEL_ZOO_ROOT = 'https://hailo-model-zoo.s3.eu-west-2.amazonaws.com'
# Where the service reads its token: its runtime directory, into which the unit copies the root-only token file.
TOKEN_RUNTIME_PATH = '/run/hailo-inference/token'
_NAME_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$')
_SHA256_RE = re.compile(r'^[0-9a-f]{64}$')
_VIDEO_RE = re.compile(r'^/dev/video[0-9]+$')


def url_placeholders(url):
    """The placeholder names used in ``url`` (``{arch}`` -> ``arch``)."""
    return [part[1] for part in string.Formatter().parse(url) if part[1]]


def expand_url(url, values, where):
    """``url`` with its placeholders filled from ``values``; ValueError naming ``where`` for unknown or missing
    placeholders."""
    fields = url_placeholders(url)
    unknown = sorted(set(fields) - set(PLACEHOLDERS))
    if unknown:
        raise ValueError('%s: unknown placeholder(s) %s in %s; known: %s' % (
            where, ', '.join('{%s}' % f for f in unknown), url, ', '.join('{%s}' % p for p in PLACEHOLDERS)))
    for field in fields:
        if not values.get(field):
            if field == 'arch':
                raise ValueError('%s: %s needs the device architecture ({arch}), but no Hailo device was '
                                 'identified on this host' % (where, url))
            raise ValueError('%s: %s needs {%s}, which is not known' % (where, url, field))
    return url.format(**values)


def cache_name(url, member=None):
    """Where a download is kept in the controller's cache: ``inference/<12 hex of the URL's sha256>/<file>``
    (the member's name for an archive member)."""
    digest = hashlib.sha256(url.encode('utf-8')).hexdigest()[:12]
    base = posixpath.basename(url.split('?', 1)[0]) or 'download'
    return posixpath.join('inference', digest, member if member else base)


def _file(entry, kind, values, model_dir, where, archive_key=None):
    """One model file: ``{kind, url, path, member, cache, dest, sha256}`` or None when the entry names none."""
    url, path = entry.get(kind + '_url'), entry.get(kind + '_path')
    if url and path:
        raise ValueError('%s: give %s_url or %s_path, not both' % (where, kind, kind))
    if not url and not path:
        return None
    member = entry.get(archive_key) if archive_key else None
    if member is not None and (not isinstance(member, str) or not member or member.startswith('/') or '..' in member):
        raise ValueError('%s: %s is not a file name inside the archive: %r' % (where, archive_key, member))
    checksums = entry.get('checksums') or {}
    sha256 = checksums.get(kind)
    if sha256 is not None and not _SHA256_RE.match(str(sha256)):
        raise ValueError('%s: checksums.%s must be 64 lowercase hex digits (sha256), not %r' % (where, kind, sha256))
    item = {'kind': kind, 'url': None, 'path': None, 'member': member, 'sha256': sha256}
    if url:
        item['url'] = expand_url(url, values, '%s.%s_url' % (where, kind))
        item['cache'] = cache_name(item['url'])
        name = member or posixpath.basename(item['url'].split('?', 1)[0])
        if member:
            item['extracted'] = posixpath.join(posixpath.dirname(item['cache']), 'extracted', member)
    else:
        item['path'] = path
        item['cache'] = None
        name = member or posixpath.basename(path)
    if kind == 'hef' and not name.endswith('.hef'):
        raise ValueError('%s: the HEF file %s does not end in .hef' % (where, name))
    if kind == 'onnx' and not name.endswith('.onnx'):
        raise ValueError('%s: the ONNX file %s does not end in .onnx (name the member of an archive with %s)' % (
            where, name, 'onnx_member'))
    item['dest'] = posixpath.join(model_dir, entry['name'], posixpath.basename(name))
    return item


def plan_model(entry, index, backend, values, model_dir):
    """One model of ``inference_models``: its files and its part of the service's configuration."""
    where = 'inference_models[%d]' % index
    if not isinstance(entry, dict):
        raise ValueError('%s: expected a dict, got %r' % (where, entry))
    unknown = sorted(set(entry) - set(MODEL_KEYS))
    if unknown:
        raise ValueError('%s: unknown key(s) %s; known: %s' % (where, ', '.join(unknown), ', '.join(MODEL_KEYS)))
    name = entry.get('name')
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise ValueError('%s.name: %r is not a model name (letters, digits, _ . -; at most 64)' % (where, name))
    where = 'inference_models[%d] (%s)' % (index, name)
    if entry.get('task') not in TASKS:
        raise ValueError('%s: task must be one of %s, not %r' % (where, ', '.join(TASKS), entry.get('task')))
    model_backend = entry.get('backend') or backend
    if model_backend not in BACKENDS:
        raise ValueError('%s: backend must be one of %s, not %r' % (where, ', '.join(BACKENDS), model_backend))
    served = 'hef' if model_backend == 'hailo' else 'onnx'
    files = {}
    for kind, archive_key in (('hef', None), ('onnx', 'onnx_member')):
        if kind == served or kind == 'onnx':
            item = _file(entry, kind, values, model_dir, where, archive_key)
            if item:
                files[kind] = item
    if served not in files:
        raise ValueError('%s: the %s backend needs %s_url or %s_path' % (where, model_backend, served, served))
    labels = entry.get('labels')
    if labels is not None and not (isinstance(labels, str) and labels.startswith('builtin:')):
        raise ValueError('%s: labels names built-in labels (builtin:coco); use labels_url or labels_path for a '
                         'file' % where)
    label_file = _file(entry, 'labels', values, model_dir, where)
    if label_file:
        if labels:
            raise ValueError('%s: give labels (built in) or labels_url/labels_path, not both' % where)
        files['labels'] = label_file
    if entry['task'] == 'detection' and not (labels or label_file):
        raise ValueError('%s: a detection model needs labels (their number is the number of classes)' % where)
    camera = entry.get('camera')
    if camera is not None:
        source = camera.get('source') if isinstance(camera, dict) else None
        if not isinstance(source, str) or not source:
            raise ValueError('%s: camera.source must be a V4L2 device (/dev/videoN), lavfi:<filter> or a video '
                             'file on the node' % where)
        if source.startswith('/dev/') and not _VIDEO_RE.match(source):
            raise ValueError('%s: camera.source %s is not a V4L2 capture device (/dev/videoN)' % (where, source))
    service = {'name': name, 'task': entry['task'], 'backend': model_backend}
    for kind in ('hef', 'onnx'):
        if kind in files:
            service[kind] = files[kind]['dest']
    if 'labels' in files:
        service['labels'] = files['labels']['dest']
    elif labels:
        service['labels'] = labels
    for key in SERVICE_KEYS:
        if entry.get(key) is not None:
            service[key] = entry[key]
    return {'name': name, 'backend': model_backend, 'files': list(files.values()), 'service': service,
            'camera': camera.get('source') if camera else None}


def _is_loopback(host):
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        raise ValueError('inference_listen_host must be an IP address to listen on, not %r' % host)


def plan(models, backend, architecture=None, hailort_version=None, model_zoo_url=MODEL_ZOO_ROOT,
         model_dir='/var/lib/hailo_open/models', listen_host='127.0.0.1', port=8000,
         max_body_bytes=16 * 1024 * 1024, token=False, compare=False, access_log=False):
    """Everything the role needs for the models of one host; raises ValueError with the variable at fault.

    Returns ``{'models', 'files', 'downloads', 'packages', 'devices', 'config', 'token', 'compare'}``: ``files``
    are the copies to make on the host (``dest``) from the controller (``path``, or ``cache`` of a download);
    ``downloads`` the URLs to fetch on the controller (one per URL); ``config`` the service's JSON configuration.
    """
    if backend not in BACKENDS:
        raise ValueError('inference_backend must be one of %s, not %r' % (', '.join(BACKENDS), backend))
    if not isinstance(models, list) or not models:
        raise ValueError('inference_models must be a non-empty list of models')
    if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
        raise ValueError('inference_port must be a TCP port (1-65535), not %r' % (port,))
    if not isinstance(max_body_bytes, int) or max_body_bytes < 1024:
        raise ValueError('inference_max_body_bytes must be at least 1024, not %r' % (max_body_bytes,))
    need_token = token or not _is_loopback(listen_host)
    values = {'zoo': (model_zoo_url or '').rstrip('/'), 'arch': None, 'mz_version': None}
    if architecture:
        values['arch'] = hailo_models.architecture_key(architecture)
    if hailort_version:
        try:
            values['mz_version'] = hailo_models.model_zoo_version(hailort_version)
        except ValueError:
            values['mz_version'] = None
    planned = [plan_model(entry, index, backend, values, model_dir) for index, entry in enumerate(models)]
    names = [m['name'] for m in planned]
    duplicates = sorted(set(n for n in names if names.count(n) > 1))
    if duplicates:
        raise ValueError('inference_models: duplicate name(s) %s' % ', '.join(duplicates))
    files = [f for m in planned for f in m['files']]
    downloads, seen = [], set()
    for item in files:
        if item['url'] and item['url'] not in seen:
            seen.add(item['url'])
            downloads.append({'url': item['url'], 'cache': item['cache'], 'sha256': item['sha256']})
    extractions = []
    for item in files:
        if item['url'] and item['member'] and item['extracted'] not in [e['extracted'] for e in extractions]:
            extractions.append({'archive': item['cache'], 'member': item['member'], 'extracted': item['extracted']})
    packages = list(BASE_PACKAGES)
    if any(m['backend'] == 'onnx' for m in planned) or compare:
        packages += ONNX_PACKAGES
    cameras = [m['camera'] for m in planned if m['camera']]
    if cameras:
        packages += CAMERA_PACKAGES
    server = {'host': listen_host, 'port': port, 'max_body_bytes': max_body_bytes, 'access_log': bool(access_log)}
    if need_token:
        server['token_file'] = TOKEN_RUNTIME_PATH
    return {
        'models': names,
        'files': [{'dest': f['dest'], 'path': f['path'], 'cache': f.get('extracted') or f['cache'],
                   'kind': f['kind']} for f in files],
        'downloads': downloads,
        'extractions': extractions,
        'packages': packages,
        'devices': sorted(set(c for c in cameras if _VIDEO_RE.match(c))),
        'config': {'server': server, 'models': [m['service'] for m in planned]},
        'token': need_token,
        'compare': [m['name'] for m in planned if compare and m['backend'] == 'hailo'
                    and any(f['kind'] == 'onnx' for f in m['files'])],
    }
