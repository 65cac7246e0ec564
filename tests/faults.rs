//! Failures of the machine, not of the input: a full disk and a read-only workspace end
//! in clear errors, and leave a workspace that opens, with nothing half written, where
//! running the same command again finishes the work. The file systems are real: a small
//! tmpfs and a read-only bind mount, inside a private mount namespace (`unshare`), so
//! nothing stays mounted after the test.

mod common;

use std::process::{Command, Output};

use common::*;

/// Runs `script` with `sh` in a mount namespace of its own.
fn in_private_mounts(script: &str) -> Output {
    // As an unprivileged user, a user namespace grants the mount; as root, it is not needed.
    for flags in [&["--mount", "--map-root-user"][..], &["--mount"][..]] {
        let probe = Command::new("unshare").args(flags).arg("true").output();
        if probe.is_ok_and(|o| o.status.success()) {
            return Command::new("unshare")
                .args(flags)
                .args(["sh", "-c", script])
                .output()
                .expect("unshare runs");
        }
    }
    panic!("these tests mount a tmpfs and a read-only bind mount: they need `unshare --mount` (util-linux) with user namespaces or root");
}

#[test]
fn a_full_disk_is_a_clear_error_and_the_run_goes_on_when_there_is_room() {
    let dir = tempfile::tempdir().unwrap();
    let batch = dir.path().join("batch");
    run_ok(&["synth", s(&batch), "--pages", "2", "--seed", "5"]);
    let mnt = dir.path().join("small-disk");
    std::fs::create_dir(&mnt).unwrap();
    let ws = dir.path().join("ws");
    // The workspace's database outgrows 1.5 MB while pages are stored.
    let out = in_private_mounts(&format!(
        "mount -t tmpfs -o size=1500k tmpfs {mnt} && {bin} run {batch} --workspace {mnt}/ws; echo \"exit=$?\"; cp -r {mnt}/ws {ws}",
        mnt = s(&mnt),
        bin = s(&bin()),
        batch = s(&batch),
        ws = s(&ws),
    ));
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(stdout.contains("exit=2"), "stdout: {stdout}\nstderr: {stderr}");
    assert!(stderr.contains("No space left on device"), "{stderr}");
    assert!(stderr.contains("the disk is full"), "{stderr}");
    assert!(stderr.contains(s(&mnt)), "the error names the file: {stderr}");

    // The workspace left behind opens, and the same command finishes the batch there,
    // ending where a run that never met a full disk ends.
    run_ok(&["status", "--workspace", s(&ws)]);
    let rerun = run_json(&["run", s(&batch), "--workspace", s(&ws), "--json"]);
    assert_eq!(rerun["pages"], 2, "{rerun}");
    let clean = dir.path().join("clean");
    run_ok(&["run", s(&batch), "--workspace", s(&clean)]);
    assert_eq!(sorted_export(&ws), sorted_export(&clean));
}

#[test]
fn a_read_only_workspace_is_a_clear_error_and_stays_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let (first, second) = (dir.path().join("first"), dir.path().join("second"));
    run_ok(&["synth", s(&first), "--pages", "1", "--seed", "6"]);
    run_ok(&["synth", s(&second), "--pages", "1", "--seed", "7"]);
    let ws = dir.path().join("ws");
    run_ok(&["run", s(&first), "--workspace", s(&ws)]);
    let before = sorted_export(&ws);
    let files_before: Vec<_> = std::fs::read_dir(&ws)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();

    let out = in_private_mounts(&format!(
        "mount --bind {ws} {ws} && mount -o remount,bind,ro {ws} && {bin} run {batch} --workspace {ws}; echo \"exit=$?\"",
        ws = s(&ws),
        bin = s(&bin()),
        batch = s(&second),
    ));
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(stdout.contains("exit=2"), "stdout: {stdout}\nstderr: {stderr}");
    assert!(stderr.contains("Read-only file system"), "{stderr}");
    assert!(stderr.contains(s(&ws)), "the error names the workspace: {stderr}");
    assert!(stderr.contains("read-only; nothing was changed"), "{stderr}");
    let files_after: Vec<_> = std::fs::read_dir(&ws)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(files_after, files_before);
    assert_eq!(sorted_export(&ws), before);
}
