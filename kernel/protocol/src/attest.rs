//! The Attestation protocol (id 1), version 1.
//!
//! Both calls take the GPA of an operation structure in RCX (read by copy,
//! any alignment; every reserved byte must be zero), and produce three
//! outputs in the guest's buffers: the services manifest (all services, or
//! the one service asked for), the platform's certificates, and an
//! attestation report whose REPORT_DATA is SHA-512(nonce || manifest),
//! computed by the crypto module. On success RCX, RDX and R8 hold the sizes
//! written; when a buffer is too small the call answers INVALID_PARAMETER
//! with the sizes needed in the same registers, and writes nothing.
//!
//! The protocol is offered only while the crypto module is operational (see
//! [`crate::dispatch::Protocol::needs_crypto`]).

use alloc::vec;
use alloc::vec::Vec;

use zerocopy::byteorder::little_endian::{U16, U32, U64};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use crate::addr::GuestPhysAddr;
use crate::dispatch::{Args, Call, Outputs, Protocol, Service, Svsm};
use crate::error::SvsmError;
use crate::memory::{self, GuestMemory, Rules};

pub const PROTOCOL_ID: u32 = 1;
pub const ATTEST_SERVICES: u32 = 0;
pub const ATTEST_SINGLE_SERVICE: u32 = 1;

/// The only nonce size accepted.
pub const NONCE_SIZE: u16 = 64;

/// GUID of the services manifest header, in its byte encoding (the first
/// three fields little endian, as in the SVSM specification).
pub const SERVICES_MANIFEST_GUID: [u8; 16] = guid(
    0x6384_9ebb,
    0x3d92,
    0x4670,
    [0xa1, 0xff, 0x58, 0xf9, 0xc9, 0x4b, 0x87, 0xbb],
);

/// Encodes a GUID `a-b-c-d` in its wire byte order.
pub const fn guid(a: u32, b: u16, c: u16, d: [u8; 8]) -> [u8; 16] {
    let a = a.to_le_bytes();
    let b = b.to_le_bytes();
    let c = c.to_le_bytes();
    [
        a[0], a[1], a[2], a[3], b[0], b[1], c[0], c[1], d[0], d[1], d[2], d[3], d[4], d[5], d[6],
        d[7],
    ]
}

pub static PROTOCOL: Protocol = Protocol {
    id: PROTOCOL_ID,
    name: "attestation",
    min_version: 1,
    max_version: 1,
    needs_crypto: true,
    calls: &[
        Call {
            id: ATTEST_SERVICES,
            name: "ATTEST_SERVICES",
            handler: attest_services,
        },
        Call {
            id: ATTEST_SINGLE_SERVICE,
            name: "ATTEST_SINGLE_SERVICE",
            handler: attest_single_service,
        },
    ],
};

/// The ATTEST_SERVICES operation (64 bytes, packed, little endian).
#[derive(Clone, Copy, Debug, Default, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct AttestRequest {
    pub report_gpa: U64,
    pub report_size: U32,
    pub reserved1: [u8; 4],
    pub nonce_gpa: U64,
    pub nonce_size: U16,
    pub reserved2: [u8; 6],
    pub manifest_gpa: U64,
    pub manifest_size: U32,
    pub reserved3: [u8; 4],
    pub certs_gpa: U64,
    pub certs_size: U32,
    pub reserved4: [u8; 4],
}

/// The ATTEST_SINGLE_SERVICE operation (88 bytes).
#[derive(Clone, Copy, Debug, Default, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct AttestSingleRequest {
    pub common: AttestRequest,
    pub service_guid: [u8; 16],
    pub manifest_version: U32,
    pub reserved5: [u8; 4],
}

const _: () = assert!(size_of::<AttestRequest>() == 64 && size_of::<AttestSingleRequest>() == 88);

impl AttestRequest {
    fn reserved_clear(&self) -> bool {
        [
            &self.reserved1[..],
            &self.reserved2[..],
            &self.reserved3[..],
            &self.reserved4[..],
        ]
        .iter()
        .all(|r| r.iter().all(|&b| b == 0))
    }
}

/// Header of the services manifest; [`ManifestEntry`] records follow, then
/// each service's manifest.
#[derive(Clone, Copy, Debug, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct ManifestHeader {
    pub guid: [u8; 16],
    pub size: U32,
    pub count: U32,
}

/// One service in the services manifest; `offset` is from the start of the
/// services manifest.
#[derive(Clone, Copy, Debug, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct ManifestEntry {
    pub guid: [u8; 16],
    pub offset: U32,
    pub size: U32,
}

/// Builds the services manifest for `services`.
pub fn services_manifest<'s>(
    services: impl Iterator<Item = &'s Service> + Clone,
) -> Result<Vec<u8>, SvsmError> {
    let count = services.clone().count();
    let table_len = size_of::<ManifestHeader>() + count * size_of::<ManifestEntry>();
    let total = table_len + services.clone().map(|s| s.manifest.len()).sum::<usize>();
    let to_u32 = |n: usize| u32::try_from(n).map_err(|_| SvsmError::InvalidRequest);
    let mut out = Vec::with_capacity(total);
    let header = ManifestHeader {
        guid: SERVICES_MANIFEST_GUID,
        size: to_u32(total)?.into(),
        count: to_u32(count)?.into(),
    };
    out.extend_from_slice(header.as_bytes());
    let mut offset = table_len;
    for service in services.clone() {
        let entry = ManifestEntry {
            guid: service.guid,
            offset: to_u32(offset)?.into(),
            size: to_u32(service.manifest.len())?.into(),
        };
        out.extend_from_slice(entry.as_bytes());
        offset += service.manifest.len();
    }
    for service in services {
        out.extend_from_slice(&service.manifest);
    }
    Ok(out)
}

fn attest_services(
    svsm: &mut Svsm<'_>,
    mem: &dyn GuestMemory,
    args: Args,
) -> Result<Outputs, SvsmError> {
    let request: AttestRequest = memory::read(mem, GuestPhysAddr::new(args.rcx), Rules::ANY)?;
    if !request.reserved_clear() {
        return Err(SvsmError::InvalidParameter);
    }
    let manifest = services_manifest(svsm.services.iter())?;
    attest(svsm, mem, &request, &manifest)
}

/// The manifest versions of a single service this SVSM can produce.
pub const SERVICE_MANIFEST_VERSIONS: core::ops::RangeInclusive<u32> = 0..=1;

fn attest_single_service(
    svsm: &mut Svsm<'_>,
    mem: &dyn GuestMemory,
    args: Args,
) -> Result<Outputs, SvsmError> {
    let request: AttestSingleRequest = memory::read(mem, GuestPhysAddr::new(args.rcx), Rules::ANY)?;
    if !request.common.reserved_clear() || request.reserved5 != [0; 4] {
        return Err(SvsmError::InvalidParameter);
    }
    if !SERVICE_MANIFEST_VERSIONS.contains(&request.manifest_version.get()) {
        return Err(SvsmError::InvalidParameter);
    }
    let service = svsm
        .services
        .iter()
        .find(|s| s.guid == request.service_guid)
        .ok_or(SvsmError::InvalidParameter)?;
    let manifest = service.manifest.clone();
    attest(svsm, mem, &request.common, &manifest)
}

/// A guest output buffer: its address, and the size the guest gave.
fn buffer(gpa: U64, size: U32) -> (GuestPhysAddr, u64) {
    (GuestPhysAddr::new(gpa.get()), u64::from(size.get()))
}

fn attest(
    svsm: &mut Svsm<'_>,
    mem: &dyn GuestMemory,
    request: &AttestRequest,
    manifest: &[u8],
) -> Result<Outputs, SvsmError> {
    let crypto = svsm.crypto().ok_or(SvsmError::UnsupportedProtocol)?;
    let platform = svsm.platform;

    if request.nonce_size.get() != NONCE_SIZE {
        return Err(SvsmError::InvalidParameter);
    }
    let mut nonce = [0u8; NONCE_SIZE as usize];
    memory::read_bytes(
        mem,
        GuestPhysAddr::new(request.nonce_gpa.get()),
        &mut nonce,
        Rules::ANY.in_one_page(),
    )?;

    let certs = platform.certificates();
    let (manifest_len, certs_len) = (manifest.len() as u64, certs.len() as u64);
    let report_len = platform.report_size() as u64;
    let (manifest_gpa, manifest_size) = buffer(request.manifest_gpa, request.manifest_size);
    let (certs_gpa, certs_size) = buffer(request.certs_gpa, request.certs_size);
    let (report_gpa, report_size) = buffer(request.report_gpa, request.report_size);
    if manifest_size < manifest_len || certs_size < certs_len || report_size < report_len {
        return Err(SvsmError::BufferTooSmall {
            manifest: manifest_len,
            certs: certs_len,
            report: report_len,
        });
    }
    // Check every destination before writing any, so a bad address leaves
    // the guest's buffers untouched.
    memory::check(mem, manifest_gpa, manifest_len, Rules::ANY)?;
    memory::check(mem, certs_gpa, certs_len, Rules::ANY)?;
    memory::check(mem, report_gpa, report_len, Rules::ANY)?;

    let report_data = crypto
        .sha512(&[&nonce, manifest])
        .map_err(|_| SvsmError::CryptoFailure)?;
    let mut report = vec![0u8; platform.report_size()];
    platform.attestation_report(crypto, &report_data, &mut report)?;

    memory::write_bytes(mem, manifest_gpa, manifest, Rules::ANY)?;
    memory::write_bytes(mem, certs_gpa, certs, Rules::ANY)?;
    memory::write_bytes(mem, report_gpa, &report, Rules::ANY)?;
    Ok(Outputs::all(manifest_len, certs_len, report_len))
}
