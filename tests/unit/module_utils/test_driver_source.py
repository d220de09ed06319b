"""Unit tests for module_utils/_driver_source.py, on the fixture driver tree (copied to tmp_path) and on
hand-written C snippets."""

import os
import shutil

import pytest

from ansible_collections.hailo_open.hailo.plugins.module_utils import _driver_source as ds

FIXTURE = os.path.join(os.path.dirname(__file__), '..', '..', 'fixtures', 'hailort-drivers')
LOCK = 'mmap_read_lock(current->mm);'
UNLOCK = 'mmap_read_unlock(current->mm);'


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / 'hailort-drivers'
    shutil.copytree(FIXTURE, str(root))
    return root


def set_version(root, major, minor, revision):
    header = root / ds.VERSION_HEADER
    lines = []
    for line in header.read_text().splitlines():
        for part, value in (('MAJOR', major), ('MINOR', minor), ('REVISION', revision)):
            if line.startswith('#define HAILO_DRV_VER_%s ' % part):
                line = '#define HAILO_DRV_VER_%s %s' % (part, value)
        lines.append(line)
    header.write_text('\n'.join(lines) + '\n')


# --- version header and tree ------------------------------------------------------------------------------

@pytest.mark.parametrize('text, version', [
    ('#define HAILO_DRV_VER_MAJOR 4\n#define HAILO_DRV_VER_MINOR 23\n#define HAILO_DRV_VER_REVISION 0\n', '4.23.0'),
    ('#define HAILO_DRV_VER_MAJOR (4)\n# define  HAILO_DRV_VER_MINOR\t22 // minor\n'
     '  #define HAILO_DRV_VER_REVISION 1 /* rev */\n', '4.22.1'),
    ('#define HAILO_DRV_VER_MAJOR 4\n#define HAILO_DRV_VER_MINOR 23\n', None),
    ('#define HAILO_DRV_VER_MAJOR 4\n#define HAILO_DRV_VER_MINOR 23\n#define HAILO_DRV_VER_REVISION 0\n'
     '#define HAILO_DRV_VER_MINOR 22\n', None),
    ('// #define HAILO_DRV_VER_MAJOR 4\n#define HAILO_DRV_VER_MINOR 23\n#define HAILO_DRV_VER_REVISION 0\n', None),
    ('#define HAILO_DRV_VER_MAJOR FOUR\n#define HAILO_DRV_VER_MINOR 23\n#define HAILO_DRV_VER_REVISION 0\n', None),
    ('', None),
])
def test_parse_version_header(text, version):
    assert ds.parse_version_header(text) == version


def test_fixture_header_reads_as_4_23_0():
    with open(os.path.join(FIXTURE, ds.VERSION_HEADER)) as header:
        assert ds.parse_version_header(header.read()) == '4.23.0'


def test_kbuild_modules():
    assert ds.kbuild_modules('obj-m := hailo_pci.o\nhailo_pci-objs += src/pcie.o\n') == ['hailo_pci']
    assert ds.kbuild_modules('obj-m += a.o b.o # comment\n') == ['a', 'b']
    assert ds.kbuild_modules('hailo_pci-objs += src/pcie.o\n') == []


def test_inspect_fixture_tree(tree):
    assert ds.inspect_tree(str(tree)) == {'version': '4.23.0', 'modules': ['hailo_pci']}


@pytest.mark.parametrize('remove, missing', [
    (ds.PCIE_KBUILD, 'linux/pcie/Kbuild missing'),
    (ds.VERSION_HEADER, 'common/hailo_ioctl_common.h missing'),
])
def test_inspect_rejects_incomplete_tree(tree, remove, missing):
    (tree / remove).unlink()
    with pytest.raises(ds.DriverSourceError) as exc:
        ds.inspect_tree(str(tree))
    assert 'is not a hailort-drivers source tree' in str(exc.value)
    assert missing in str(exc.value)


def test_inspect_rejects_missing_directory(tmp_path):
    with pytest.raises(ds.DriverSourceError, match='does not exist'):
        ds.inspect_tree(str(tmp_path / 'nope'))


def test_inspect_rejects_master_v5_tree(tree):
    set_version(tree, 5, 3, 0)
    kbuild = tree / ds.PCIE_KBUILD
    kbuild.write_text(kbuild.read_text().replace('obj-m := hailo_pci.o', 'obj-m := hailo1x_pci.o'))
    with pytest.raises(ds.DriverSourceError) as exc:
        ds.inspect_tree(str(tree))
    message = str(exc.value)
    assert 'hailort-drivers 5.3.0' in message
    assert 'hailo1x_pci.ko' in message
    assert 'master' in message and 'hailo8' in message


def test_inspect_rejects_v5_0_even_with_hailo_pci(tree):
    set_version(tree, 5, 0, 0)
    with pytest.raises(ds.DriverSourceError, match='5.x line'):
        ds.inspect_tree(str(tree))


def test_inspect_rejects_other_module(tree):
    kbuild = tree / ds.PCIE_KBUILD
    kbuild.write_text(kbuild.read_text().replace('obj-m := hailo_pci.o', 'obj-m := something.o'))
    with pytest.raises(ds.DriverSourceError, match='does not build hailo_pci.ko'):
        ds.inspect_tree(str(tree))


def test_inspect_rejects_header_without_version(tree):
    (tree / ds.VERSION_HEADER).write_text('#define NOTHING 1\n')
    with pytest.raises(ds.DriverSourceError, match='cannot tell the driver version'):
        ds.inspect_tree(str(tree))


def test_check_version():
    ds.check_version('4.23.0', '4.23.0')
    with pytest.raises(ds.DriverSourceError) as exc:
        ds.check_version('4.22.0', '4.23.0')
    assert 'says version 4.22.0' in str(exc.value)
    assert 'version 4.23.0 is expected' in str(exc.value)


@pytest.mark.parametrize('version, fixes', [
    ('4.23.0', ['find_vma_mmap_lock']),
    ('4.21.0', ['find_vma_mmap_lock']),
    ('4.20.1', ['find_vma_mmap_lock']),
    ('4.20.0', ['find_vma_mmap_lock']),
    ('4.22.0', []),
    ('4.19.0', []),
    ('5.3.0', []),
])
def test_fixes_for_version(version, fixes):
    assert ds.fixes_for_version(version) == fixes


def test_builtin_fix_names():
    assert ds.builtin_fix_names() == ['find_vma_mmap_lock']


# --- find_vma lock fix ------------------------------------------------------------------------------------

# Shaped like hailort-drivers v4.23.0: the lookup is unlocked, a later function pins pages under the lock.
UNLOCKED_423 = '''struct hailo_vdma_buffer *hailo_vdma_buffer_map(struct device *dev, uintptr_t addr_or_fd)
{
    struct vm_area_struct *vma = NULL;

    if (HAILO_DMA_DMABUF_BUFFER != buffer_type) {
        vma = find_vma(current->mm, addr_or_fd);
        if (IS_ENABLED(HAILO_SUPPORT_MMIO_DMA_MAPPING)) {
            if (NULL == vma) {
                dev_err(dev, "no vma for virt_addr/size = 0x%08lx\\n", addr_or_fd);
            }
        }
    }
    return NULL;
}

static int pin(uintptr_t user_address)
{
    mmap_read_lock(current->mm);
    pinned_pages = get_user_pages_compact(user_address, npages, FOLL_WRITE | FOLL_FORCE, pages);
    mmap_read_unlock(current->mm);
    return 0;
}
'''
# The same after the fix: what v4.22.0 has.
LOCKED_422 = UNLOCKED_423.replace(
    '        vma = find_vma(current->mm, addr_or_fd);\n',
    '        mmap_read_lock(current->mm);\n        vma = find_vma(current->mm, addr_or_fd);\n'
    '        mmap_read_unlock(current->mm);\n')


def test_fix_gives_the_4_22_shape():
    fixed, status = ds.add_find_vma_mmap_lock(UNLOCKED_423)
    assert status == 'applied'
    assert fixed == LOCKED_422
    assert fixed != UNLOCKED_423


def test_fix_is_idempotent():
    fixed, dummy = ds.add_find_vma_mmap_lock(UNLOCKED_423)
    again, status = ds.add_find_vma_mmap_lock(fixed)
    assert status == 'present'
    assert again == fixed


def test_already_locked_4_22_shape_is_present():
    assert ds.add_find_vma_mmap_lock(LOCKED_422) == (LOCKED_422, 'present')


def test_find_vma_calls_report_lines_and_lock_state():
    (call,) = ds.find_vma_calls(UNLOCKED_423)
    assert call['line'] == 6
    assert call['mm'] == 'current->mm'
    assert call['locked'] is False
    assert call['statement'][2] == '        '
    (locked,) = ds.find_vma_calls(LOCKED_422)
    assert locked['locked'] is True


def test_wider_lock_counts_as_locked():
    text = ('int f(void)\n{\n    mmap_read_lock(current->mm);\n    x = 1;\n'
            '    vma = find_vma(current->mm, addr);\n    use(vma);\n    mmap_read_unlock(current->mm);\n}\n')
    assert ds.add_find_vma_mmap_lock(text) == (text, 'present')


def test_lock_released_before_the_call_is_not_held():
    text = ('int f(void)\n{\n    mmap_read_lock(current->mm);\n    mmap_read_unlock(current->mm);\n'
            '    vma = find_vma(current->mm, addr);\n}\n')
    fixed, status = ds.add_find_vma_mmap_lock(text)
    assert status == 'applied'
    assert fixed.count(LOCK) == 2


def test_lock_in_previous_function_does_not_count():
    text = ('void g(void)\n{\n    mmap_read_lock(current->mm);\n}\n'
            'int f(void)\n{\n    vma = find_vma(current->mm, addr);\n}\n')
    fixed, status = ds.add_find_vma_mmap_lock(text)
    assert status == 'applied'
    assert '    mmap_read_lock(current->mm);\n    vma = find_vma(current->mm, addr);\n    ' + UNLOCK in fixed


def test_commented_out_lock_does_not_count():
    text = ('int f(void)\n{\n    // mmap_read_lock(current->mm);\n    /* mmap_read_lock(current->mm); */\n'
            '    vma = find_vma(current->mm, addr);\n}\n')
    assert ds.add_find_vma_mmap_lock(text)[1] == 'applied'


def test_comment_markers_inside_strings_are_not_comments():
    text = ('int f(void)\n{\n    mmap_read_lock(current->mm);\n    pr_info("a/*b");\n'
            '    vma = find_vma(current->mm, addr);\n    pr_info("c*/d");\n    mmap_read_unlock(current->mm);\n}\n')
    assert ds.add_find_vma_mmap_lock(text)[1] == 'present'


def test_local_mm_variable_and_matching_lock():
    text = 'int f(struct mm_struct *mm)\n{\n\tmmap_read_lock(mm);\n\tvma = find_vma(mm, addr);\n}\n'
    assert ds.add_find_vma_mmap_lock(text)[1] == 'present'
    other = 'int f(struct mm_struct *mm)\n{\n\tmmap_read_lock(other_mm);\n\tvma = find_vma(mm, addr);\n}\n'
    fixed, status = ds.add_find_vma_mmap_lock(other)
    assert status == 'applied'
    assert '\tmmap_read_lock(mm);\n\tvma = find_vma(mm, addr);\n\tmmap_read_unlock(mm);\n' in fixed


def test_old_kernel_mmap_sem_lock_counts():
    text = ('int f(void)\n{\n    down_read(&current->mm->mmap_sem);\n    vma = find_vma(current->mm, addr);\n'
            '    up_read(&current->mm->mmap_sem);\n}\n')
    assert ds.add_find_vma_mmap_lock(text)[1] == 'present'


def test_two_unlocked_calls_are_both_wrapped_and_trailing_comment_kept():
    text = ('int f(void)\n{\n    a = find_vma(current->mm, x); /* first */\n}\n'
            'int g(void)\n{\n\tctx->vma = find_vma(current->mm,\n\t\t\t    y);\n}\n')
    fixed, status = ds.add_find_vma_mmap_lock(text)
    assert status == 'applied'
    assert ('    mmap_read_lock(current->mm);\n    a = find_vma(current->mm, x); /* first */\n'
            '    mmap_read_unlock(current->mm);\n') in fixed
    assert ('\tmmap_read_lock(current->mm);\n\tctx->vma = find_vma(current->mm,\n\t\t\t    y);\n'
            '\tmmap_read_unlock(current->mm);\n') in fixed
    assert ds.add_find_vma_mmap_lock(fixed)[1] == 'present'


@pytest.mark.parametrize('line', [
    '    if (!(vma = find_vma(current->mm, addr)))',
    '    struct vm_area_struct *vma = find_vma(current->mm, addr);',
    '    return find_vma(current->mm, addr);',
])
def test_unlocked_call_of_another_shape_is_refused(line):
    text = 'int f(void)\n{\n%s\n}\n' % line
    with pytest.raises(ds.DriverSourceError, match='line.s. 3 is not a statement of its own'):
        ds.add_find_vma_mmap_lock(text)


def test_no_find_vma_is_refused():
    with pytest.raises(ds.DriverSourceError, match='no find_vma'):
        ds.add_find_vma_mmap_lock('int f(void)\n{\n    // find_vma(current->mm, x);\n}\n')


def test_fix_on_fixture_memory_c():
    with open(os.path.join(FIXTURE, ds.VDMA_MEMORY)) as source:
        text = source.read()
    fixed, status = ds.add_find_vma_mmap_lock(text)
    assert status == 'applied'
    assert fixed.count(LOCK) == text.count(LOCK) + 1
    assert fixed.count(UNLOCK) == text.count(UNLOCK) + 1
    assert ('        mmap_read_lock(current->mm);\n        vma = find_vma(current->mm, addr_or_fd);\n'
            '        mmap_read_unlock(current->mm);\n') in fixed
    assert len(fixed.splitlines()) == len(text.splitlines()) + 2


# --- plans on a tree --------------------------------------------------------------------------------------

def test_plan_on_fixture_tree(tree):
    (entry,) = ds.plan_builtin_fixes(str(tree), '4.23.0')
    assert entry['name'] == 'find_vma_mmap_lock'
    assert entry['path'] == 'linux/vdma/memory.c'
    assert entry['status'] == 'applied'
    assert entry['before'] == (tree / ds.VDMA_MEMORY).read_text()
    (tree / ds.VDMA_MEMORY).write_text(entry['after'])
    (again,) = ds.plan_builtin_fixes(str(tree), '4.23.0')
    assert again['status'] == 'present'
    assert again['before'] == again['after']


def test_plan_skip_and_versions_without_fixes(tree):
    (entry,) = ds.plan_builtin_fixes(str(tree), '4.23.0', skip=['find_vma_mmap_lock'])
    assert entry['status'] == 'skipped'
    assert entry['after'] is None
    assert ds.plan_builtin_fixes(str(tree), '4.22.0') == []


def test_plan_fails_when_pattern_is_gone(tree):
    memory = tree / ds.VDMA_MEMORY
    memory.write_text(memory.read_text().replace('find_vma(', 'vma_lookup('))
    with pytest.raises(ds.DriverSourceError) as exc:
        ds.plan_builtin_fixes(str(tree), '4.23.0')
    message = str(exc.value)
    assert 'find_vma_mmap_lock' in message and 'driver 4.23.0' in message
    assert 'no find_vma() call found' in message
    assert 'skip_fixes=[find_vma_mmap_lock]' in message


def test_plan_fails_when_file_is_missing(tree):
    (tree / ds.VDMA_MEMORY).unlink()
    with pytest.raises(ds.DriverSourceError, match='cannot read'):
        ds.plan_builtin_fixes(str(tree), '4.23.0')


def test_patch_commands():
    commands = ds.patch_commands('/src', '/p/fix.patch')
    base = ['patch', '-p1', '--batch', '--no-backup-if-mismatch', '-d', '/src', '-i', '/p/fix.patch']
    assert commands['check'] == base + ['--forward', '--dry-run']
    assert commands['check_reverse'] == base + ['--reverse', '--dry-run']
    assert commands['apply'] == base + ['--forward']
