//! The report model: components, the evidence collectors found for them, their attribution,
//! and the errors met on the way (JSON schema `sovscan-report/1`).
//!
//! Every output format renders from these types; nothing renders from scan state. Maps are
//! `BTreeMap` and vectors are sorted by [`Report::normalise`] so that the same input always
//! serialises to the same bytes.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The schema name written into every report.
pub const SCHEMA: &str = "sovscan-report/1";

/// What kind of thing a component is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum ComponentKind {
    /// A package from a package manager (deb, rpm, pip, npm…).
    Package,
    /// A file of executable code that no package owns.
    Binary,
    /// An application bundle or an installed program (Windows, macOS).
    Application,
    /// A firmware image or a module inside one.
    Firmware,
    /// A hardware device model.
    Hardware,
    /// A row of an asset inventory (CMDB, spreadsheet).
    Inventory,
    /// A trust anchor: a certificate a trust store holds (UEFI PK/KEK/db/dbx, MOK, a system
    /// CA store, a Java keystore, the Windows ROOT store). Counted in
    /// [`Summary::trust_anchors`], not in the reliance counts.
    Certificate,
    /// A trust store: the variable set or file that holds trust anchors, with its state and
    /// counts (Secure Boot, SetupMode, dbx hashes). Not counted as a component.
    TrustStore,
}

impl ComponentKind {
    /// Whether components of this kind are trust anchors or their stores, which the reliance
    /// counts, thresholds and ordinary policy rules leave out (only `trust-anchors` rules and
    /// [`Summary::trust_anchors`] look at them).
    pub fn is_trust(self) -> bool {
        matches!(self, ComponentKind::Certificate | ComponentKind::TrustStore)
    }
}

/// The kind of a fact that hints at a maker. Collectors only report these; the rules engine
/// decides what they mean. The kind decides which matchers apply and how strong the fact is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum EvidenceKind {
    /// A code-signing certificate subject organisation (`O=`), the strongest evidence.
    SignerSubject,
    /// A PCI vendor id (4 hex digits).
    PciVendorId,
    /// A USB vendor id (4 hex digits).
    UsbVendorId,
    /// A CPU vendor id (x86 CPUID string, or `arm:0x41` style implementer code).
    CpuVendorId,
    /// A device-tree `compatible` string or vendor prefix.
    DtCompatible,
    /// A company name the vendor wrote into the artifact (PE CompanyName, rpm Vendor, Publisher).
    CompanyName,
    /// The product's own package name in an ecosystem (`deb:openssl`), for product matching.
    PackageName,
    /// A file name of a binary or library (`libssl.so.3`), for product matching.
    BinaryName,
    /// A Java groupId (`com.alibaba`).
    JavaGroupId,
    /// An npm scope (`@alicloud`).
    NpmScope,
    /// A Go module path (`github.com/pingcap/tidb`).
    GoModule,
    /// The URL the package declares as its homepage (dpkg `Homepage`, rpm `URL`, pip
    /// `Home-page`): the most direct statement of who makes it.
    Homepage,
    /// Another URL the artifact names: repository, upstream source, contact.
    Url,
    /// An e-mail address of an author or upstream contact.
    Email,
    /// A copyright holder named in a licence or copyright file.
    CopyrightHolder,
    /// The package maintainer (often the distribution's packager, not the maker).
    Maintainer,
    /// The distribution that shipped the component (os-release `ID`/`NAME`): supplier evidence.
    Distributor,
    /// A vendor string found by the deep byte scan: weak.
    String,
    /// A shared-object name (`SONAME`): descriptive.
    Soname,
    /// A needed library (`DT_NEEDED`): descriptive.
    Needed,
    /// A GNU build-id: descriptive.
    BuildId,
    /// A compiler identification string (`.comment`): descriptive.
    Compiler,
    /// The program interpreter (`PT_INTERP`): descriptive.
    Interpreter,
    /// A systemd package note (`.note.package` JSON): descriptive, names the packager.
    PackageNote,
    /// A device firmware file's path relative to `lib/firmware` (`rtl_nic/rtl8168h-2.fw`).
    FirmwarePath,
    /// A device firmware format recognised from a blob's bytes (`iwlwifi-tlv`, `qca-ath10k`):
    /// the header or trailer layout one maker's driver defines.
    FirmwareFormat,
    /// The subject (RFC 4514) of one certificate of a code signature's chain, signer first:
    /// descriptive (the signer's `O=` is [`EvidenceKind::SignerSubject`]).
    Certificate,
    /// A signing or bundle identifier: an Apple CodeDirectory identifier, a `CFBundleIdentifier`
    /// or an installer receipt's `PackageIdentifier`: descriptive.
    SigningId,
    /// The `O=` of a certificate that signs other makers' code on their behalf (Microsoft's
    /// hardware-compatibility, software-compatibility and UEFI CA programmes): names the
    /// signer, never the vendor.
    AttestationSigner,
    /// The board or OEM an artifact was built for (a device-tree `model` or board
    /// `compatible`, a board name in the path): names the `board` party, never the vendor.
    Board,
}

impl EvidenceKind {
    /// The kebab-case name used in JSON and rules.
    pub fn as_str(self) -> &'static str {
        match self {
            EvidenceKind::SignerSubject => "signer-subject",
            EvidenceKind::PciVendorId => "pci-vendor-id",
            EvidenceKind::UsbVendorId => "usb-vendor-id",
            EvidenceKind::CpuVendorId => "cpu-vendor-id",
            EvidenceKind::DtCompatible => "dt-compatible",
            EvidenceKind::CompanyName => "company-name",
            EvidenceKind::PackageName => "package-name",
            EvidenceKind::BinaryName => "binary-name",
            EvidenceKind::JavaGroupId => "java-group-id",
            EvidenceKind::NpmScope => "npm-scope",
            EvidenceKind::GoModule => "go-module",
            EvidenceKind::Homepage => "homepage",
            EvidenceKind::Url => "url",
            EvidenceKind::Email => "email",
            EvidenceKind::CopyrightHolder => "copyright-holder",
            EvidenceKind::Maintainer => "maintainer",
            EvidenceKind::Distributor => "distributor",
            EvidenceKind::String => "string",
            EvidenceKind::Soname => "soname",
            EvidenceKind::Needed => "needed",
            EvidenceKind::BuildId => "build-id",
            EvidenceKind::Compiler => "compiler",
            EvidenceKind::Interpreter => "interpreter",
            EvidenceKind::PackageNote => "package-note",
            EvidenceKind::FirmwarePath => "firmware-path",
            EvidenceKind::FirmwareFormat => "firmware-format",
            EvidenceKind::Certificate => "certificate",
            EvidenceKind::SigningId => "signing-id",
            EvidenceKind::AttestationSigner => "attestation-signer",
            EvidenceKind::Board => "board",
        }
    }
}

/// One observed fact about a component.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Evidence {
    /// What kind of fact this is.
    pub kind: EvidenceKind,
    /// The fact itself, sanitised.
    pub value: String,
    /// Where it was found (a path in the scanned system, optionally `#field` or `@offset`).
    pub at: String,
    /// The rule that matched this fact (`rules/vendors/us.yaml:openssl`), set by attribution.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
}

impl Evidence {
    /// New evidence with sanitised value and location.
    pub fn new(kind: EvidenceKind, value: impl AsRef<str>, at: impl AsRef<str>) -> Self {
        Evidence {
            kind,
            value: crate::text::sanitize(value.as_ref()),
            at: crate::text::sanitize(at.as_ref()),
            rule: None,
        }
    }
}

/// How a maker relates to the configured home jurisdiction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    /// The ultimate owner is incorporated in the home jurisdiction.
    Domestic,
    /// The ultimate owner is incorporated elsewhere.
    Foreign,
    /// A community project or foundation with no single national owner.
    International,
    /// No vendor could be attributed.
    Unknown,
}

impl Origin {
    /// The kebab-case name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Domestic => "domestic",
            Origin::Foreign => "foreign",
            Origin::International => "international",
            Origin::Unknown => "unknown",
        }
    }
}

/// A vendor or supplier as attributed by the rules engine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    /// Vendor id in the rule database.
    pub id: String,
    /// Legal name.
    pub name: String,
    /// ISO 3166-1 alpha-2 country of the party itself (`null` when not applicable).
    pub country: Option<String>,
    /// Vendor id of the ultimate owner (follows `parent`); same as `id` when independent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ultimate_owner: Option<String>,
    /// Country of the ultimate owner, when it differs from `country`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_country: Option<String>,
    /// Origin class relative to home (`international` regardless of home for communities).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<Origin>,
}

/// The product a component was recognised as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductRef {
    /// Product id in the rule database.
    pub id: String,
    /// Product category (`operating-system`, `database`, …).
    pub category: String,
    /// Criticality (`low`, `medium`, `high`, `critical`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub criticality: Option<String>,
}

/// One inventoried thing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Component {
    /// Stable identity (`deb:openssl@3.0.15-1~deb12u1`), the key `diff` matches on.
    pub id: String,
    /// What kind of thing it is.
    pub kind: ComponentKind,
    /// Package ecosystem (`deb`, `rpm`, `elf`…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecosystem: Option<String>,
    /// Name.
    pub name: String,
    /// Version, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Package URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    /// Paths in the scanned system where it was found (primary first, then sorted).
    pub locations: Vec<String>,
    /// The root it belongs to: `/` for the scanned root, else the path in the scanned tree of
    /// the nested root (chroot, container layer, image) whose package database or files it came
    /// from. Absent for components read from `--input` files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root: Option<String>,
    /// The collector that found it (`dpkg`, `pe`…), set by the scan frame.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub found_by: Option<String>,
    /// The package it is a file of, for a binary read inside a package (a signed DLL of a
    /// wheel): listed with its own evidence and linked by `contains`, but counted in the
    /// summary through its package, never twice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part_of: Option<String>,
    /// Who ships it to you.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supplier: Option<Box<Party>>,
    /// Who makes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<Box<Party>>,
    /// What product it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<ProductRef>,
    /// What kind of thing it is, from the vocabulary of `rules/categories.yaml` (`nic`,
    /// `platform-firmware`, `database`); absent when no evidence says. Set by attribution.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// The evidence that decided [`Component::category`] (`pci-class:0280`, `product:openssl`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category_from: Option<String>,
    /// Origin class relative to `--home` (absent when no home was given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origin>,
    /// Confidence in the vendor attribution, 0.0–1.0.
    #[serde(default)]
    pub confidence: f64,
    /// How many of it there are (hardware, inventory rows); absent means one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// Extra facts worth keeping (architecture, source package, licence…), sorted by key.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, String>,
    /// The facts behind the attribution.
    pub evidence: Vec<Evidence>,
    /// Who signed it, when that is not the vendor (a driver made by one company and signed by
    /// another, an EFI binary signed through Microsoft's UEFI CA). Set by attribution.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signer: Option<Box<Party>>,
    /// The board or OEM maker, when the vendor is the maker of the chip the artifact targets (a
    /// boot image or device tree for a Rockchip SoC on a Radxa board). Set by attribution from
    /// [`EvidenceKind::Board`] evidence; never counted as the vendor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub board: Option<Box<Party>>,
}

/// Sort components by id, stably, without the merge sort's scratch copy of half the
/// components: their order is sorted as indices, then applied in place by following its
/// cycles.
fn sort_by_id(components: &mut [Component]) {
    let mut order: Vec<usize> = (0..components.len()).collect();
    order.sort_by(|&a, &b| components[a].id.cmp(&components[b].id));
    // `order[k]` is the index whose component goes to `k`.
    for i in 0..order.len() {
        let mut j = i;
        loop {
            let k = order[j];
            order[j] = j;
            if k == i {
                break;
            }
            components.swap(j, k);
            j = k;
        }
    }
}

impl Component {
    /// A component with no attribution yet.
    pub fn new(
        kind: ComponentKind,
        ecosystem: Option<&str>,
        name: &str,
        version: Option<&str>,
    ) -> Self {
        let name = crate::text::sanitize(name);
        let version = version.map(crate::text::sanitize);
        let id = match (ecosystem, &version) {
            (Some(e), Some(v)) => format!("{e}:{name}@{v}"),
            (Some(e), None) => format!("{e}:{name}"),
            (None, Some(v)) => format!("{name}@{v}"),
            (None, None) => name.clone(),
        };
        Component {
            id,
            kind,
            ecosystem: ecosystem.map(str::to_owned),
            name,
            version,
            purl: None,
            locations: Vec::new(),
            root: None,
            found_by: None,
            part_of: None,
            supplier: None,
            vendor: None,
            product: None,
            category: None,
            category_from: None,
            origin: None,
            confidence: 0.0,
            count: None,
            properties: BTreeMap::new(),
            evidence: Vec::new(),
            signer: None,
            board: None,
        }
    }

    /// Add one piece of evidence (empty values are dropped).
    pub fn add_evidence(
        &mut self,
        kind: EvidenceKind,
        value: impl AsRef<str>,
        at: impl AsRef<str>,
    ) {
        let value = value.as_ref().trim();
        if !value.is_empty() {
            self.evidence.push(Evidence::new(kind, value, at));
        }
    }

    /// Its category: [`Component::category`], else (a report written before categories) its
    /// product's.
    pub fn category_id(&self) -> Option<&str> {
        self.category
            .as_deref()
            .or_else(|| self.product.as_ref().map(|p| p.category.as_str()))
    }

    /// Whether the summary and every share count it: all but the binaries read inside a
    /// package (`part_of`), which count through their package, and trust anchors and stores,
    /// which are counted apart (`summary.trust_anchors`).
    pub fn counted(&self) -> bool {
        self.part_of.is_none() && !self.kind.is_trust()
    }

    /// Set a property (sanitised; empty values are dropped).
    pub fn set_property(&mut self, key: &str, value: impl AsRef<str>) {
        let value = value.as_ref().trim();
        if !value.is_empty() {
            self.properties
                .insert(key.to_owned(), crate::text::sanitize(value));
        }
    }
}

/// How two components relate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum RelationshipKind {
    /// `from` needs `to` (a declared or resolved dependency).
    DependsOn,
    /// `from` contains `to` (an application bundle its binaries, an image its packages).
    Contains,
}

/// A directed edge between two components, by component id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Relationship {
    /// Component id of the source.
    pub from: String,
    /// Component id of the target.
    pub to: String,
    /// Kind of edge.
    pub kind: RelationshipKind,
}

/// An input that could not be read or parsed. Never fatal to the scan.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ScanError {
    /// Path in the scanned system.
    pub path: String,
    /// One-line reason.
    pub error: String,
}

impl ScanError {
    /// New error entry with sanitised path and message.
    pub fn new(path: impl AsRef<str>, error: impl AsRef<str>) -> Self {
        ScanError {
            path: crate::text::sanitize(path.as_ref()),
            error: crate::text::sanitize(error.as_ref()),
        }
    }
}

/// What kind of filesystem root a [`RootInfo`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum RootKind {
    /// The scanned root itself (`/` of the report).
    Scanned,
    /// A directory holding an operating system's package database (a chroot, an unpacked
    /// image, a build root).
    Chroot,
    /// A docker image or container layer (`overlay2/<id>/diff`, vfs, btrfs).
    DockerOverlay2,
    /// A containers-storage layer (podman, CRI-O, buildah: `storage/overlay/<id>/diff`).
    ContainersStorage,
    /// A containerd overlayfs snapshot (`snapshots/<n>/fs`).
    Containerd,
    /// An LXC container (`lxc/<name>/rootfs`).
    Lxc,
    /// An LXD container (`containers/<name>/rootfs`).
    Lxd,
    /// A systemd-nspawn machine (`/var/lib/machines/<name>`).
    Nspawn,
    /// A container image given with `--image`, read into memory (the scanned root).
    Image,
}

impl RootKind {
    /// The kebab-case name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            RootKind::Scanned => "scanned",
            RootKind::Chroot => "chroot",
            RootKind::DockerOverlay2 => "docker-overlay2",
            RootKind::ContainersStorage => "containers-storage",
            RootKind::Containerd => "containerd",
            RootKind::Lxc => "lxc",
            RootKind::Lxd => "lxd",
            RootKind::Nspawn => "systemd-nspawn",
            RootKind::Image => "image",
        }
    }
}

/// One filesystem root of a scan: the scanned root or a nested one (see [`crate::roots`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RootInfo {
    /// Its path in the scanned tree (`/` for the scanned root).
    pub path: String,
    /// What it is.
    pub kind: RootKind,
    /// The engine's layer, snapshot or container id, for container layouts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Its os-release `PRETTY_NAME` (else `NAME`), when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
    /// The package databases found in it (paths in the scanned tree).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub databases: Vec<String>,
    /// Number of components that belong to it.
    #[serde(default)]
    pub components: usize,
}

impl RootInfo {
    /// A root with no components counted yet.
    pub fn new(path: String, kind: RootKind, id: Option<String>) -> Self {
        RootInfo {
            path,
            kind,
            id,
            os: None,
            databases: Vec::new(),
            components: 0,
        }
    }
}

/// The rule database a report was made with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RulesInfo {
    /// Rule database version.
    pub version: String,
    /// `sha256:` digest over every rule file that was loaded.
    pub digest: String,
}

/// The tool that made a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolInfo {
    /// Always `sovscan`.
    pub name: String,
    /// Crate version.
    pub version: String,
    /// Rule database.
    pub rules: RulesInfo,
}

/// Options that shaped the scan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanOptions {
    /// Deep byte scan for vendor strings.
    #[serde(default)]
    pub deep: bool,
    /// Hardware inventory.
    #[serde(default)]
    pub hardware: bool,
    /// Stayed on one filesystem.
    #[serde(default)]
    pub one_file_system: bool,
    /// Exclusion globs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
    /// Subtrees the walk was limited to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
}

/// When, where and how the scan ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanInfo {
    /// RFC 3339 UTC start time.
    pub started: String,
    /// Wall-clock duration.
    pub duration_ms: u64,
    /// Host name of the scanned system, when known.
    #[serde(default)]
    pub host: Option<String>,
    /// Scanned roots as given.
    pub roots: Vec<String>,
    /// Home jurisdiction (country or region) origin is relative to.
    #[serde(default)]
    pub home: Option<String>,
    /// Options.
    #[serde(default)]
    pub options: ScanOptions,
    /// The container image scanned (`--image`), when one was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageInfo>,
}

/// A container image scanned as the root (`--image`), see [`crate::image`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageInfo {
    /// The image path as given.
    pub source: String,
    /// `oci-layout` (a directory), `oci-archive` (a layout in a tar) or `docker-archive`
    /// (`docker save`, `podman save`).
    pub format: String,
    /// The manifest digest (`sha256:…`), when the image has an OCI manifest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// The config digest (docker's image id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<String>,
    /// Tags and references (`RepoTags`, `org.opencontainers.image.ref.name`), sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Operating system from the config (`linux`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
    /// CPU architecture from the config (`amd64`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub architecture: Option<String>,
    /// Architecture variant from the config (`v8`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// The layers, bottom first, as applied.
    #[serde(default)]
    pub layers: Vec<ImageLayer>,
}

/// One layer of an [`ImageInfo`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageLayer {
    /// Digest of the blob as stored (`sha256:…`; for a legacy `layer.tar`, its own hash).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// Size of the blob as stored, when it was found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
}

/// Counts over the components.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Number of components counted: every component except the binaries read inside a
    /// package (`part_of`), which count through their package.
    pub components: usize,
    /// Components per origin class (only with a home).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub by_origin: BTreeMap<String, usize>,
    /// Components per country of the vendor's ultimate owner.
    #[serde(default)]
    pub by_country: BTreeMap<String, usize>,
    /// Components whose origin is known (domestic, foreign or international): the denominator
    /// of every foreign, domestic and international share (only with a home). The unknown
    /// share's denominator is [`Summary::components`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub known_origin: Option<usize>,
    /// Per category (of `rules/categories.yaml`): counts per origin class (with a home) or
    /// per country of the ultimate owner, `unknown` without one (without a home).
    #[serde(default)]
    pub by_category: BTreeMap<String, BTreeMap<String, usize>>,
    /// Components no evidence gave a category.
    #[serde(default)]
    pub uncategorised: usize,
    /// Signed components per country of the signer's ultimate owner (the vendor, when it
    /// signed its own code); `unknown` when the signing certificate names no known vendor.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub by_signer_country: BTreeMap<String, usize>,
    /// Components per attributed vendor id (ultimate owner).
    #[serde(default)]
    pub by_vendor: BTreeMap<String, usize>,
    /// Components per root (`/`, or the path of a nested root), when the scan found nested
    /// roots.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub by_root: BTreeMap<String, usize>,
    /// Trust anchors (`certificate` components) per store (`uefi-kek`, `system`, `java`…),
    /// then per owner country ([`trust_country`]; `international` for a community vendor,
    /// `unknown` when neither a rule nor the subject names one). Certificates are counted here only, never in the counts above.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub trust_anchors: BTreeMap<String, BTreeMap<String, usize>>,
    /// Signed binaries per country of the trust anchor their signing chain leads to (the
    /// `anchor-country` property: the `C=` of the root that issued the top of the chain).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub signing_anchors: BTreeMap<String, usize>,
}

/// A whole scan report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// Tool and rules.
    pub tool: ToolInfo,
    /// Scan metadata.
    pub scan: ScanInfo,
    /// Counts.
    pub summary: Summary,
    /// Components, sorted by id.
    pub components: Vec<Component>,
    /// Edges between components, sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub relationships: Vec<Relationship>,
    /// The filesystem roots scanned: the scanned root, then the nested roots (chroots,
    /// container layers) found inside it, sorted by path. Absent when only inputs were read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roots: Vec<RootInfo>,
    /// Inputs that could not be read, sorted by path.
    pub errors: Vec<ScanError>,
    /// Per-host summaries of a fleet report made by `sovscan merge` (absent for one host).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fleet: Option<Fleet>,
}

/// The hosts a fleet report was merged from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Fleet {
    /// One entry per host report, sorted by host.
    pub hosts: Vec<HostSummary>,
}

/// One host's report in a fleet report.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HostSummary {
    /// Host name (the report's `scan.host`, else the report file's name).
    pub host: String,
    /// The report file merged.
    pub report: String,
    /// When that scan started.
    pub started: String,
    /// Its number of components.
    pub components: usize,
    /// Its components per origin class.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub by_origin: BTreeMap<String, usize>,
    /// Its number of errors.
    pub errors: usize,
}

impl Report {
    /// Sort everything that has an order so serialisation is byte-identical across runs.
    pub fn normalise(&mut self) {
        for c in &mut self.components {
            if c.locations.len() > 1 {
                let first = c.locations[0].clone();
                c.locations[1..].sort();
                c.locations.dedup();
                if c.locations.first() != Some(&first) {
                    c.locations.retain(|l| l != &first);
                    c.locations.insert(0, first);
                }
            }
            c.evidence.sort();
            c.evidence.dedup();
        }
        sort_by_id(&mut self.components);
        self.relationships.sort();
        self.relationships.dedup();
        self.errors.sort();
        self.errors.dedup();
    }

    /// Recompute [`Summary`] from the components.
    pub fn summarise(&mut self) {
        let mut s = Summary::default();
        let nested = self.roots.len() > 1;
        for c in &self.components {
            if c.kind == ComponentKind::Certificate {
                let store = c.properties.get("store").cloned().unwrap_or_default();
                let cc = trust_country(c).unwrap_or_else(|| {
                    // An attributed vendor without a country is a community (Debian's keys).
                    if c.vendor.is_some() {
                        "international"
                    } else {
                        "unknown"
                    }
                    .to_owned()
                });
                *s.trust_anchors
                    .entry(store)
                    .or_default()
                    .entry(cc)
                    .or_default() += 1;
            }
            if let Some(cc) = c.properties.get("anchor-country") {
                *s.signing_anchors.entry(cc.clone()).or_default() += 1;
            }
        }
        for c in self.components.iter().filter(|c| c.counted()) {
            s.components += 1;
            if let Some(signed) = signer_country(c) {
                *s.by_signer_country
                    .entry(signed.unwrap_or_else(|| "unknown".to_owned()))
                    .or_default() += 1;
            }
            if let (true, Some(r)) = (nested, &c.root) {
                *s.by_root.entry(r.clone()).or_default() += 1;
            }
            if let Some(o) = c.origin {
                *s.by_origin.entry(o.as_str().to_owned()).or_default() += 1;
            }
            let country = c.vendor.as_deref().and_then(owner_country);
            if let Some(cc) = &country {
                *s.by_country.entry(cc.clone()).or_default() += 1;
            }
            if let Some(v) = &c.vendor {
                let owner = v.ultimate_owner.clone().unwrap_or_else(|| v.id.clone());
                *s.by_vendor.entry(owner).or_default() += 1;
            }
            match c.category_id() {
                Some(cat) => {
                    let key = match (c.origin, &country) {
                        (Some(o), _) => o.as_str().to_owned(),
                        (None, Some(cc)) => cc.clone(),
                        (None, None) => "unknown".to_owned(),
                    };
                    *s.by_category
                        .entry(cat.to_owned())
                        .or_default()
                        .entry(key)
                        .or_default() += 1;
                }
                None => s.uncategorised += 1,
            }
        }
        if !s.by_origin.is_empty() {
            let unknown = s.by_origin.get(Origin::Unknown.as_str()).copied();
            s.known_origin = Some(s.components - unknown.unwrap_or(0));
        }
        for r in &mut self.roots {
            r.components = self
                .components
                .iter()
                .filter(|c| c.counted() && c.root.as_deref() == Some(r.path.as_str()))
                .count();
        }
        self.summary = s;
    }
}

/// The party that signed a component: its `signer`, else its vendor when the vendor's own
/// signing certificate matched (`signer-subject` evidence attributed to it).
pub fn signer_of(c: &Component) -> Option<&Party> {
    if c.signer.is_some() {
        return c.signer.as_deref();
    }
    let v = c.vendor.as_deref()?;
    let suffix = format!(":{}", v.id);
    c.evidence
        .iter()
        .any(|e| {
            e.kind == EvidenceKind::SignerSubject
                && e.rule.as_deref().is_some_and(|r| r.ends_with(&suffix))
        })
        .then_some(v)
}

/// For a signed component (one with a signing certificate), the country of its signer's
/// ultimate owner (`None` inside when the certificate names no known vendor); `None` for an
/// unsigned one.
pub fn signer_country(c: &Component) -> Option<Option<String>> {
    let signed = c.evidence.iter().any(|e| {
        matches!(
            e.kind,
            EvidenceKind::SignerSubject | EvidenceKind::AttestationSigner
        )
    });
    signed.then(|| signer_of(c).and_then(owner_country))
}

/// The country a trust anchor is owned in: its vendor's ultimate owner's (from the rules),
/// else the certificate subject's own `C=` (the `subject-country` property).
pub fn trust_country(c: &Component) -> Option<String> {
    c.vendor
        .as_deref()
        .and_then(owner_country)
        .or_else(|| c.properties.get("subject-country").cloned())
}

/// The country that decides origin: the ultimate owner's, else the vendor's own.
pub fn owner_country(p: &Party) -> Option<String> {
    p.owner_country.clone().or_else(|| p.country.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The in-place sort gives what a stable sort gives, equal ids kept in their order.
    #[test]
    fn components_sort_by_id_stably_in_place() {
        let mut x = 7u32;
        let mut comps: Vec<Component> = (0..500)
            .map(|i| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                let mut c = Component::new(ComponentKind::Package, None, "n", None);
                c.id = format!("id-{}", (x >> 16) % 97);
                c.name = format!("{i}");
                c
            })
            .collect();
        let mut want = comps.clone();
        want.sort_by(|a, b| a.id.cmp(&b.id));
        sort_by_id(&mut comps);
        let key = |v: &[Component]| {
            v.iter()
                .map(|c| (c.id.clone(), c.name.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(key(&comps), key(&want));
        sort_by_id(&mut []);
    }
}
