"""autograd.files.atomic_open: the file appears complete or not at all; errors name the file."""

import os

import pytest

from autograd.files import atomic_open, check_destination


def test_a_failed_block_leaves_no_file_and_no_temporary(tmp_path):
    target = tmp_path / "out.txt"
    with pytest.raises(RuntimeError):
        with atomic_open(target, "w") as f:
            f.write("half")
            raise RuntimeError("stop")
    assert list(tmp_path.iterdir()) == []


def test_an_unopenable_target_is_named_not_the_temporary(tmp_path):
    target = tmp_path / "missing" / "out.npz"
    with pytest.raises(FileNotFoundError) as info:
        with atomic_open(target):
            pass
    assert info.value.filename == str(target) and ".tmp" not in str(info.value)


def test_the_previous_file_survives_a_failed_rewrite(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(ValueError):
        with atomic_open(target, "w") as f:
            f.write("new")
            raise ValueError("bad")
    assert target.read_text() == "old" and list(tmp_path.iterdir()) == [target]


def test_a_folder_as_destination_is_refused_by_its_own_name(tmp_path):
    """The rename at the end would fail naming the temporary file; it is refused first."""
    with pytest.raises(IsADirectoryError, match="atomic_open: the destination is a folder") as err:
        with atomic_open(tmp_path, "w") as f:
            f.write("lost")
    assert err.value.filename == str(tmp_path)
    assert list(tmp_path.iterdir()) == []                  # no temporary file left behind


def test_the_bytes_reach_the_disk_before_the_rename_and_the_rename_after(tmp_path, monkeypatch):
    """Without the first sync, a power cut soon after the rename can leave an empty file, on
    some file systems: both the old content and the new would be lost. Without the second (of
    the folder), the rename itself may be lost: the work saved is gone after a restart."""
    import os
    events = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (events.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(os, "replace", lambda a, b: (events.append("replace"),
                                                     real_replace(a, b))[1])
    with atomic_open(tmp_path / "out.txt", "w") as f:
        f.write("kept")
    expected = ["fsync", "replace"] + (["fsync"] if hasattr(os, "O_DIRECTORY") else [])
    assert events == expected and (tmp_path / "out.txt").read_text() == "kept"


def test_a_symbolic_link_is_followed_not_replaced(tmp_path):
    """The rename put a plain file in the link's place: the file it pointed to kept the old
    content, and whatever else reads the link's target read old weights."""
    import os
    target = tmp_path / "run3.npz"
    target.write_text("old")
    link = tmp_path / "latest.npz"
    link.symlink_to(target.name)
    with atomic_open(link, "w") as f:
        f.write("new")
    assert link.is_symlink() and os.readlink(link) == target.name
    assert target.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest.npz", "run3.npz"]


def test_a_replaced_file_keeps_its_permissions(tmp_path):
    """A checkpoint made private (chmod 600) became readable by all after the next save."""
    import os
    import stat
    target = tmp_path / "private.npz"
    target.write_text("old")
    os.chmod(target, 0o600)
    with atomic_open(target, "w") as f:
        f.write("new")
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600 and target.read_text() == "new"


def test_a_name_near_the_length_limit_still_saves(tmp_path):
    """The temporary file's name adds 14 characters: a 250-character name failed with "File
    name too long", naming the file the caller asked for."""
    target = tmp_path / ("m" * 246 + ".npz")
    with atomic_open(target, "w") as f:
        f.write("kept")
    assert target.read_text() == "kept" and list(tmp_path.iterdir()) == [target]


@pytest.mark.parametrize("where", ["block", "sync"])
def test_a_full_disk_names_the_file_and_keeps_the_old_one(tmp_path, monkeypatch, where):
    """`OSError: [Errno 28] No space left on device` named no file."""
    import errno
    import os
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")

    def full(*args):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    if where == "sync":
        monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError) as info:
        with atomic_open(target) as f:
            f.write(b"new")
            if where == "block":
                full()
    assert type(info.value) is OSError and info.value.errno == errno.ENOSPC
    assert info.value.filename == str(target)
    assert str(info.value) == f"[Errno 28] No space left on device: {str(target)!r}"
    assert target.read_bytes() == b"old" and list(tmp_path.iterdir()) == [target]


def test_a_failed_rename_names_the_file_not_the_temporary(tmp_path, monkeypatch):
    import os
    target = tmp_path / "out.txt"

    def refused(source, destination):
        raise PermissionError(13, "Permission denied", str(source), str(destination))
    monkeypatch.setattr(os, "replace", refused)
    with pytest.raises(PermissionError) as info:
        with atomic_open(target, "w") as f:
            f.write("new")
    assert info.value.filename == str(target) and ".tmp" not in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_another_os_error_of_the_block_is_left_as_it_is(tmp_path):
    """A file the block reads is the one its error names, not the file being written."""
    with pytest.raises(FileNotFoundError) as info:
        with atomic_open(tmp_path / "out.txt", "w") as f:
            f.write(open(tmp_path / "absent.txt").read())
    assert info.value.filename == str(tmp_path / "absent.txt")
    assert list(tmp_path.iterdir()) == []


def windows_rename_refused(source, destination):
    """os.replace as Windows refuses it when the destination is open in another program or
    marked read-only: winerror 5 or 32, both paths named."""
    raise PermissionError(13, "Access is denied", str(source), 5, str(destination))


def test_a_temporary_that_cannot_be_removed_does_not_hide_the_error(tmp_path, monkeypatch):
    """On Windows a read-only temporary cannot be deleted: the cleanup's own PermissionError,
    naming the temporary, replaced the error that said which save failed and why."""
    import os
    import pathlib
    target = tmp_path / "out.txt"
    monkeypatch.setattr(os, "replace", windows_rename_refused)

    def undeletable(self, missing_ok=False):
        raise PermissionError(13, "Access is denied", str(self))
    monkeypatch.setattr(pathlib.Path, "unlink", undeletable)
    with pytest.raises(PermissionError) as info:
        with atomic_open(target, "w") as f:
            f.write("new")
    assert info.value.filename == str(target) and ".tmp" not in str(info.value)


def test_on_windows_a_refused_rename_says_what_to_do(tmp_path, monkeypatch):
    """A CSV open in Excel, an .npz still held by np.load: Windows refuses to replace it, and
    "Access is denied" alone left the user guessing."""
    import os
    from autograd import files
    monkeypatch.setattr(files, "_WINDOWS", True)
    monkeypatch.setattr(os, "replace", windows_rename_refused)
    target = tmp_path / "predictions.csv"
    with pytest.raises(PermissionError) as info:
        with atomic_open(target, "w") as f:
            f.write("new")
    assert str(info.value) == (f"[Errno 13] Access is denied (Windows cannot replace a file "
                               f"that is open in another program or read-only: close it, or "
                               f"save under another name): {str(target)!r}")
    assert list(tmp_path.iterdir()) == []


def test_on_windows_the_read_only_mark_is_not_copied_to_the_temporary(tmp_path, monkeypatch):
    """Windows' only permission is the read-only mark: copied to the temporary file, it made
    one that could neither replace the target nor be removed, left beside it."""
    import os
    from autograd import files
    monkeypatch.setattr(files, "_WINDOWS", True)
    target = tmp_path / "model.npz"
    target.write_bytes(b"old")
    os.chmod(target, 0o444)
    changed = []
    monkeypatch.setattr(os, "chmod", lambda *args, **kwargs: changed.append(args))
    with atomic_open(target) as f:
        f.write(b"new")
    assert changed == [] and target.read_bytes() == b"new"


def test_text_is_written_with_its_own_line_endings(tmp_path, monkeypatch):
    """Text mode on Windows turned every "\\n" into "\\r\\n": the same save gave other bytes
    there. (Linux never translates, so what open() is asked for is checked.)"""
    import builtins
    from autograd import files
    asked = []

    def spy(*args, **kwargs):
        asked.append(kwargs)
        return builtins.open(*args, **kwargs)
    monkeypatch.setattr(files, "open", spy, raising=False)
    with atomic_open(tmp_path / "a.csv", "w") as f:
        f.write("x\n1\n")
    assert asked == [{"encoding": "utf-8", "newline": ""}]
    assert (tmp_path / "a.csv").read_bytes() == b"x\n1\n"


def test_a_missing_folder_is_named_with_what_to_do(tmp_path):
    """Found before anything is written, by the function's name; not numpy's bare "No such
    file or directory" for the whole path."""
    target = tmp_path / "runs" / "model.npz"
    with pytest.raises(FileNotFoundError) as info:
        check_destination("save", target)
    folder = str(tmp_path / "runs")
    assert info.value.filename == str(target)
    assert info.value.strerror == (f"save: the folder {folder!r} does not exist; make it first, "
                                   f"os.makedirs({folder!r}, exist_ok=True)")


def test_a_file_where_the_folder_should_be_is_named(tmp_path):
    (tmp_path / "runs").write_text("not a folder")
    with pytest.raises(NotADirectoryError, match="save: '.*runs' is a file, not a folder"):
        check_destination("save", tmp_path / "runs" / "model.npz")


def test_a_tilde_is_not_taken_for_the_home_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)             # (no folder named "~" here)
    with pytest.raises(FileNotFoundError, match=r"save: the folder '~/runs' does not exist "
                                                r"\('~' is not expanded: pass "
                                                r"os.path.expanduser\(path\)\)"):
        check_destination("save", "~/runs/model.npz")


def test_an_empty_path_and_a_link_into_a_missing_folder_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="save: the path is empty; give a file name"):
        check_destination("save", "")
    link = tmp_path / "latest.npz"
    os.symlink(tmp_path / "gone" / "model.npz", link)
    with pytest.raises(FileNotFoundError, match="the folder '.*gone' does not exist"):
        check_destination("save", link)
    check_destination("save", tmp_path / "model.npz")          # a folder that is there: fine
    check_destination("save", b"model.npz")                     # (bytes, in the working folder)
