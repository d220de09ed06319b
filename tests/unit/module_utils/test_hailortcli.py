# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parsers of hailortcli output.

The samples in data/hailortcli/ are hand-written from the format strings of HailoRT v4.23.0 (branch hailo8):
  version.stdout                    hailortcli/hailortcli.cpp: set_version_flag "HailoRT-CLI version {}.{}.{}"
  version-library-mismatch.stderr   hailortcli/hailortcli.cpp: do_versions_match() ("libhailort version (...)
                                    does not match HailoRT-CLI version (...)", main() then returns -1 -> exit 255)
  scan-*.stdout                     hailortcli/scan_command.cpp: "Hailo Devices:", "[-] Device: <id>",
                                    "Hailo devices not found"
  identify-*.stdout                 hailortcli/command.cpp: "Executing on device: <id>";
                                    hailortcli/fw_control_command.cpp: FwControlIdentifyCommand::execute_on_device,
                                    fw_version_string() ("<x.y.z> (release|develop,app|core[,extended context
                                    switch buffer])"), valid_attr_str() (serial/part/product only when non-empty)
  identify-empty.stdout             no device: create_devices() yields nothing, nothing is printed, exit 0
  identify-driver-mismatch.*        libhailort/src/vdma/driver/hailort_driver.cpp: validate_driver_version();
                                    stdout is empty: devices are opened before "Executing on device:" is printed
                                    common/utils.hpp CHECK/CHECK_SUCCESS message prefixes; libhailort console
                                    pattern "[%n] [%l] %v" with logger name "HailoRT" (utils/hailort_logger.cpp);
                                    hailortcli/command.cpp "Failed to execute on device: <id>. status= <status>"
                                    and common/logger_macros.hpp status printing "NAME(number)"
  identify-permission-denied.stderr libhailort/src/vdma/driver/os/posix/linux/driver_os_specific.cpp
                                    ("Failed to open device file {} with error {}")
  run-page-size.stderr              libhailort/src/vdma/memory/buffer_requirements.cpp (HAILO_INTERNAL_FAILURE)
  run-hef-incompatible.stderr       libhailort/src/device_common/device_internal.cpp check_hef_is_compatible()
  run-out-of-devices.stderr         libhailort/src/vdevice/vdevice.cpp ("there are not enough free devices")
  run-firmware-unsupported.stderr   libhailort/src/device_common/device.cpp update_fw_state() (a warning)
  benchmark*.stdout                 hailortcli/benchmark_command.cpp BenchmarkCommand::execute() summary lines
  benchmark.csv                     hailortcli/infer_stats_printer.cpp print_benchmark_csv_header() /
                                    print_benchmark_csv()
"""

from __future__ import annotations

import os

import pytest

from ansible_collections.hailo_open.hailo.plugins.module_utils import _hailortcli as hailortcli

DATA = os.path.join(os.path.dirname(__file__), '..', 'data', 'hailortcli')


def data(name):
    with open(os.path.join(DATA, name)) as handle:
        return handle.read()


def test_parse_version():
    assert hailortcli.parse_version(data('version.stdout')) == '4.23.0'


@pytest.mark.parametrize('text', ['', 'HailoRT-CLI version 4.23', 'hailortcli 4.23.0', None])
def test_parse_version_rejects_other_text(text):
    assert hailortcli.parse_version(text) is None


def test_parse_scan_one():
    assert hailortcli.parse_scan(data('scan-one.stdout')) == ['0001:01:00.0']


def test_parse_scan_two():
    assert hailortcli.parse_scan(data('scan-two.stdout')) == ['0001:03:00.0', '0001:04:00.0']


def test_parse_scan_none():
    assert hailortcli.parse_scan(data('scan-none.stdout')) == []


@pytest.mark.parametrize('text', ['', 'Segmentation fault\n', data('version.stdout')])
def test_parse_scan_rejects_unknown_output(text):
    with pytest.raises(ValueError):
        hailortcli.parse_scan(text)


def test_parse_identify_hailo8():
    devices = hailortcli.parse_identify(data('identify-hailo8.stdout'))
    assert len(devices) == 1
    device = devices[0]
    assert device['id'] == '0001:01:00.0'
    assert device['identified'] is True
    assert device['architecture'] == 'HAILO8'
    assert device['firmware_version'] == '4.23.0'
    assert device['firmware_flavour'] == ['release', 'app', 'extended context switch buffer']
    assert device['firmware_mode'] == 'release'
    assert device['firmware_type'] == 'app'
    assert device['extended_context_switch_buffer'] is True
    assert device['board_name'] == 'Hailo-8'
    assert device['serial_number'] == 'HLLWM2B225100123'
    assert device['part_number'] == 'HM218B1C2LAE'
    assert device['product_name'] == 'HAILO-8 AI ACC M.2 M KEY MODULE EXT TEMP'
    assert device['control_protocol_version'] == 2
    assert device['logger_version'] == 0


def test_parse_identify_not_available_values_are_null_but_kept_raw():
    device = hailortcli.parse_identify(data('identify-hailo8l-na.stdout'))[0]
    assert device['architecture'] == 'HAILO8L'
    assert device['board_name'] == 'Hailo-8'
    assert device['serial_number'] is None
    assert device['part_number'] is None
    assert device['product_name'] is None
    assert device['raw']['Serial Number'] == '<N/A>'
    assert device['extended_context_switch_buffer'] is False
    assert device['firmware_flavour'] == ['release', 'app']


def test_parse_identify_two_devices_one_without_board_strings():
    first, second = hailortcli.parse_identify(data('identify-two.stdout'))
    assert (first['id'], first['architecture']) == ('0001:03:00.0', 'HAILO8')
    assert (second['id'], second['architecture']) == ('0001:04:00.0', 'HAILO8L')
    assert second['firmware_version'] == '4.22.0'
    assert (second['firmware_mode'], second['firmware_type']) == ('develop', 'core')
    assert second['serial_number'] is None
    assert 'Serial Number' not in second['raw']


def test_parse_identify_empty_output_is_no_device():
    assert hailortcli.parse_identify(data('identify-empty.stdout')) == []


def test_parse_identify_announced_but_silent_device_is_unidentified():
    # A device header followed by nothing (the device stopped answering after it was opened).
    devices = hailortcli.parse_identify(data('identify-announced-silent.stdout'))
    assert [(d['id'], d['identified'], d['architecture']) for d in devices] == [('0001:01:00.0', False, None)]


def test_unidentified_device():
    device = hailortcli.unidentified_device('0001:01:00.0')
    assert device['id'] == '0001:01:00.0'
    assert device['identified'] is False
    assert device['firmware_flavour'] == []


@pytest.mark.parametrize('value, expected', [
    ('4.23.0 (release,app)', ('4.23.0', 'release', 'app')),
    ('4.23.0', ('4.23.0', None, None)),
    ('garbage', (None, None, None)),
])
def test_parse_firmware_version(value, expected):
    parsed = hailortcli.parse_firmware_version(value)
    assert (parsed['version'], parsed['mode'], parsed['type']) == expected


def test_unparseable_numbers_stay_raw():
    text = 'Executing on device: x\nControl Protocol Version: two\nDevice Architecture: HAILO8\n'
    assert hailortcli.parse_identify(text)[0]['control_protocol_version'] == 'two'


def test_parse_log_lines():
    entries = hailortcli.parse_log_lines(data('identify-driver-mismatch.stderr') + '[HailoRT CLI] [warning] w\n')
    assert [e['level'] for e in entries] == ['error', 'error', 'warning']
    assert entries[-1]['logger'] == 'HailoRT CLI'
    assert entries[0]['message'].startswith('CHECK failed - Driver version (4.20.0)')


@pytest.mark.parametrize('code, name', [
    (0, 'HAILO_SUCCESS'),
    (26, 'HAILO_INVALID_HEF'),
    (61, 'HAILO_NOT_FOUND'),
    (64, 'HAILO_DRIVER_NOT_INSTALLED'),
    (73, 'HAILO_DEVICE_IN_USE'),
    (74, 'HAILO_OUT_OF_PHYSICAL_DEVICES'),
    (76, 'HAILO_INVALID_DRIVER_VERSION'),
    (93, 'HAILO_HEF_NOT_COMPATIBLE_WITH_DEVICE'),
    (255, 'HAILORT_CLI_LIBRARY_VERSION_MISMATCH'),
    (94, None),
])
def test_status_name(code, name):
    assert hailortcli.status_name(code) == name


def test_status_table_is_complete_and_ordered():
    assert sorted(hailortcli.HAILO_STATUS_NAMES) == list(range(94))


@pytest.mark.parametrize('name', ['HAILO_INVALID_DRIVER_VERSION', 'HAILO_OUT_OF_PHYSICAL_DEVICES',
                                  'HAILO_DRIVER_NOT_INSTALLED', 'HAILO_NOT_FOUND', 'HAILO_INVALID_HEF',
                                  'HAILO_HEF_NOT_COMPATIBLE_WITH_DEVICE', 'HAILORT_CLI_LIBRARY_VERSION_MISMATCH'])
def test_required_statuses_have_own_explanations(name):
    assert 'see the [HailoRT] [error] lines' not in hailortcli.explain_status(name)


def test_explain_status_fallbacks():
    assert hailortcli.explain_status('HAILO_CHUNK_TOO_LARGE').startswith('HAILO_CHUNK_TOO_LARGE:')
    assert hailortcli.explain_status(None).startswith('Unknown failure')


def test_decode_driver_mismatch():
    failure = hailortcli.decode_failure(76, data('identify-driver-mismatch.stdout'),
                                        data('identify-driver-mismatch.stderr'))
    assert failure['name'] == 'HAILO_INVALID_DRIVER_VERSION'
    assert failure['kind'] == 'driver_library_mismatch'
    assert failure['details'] == {'driver': '4.20.0', 'library': '4.23.0'}
    assert 'same major.minor.revision' in failure['explanation']
    assert len(failure['errors']) == 2


def test_decode_cli_library_mismatch():
    failure = hailortcli.decode_failure(255, '', data('version-library-mismatch.stderr'))
    assert failure['name'] == 'HAILORT_CLI_LIBRARY_VERSION_MISMATCH'
    assert failure['details'] == {'library': '4.20.0', 'cli': '4.23.0'}
    assert failure['errors'] == []


def test_decode_permission_denied():
    failure = hailortcli.decode_failure(36, '', data('identify-permission-denied.stderr'))
    assert failure['name'] == 'HAILO_DRIVER_OPERATION_FAILED'
    assert failure['kind'] == 'device_open_denied'
    assert failure['details']['path'] == '/dev/hailo0'
    assert 'Permission denied' in failure['explanation']


def test_decode_page_size():
    failure = hailortcli.decode_failure(8, '', data('run-page-size.stderr'))
    assert failure['name'] == 'HAILO_INTERNAL_FAILURE'
    assert failure['kind'] == 'desc_page_size'
    assert 'force_desc_page_size=4096' in failure['explanation']


def test_decode_hef_incompatible():
    failure = hailortcli.decode_failure(93, '', data('run-hef-incompatible.stderr'))
    assert failure['name'] == 'HAILO_HEF_NOT_COMPATIBLE_WITH_DEVICE'
    assert failure['details'] == {'device_arch': 'HAILO8L', 'hef_arch': 'HAILO8'}


def test_decode_out_of_devices():
    failure = hailortcli.decode_failure(74, '', data('run-out-of-devices.stderr'))
    assert failure['name'] == 'HAILO_OUT_OF_PHYSICAL_DEVICES'
    assert failure['kind'] is None
    assert 'another process' in failure['explanation']


def test_decode_firmware_mismatch_warning():
    failure = hailortcli.decode_failure(16, '', data('run-firmware-unsupported.stderr'))
    assert failure['kind'] == 'firmware_mismatch'
    assert failure['details'] == {'host': '4.23.0', 'device': '4.20.0'}
    assert failure['errors'] == []


def test_decode_unknown_exit_code_uses_status_in_text():
    failure = hailortcli.decode_failure(1000, 'Failed to execute on device: x. status= HAILO_NOT_FOUND(61)', '')
    assert failure['name'] == 'HAILO_NOT_FOUND'


def test_decode_unknown_everything():
    failure = hailortcli.decode_failure(139, '', 'Segmentation fault')
    assert failure['name'] is None
    assert failure['explanation'].startswith('Unknown failure')


def test_format_failure_mentions_status_and_last_error():
    failure = hailortcli.decode_failure(76, '', data('identify-driver-mismatch.stderr'))
    message = hailortcli.format_failure('hailortcli scan', failure)
    assert message.startswith('"hailortcli scan" failed with exit code 76 (HAILO_INVALID_DRIVER_VERSION)')
    assert message.endswith('Last error: CHECK_SUCCESS failed with status=HAILO_INVALID_DRIVER_VERSION(76)')
    assert 'unknown status' in hailortcli.format_failure('x', hailortcli.decode_failure(139))


def test_parse_benchmark_summary():
    summary = hailortcli.parse_benchmark_summary(data('benchmark.stdout'))
    assert summary['networks'] == [{'fps_hw_only': 1372.01, 'fps_streaming': 1368.02,
                                    'latency_hw_ms': 4.51204, 'latency_overall_ms': 5.2341}]
    assert summary['power'] == {'0001:01:00.0': {'average': 1.82123, 'max': 2.0473, 'units': 'W'}}


def test_parse_benchmark_summary_scientific_and_missing_latency():
    summary = hailortcli.parse_benchmark_summary(data('benchmark-no-latency.stdout'))
    assert summary['networks'] == [{'fps_hw_only': 1372010.0, 'fps_streaming': 503,
                                    'latency_hw_ms': None, 'latency_overall_ms': None}]
    assert summary['power'] == {}


@pytest.mark.parametrize('text', ['Starting Measurements...\n', '=======\nSummary\n=======\n'])
def test_parse_benchmark_summary_rejects_incomplete_output(text):
    with pytest.raises(ValueError):
        hailortcli.parse_benchmark_summary(text)


def test_parse_benchmark_csv():
    rows = hailortcli.parse_benchmark_csv(data('benchmark.csv'))
    assert rows[0] == {'net_name': 'resnet_v1_50', 'fps': 1368.02, 'hw_only_fps': 1372.01, 'num_of_frames': 20520,
                       'num_of_frames_hw_only': 20580, 'hw_latency': 4.51204, 'overall_latency': 5.2341,
                       'min_power': 1.7012, 'average_power': 1.82123, 'max_power': 2.0473}
    assert rows[1]['net_name'] == 'yolov8s'
    assert rows[1]['hw_latency'] is None and rows[1]['max_power'] is None


@pytest.mark.parametrize('text', ['', 'net_name,fps\nx,1\n'])
def test_parse_benchmark_csv_rejects_other_files(text):
    with pytest.raises(ValueError):
        hailortcli.parse_benchmark_csv(text)


def test_parse_benchmark_csv_bad_number_is_null():
    header = ','.join(hailortcli.BENCHMARK_CSV_COLUMNS)
    assert hailortcli.parse_benchmark_csv(header + '\nnet,abc\n')[0]['fps'] is None
