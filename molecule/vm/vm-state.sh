#!/bin/sh
# The VM's state as JSON, for the vm scenario's side effect: running kernel, boot id, loaded hailo_pci version,
# its force_desc_page_size and the sha256 of the running kernel's DKMS-built module.
printf '{"kernel": "%s", "boot_id": "%s", "loaded": "%s", "page_size": "%s", "module_sha256": "%s"}\n' \
  "$(uname -r)" "$(cat /proc/sys/kernel/random/boot_id)" "$(cat /sys/module/hailo_pci/version 2>/dev/null)" \
  "$(cat /sys/module/hailo_pci/parameters/force_desc_page_size 2>/dev/null)" \
  "$(cat /lib/modules/"$(uname -r)"/updates/dkms/hailo_pci.ko* 2>/dev/null | sha256sum | cut -c1-64)"
