//! Disk images read in place: the shared corpus's two NTFS images (which hold no Windows), and
//! one host written as a folder and as a raw volume, MBR and GPT disks, VHD, VHDX and E01,
//! built here with the tools examiners use (`mkntfs` and a FUSE mount of `ntfs-3g`, `sfdisk`,
//! `qemu-img`, `ewfacquire`): the same findings from each.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{konseki, temp_case};

/// `scan` of an image with no Windows system volume opens it, lists its volumes and exits 5
/// ("no Windows artifacts"), not 1 ("nothing readable").
#[test]
fn images_without_windows_are_opened_and_their_volumes_listed() {
    for (image, kind, size) in [
        ("images/testfs1", "raw image", "2097152 bytes"),
        (
            "images/test.ntfs.dd.E01",
            "EWF (E01) image",
            "10485760 bytes",
        ),
    ] {
        let Some(path) = konseki_testutil::corpus(image) else {
            return;
        };
        let out = konseki(&["scan".as_ref(), "-q".as_ref(), path.as_os_str()]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(5), "{err}");
        assert!(err.contains("no Windows artifacts"), "{err}");
        assert!(
            err.contains(&format!("{kind}, no partition table (one volume)")),
            "{err}"
        );
        assert!(
            err.contains(&format!("/volume: NTFS, {size} at offset 0")),
            "{err}"
        );
    }
    // The E01's acquisition hash, as `ewfinfo` shows it.
    let path = konseki_testutil::corpus("images/test.ntfs.dd.E01").unwrap();
    let out = konseki(&["scan".as_ref(), "-q".as_ref(), path.as_os_str()]);
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("acquisition MD5 8b4382280340597b7930b4b34742afba"));
}

fn run(command: &mut Command) {
    let out = command.output().expect("tool runs");
    assert!(
        out.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Unmounts the FUSE mount even when the test fails.
struct Mounted(PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        Command::new("umount").arg(&self.0).status().ok();
    }
}

/// The reference case (a plain EXE as a service, 7009/7000) as a KAPE-style folder, and the
/// same files in an NTFS volume inside every container: every service, autostart and task is
/// identical once each file's container path is replaced by one name. The folder gets the
/// image's own `$MFT` (extracted with `ntfscat`), as a triage collection would.
#[test]
fn one_host_in_every_container_gives_the_same_findings() {
    let tools = [
        "mkntfs",
        "ntfs-3g",
        "ntfscat",
        "sfdisk",
        "qemu-img",
        "ewfacquire",
    ];
    for tool in tools {
        let probe = if tool == "ntfs-3g" || tool == "ewfacquire" {
            "-V"
        } else {
            "--version"
        };
        if !konseki_testutil::tool_available(
            Command::new(tool).arg(probe),
            tool,
            "KONSEKI_REQUIRE_IMAGE_TOOLS",
        ) {
            return;
        }
    }
    if !Path::new("/dev/fuse").exists() {
        assert!(
            std::env::var_os("KONSEKI_REQUIRE_IMAGE_TOOLS").is_none(),
            "/dev/fuse is needed to build the NTFS fixture"
        );
        eprintln!("no /dev/fuse: test skipped");
        return;
    }
    let case = temp_case("containers");
    let mut scenario = konseki_forge::scenario::Scenario::builtin("service-timeout").unwrap();
    scenario.host = "WS01".into();
    let folder = case.join("folder");
    scenario.write_tree(&folder).unwrap();
    // The forged $MFT stays out: the volume has its own.
    std::fs::remove_file(folder.join("C/$MFT")).unwrap();

    let volume = case.join("volume.img");
    run(Command::new("truncate").args(["-s", "32M"]).arg(&volume));
    run(Command::new("mkntfs").args(["-q", "-F", "-f"]).arg(&volume));
    let mount = case.join("mnt");
    std::fs::create_dir(&mount).unwrap();
    {
        run(Command::new("ntfs-3g").arg(&volume).arg(&mount));
        let _mounted = Mounted(mount.clone());
        run(Command::new("cp")
            .arg("-r")
            .arg(folder.join("C/."))
            .arg(&mount));
    }
    let mft = Command::new("ntfscat")
        .arg(&volume)
        .arg("$MFT")
        .output()
        .unwrap();
    assert!(mft.status.success() && mft.stdout.starts_with(b"FILE"));
    std::fs::write(folder.join("C/$MFT"), &mft.stdout).unwrap();

    let mut images: Vec<(PathBuf, String)> =
        vec![(volume.clone(), format!("{}/volume", volume.display()))];
    for (name, label) in [("mbr.img", "dos"), ("gpt.img", "gpt")] {
        let disk = case.join(name);
        run(Command::new("truncate").args(["-s", "34M"]).arg(&disk));
        let table = format!(
            "label: {label}\nstart=2048, size=65536, type={}\n",
            if label == "gpt" {
                "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7"
            } else {
                "7"
            }
        );
        let mut sfdisk = Command::new("sfdisk")
            .arg("-q")
            .arg(&disk)
            .stdin(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::io::Write::write_all(&mut sfdisk.stdin.take().unwrap(), table.as_bytes()).unwrap();
        assert!(sfdisk.wait().unwrap().success());
        run(Command::new("dd")
            .arg(format!("if={}", volume.display()))
            .arg(format!("of={}", disk.display()))
            .args(["bs=1M", "seek=1", "conv=notrunc", "status=none"]));
        images.push((disk.clone(), format!("{}/partition1", disk.display())));
    }
    let mbr = case.join("mbr.img");
    for (format, name) in [("vhdx", "disk.vhdx"), ("vpc", "disk.vhd")] {
        let out = case.join(name);
        run(Command::new("qemu-img")
            .args(["convert", "-f", "raw", "-O", format])
            .arg(&mbr)
            .arg(&out));
        images.push((out.clone(), format!("{}/partition1", out.display())));
    }
    run(Command::new("ewfacquire")
        .args(["-u", "-c", "deflate:fast", "-S", "0", "-t"])
        .arg(case.join("disk"))
        .arg(&mbr));
    let e01 = case.join("disk.E01");
    images.push((e01.clone(), format!("{}/partition1", e01.display())));

    let findings = |path: &Path, prefix: &str| -> serde_json::Value {
        let out = konseki(&[
            "scan".as_ref(),
            "-q".as_ref(),
            "-f".as_ref(),
            "json".as_ref(),
            path.as_os_str(),
        ]);
        assert!(
            out.status.success(),
            "{}: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout)
            .unwrap()
            .replace(prefix, "ROOT");
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(doc["hosts"].as_array().unwrap().len(), 1);
        let host = &doc["hosts"][0];
        serde_json::json!([host["services"], host["autostarts"], host["tasks"]])
    };
    let expected = findings(&folder, &format!("{}/C", folder.display()));
    // The reference case's verdict, read from the folder: the comparison is about something.
    assert_eq!(expected[0][0]["name"], "test");
    assert_eq!(
        expected[0][0]["verdict"]["summary"],
        "executed, ran ≤ 30 s, not resident"
    );
    for (image, prefix) in &images {
        let got = findings(image, prefix);
        assert_eq!(got, expected, "{}", image.display());
        // Cited where it lies: the image, its volume, the file.
        assert!(got
            .to_string()
            .contains("ROOT/Windows/System32/config/SYSTEM"));
    }
    std::fs::remove_dir_all(&case).ok();
}
