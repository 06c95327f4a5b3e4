//! The rule database's file schema: the raw shapes read from YAML, with unknown keys refused.
//! Meaning (country codes, dangling references, duplicates) is checked in [`super::validate`].

use serde::{Deserialize, Serialize};

/// What sort of organisation a vendor is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum VendorKind {
    /// A company.
    #[default]
    Company,
    /// A community project with no legal owner.
    Community,
    /// A foundation or non-profit.
    Foundation,
    /// A government body or state institute.
    Government,
}

/// Identifiers that attribute evidence to a vendor. Every list is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Matchers {
    /// Company names and variants; compared after normalisation (case, punctuation and legal
    /// forms such as "Co., Ltd." ignored). Matched exactly, and as whole words inside longer
    /// names (copyright lines, maintainer names) at a lower strength.
    #[serde(default)]
    pub names: Vec<String>,
    /// E-mail domains; a domain also matches its subdomains (never past a public suffix).
    #[serde(default)]
    pub email_domains: Vec<String>,
    /// URL hosts (match subdomains too) or code-host organisations (`github.com/openssl`).
    #[serde(default)]
    pub url_hosts: Vec<String>,
    /// PCI vendor ids, 4 lower-case hex digits.
    #[serde(default)]
    pub pci_vendor_ids: Vec<String>,
    /// USB vendor ids, 4 lower-case hex digits.
    #[serde(default)]
    pub usb_vendor_ids: Vec<String>,
    /// Code-signing certificate subject organisations (`O=`).
    #[serde(default)]
    pub signer_subjects: Vec<String>,
    /// Device-tree vendor prefixes (`hisilicon`).
    #[serde(default)]
    pub dt_prefixes: Vec<String>,
    /// CPU vendor ids: x86 CPUID strings (`GenuineIntel`) or ARM implementers (`arm:0x41`).
    #[serde(default)]
    pub cpu_ids: Vec<String>,
    /// Java groupId prefixes (`com.alibaba`).
    #[serde(default)]
    pub java_groups: Vec<String>,
    /// npm scopes (`@alicloud`).
    #[serde(default)]
    pub npm_scopes: Vec<String>,
    /// Go module path prefixes (`github.com/pingcap`).
    #[serde(default)]
    pub go_modules: Vec<String>,
    /// Strings searched for by the deep byte scan (weak evidence).
    #[serde(default)]
    pub strings: Vec<String>,
    /// Paths of device firmware relative to `lib/firmware`, in the linux-firmware `WHENCE`
    /// layout: a directory prefix ending in `/` (`rtl_nic/`) or a glob (`iwlwifi-*`). When
    /// several match, the longest pattern wins.
    #[serde(default)]
    pub firmware_paths: Vec<String>,
    /// Device firmware formats this vendor's drivers define, as recognised from a blob's bytes
    /// (`iwlwifi-tlv`; the values are listed in `collectors::linux_firmware::blob::FORMATS`).
    #[serde(default)]
    pub firmware_formats: Vec<String>,
}

/// One evidence example that must attribute to its vendor (`sovscan rules test`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Example {
    /// Evidence kind (kebab-case, as in reports).
    pub kind: crate::model::EvidenceKind,
    /// Evidence value.
    pub value: String,
}

/// A vendor entry of `rules/vendors/<cc>.yaml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawVendor {
    /// Stable id (kebab-case).
    pub id: String,
    /// Legal name.
    pub name: String,
    /// ISO 3166-1 alpha-2 country of incorporation or headquarters; `null` for communities.
    #[serde(default)]
    pub country: Option<String>,
    /// Organisation kind.
    #[serde(default)]
    pub kind: VendorKind,
    /// Whether it counts as `international` (default: true for community and foundation).
    #[serde(default)]
    pub international: Option<bool>,
    /// Vendor id of the owner, if another vendor owns it.
    #[serde(default)]
    pub parent: Option<String>,
    /// URLs that back the country and ownership facts.
    #[serde(default)]
    pub sources: Vec<String>,
    /// Matchers.
    #[serde(default, rename = "match")]
    pub matchers: Matchers,
    /// Evidence that must attribute to this vendor.
    #[serde(default)]
    pub examples: Vec<Example>,
    /// Free-form note for reviewers.
    #[serde(default)]
    pub note: Option<String>,
    /// Vendor ids whose matchers this vendor's win over where both claim the same identifier
    /// (a subsidiary sharing its parent's e-mail domain, a PCI id transferred with a business).
    #[serde(default)]
    pub precedence_over: Vec<String>,
}

/// Product matchers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductMatchers {
    /// Package names as `ecosystem:name` (`deb:openssl`, `rpm:openssl-libs`, `npm:react`).
    #[serde(default)]
    pub packages: Vec<String>,
    /// Binary or library file names (`libssl.so.3`, `oracle`).
    #[serde(default)]
    pub binaries: Vec<String>,
}

/// A product entry of `rules/products/<category>.yaml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProduct {
    /// Stable id.
    pub id: String,
    /// Product name.
    pub name: String,
    /// Vendor id that makes it.
    pub vendor: String,
    /// Category (`operating-system`, `database`, …).
    pub category: String,
    /// `low`, `medium`, `high` or `critical`.
    #[serde(default)]
    pub criticality: Option<String>,
    /// Matchers.
    #[serde(default, rename = "match")]
    pub matchers: ProductMatchers,
    /// Product ids that can replace it.
    #[serde(default)]
    pub alternatives: Vec<String>,
    /// Sources.
    #[serde(default)]
    pub sources: Vec<String>,
}

/// A member of an entity list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListMember {
    /// Vendor id.
    pub vendor: String,
    /// The entity as the list names it.
    #[serde(default)]
    pub listed_as: Option<String>,
    /// Date added (YYYY-MM-DD).
    #[serde(default)]
    pub added: Option<String>,
    /// Source for this entry, if more specific than the list's.
    #[serde(default)]
    pub source: Option<String>,
}

/// A named entity list of `rules/lists/<id>.yaml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawList {
    /// Stable id (`us-fcc-covered`).
    pub id: String,
    /// Name.
    pub name: String,
    /// Issuing authority.
    pub authority: String,
    /// ISO country (or region) of the authority.
    #[serde(default)]
    pub country: Option<String>,
    /// Date of the version transcribed (YYYY-MM-DD).
    pub date: String,
    /// Sources.
    pub sources: Vec<String>,
    /// Members.
    pub members: Vec<ListMember>,
}

/// What binds a region's members, which decides whether the plan ranks its makers right after
/// domestic ones: a union or an alliance does, a forum (G20, OECD) does not.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "kebab-case")]
pub enum RegionKind {
    /// A political, economic or customs union, or a single market (EU, EEA, EAEU).
    #[default]
    Union,
    /// A defence or intelligence alliance or a security organisation (NATO, Five Eyes, SCO).
    Alliance,
    /// A forum of governments without a common market or mutual commitment (G7, G20, OECD).
    Forum,
}

/// A region of `rules/regions.yaml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRegion {
    /// Id usable wherever a country is (`EU`).
    pub id: String,
    /// Name.
    pub name: String,
    /// What binds the members (default `union`).
    #[serde(default)]
    pub kind: RegionKind,
    /// Member countries.
    pub countries: Vec<String>,
    /// Sources.
    #[serde(default)]
    pub sources: Vec<String>,
}

/// What evidence puts a component into a category. Every list is optional; see
/// [`crate::category`] for the order in which they are tried.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategoryMatchers {
    /// PCI vendor ids (`1a03`) or vendor:device ids (`8086:1572`) whose devices are of this
    /// category whatever their class code says (an ASPEED VGA function is the BMC's).
    #[serde(default)]
    pub pci_ids: Vec<String>,
    /// PCI class codes: a base class (`03`) or base class and subclass (`0c03`), lower-case
    /// hex; the longest matching code wins.
    #[serde(default)]
    pub pci_classes: Vec<String>,
    /// USB class codes (`e0`), of the device, else of its first interface.
    #[serde(default)]
    pub usb_classes: Vec<String>,
    /// Roles a collector states for what it read (`cpu`, `dmi:system`, `disk:rotational`,
    /// `efi:application`, `bootrom`; the full list is in `rules/README.md`).
    #[serde(default)]
    pub roles: Vec<String>,
    /// Device firmware paths relative to `lib/firmware`, as in vendors' `firmware_paths`.
    #[serde(default)]
    pub firmware_paths: Vec<String>,
    /// Device firmware formats recognised from a blob's bytes (`iwlwifi-tlv`).
    #[serde(default)]
    pub firmware_formats: Vec<String>,
    /// Package sections (dpkg `Section`, without an area prefix such as `non-free/`).
    #[serde(default)]
    pub sections: Vec<String>,
    /// Package ecosystems every package of which is of this category (`pypi`: a library).
    #[serde(default)]
    pub ecosystems: Vec<String>,
}

/// A category of `rules/categories.yaml`: one vocabulary for hardware, firmware and software
/// components and for products.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCategory {
    /// Stable id (`nic`, `database`).
    pub id: String,
    /// Name.
    pub name: String,
    /// `hardware`, `firmware`, `software`: what kinds of component it describes.
    pub applies_to: Vec<String>,
    /// `low`, `medium`, `high` or `critical`: how much a system depends on it.
    pub criticality: String,
    /// Categories whose products replace a component of this one (default: itself). CPU
    /// microcode is replaced with the CPU (`[cpu]`).
    #[serde(default)]
    pub replaced_by: Vec<String>,
    /// Evidence that puts a component into it.
    #[serde(default, rename = "match")]
    pub matchers: CategoryMatchers,
    /// Where the mapping can be checked (class-code specifications, section lists).
    #[serde(default)]
    pub sources: Vec<String>,
    /// Free-form note for reviewers.
    #[serde(default)]
    pub note: Option<String>,
}

/// `rules/db.yaml`: the database's own metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMeta {
    /// Database version.
    pub version: String,
}
