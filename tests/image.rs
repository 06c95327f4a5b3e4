//! `scan --image`: the OCI layout and `docker save` archive of fixtures/image (two layers made
//! by fixtures/image/make-image.py from the Debian 12 and Python fixtures: the second deletes
//! /opt/acme/bin/acme-agent with a whiteout and installs the six wheel) scanned in memory, and
//! hostile images built here (missing and corrupt layers, traversal names, a decompression
//! bomb).

use crate::common::{fixtures, scan_json, sovscan};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

const SITE: &str = "usr/local/lib/python3.11/dist-packages";
const TAG: &str = "docker.io/sovscan-fixture/debian:1.0";

fn oci() -> PathBuf {
    fixtures().join("image/oci")
}

fn arg(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn sha(b: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(b))
}

fn read_json(p: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

fn blob(layout: &Path, digest: &str) -> PathBuf {
    layout
        .join("blobs/sha256")
        .join(digest.trim_start_matches("sha256:"))
}

/// The image's manifest digest (from index.json) and its layer digests.
fn manifest_of(layout: &Path) -> (String, Vec<String>) {
    let index = read_json(&layout.join("index.json"));
    let digest = index["manifests"][0]["digest"].as_str().unwrap().to_owned();
    let m = read_json(&blob(layout, &digest));
    let layers = m["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["digest"].as_str().unwrap().to_owned())
        .collect();
    (digest, layers)
}

fn copy_dir(src: &Path, dst: &Path) {
    let st = std::process::Command::new("cp")
        .arg("-a")
        .arg(format!("{}/.", src.display()))
        .arg(dst)
        .status()
        .unwrap();
    assert!(st.success());
}

/// The report's components (sorted by id).
fn components(r: &Value) -> Vec<Value> {
    r["components"].as_array().unwrap().clone()
}

fn located_at<'a>(r: &'a Value, path: &str) -> Option<&'a Value> {
    r["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["locations"].as_array().unwrap().iter().any(|l| l == path))
}

fn errors(r: &Value) -> Vec<String> {
    r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{}: {}",
                e["path"].as_str().unwrap(),
                e["error"].as_str().unwrap()
            )
        })
        .collect()
}

/// The image's filesystem as a directory: what applying the two layers by hand gives.
fn same_files_as_directory() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    copy_dir(&fixtures().join("dpkg/debian-12"), d.path());
    std::fs::remove_file(d.path().join("opt/acme/bin/acme-agent")).unwrap();
    let site = d.path().join(SITE);
    std::fs::create_dir_all(site.join("six-1.16.0.dist-info")).unwrap();
    let venv = fixtures().join("python/venv/lib/python3.11/site-packages");
    copy_dir(
        &venv.join("six-1.16.0.dist-info"),
        &site.join("six-1.16.0.dist-info"),
    );
    std::fs::copy(venv.join("six.py"), site.join("six.py")).unwrap();
    d
}

#[test]
fn oci_layout_lists_what_the_same_files_list_as_a_directory() {
    let img = scan_json(&["--image", arg(&oci())]);
    let dir = same_files_as_directory();
    let plain = scan_json(&["--root", arg(dir.path())]);
    assert_eq!(components(&img), components(&plain));
    assert_eq!(img["relationships"], plain["relationships"]);
    assert_eq!(errors(&img), errors(&plain));
    assert_eq!(img["roots"][0]["kind"], "image");
    assert_eq!(img["roots"][0]["os"], "Debian GNU/Linux 12 (bookworm)");
    assert_eq!(img["scan"]["host"], "build-07");
    // The Debian packages (dpkg ownership through the merged-/usr links of the image) and the
    // wheel of the second layer.
    let ids: Vec<&str> = img["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"deb:hostname@3.23+nmu1"), "{ids:?}");
    assert!(ids.contains(&"pypi:six@1.16.0"), "{ids:?}");
    assert!(
        located_at(&img, "/usr/bin/hostname").is_none(),
        "an owned ELF is not a component of its own"
    );
}

#[test]
fn whiteout_of_the_upper_layer_deletes_the_lower_file() {
    let lower = scan_json(&["--root", arg(&fixtures().join("dpkg/debian-12"))]);
    assert!(
        located_at(&lower, "/opt/acme/bin/acme-agent").is_some(),
        "the first layer's files list the agent"
    );
    let img = scan_json(&["--image", arg(&oci())]);
    assert!(located_at(&img, "/opt/acme/bin/acme-agent").is_none());
    assert!(located_at(&img, "/opt/acme/lib/libcap.so.2.66").is_some());
}

#[test]
fn report_names_digest_tags_layers_and_platform() {
    let r = scan_json(&["--image", arg(&oci())]);
    let (digest, layers) = manifest_of(&oci());
    let index = std::fs::read(oci().join("index.json")).unwrap();
    let manifest = std::fs::read(blob(&oci(), &digest)).unwrap();
    assert_eq!(sha(&manifest), digest);
    assert!(!index.is_empty());
    let i = &r["scan"]["image"];
    assert_eq!(i["digest"], digest.as_str());
    assert_eq!(i["format"], "oci-layout");
    assert_eq!(i["tags"], serde_json::json!(["1.0", TAG]));
    assert_eq!(i["os"], "linux");
    assert_eq!(i["architecture"], "amd64");
    let got: Vec<&str> = i["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["digest"].as_str().unwrap())
        .collect();
    assert_eq!(got, layers);
    assert_eq!(
        i["layers"][0]["size"].as_u64().unwrap(),
        std::fs::metadata(blob(&oci(), &layers[0])).unwrap().len()
    );
}

#[test]
fn docker_save_archive_is_the_same_image() {
    let archive = fixtures().join("image/docker-save.tar");
    let d = scan_json(&["--image", arg(&archive)]);
    let o = scan_json(&["--image", arg(&oci())]);
    assert_eq!(components(&d), components(&o));
    assert!(errors(&d).is_empty(), "{:?}", errors(&d));
    let i = &d["scan"]["image"];
    assert_eq!(i["format"], "docker-archive");
    assert_eq!(i["tags"], serde_json::json!([TAG]));
    assert_eq!(i["architecture"], "amd64");
    // Legacy archives store uncompressed layers: their digests are the config's diff_ids.
    let (digest, _) = manifest_of(&oci());
    let m = read_json(&blob(&oci(), &digest));
    let config = read_json(&blob(&oci(), m["config"]["digest"].as_str().unwrap()));
    let got: Vec<&Value> = i["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| &l["digest"])
        .collect();
    let want: Vec<&Value> = config["rootfs"]["diff_ids"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    assert_eq!(got, want);
    assert_eq!(i["config"], m["config"]["digest"]);
}

/// docker 25+ writes an OCI layout and manifest.json into one tar: the digest comes from the
/// layout, the tags from manifest.json.
#[test]
fn docker_archive_with_an_oci_layout_inside() {
    let (digest, layers) = manifest_of(&oci());
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("save.tar");
    let mut b = tar::Builder::new(std::fs::File::create(&path).unwrap());
    b.append_dir_all(".", oci()).unwrap();
    let manifest = serde_json::json!([{
        "Config": format!("blobs/sha256/{}", &digest[7..]),
        "RepoTags": ["example.org/app:2"],
        "Layers": layers.iter().map(|l| format!("blobs/sha256/{}", &l[7..])).collect::<Vec<_>>(),
    }]);
    let data = serde_json::to_vec(&manifest).unwrap();
    let mut h = tar::Header::new_gnu();
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    b.append_data(&mut h, "manifest.json", &data[..]).unwrap();
    b.into_inner().unwrap().flush().unwrap();
    let r = scan_json(&["--image", arg(&path)]);
    let i = &r["scan"]["image"];
    assert_eq!(i["digest"], digest.as_str());
    assert_eq!(i["format"], "docker-archive");
    assert_eq!(
        i["tags"],
        serde_json::json!(["1.0", TAG, "example.org/app:2"])
    );
    assert_eq!(
        components(&r),
        components(&scan_json(&["--image", arg(&oci())]))
    );
}

/// `podman save --format oci-archive`: the layout alone in a tar.
#[test]
fn oci_archive_is_the_layout_in_a_tar() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("oci.tar");
    let mut b = tar::Builder::new(std::fs::File::create(&path).unwrap());
    b.append_dir_all(".", oci()).unwrap();
    b.into_inner().unwrap().flush().unwrap();
    let r = scan_json(&["--image", arg(&path)]);
    let i = &r["scan"]["image"];
    assert_eq!(i["format"], "oci-archive");
    assert_eq!(i["digest"].as_str(), Some(manifest_of(&oci()).0.as_str()));
    assert_eq!(i["tags"], serde_json::json!(["1.0", TAG]));
    assert!(located_at(&r, "/var/lib/dpkg/status").is_some());
}

#[test]
fn output_is_byte_identical_across_runs() {
    for image in [oci(), fixtures().join("image/docker-save.tar")] {
        let run = || {
            let out = sovscan()
                .args(["scan", "--reproducible", "-f", "json", "--image"])
                .arg(&image)
                .output()
                .unwrap();
            assert!(out.status.success());
            out.stdout
        };
        let a = run();
        assert!(!a.is_empty());
        assert_eq!(a, run(), "{}", image.display());
    }
}

/// A copy of the fixture layout to break.
fn layout_copy() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    copy_dir(&oci(), d.path());
    d
}

#[test]
fn missing_layer_blob_is_an_error_and_the_rest_is_scanned() {
    let d = layout_copy();
    let (_, layers) = manifest_of(d.path());
    std::fs::remove_file(blob(d.path(), &layers[0])).unwrap();
    let r = scan_json(&["--image", arg(d.path())]);
    let errs = errors(&r);
    assert!(
        errs.iter()
            .any(|e| e.starts_with(&layers[0]) && e.contains("not read")),
        "{errs:?}"
    );
    // The second layer is still applied: its wheel is found.
    assert!(located_at(&r, &format!("/{SITE}/six-1.16.0.dist-info/METADATA")).is_some());
    assert!(located_at(&r, "/var/lib/dpkg/status").is_none());
    assert_eq!(r["scan"]["image"]["layers"].as_array().unwrap().len(), 2);
}

#[test]
fn corrupt_gzip_layer_is_an_error_and_the_rest_is_scanned() {
    let d = layout_copy();
    let (_, layers) = manifest_of(d.path());
    let p = blob(d.path(), &layers[0]);
    let mut gz = std::fs::read(&p).unwrap();
    let n = gz.len();
    gz[n / 3..].iter_mut().for_each(|b| *b = !*b);
    std::fs::write(&p, &gz).unwrap();
    let r = scan_json(&["--image", arg(d.path())]);
    let errs = errors(&r);
    assert!(
        errs.iter()
            .any(|e| e.starts_with(&layers[0]) && e.contains("layer unreadable")),
        "{errs:?}"
    );
    assert!(
        errs.iter().any(|e| e.contains("digest mismatch")),
        "{errs:?}"
    );
    assert!(located_at(&r, &format!("/{SITE}/six-1.16.0.dist-info/METADATA")).is_some());
}

/// A tar stream with raw names, so that hostile names can be written.
fn raw_tar(entries: &[(&str, tar::EntryType, &[u8], &str)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, kind, data, link) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(*kind);
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        h.as_old_mut().linkname[..link.len()].copy_from_slice(link.as_bytes());
        h.set_cksum();
        b.append(&h, *data).unwrap();
    }
    b.into_inner().unwrap()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(data).unwrap();
    gz.finish().unwrap()
}

/// An OCI layout with these layer blobs (media types say gzip; the blobs are sniffed).
fn layout_of(dir: &Path, layers: &[Vec<u8>]) {
    std::fs::create_dir_all(dir.join("blobs/sha256")).unwrap();
    let put = |b: &[u8]| {
        let d = sha(b);
        std::fs::write(blob(dir, &d), b).unwrap();
        d
    };
    let config = br#"{"architecture":"arm64","os":"linux","variant":"v8"}"#;
    let cfg = put(config);
    let ls: Vec<Value> = layers
        .iter()
        .map(|l| {
            serde_json::json!({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                               "digest": put(l), "size": l.len()})
        })
        .collect();
    let m = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cfg,
                   "size": config.len()},
        "layers": ls,
    }))
    .unwrap();
    let md = put(&m);
    let index = serde_json::json!({"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md,
         "size": m.len()}]});
    std::fs::write(dir.join("index.json"), index.to_string()).unwrap();
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
}

#[test]
fn traversal_names_are_reported_and_never_written() {
    use tar::EntryType as T;
    let tmp = tempfile::tempdir().unwrap();
    let outside = tmp.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    let img = tmp.path().join("img");
    let status = std::fs::read(fixtures().join("dpkg/debian-12/var/lib/dpkg/status")).unwrap();
    let out_abs = format!("{}/", outside.display());
    let layer = raw_tar(&[
        ("var/lib/dpkg/status", T::Regular, &status, ""),
        ("../../outside/escaped", T::Regular, b"x", ""),
        ("/tmp/sovscan-abs-entry", T::Regular, b"x", ""),
        ("hop", T::Symlink, b"", &out_abs),
        ("hop/through-link", T::Regular, b"x", ""),
        ("up", T::Symlink, b"", "../../../../.."),
        ("up/tmp/through-up", T::Regular, b"x", ""),
    ]);
    layout_of(&img, &[gzip(&layer)]);
    let r = scan_json(&["--image", arg(&img)]);
    let errs = errors(&r);
    let has = |needle: &str, why: &str| {
        assert!(
            errs.iter().any(|e| e.contains(needle) && e.contains(why)),
            "{needle}/{why}: {errs:?}"
        )
    };
    has("!../../outside/escaped", "`..`");
    has("!/tmp/sovscan-abs-entry", "absolute");
    has("!hop/through-link", "symbolic link");
    has("!up/tmp/through-up", "symbolic link");
    // Nothing was written anywhere, and the image's packages were still read.
    assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0);
    assert!(!Path::new("/tmp/sovscan-abs-entry").exists());
    assert!(!tmp.path().join("escaped").exists());
    assert!(located_at(&r, "/var/lib/dpkg/status").is_some());
    assert_eq!(r["scan"]["image"]["variant"], "v8");
    // The link to a host directory is resolved inside the image: it names nothing there.
    assert!(
        errs.iter()
            .any(|e| e.starts_with("/hop:") && e.contains("does not resolve inside the root")),
        "{errs:?}"
    );
}

/// A gzip bomb: 300 MiB of zeros at the dpkg database's path (kept whole, were it small), under
/// 1 MiB compressed. It is read by its head only, reported, and the next layer is applied.
#[test]
fn decompression_bomb_is_bounded_and_reported() {
    use tar::EntryType as T;
    let tmp = tempfile::tempdir().unwrap();
    let mut tar = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::best(),
    ));
    let mut h = tar::Header::new_gnu();
    h.set_size(300 << 20);
    h.set_mode(0o644);
    h.set_entry_type(T::Regular);
    tar.append_data(
        &mut h,
        "var/lib/dpkg/status",
        std::io::Read::take(std::io::repeat(0), 300 << 20),
    )
    .unwrap();
    let bomb = tar.into_inner().unwrap().finish().unwrap();
    assert!(bomb.len() < 1 << 20);
    let after = raw_tar(&[("etc/os-release", T::Regular, b"ID=after\nNAME=After\n", "")]);
    layout_of(tmp.path(), &[bomb, gzip(&after)]);
    let r = scan_json(&["--image", arg(tmp.path())]);
    let errs = errors(&r);
    assert!(
        errs.iter().any(|e| e.starts_with("/var/lib/dpkg/status:")
            && e.contains("over the 268435456 byte limit")),
        "{errs:?}"
    );
    assert_eq!(r["roots"][0]["os"], "After");
}

#[test]
fn not_an_image_is_a_usage_error() {
    let tmp = tempfile::tempdir().unwrap();
    let out = sovscan()
        .args(["scan", "--image"])
        .arg(tmp.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("neither an OCI image layout"));
    let out = sovscan()
        .args(["scan", "--image"])
        .arg(tmp.path().join("missing.tar"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
