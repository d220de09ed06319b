# -*- coding: utf-8 -*-
# Copyright: hailo_open.hailo contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""Rules that turn gathered Hailo facts into problems a person can act on.

``find_problems(facts, ...)`` is a pure function of the facts dict that ``hailo_device_facts`` builds.
A rule only looks at sections that were gathered (a missing key means "not gathered", never "absent").
Every problem is ``{'id', 'severity', 'message', 'fix', 'doc'}``; ids are stable and each has a section in
``docs/troubleshooting.md`` whose anchor is the id.
"""

from __future__ import annotations

DOC_PAGE = 'docs/troubleshooting.md'
HAILO_DRIVER_NAME = 'hailo'
MAX_DESC_PAGE_SIZE = 4096

PROBLEM_IDS = (
    'no_device_on_pci',
    'pci_device_unsupported',
    'driver_not_loaded',
    'pci_no_driver_bound',
    'device_node_missing',
    'firmware_missing',
    'driver_version_mismatch',
    'driver_disk_version_mismatch',
    'runtime_version_mismatch',
    'driver_library_mismatch',
    'runtime_missing',
    'python_binding_missing',
    'python_binding_version_mismatch',
    'page_size_16k_without_force',
    'driver_in_tree_only',
    'driver_in_tree_shadows_dkms',
    'driver_not_built_for_kernel',
    'driver_outside_updates',
    'driver_blacklisted',
    'dkms_status_warning',
    'device_node_permissions',
    'pcie_link_below_expected',
    'conflicting_vendor_packages',
)


def problem(problem_id, severity, message, fix):
    return {'id': problem_id, 'severity': severity, 'message': message, 'fix': fix,
            'doc': '%s#%s' % (DOC_PAGE, problem_id)}


def _is_target(kernel, options):
    """Whether the driver must work for ``kernel``: the running one, or one the caller builds for."""
    return bool(kernel.get('running')) or kernel.get('release') in (options.get('target_kernels') or ())


def _supported_devices(facts):
    return [device for device in facts.get('pci_devices') or [] if device.get('supported')]


def _stack_major(facts, expected_version):
    for version in (expected_version, (facts.get('driver') or {}).get('version'),
                    (facts.get('runtime') or {}).get('hailortcli_version')):
        if version:
            return version.split('.')[0]
    return '4'


def _check_pci(facts, options):
    if 'pci_devices' not in facts:
        return []
    if not facts['pci_devices']:
        return [problem(
            'no_device_on_pci', 'error',
            'No PCI function with Hailo\'s vendor id 0x1e60 is visible.',
            'Check the board\'s seating and power (AI HAT+/M.2 HAT+ ribbon cable), enable the PCIe connector with '
            '"dtparam=pciex1" in /boot/firmware/config.txt, update the bootloader (rpi-eeprom-update), reboot, '
            'then check "lspci -d 1e60:".')]
    problems = []
    if _stack_major(facts, options['expected_version']) == '4':
        for device in facts['pci_devices']:
            if not device.get('supported'):
                problems.append(problem(
                    'pci_device_unsupported', 'error',
                    'PCI device %s (%s:%s) is a %s, which the HailoRT 4.x driver (hailo_pci) does not handle.'
                    % (device['address'], device.get('vendor_id'), device.get('device_id'), device.get('description')),
                    'Use a Hailo-8 or Hailo-8L with this stack; Hailo-10H and Hailo-15 need HailoRT 5.x and its '
                    'hailo1x_pci driver.'))
    return problems


def _check_driver_binding(facts, options):
    if 'pci_devices' not in facts or 'driver' not in facts:
        return []
    devices = _supported_devices(facts)
    if not devices:
        return []
    if not facts['driver'].get('loaded'):
        return [problem(
            'driver_not_loaded', 'error',
            'A Hailo device is on PCI (%s) but the hailo_pci module is not loaded.'
            % ', '.join(device['address'] for device in devices),
            'Load it with "modprobe hailo_pci". If modprobe cannot find it, build and install it with DKMS for '
            'the running kernel (see driver_not_built_for_kernel).')]
    problems = []
    firmware = facts.get('firmware') or {}
    for device in devices:
        driver = device.get('driver')
        if driver == HAILO_DRIVER_NAME:
            continue
        if driver:
            message = 'PCI device %s is bound to the "%s" driver, not to hailo.' % (device['address'], driver)
            fix = 'Unbind it from %s (for example remove a vfio-pci passthrough setting) and reload hailo_pci.' % driver
        else:
            message = ('hailo_pci is loaded but PCI device %s has no driver: the probe failed.' % device['address'])
            fix = 'Read the kernel log ("dmesg | grep -i hailo") for the probe error.'
            if 'present' in firmware and not firmware['present']:
                message += ' The firmware file %s is missing, which makes the probe fail.' % firmware['path']
                fix = 'Install the firmware (see firmware_missing), then reload hailo_pci or reboot.'
        problems.append(problem('pci_no_driver_bound', 'error', message, fix))
    return problems


def _check_nodes(facts, options):
    if 'pci_devices' not in facts or 'nodes' not in facts:
        return []
    nodes = dict((node.get('board_location'), node) for node in facts['nodes'])
    problems = []
    for device in _supported_devices(facts):
        if device.get('driver') != HAILO_DRIVER_NAME:
            continue
        node = nodes.get(device['address'])
        if node is None:
            problems.append(problem(
                'device_node_missing', 'error',
                'PCI device %s is bound to hailo but no hailo_chardev device names it.' % device['address'],
                'Reload hailo_pci ("modprobe -r hailo_pci && modprobe hailo_pci") and read "dmesg | grep -i hailo".'))
        elif not node['node']['exists']:
            problems.append(problem(
                'device_node_missing', 'error',
                'The kernel created %s for %s, but %s does not exist.'
                % (node['name'], device['address'], node['device_node']),
                'Check that /dev is a devtmpfs and that udev runs; in a container, pass the device in '
                '(--device %s).' % node['device_node']))
    return problems


def _node_accessible_to_group(node, group):
    mode = int(node['mode'], 8)
    return (mode & 0o006) == 0o006 or (node['group'] == group and (mode & 0o060) == 0o060)


def _check_node_permissions(facts, options):
    group = options['expected_group']
    if 'nodes' not in facts or not group:
        return []
    problems = []
    for node in facts['nodes']:
        info = node['node']
        if info['exists'] and not _node_accessible_to_group(info, group):
            problems.append(problem(
                'device_node_permissions', 'error',
                '%s is %s:%s mode %s: members of group "%s" cannot open it (libhailort then fails with '
                '"Failed to open device file ... with error 13").'
                % (info['path'], info['owner'], info['group'], info['mode'], group),
                'Install a udev rule such as SUBSYSTEM=="hailo_chardev", GROUP="%s", MODE="0660", then run '
                '"udevadm trigger --subsystem-match=hailo_chardev".' % group))
    return problems


def _check_firmware(facts, options):
    firmware = facts.get('firmware')
    if not firmware or firmware.get('present'):
        return []
    return [problem(
        'firmware_missing', 'error',
        'The Hailo-8 firmware file %s does not exist; without it the driver\'s probe fails and no /dev/hailoN '
        'appears.' % firmware['path'],
        'Download hailo8_fw.<version>.bin for the same release as the driver and install it as %s, then reload '
        'hailo_pci.' % firmware['path'])]


def _check_driver_versions(facts, options):
    driver = facts.get('driver')
    if not driver:
        return []
    expected = options['expected_version']
    problems = []
    if expected and driver.get('loaded') and driver.get('version') and driver['version'] != expected:
        problems.append(problem(
            'driver_version_mismatch', 'error',
            'The loaded hailo_pci driver is version %s, expected %s; libhailort %s refuses it '
            '(HAILO_INVALID_DRIVER_VERSION, 76).' % (driver['version'], expected, expected),
            'Install driver %s and reload it ("modprobe -r hailo_pci && modprobe hailo_pci") or reboot.' % expected))
    for kernel in driver.get('kernels') or []:
        module = kernel.get('module') or {}
        on_disk = module.get('version')
        if not on_disk:
            continue
        if expected and on_disk != expected:
            problems.append(problem(
                'driver_disk_version_mismatch', 'error' if _is_target(kernel, options) else 'warning',
                'The hailo_pci module for kernel %s (%s) is version %s, expected %s.'
                % (kernel['release'], module.get('filename'), on_disk, expected),
                'Build and install driver %s for kernel %s with DKMS.' % (expected, kernel['release'])))
        elif kernel.get('running') and driver.get('loaded') and driver.get('version') \
                and on_disk != driver['version']:
            problems.append(problem(
                'driver_disk_version_mismatch', 'warning',
                'The loaded hailo_pci is version %s but the module on disk for the running kernel is %s: the '
                'module was replaced without reloading it.' % (driver['version'], on_disk),
                'Reload the module ("modprobe -r hailo_pci && modprobe hailo_pci") or reboot.'))
    return problems


def driver_library_mismatch(driver_version, library_version):
    """libhailort refuses the loaded driver (HAILO_INVALID_DRIVER_VERSION, 76): the most common failure users meet."""
    return problem(
        'driver_library_mismatch', 'error',
        'libhailort %s refuses the loaded hailo_pci driver %s: both must be the same release '
        '(HAILO_INVALID_DRIVER_VERSION, 76).' % (library_version or 'of another version', driver_version or 'of another version'),
        'Install the driver and HailoRT of one release (set hailo_version once and run site.yml), then reload the '
        'driver ("modprobe -r hailo_pci && modprobe hailo_pci", or reboot) and check /sys/module/hailo_pci/version.')


def _check_runtime_present(facts, options):
    runtime = facts.get('runtime')
    if not runtime or runtime.get('hailortcli_version'):
        return []
    if not runtime.get('hailortcli_path'):
        return [problem('runtime_missing', 'error', 'HailoRT is not installed: %s' % runtime.get('error'),
                        'Install HailoRT with the hailo_open.hailo.hailort role (site.yml); when it is installed under '
                        'another prefix, set hailo_prefix to it.')]
    if runtime.get('library_version'):
        return []  # runtime_version_mismatch says what is wrong
    return [problem('runtime_missing', 'error',
                    '%s does not run: %s' % (runtime['hailortcli_path'], runtime.get('error')),
                    'Reinstall HailoRT with the hailo_open.hailo.hailort role. "cannot open shared object file" means '
                    'the loader does not search the prefix\'s lib directory: the role adds it to /etc/ld.so.conf.d.')]


def _check_runtime_versions(facts, options):
    runtime = facts.get('runtime')
    if not runtime:
        return []
    expected = options['expected_version']
    cli = runtime.get('hailortcli_version')
    problems = []
    if runtime.get('library_version') and cli and runtime['library_version'] != cli:
        problems.append(problem(
            'runtime_version_mismatch', 'error',
            'hailortcli %s loads libhailort %s; the CLI refuses to run.' % (cli, runtime['library_version']),
            'Keep a single HailoRT installation: remove the other libhailort (distribution package or an older '
            'build in /usr/local/lib) and run "ldconfig".'))
    driver = facts.get('driver') or {}
    if cli and driver.get('loaded') and driver.get('version') and driver['version'] != cli:
        problems.append(driver_library_mismatch(driver['version'], runtime.get('library_version') or cli))
    if cli and expected and cli != expected:
        problems.append(problem(
            'runtime_version_mismatch', 'error',
            'hailortcli is version %s, expected %s.' % (cli, expected),
            'Build and install HailoRT %s.' % expected))
    wanted = cli or expected
    strays = [lib['path'] for lib in runtime.get('libhailort') or [] if wanted and lib['version'] != wanted]
    if strays:
        problems.append(problem(
            'runtime_version_mismatch', 'warning',
            'libhailort files of another version than %s are installed: %s.' % (wanted, ', '.join(strays)),
            'Remove them (and their packages) and run "ldconfig", so that programs cannot load the wrong library.'))
    return problems


def _check_python_binding(facts, options):
    binding = (facts.get('runtime') or {}).get('python_binding')
    if not binding:
        return []
    if binding.get('error') or not binding.get('version'):
        return [problem('python_binding_missing', 'error',
                        'HailoRT\'s Python binding does not import in %s: %s' % (
                            binding.get('venv'), binding.get('error') or 'hailo_platform has no version'),
                        'Run the hailo_open.hailo.hailort role with hailort_python: true; it builds the binding for '
                        'the node\'s Python and installs it into that virtual environment.')]
    expected = options['expected_version']
    if expected and binding['version'] != expected:
        return [problem('python_binding_version_mismatch', 'error',
                        'hailo_platform in %s is version %s, expected %s.' % (binding.get('venv'), binding['version'],
                                                                              expected),
                        'Run the hailort role for %s: it installs the binding built with the runtime.' % expected)]
    return []


def _valid_force_value(value):
    try:
        size = int(value)
    except (TypeError, ValueError):
        return False
    return 0 < size <= MAX_DESC_PAGE_SIZE and size & (size - 1) == 0


def _check_page_size(facts, options):
    driver = facts.get('driver')
    kernel = facts.get('kernel') or {}
    if not driver:
        return []
    configured = (driver.get('modprobe') or {}).get('options', {}).get('force_desc_page_size')
    configured_ok = _valid_force_value(configured)
    loaded_value = (driver.get('parameters') or {}).get('force_desc_page_size')
    problems = []
    if (kernel.get('page_size') or 0) > MAX_DESC_PAGE_SIZE:
        if driver.get('loaded') and not _valid_force_value(loaded_value):
            problems.append(problem(
                'page_size_16k_without_force', 'error',
                'The running kernel %s has %s-byte pages and hailo_pci is loaded without force_desc_page_size=4096: '
                'inference fails with "max_desc_page_size given 16384 is bigger than hw max desc page size 4096".'
                % (kernel.get('release'), kernel['page_size']),
                ('The option is configured but the module was loaded before; reload it ("modprobe -r hailo_pci && '
                 'modprobe hailo_pci").' if configured_ok else
                 'Add "options hailo_pci force_desc_page_size=4096" to /etc/modprobe.d/hailo_pci.conf and reload '
                 'hailo_pci.')))
        elif not configured_ok:
            problems.append(problem(
                'page_size_16k_without_force', 'error' if not driver.get('loaded') else 'warning',
                'The running kernel %s has %s-byte pages and no modprobe configuration sets '
                'force_desc_page_size=4096 for hailo_pci%s.'
                % (kernel.get('release'), kernel['page_size'],
                   ' (the loaded module has it, but not from a file: it is lost on reboot)' if driver.get('loaded')
                   else ''),
                'Add "options hailo_pci force_desc_page_size=4096" to /etc/modprobe.d/hailo_pci.conf.'))
    if not configured_ok:
        for entry in driver.get('kernels') or []:
            if not entry.get('running') and (entry.get('page_size') or 0) > MAX_DESC_PAGE_SIZE:
                problems.append(problem(
                    'page_size_16k_without_force', 'warning',
                    'Installed kernel %s has %s-byte pages and no modprobe configuration sets '
                    'force_desc_page_size=4096: the device fails after booting it.'
                    % (entry['release'], entry['page_size']),
                    'Add "options hailo_pci force_desc_page_size=4096" to /etc/modprobe.d/hailo_pci.conf.'))
    return problems


def _dkms_installed_kernels(facts):
    return set(entry['kernel'] for entry in (facts.get('dkms') or {}).get('entries') or []
               if entry.get('state') == 'installed' and entry.get('kernel'))


def _check_module_locations(facts, options):
    driver = facts.get('driver')
    if not driver or not driver.get('modinfo_available'):
        return []
    dkms_kernels = _dkms_installed_kernels(facts)
    problems = []
    for kernel in driver.get('kernels') or []:
        module = kernel.get('module') or {}
        severity = 'error' if _is_target(kernel, options) else 'warning'
        if not module.get('filename'):
            headers = '' if kernel.get('headers_path') else ' and its headers are not installed'
            problems.append(problem(
                'driver_not_built_for_kernel', severity,
                'No hailo_pci module is installed for kernel %s%s.' % (kernel['release'], headers),
                'Install linux-headers-%s and build the driver for it with DKMS ("dkms install hailo_pci/<version> '
                '-k %s") before booting it.' % (kernel['release'], kernel['release'])))
        elif module.get('location') == 'kernel' and kernel['release'] in dkms_kernels:
            problems.append(problem(
                'driver_in_tree_shadows_dkms', severity,
                'DKMS says hailo_pci is installed for %s, but modprobe resolves to the in-tree module %s.'
                % (kernel['release'], module['filename']),
                'Install the DKMS module under updates/ (DEST_MODULE_LOCATION=/updates/dkms) and run "depmod -a %s"; '
                'do not blacklist hailo_pci.' % kernel['release']))
        elif module.get('location') == 'kernel':
            problems.append(problem(
                'driver_in_tree_only', severity,
                'Kernel %s only has its in-tree hailo_pci (%s, version %s), which follows the kernel, not your '
                'HailoRT release.' % (kernel['release'], module['filename'], module.get('version')),
                'Build the driver of your HailoRT release with DKMS; it installs under updates/, which modprobe '
                'prefers. Do not blacklist hailo_pci.'))
        elif module.get('location') != 'updates':
            problems.append(problem(
                'driver_outside_updates', severity,
                'modprobe resolves hailo_pci for kernel %s to %s, which is not under updates/ where DKMS installs it: '
                'a copy installed by hand (for example "make install") takes the place of the DKMS build.'
                % (kernel['release'], module['filename']),
                'Remove %s, run "depmod -a %s" and reinstall the driver with DKMS.'
                % (module['filename'], kernel['release'])))
    return problems


def _check_modprobe_blocks(facts, options):
    modprobe = (facts.get('driver') or {}).get('modprobe') or {}
    problems = []
    if modprobe.get('blacklisted'):
        problems.append(problem(
            'driver_blacklisted', 'error',
            'hailo_pci is blacklisted in %s: it is not loaded automatically, whichever build is installed.'
            % ', '.join(modprobe.get('files') or []),
            'Remove the "blacklist hailo_pci" line; to prefer your own build over the in-tree one, install it under '
            'updates/ instead.'))
    install = modprobe.get('install')
    if install and install.split()[0] in ('/bin/false', '/bin/true', '/usr/bin/false', '/usr/bin/true'):
        problems.append(problem(
            'driver_blacklisted', 'error',
            'modprobe configuration replaces loading hailo_pci with "%s", so modprobe never loads it.' % install,
            'Remove the "install hailo_pci ..." line from %s.' % ', '.join(modprobe.get('files') or [])))
    return problems


def _check_dkms_notes(facts, options):
    problems = []
    for entry in (facts.get('dkms') or {}).get('entries') or []:
        warnings = [note for note in entry.get('notes') or [] if 'WARNING' in note.upper()]
        if warnings:
            problems.append(problem(
                'dkms_status_warning', 'warning',
                'dkms reports for %s/%s on %s: %s' % (entry['module'], entry['version'], entry.get('kernel'),
                                                      '; '.join(warnings)),
                'Rebuild and reinstall: "dkms install --force %s/%s -k %s".'
                % (entry['module'], entry['version'], entry.get('kernel'))))
    return problems


def _check_link(facts, options):
    expected = options['expected_link_gen']
    problems = []
    for device in _supported_devices(facts):
        current = device.get('current_link_gen')
        if expected and current and current < expected:
            problems.append(problem(
                'pcie_link_below_expected', 'warning',
                'PCI device %s runs at PCIe Gen%s x%s (%s), expected Gen%s: throughput of large models is limited.'
                % (device['address'], current, device.get('current_link_width'), device.get('current_link_speed'),
                   expected),
                'Set "dtparam=pciex1_gen=3" in /boot/firmware/config.txt and reboot. The Pi 5 is not certified for '
                'Gen3: if the link is unstable, keep Gen2 and set expected_link_gen to 2.'))
    return problems


def _check_packages(facts, options):
    packages = facts.get('packages') or {}
    conflicting = packages.get('conflicting') or []
    if not conflicting:
        return []
    return [problem(
        'conflicting_vendor_packages', 'warning',
        'Packages that clash with a build from source are installed: %s.'
        % ', '.join('%s %s' % (package['name'], package['version']) for package in conflicting),
        'Remove them ("apt-get purge %s") before installing the open-source stack, or use them instead of it.'
        % ' '.join(package['name'] for package in conflicting))]


_RULES = (
    _check_pci,
    _check_driver_binding,
    _check_nodes,
    _check_node_permissions,
    _check_firmware,
    _check_driver_versions,
    _check_runtime_present,
    _check_runtime_versions,
    _check_python_binding,
    _check_page_size,
    _check_module_locations,
    _check_modprobe_blocks,
    _check_dkms_notes,
    _check_link,
    _check_packages,
)


def find_problems(facts, expected_version=None, expected_group='hailo', expected_link_gen=3, target_kernels=None):
    """All problems visible in ``facts``, in a stable order (rule order, then device/kernel order).

    ``target_kernels`` are the kernel releases the driver must work for besides the running one: problems of the
    driver on disk for them are errors, for other installed kernels warnings.
    """
    options = {'expected_version': expected_version, 'expected_group': expected_group,
               'expected_link_gen': expected_link_gen, 'target_kernels': list(target_kernels or [])}
    problems = []
    for rule in _RULES:
        problems.extend(rule(facts, options))
    return problems
