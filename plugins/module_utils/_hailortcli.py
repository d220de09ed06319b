# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Parsers for the text that HailoRT's command line tool (``hailortcli``, 4.x line) prints.

The formats are those of HailoRT v4.23.0 (branch ``hailo8``):

* ``hailortcli --version``: ``HailoRT-CLI version <major>.<minor>.<revision>``.
* ``hailortcli scan``: ``Hailo Devices:`` then ``[-] Device: <id>`` per device, or ``Hailo devices not found``.
* ``hailortcli fw-control identify``: per device ``Executing on device: <id>``, ``Identifying board`` and
  ``Key: value`` lines, then a blank line. Serial/part/product lines are left out when the board has none.
* ``hailortcli benchmark``: a ``Summary`` block of ``FPS`` / ``Latency`` lines, and ``--csv FILE``.
* On failure the process exit code is the ``hailo_status`` number; before anything else the CLI compares its
  own version with libhailort's and exits with 255 (``-1``) when they differ.
* Log lines on stderr: ``[HailoRT] [error] ...`` (library) and ``[HailoRT CLI] [error] ...`` (the CLI).
"""

from __future__ import annotations

import csv
import io
import re

# hailo_status numbers and names (HAILO_STATUS_VARIABLES in hailo/hailort.h, HailoRT 4.23).
HAILO_STATUS_NAMES = {
    0: 'HAILO_SUCCESS',
    1: 'HAILO_UNINITIALIZED',
    2: 'HAILO_INVALID_ARGUMENT',
    3: 'HAILO_OUT_OF_HOST_MEMORY',
    4: 'HAILO_TIMEOUT',
    5: 'HAILO_INSUFFICIENT_BUFFER',
    6: 'HAILO_INVALID_OPERATION',
    7: 'HAILO_NOT_IMPLEMENTED',
    8: 'HAILO_INTERNAL_FAILURE',
    9: 'HAILO_DATA_ALIGNMENT_FAILURE',
    10: 'HAILO_CHUNK_TOO_LARGE',
    11: 'HAILO_INVALID_LOGGER_LEVEL',
    12: 'HAILO_CLOSE_FAILURE',
    13: 'HAILO_OPEN_FILE_FAILURE',
    14: 'HAILO_FILE_OPERATION_FAILURE',
    15: 'HAILO_UNSUPPORTED_CONTROL_PROTOCOL_VERSION',
    16: 'HAILO_UNSUPPORTED_FW_VERSION',
    17: 'HAILO_INVALID_CONTROL_RESPONSE',
    18: 'HAILO_FW_CONTROL_FAILURE',
    19: 'HAILO_ETH_FAILURE',
    20: 'HAILO_ETH_INTERFACE_NOT_FOUND',
    21: 'HAILO_ETH_RECV_FAILURE',
    22: 'HAILO_ETH_SEND_FAILURE',
    23: 'HAILO_INVALID_FIRMWARE',
    24: 'HAILO_INVALID_CONTEXT_COUNT',
    25: 'HAILO_INVALID_FRAME',
    26: 'HAILO_INVALID_HEF',
    27: 'HAILO_PCIE_NOT_SUPPORTED_ON_PLATFORM',
    28: 'HAILO_INTERRUPTED_BY_SIGNAL',
    29: 'HAILO_START_VDMA_CHANNEL_FAIL',
    30: 'HAILO_SYNC_VDMA_BUFFER_FAIL',
    31: 'HAILO_STOP_VDMA_CHANNEL_FAIL',
    32: 'HAILO_CLOSE_VDMA_CHANNEL_FAIL',
    33: 'HAILO_ATR_TABLES_CONF_VALIDATION_FAIL',
    34: 'HAILO_EVENT_CREATE_FAIL',
    35: 'HAILO_READ_EVENT_FAIL',
    36: 'HAILO_DRIVER_OPERATION_FAILED',
    37: 'HAILO_INVALID_FIRMWARE_MAGIC',
    38: 'HAILO_INVALID_FIRMWARE_CODE_SIZE',
    39: 'HAILO_INVALID_KEY_CERTIFICATE_SIZE',
    40: 'HAILO_INVALID_CONTENT_CERTIFICATE_SIZE',
    41: 'HAILO_MISMATCHING_FIRMWARE_BUFFER_SIZES',
    42: 'HAILO_INVALID_FIRMWARE_CPU_ID',
    43: 'HAILO_CONTROL_RESPONSE_MD5_MISMATCH',
    44: 'HAILO_GET_CONTROL_RESPONSE_FAIL',
    45: 'HAILO_GET_D2H_EVENT_MESSAGE_FAIL',
    46: 'HAILO_MUTEX_INIT_FAIL',
    47: 'HAILO_OUT_OF_DESCRIPTORS',
    48: 'HAILO_UNSUPPORTED_OPCODE',
    49: 'HAILO_USER_MODE_RATE_LIMITER_NOT_SUPPORTED',
    50: 'HAILO_RATE_LIMIT_MAXIMUM_BANDWIDTH_EXCEEDED',
    51: 'HAILO_ANSI_TO_UTF16_CONVERSION_FAILED',
    52: 'HAILO_UTF16_TO_ANSI_CONVERSION_FAILED',
    53: 'HAILO_UNEXPECTED_INTERFACE_INFO_FAILURE',
    54: 'HAILO_UNEXPECTED_ARP_TABLE_FAILURE',
    55: 'HAILO_MAC_ADDRESS_NOT_FOUND',
    56: 'HAILO_NO_IPV4_INTERFACES_FOUND',
    57: 'HAILO_SHUTDOWN_EVENT_SIGNALED',
    58: 'HAILO_THREAD_ALREADY_ACTIVATED',
    59: 'HAILO_THREAD_NOT_ACTIVATED',
    60: 'HAILO_THREAD_NOT_JOINABLE',
    61: 'HAILO_NOT_FOUND',
    62: 'HAILO_COMMUNICATION_CLOSED',
    63: 'HAILO_STREAM_ABORT',
    64: 'HAILO_DRIVER_NOT_INSTALLED',
    65: 'HAILO_NOT_AVAILABLE',
    66: 'HAILO_TRAFFIC_CONTROL_FAILURE',
    67: 'HAILO_INVALID_SECOND_STAGE',
    68: 'HAILO_INVALID_PIPELINE',
    69: 'HAILO_NETWORK_GROUP_NOT_ACTIVATED',
    70: 'HAILO_VSTREAM_PIPELINE_NOT_ACTIVATED',
    71: 'HAILO_OUT_OF_FW_MEMORY',
    72: 'HAILO_STREAM_NOT_ACTIVATED',
    73: 'HAILO_DEVICE_IN_USE',
    74: 'HAILO_OUT_OF_PHYSICAL_DEVICES',
    75: 'HAILO_INVALID_DEVICE_ARCHITECTURE',
    76: 'HAILO_INVALID_DRIVER_VERSION',
    77: 'HAILO_RPC_FAILED',
    78: 'HAILO_INVALID_SERVICE_VERSION',
    79: 'HAILO_NOT_SUPPORTED',
    80: 'HAILO_NMS_BURST_INVALID_DATA',
    81: 'HAILO_OUT_OF_HOST_CMA_MEMORY',
    82: 'HAILO_QUEUE_IS_FULL',
    83: 'HAILO_DMA_MAPPING_ALREADY_EXISTS',
    84: 'HAILO_CANT_MEET_BUFFER_REQUIREMENTS',
    85: 'HAILO_DRIVER_INVALID_RESPONSE',
    86: 'HAILO_DRIVER_INVALID_IOCTL',
    87: 'HAILO_DRIVER_TIMEOUT',
    88: 'HAILO_DRIVER_INTERRUPTED',
    89: 'HAILO_CONNECTION_REFUSED',
    90: 'HAILO_DRIVER_WAIT_CANCELED',
    91: 'HAILO_HEF_FILE_CORRUPTED',
    92: 'HAILO_HEF_NOT_SUPPORTED',
    93: 'HAILO_HEF_NOT_COMPATIBLE_WITH_DEVICE',
}

# The exit code hailortcli uses when its own version and libhailort's differ (main() returns -1).
CLI_LIBRARY_MISMATCH_EXIT_CODE = 255
CLI_LIBRARY_MISMATCH = 'HAILORT_CLI_LIBRARY_VERSION_MISMATCH'

# What the statuses users actually meet mean on a Raspberry Pi 5 / Debian host, and what to do.
STATUS_EXPLANATIONS = {
    'HAILO_INVALID_DRIVER_VERSION':
        'The loaded hailo_pci driver is from another HailoRT release than libhailort; both must have the same '
        'major.minor.revision. Install the matching driver and reload it (or reboot), then check '
        '/sys/module/hailo_pci/version.',
    'HAILO_OUT_OF_PHYSICAL_DEVICES':
        'No free Hailo device: another process holds it. Stop that process, or run the HailoRT multi-process '
        'service when several processes must share the device.',
    'HAILO_DEVICE_IN_USE':
        'The device is already used by another process. Stop that process or use the multi-process service.',
    'HAILO_DRIVER_NOT_INSTALLED':
        'The Hailo PCIe driver is not installed or not running. Install the hailo_pci module and load it.',
    'HAILO_NOT_FOUND':
        'Something that was asked for does not exist: usually no Hailo device, or a device id that '
        '"hailortcli scan" does not list.',
    'HAILO_INVALID_HEF':
        'The HEF file is not a valid HEF (wrong file, truncated download, or made by an incompatible compiler).',
    'HAILO_HEF_NOT_COMPATIBLE_WITH_DEVICE':
        'The HEF was compiled for another device architecture (for example a Hailo-8 HEF on a Hailo-8L). '
        'Use the HEF compiled for the architecture that "hailortcli fw-control identify" reports.',
    'HAILO_HEF_FILE_CORRUPTED':
        'The HEF file is corrupted. Download it again and compare its checksum.',
    'HAILO_HEF_NOT_SUPPORTED':
        'This HailoRT release cannot load the HEF: it was compiled by a Dataflow Compiler of another generation.',
    'HAILO_DRIVER_OPERATION_FAILED':
        'A driver operation failed, often opening /dev/hailoN without permission (error 13): see the kernel log '
        'and the device node permissions.',
    'HAILO_DRIVER_INVALID_RESPONSE':
        'The driver answered something libhailort does not understand; driver and library versions probably differ.',
    'HAILO_DRIVER_INVALID_IOCTL':
        'The driver does not know an operation libhailort asked for; driver and library versions probably differ.',
    'HAILO_DRIVER_TIMEOUT':
        'A driver operation timed out; the device may need a reset (reload hailo_pci or reboot).',
    'HAILO_UNSUPPORTED_FW_VERSION':
        'The firmware running on the device is from another HailoRT release; install the matching firmware and '
        'reload the driver.',
    'HAILO_UNSUPPORTED_CONTROL_PROTOCOL_VERSION':
        'The firmware speaks another control protocol version; firmware and HailoRT releases differ.',
    'HAILO_TIMEOUT':
        'An operation timed out: the device did not answer in time (firmware not running, PCIe link errors).',
    'HAILO_INVALID_OPERATION':
        'The operation is not valid in this state (for example a command that needs exactly one device while '
        'several are present: pass a device id).',
    'HAILO_INVALID_ARGUMENT':
        'An argument was rejected (check the command line).',
    'HAILO_OPEN_FILE_FAILURE':
        'A file could not be opened (HEF or input path wrong, or not readable).',
    'HAILO_OUT_OF_HOST_MEMORY':
        'The host ran out of memory.',
    'HAILO_OUT_OF_DESCRIPTORS':
        'Not enough DMA descriptors for the network; see the kernel page size and force_desc_page_size.',
    'HAILO_INTERNAL_FAILURE':
        'HailoRT hit an internal failure; the [HailoRT] [error] lines above it say where.',
    CLI_LIBRARY_MISMATCH:
        'hailortcli and the libhailort it loaded are from different releases (often a second libhailort '
        'from a distribution package next to a source build). Remove one of them so a single version remains.',
}

# Messages that say more about a failure than its status code: (kind, pattern, explanation or None to use the
# explanation of the status the message belongs to).
_KNOWN_MESSAGES = (
    ('cli_library_mismatch',
     re.compile(r'libhailort version \((?P<library>[^)]*)\) does not match HailoRT-CLI version \((?P<cli>[^)]*)\)'),
     STATUS_EXPLANATIONS[CLI_LIBRARY_MISMATCH]),
    ('driver_library_mismatch',
     re.compile(r'Driver version \((?P<driver>[^)]*)\) is different from library version \((?P<library>[^)]*)\)'),
     STATUS_EXPLANATIONS['HAILO_INVALID_DRIVER_VERSION']),
    ('device_open_denied',
     re.compile(r'Failed to open device file (?P<path>\S+) with error (?P<errno>13)\b'),
     'Permission denied opening the device node: add the user to the group that owns /dev/hailoN '
     '(a udev rule sets it) or run as root.'),
    ('desc_page_size',
     re.compile(r'max_desc_page_size given (?P<given>\d+) is bigger than hw max desc page size (?P<max>\d+)'),
     'The driver chose a descriptor page size the hardware cannot use because the kernel has 16 KiB pages. '
     'Load hailo_pci with force_desc_page_size=4096 (a line "options hailo_pci force_desc_page_size=4096" in '
     '/etc/modprobe.d/hailo_pci.conf), then reload the module.'),
    ('firmware_mismatch',
     re.compile(r'Unsupported firmware operation\. Host: (?P<host>[\d.]+), Device: (?P<device>[\d.]+)'),
     'The firmware running on the device is from another release than libhailort (major.minor must match). '
     'Install the matching firmware as /lib/firmware/hailo/hailo8_fw.bin and reload hailo_pci (or reboot).'),
    ('hef_not_compatible',
     re.compile(r'HEF format is not compatible with device\. Device arch: (?P<device_arch>\S+), '
                r'HEF arch: (?P<hef_arch>\S+)'),
     STATUS_EXPLANATIONS['HAILO_HEF_NOT_COMPATIBLE_WITH_DEVICE']),
)

_VERSION_RE = re.compile(r'^HailoRT-CLI version (?P<version>\d+\.\d+\.\d+)\s*$', re.M)
_LOG_LINE_RE = re.compile(r'^\[(?P<logger>HailoRT(?: CLI)?)\] \[(?P<level>[a-z]+)\] (?P<message>.*)$')
_STATUS_IN_TEXT_RE = re.compile(r'status= ?(?P<name>HAILO_[A-Z0-9_]+)\((?P<code>\d+)\)')
_FIRMWARE_VERSION_RE = re.compile(r'^(?P<version>\d+\.\d+\.\d+)(?: \((?P<flags>[^)]*)\))?$')
_INT_RE = re.compile(r'^-?\d+$')
_NOT_AVAILABLE = ('', '<N/A>', 'N/A')


def parse_version(text):
    """Return the version printed by ``hailortcli --version`` ('4.23.0'), or None."""
    match = _VERSION_RE.search(text or '')
    return match.group('version') if match else None


def parse_scan(text):
    """Return the device ids listed by ``hailortcli scan``.

    Raises ValueError when the text is neither a device list nor the "not found" message.
    """
    lines = [line.strip() for line in (text or '').splitlines() if line.strip()]
    if 'Hailo devices not found' in lines:
        return []
    if 'Hailo Devices:' not in lines:
        raise ValueError('unrecognised "hailortcli scan" output: %r' % (text or '')[:200])
    prefix = '[-] Device: '
    return [line[len(prefix):].strip() for line in lines if line.startswith(prefix)]


def _none_if_not_available(value):
    return None if value is None or value.strip() in _NOT_AVAILABLE else value.strip()


def _int_or_raw(value):
    return int(value) if value is not None and _INT_RE.match(value) else value


def parse_firmware_version(value):
    """Split ``4.23.0 (release,app,extended context switch buffer)`` into its parts.

    Returns ``{'version', 'flavour' (list), 'mode' (release|develop), 'type' (app|core|invalid),
    'extended_context_switch_buffer' (bool)}``; the values are None when the text does not match.
    """
    match = _FIRMWARE_VERSION_RE.match((value or '').strip())
    if not match:
        return {'version': None, 'flavour': [], 'mode': None, 'type': None, 'extended_context_switch_buffer': False}
    flavour = [part.strip() for part in (match.group('flags') or '').split(',') if part.strip()]
    return {
        'version': match.group('version'),
        'flavour': flavour,
        'mode': flavour[0] if len(flavour) > 0 else None,
        'type': flavour[1] if len(flavour) > 1 else None,
        'extended_context_switch_buffer': 'extended context switch buffer' in flavour,
    }


def _device_from_fields(device_id, fields):
    firmware = parse_firmware_version(fields.get('Firmware Version'))
    return {
        'id': device_id,
        'identified': bool(fields.get('Device Architecture')),
        'architecture': fields.get('Device Architecture'),
        'firmware_version': firmware['version'],
        'firmware_flavour': firmware['flavour'],
        'firmware_mode': firmware['mode'],
        'firmware_type': firmware['type'],
        'extended_context_switch_buffer': firmware['extended_context_switch_buffer'],
        'board_name': fields.get('Board Name'),
        'serial_number': _none_if_not_available(fields.get('Serial Number')),
        'part_number': _none_if_not_available(fields.get('Part Number')),
        'product_name': _none_if_not_available(fields.get('Product Name')),
        'control_protocol_version': _int_or_raw(fields.get('Control Protocol Version')),
        'logger_version': _int_or_raw(fields.get('Logger Version')),
        'raw': fields,
    }


def unidentified_device(device_id):
    """The entry of a device that identify did not describe (every field null, ``identified: false``)."""
    return _device_from_fields(device_id, {})


def parse_identify(text):
    """Parse ``hailortcli fw-control identify`` output (one or several devices) into a list of devices.

    A device whose block lacks ``Device Architecture`` has ``identified: false``. Empty output (what the
    CLI prints when there is no device at all) gives an empty list.
    """
    devices = []
    device_id = None
    fields = None
    for line in (text or '').splitlines():
        line = line.rstrip()
        if line.startswith('Executing on device: '):
            if fields is not None:
                devices.append(_device_from_fields(device_id, fields))
            device_id = line[len('Executing on device: '):].strip()
            fields = {}
            continue
        if fields is None or ': ' not in line:
            continue
        key, value = line.split(': ', 1)
        fields[key.strip()] = value.strip()
    if fields is not None:
        devices.append(_device_from_fields(device_id, fields))
    return devices


def parse_log_lines(text):
    """Return the ``[HailoRT] [level] message`` / ``[HailoRT CLI] [level] message`` lines of a text."""
    entries = []
    for line in (text or '').splitlines():
        match = _LOG_LINE_RE.match(line.strip())
        if match:
            entries.append(match.groupdict())
    return entries


def status_name(code):
    """Name of a hailo_status number (or of hailortcli's exit code), None when unknown."""
    if code == CLI_LIBRARY_MISMATCH_EXIT_CODE:
        return CLI_LIBRARY_MISMATCH
    return HAILO_STATUS_NAMES.get(code)


def explain_status(name):
    """A sentence a person can act on for a status name."""
    if name in STATUS_EXPLANATIONS:
        return STATUS_EXPLANATIONS[name]
    if name:
        return '%s: see the [HailoRT] [error] lines for details.' % name
    return 'Unknown failure: see the [HailoRT] [error] lines for details.'


def _match_known_message(text):
    for kind, regex, explanation in _KNOWN_MESSAGES:
        match = regex.search(text)
        if match:
            return kind, match.groupdict(), explanation
    return None, {}, None


def decode_failure(rc, stdout='', stderr=''):
    """Explain a failed hailortcli run.

    Returns ``{'rc', 'name', 'kind', 'explanation', 'details', 'errors'}``: ``name`` is the hailo_status name of
    the exit code (``HAILORT_CLI_LIBRARY_VERSION_MISMATCH`` for 255), else the status named in the text;
    ``kind`` names a known message found in the output (``driver_library_mismatch``, ``desc_page_size``, ...)
    and ``details`` the values it carried (versions, paths); a known message gives the more precise
    explanation. ``errors`` are the ``[error]``/``[critical]`` log messages.
    """
    text = '\n'.join((stderr or '', stdout or ''))
    name = status_name(rc)
    if name is None:
        status = _STATUS_IN_TEXT_RE.search(text)
        name = status.group('name') if status else None
    kind, details, explanation = _match_known_message(text)
    errors = [entry['message'] for entry in parse_log_lines(text) if entry['level'] in ('error', 'critical')]
    return {
        'rc': rc,
        'name': name,
        'kind': kind,
        'explanation': explanation or explain_status(name),
        'details': details,
        'errors': errors,
    }


def format_failure(command, failure):
    """One-line message for a failed command, from decode_failure()'s result."""
    name = failure['name'] or 'unknown status'
    message = '"%s" failed with exit code %s (%s): %s' % (command, failure['rc'], name, failure['explanation'])
    if failure['errors']:
        message += ' Last error: %s' % failure['errors'][-1]
    return message


def _number(value):
    value = (value or '').strip()
    if not value:
        return None
    try:
        return int(value) if _INT_RE.match(value) else float(value)
    except ValueError:
        return None


_SUMMARY_LINES = (
    (re.compile(r'^FPS\s+\(hw_only\)\s+=\s+(\S+)'), 'fps_hw_only'),
    (re.compile(r'^\(streaming\)\s+=\s+(\S+)'), 'fps_streaming'),
    (re.compile(r'^Latency \(hw\)\s+=\s+(\S+) ms'), 'latency_hw_ms'),
    (re.compile(r'^\(overall\)\s+=\s+(\S+) ms'), 'latency_overall_ms'),
)
_POWER_DEVICE_RE = re.compile(r'^Device (?P<device>.+):$')
_POWER_LINE_RE = re.compile(r'^(?:Power in streaming mode )?\((?P<kind>average|max)\)\s+=\s+(?P<value>\S+) (?P<units>\S+)$')


def parse_benchmark_summary(text):
    """Parse the ``Summary`` block that ``hailortcli benchmark`` prints.

    Returns ``{'networks': [{'fps_hw_only', 'fps_streaming', 'latency_hw_ms', 'latency_overall_ms'}],
    'power': {device: {'average', 'max', 'units'}}}``. The text summary carries no network names: one entry
    per network group, in order. Raises ValueError when there is no summary.
    """
    lines = (text or '').splitlines()
    try:
        start = [line.strip() for line in lines].index('Summary')
    except ValueError:
        raise ValueError('no "Summary" block in the benchmark output')
    networks = []
    power = {}
    device = None
    for raw in lines[start + 1:]:
        line = raw.strip()
        device_match = _POWER_DEVICE_RE.match(line)
        if device_match:
            device = device_match.group('device')
            power[device] = {'average': None, 'max': None, 'units': None}
            continue
        power_match = _POWER_LINE_RE.match(line)
        if power_match and device is not None:
            power[device][power_match.group('kind')] = _number(power_match.group('value'))
            power[device]['units'] = power_match.group('units')
            continue
        for regex, key in _SUMMARY_LINES:
            match = regex.match(line)
            if match:
                if key == 'fps_hw_only':
                    networks.append({'fps_hw_only': None, 'fps_streaming': None,
                                     'latency_hw_ms': None, 'latency_overall_ms': None})
                if networks:
                    networks[-1][key] = _number(match.group(1))
                break
    if not networks:
        raise ValueError('the benchmark summary has no FPS lines')
    return {'networks': networks, 'power': power}


BENCHMARK_CSV_COLUMNS = ('net_name', 'fps', 'hw_only_fps', 'num_of_frames', 'num_of_frames_hw_only', 'hw_latency',
                         'overall_latency', 'min_power', 'average_power', 'max_power')


def parse_benchmark_csv(text):
    """Parse the file ``hailortcli benchmark --csv FILE`` writes: one dict per network, numbers typed.

    ``fps`` is the streaming FPS, ``hw_only_fps`` the HW-only one, latencies are in milliseconds; empty cells
    are None. Raises ValueError when the header is not the benchmark header.
    """
    reader = csv.reader(io.StringIO(text or ''))
    rows = [row for row in reader if row]
    if not rows or tuple(cell.strip() for cell in rows[0]) != BENCHMARK_CSV_COLUMNS:
        raise ValueError('not a "hailortcli benchmark --csv" file (unexpected header)')
    results = []
    for row in rows[1:]:
        cells = (row + [''] * len(BENCHMARK_CSV_COLUMNS))[:len(BENCHMARK_CSV_COLUMNS)]
        entry = {'net_name': cells[0].strip()}
        for column, cell in zip(BENCHMARK_CSV_COLUMNS[1:], cells[1:]):
            entry[column] = _number(cell)
        results.append(entry)
    return results
