# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Hailo devices as the kernel shows them: PCI functions, ``hailo_chardev`` nodes, the ``hailo_pci`` module.

Enumeration uses pyudev when it is importable and plain sysfs otherwise; both give the same result.
Attribute values are read from sysfs files in both cases. The ``hailo_chardev`` attributes
(``board_location``, ``device_id``, ``accelerator_type``) are written without a trailing newline,
the PCI ones with one: every value is stripped.
"""

from __future__ import annotations

import grp
import os
import pwd
import re
import stat

try:
    import pyudev
    HAS_PYUDEV = True
except ImportError:
    HAS_PYUDEV = False

HAILO_PCI_VENDOR = '0x1e60'
HAILO_DRIVER_NAME = 'hailo'
HAILO_MODULE_NAME = 'hailo_pci'
CHARDEV_CLASS = 'hailo_chardev'

# PCI device id -> (family, description, supported by the HailoRT 4.x driver).
PCI_FAMILIES = {
    '0x2864': ('hailo8', 'Hailo-8 or Hailo-8L (same PCI id; "hailortcli fw-control identify" tells them apart)', True),
    '0x45c4': ('hailo10h', 'Hailo-10H (needs HailoRT 5.x)', False),
    '0x43a2': ('hailo15l', 'Hailo-15L (needs HailoRT 5.x)', False),
}

# PCIe transfer rate (GT/s) -> generation.
_LINK_GENERATIONS = {2.5: 1, 5.0: 2, 8.0: 3, 16.0: 4, 32.0: 5, 64.0: 6}
_LINK_SPEED_RE = re.compile(r'^\s*(?P<rate>\d+(?:\.\d+)?)\s*GT/s')


def read_attr(path):
    """The stripped text of a sysfs attribute, or None when it cannot be read."""
    try:
        with open(path, 'rb') as handle:
            return handle.read().decode('utf-8', 'replace').strip()
    except (IOError, OSError):
        return None


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def link_generation(speed):
    """PCIe generation of a ``current_link_speed`` value ('8.0 GT/s PCIe' -> 3), None when unknown."""
    match = _LINK_SPEED_RE.match(speed or '')
    if not match:
        return None
    return _LINK_GENERATIONS.get(float(match.group('rate')))


def pci_family(device_id):
    """(family, description, supported_by_4x) for a PCI device id such as '0x2864'."""
    return PCI_FAMILIES.get((device_id or '').lower(), ('unknown', 'unknown Hailo device', False))


def _driver_name(sys_path):
    try:
        return os.path.basename(os.readlink(os.path.join(sys_path, 'driver')))
    except (IOError, OSError):
        return None


def describe_pci_device(sys_path):
    """Facts about one PCI function from its sysfs directory."""
    device_id = (read_attr(os.path.join(sys_path, 'device')) or '').lower() or None
    family, description, supported = pci_family(device_id)
    current_speed = read_attr(os.path.join(sys_path, 'current_link_speed'))
    max_speed = read_attr(os.path.join(sys_path, 'max_link_speed'))
    return {
        'address': os.path.basename(sys_path.rstrip('/')),
        'vendor_id': (read_attr(os.path.join(sys_path, 'vendor')) or '').lower() or None,
        'device_id': device_id,
        'family': family,
        'description': description,
        'supported': supported,
        'driver': _driver_name(sys_path),
        'current_link_speed': current_speed,
        'current_link_width': _int_or_none(read_attr(os.path.join(sys_path, 'current_link_width'))),
        'current_link_gen': link_generation(current_speed),
        'max_link_speed': max_speed,
        'max_link_width': _int_or_none(read_attr(os.path.join(sys_path, 'max_link_width'))),
        'max_link_gen': link_generation(max_speed),
    }


def describe_node(path):
    """Owner, group and mode of a device node; ``exists: false`` when it is absent."""
    try:
        info = os.stat(path)
    except (IOError, OSError):
        return {'path': path, 'exists': False, 'char_device': False, 'owner': None, 'group': None,
                'uid': None, 'gid': None, 'mode': None}
    try:
        owner = pwd.getpwuid(info.st_uid).pw_name
    except KeyError:
        owner = str(info.st_uid)
    try:
        group = grp.getgrgid(info.st_gid).gr_name
    except KeyError:
        group = str(info.st_gid)
    return {
        'path': path,
        'exists': True,
        'char_device': stat.S_ISCHR(info.st_mode),
        'owner': owner,
        'group': group,
        'uid': info.st_uid,
        'gid': info.st_gid,
        'mode': '%04o' % stat.S_IMODE(info.st_mode),
    }


def _devname_from_uevent(sys_path):
    for line in (read_attr(os.path.join(sys_path, 'uevent')) or '').splitlines():
        if line.startswith('DEVNAME='):
            return os.path.join('/dev', line[len('DEVNAME='):])
    return None


def describe_chardev(sys_path, device_node=None):
    """Facts about one ``hailo_chardev`` class device (``hailoN``) and its /dev node."""
    name = os.path.basename(sys_path.rstrip('/'))
    device_node = device_node or _devname_from_uevent(sys_path) or os.path.join('/dev', name)
    return {
        'name': name,
        'board_location': read_attr(os.path.join(sys_path, 'board_location')),
        'device_id': read_attr(os.path.join(sys_path, 'device_id')),
        'accelerator_type': read_attr(os.path.join(sys_path, 'accelerator_type')),
        'device_node': device_node,
        'node': describe_node(device_node),
    }


def _list_dir(path):
    try:
        return sorted(os.listdir(path))
    except (IOError, OSError):
        return []


def enumerate_sysfs(sys_root='/sys'):
    """(pci_devices, nodes) found by walking ``<sys_root>/bus/pci/devices`` and ``<sys_root>/class/hailo_chardev``."""
    pci_root = os.path.join(sys_root, 'bus', 'pci', 'devices')
    pci_devices = []
    for address in _list_dir(pci_root):
        sys_path = os.path.join(pci_root, address)
        if (read_attr(os.path.join(sys_path, 'vendor')) or '').lower() == HAILO_PCI_VENDOR:
            pci_devices.append(describe_pci_device(sys_path))
    class_root = os.path.join(sys_root, 'class', CHARDEV_CLASS)
    nodes = [describe_chardev(os.path.join(class_root, name)) for name in _list_dir(class_root)]
    return pci_devices, nodes


def enumerate_pyudev():
    """(pci_devices, nodes) found through udev (pyudev); /dev names come from the udev database."""
    context = pyudev.Context()
    pci_devices = []
    for device in context.list_devices(subsystem='pci'):
        if (read_attr(os.path.join(device.sys_path, 'vendor')) or '').lower() == HAILO_PCI_VENDOR:
            pci_devices.append(describe_pci_device(device.sys_path))
    nodes = [describe_chardev(device.sys_path, device.device_node)
             for device in context.list_devices(subsystem=CHARDEV_CLASS)]
    pci_devices.sort(key=lambda entry: entry['address'])
    nodes.sort(key=lambda entry: entry['name'])
    return pci_devices, nodes


def enumerate_devices(use_pyudev=HAS_PYUDEV, sys_root='/sys'):
    """All Hailo PCI functions and chardev nodes: ``{'enumeration', 'pci_devices', 'nodes'}``."""
    if use_pyudev:
        pci_devices, nodes = enumerate_pyudev()
    else:
        pci_devices, nodes = enumerate_sysfs(sys_root)
    return {'enumeration': 'pyudev' if use_pyudev else 'sysfs', 'pci_devices': pci_devices, 'nodes': nodes}


def loaded_driver(sys_root='/sys'):
    """State of the ``hailo_pci`` module in the running kernel: ``{'loaded', 'version', 'parameters'}``."""
    module_dir = os.path.join(sys_root, 'module', HAILO_MODULE_NAME)
    if not os.path.isdir(module_dir):
        return {'loaded': False, 'version': None, 'parameters': {}}
    parameters_dir = os.path.join(module_dir, 'parameters')
    parameters = dict((name, read_attr(os.path.join(parameters_dir, name))) for name in _list_dir(parameters_dir))
    return {
        'loaded': True,
        'version': read_attr(os.path.join(module_dir, 'version')),
        'parameters': parameters,
    }
