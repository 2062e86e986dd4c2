//! NV indices of type ordinary: NV_DefineSpace, NV_UndefineSpace, NV_Write,
//! NV_Read, NV_ReadPublic (Part 3, 31). The store lives in the [`Tpm`]
//! value (persistent for as long as it is); counters, bit fields, extend
//! and PIN indices are not offered (TPM_RC_ATTRIBUTES).

use alloc::vec::Vec;

use crate::consts::*;
use crate::crypto::{TpmCrypto, TpmHash};
use crate::engine::{Command, LIMITS, Response, Secret, Tpm, auth_value, hash_alg, hash_alg_id};
use crate::marshal::{Reader, Writer};
use crate::rc::Rc;

// TPMA_NV
const PPWRITE: u32 = 1 << 0;
const OWNERWRITE: u32 = 1 << 1;
const AUTHWRITE: u32 = 1 << 2;
const POLICYWRITE: u32 = 1 << 3;
const TPM_NT_MASK: u32 = 0xF << 4;
const POLICY_DELETE: u32 = 1 << 10;
const WRITELOCKED: u32 = 1 << 11;
const WRITEALL: u32 = 1 << 12;
const PPREAD: u32 = 1 << 16;
const OWNERREAD: u32 = 1 << 17;
const AUTHREAD: u32 = 1 << 18;
const POLICYREAD: u32 = 1 << 19;
const NO_DA: u32 = 1 << 25;
const READLOCKED: u32 = 1 << 28;
const WRITTEN: u32 = 1 << 29;
const PLATFORMCREATE: u32 = 1 << 30;
/// Bits Part 2 reserves (8, 9, 20-24).
const RESERVED: u32 = 0x01F0_0300;
/// Lock attributes the engine does not offer (no NV_*Lock commands).
const UNOFFERED: u32 = (1 << 14) | (1 << 15) | (1 << 13) | (1 << 27) | (1 << 31) | (1 << 26);

/// One NV index.
pub(crate) struct NvIndex {
    pub index: u32,
    pub name_alg: TpmHash,
    pub attributes: u32,
    pub auth_policy: Vec<u8>,
    pub data: Vec<u8>,
    pub auth: Secret,
    pub name: Vec<u8>,
}

impl NvIndex {
    pub fn no_da(&self) -> bool {
        self.attributes & NO_DA != 0
    }

    /// TPMS_NV_PUBLIC.
    fn public(&self) -> Writer {
        let mut w = Writer::new();
        w.u32(self.index)
            .u16(hash_alg_id(self.name_alg))
            .u32(self.attributes)
            .tpm2b(&self.auth_policy)
            .u16(self.data.len() as u16);
        w
    }
}

/// The NV indices.
#[derive(Default)]
pub(crate) struct NvStore {
    indices: Vec<NvIndex>,
}

impl NvStore {
    pub fn get(&self, h: u32) -> Option<&NvIndex> {
        self.indices.iter().find(|i| i.index == h)
    }

    fn get_mut(&mut self, h: u32) -> Option<&mut NvIndex> {
        self.indices.iter_mut().find(|i| i.index == h)
    }

    pub fn len(&self) -> usize {
        self.indices.len()
    }

    pub fn handles(&self) -> Vec<u32> {
        self.indices.iter().map(|i| i.index).collect()
    }

    fn bytes(&self) -> usize {
        self.indices.iter().map(|i| i.data.len()).sum()
    }

    /// Keeps the indices `keep` accepts (TPM2_Clear keeps the platform's).
    pub fn retain(&mut self, keep: impl Fn(&NvIndex) -> bool) {
        self.indices.retain(keep);
    }

    /// Whether the index was created by the platform.
    pub fn platform_created(i: &NvIndex) -> bool {
        i.attributes & PLATFORMCREATE != 0
    }
}

impl<C: TpmCrypto> Tpm<C> {
    fn nv_name(&self, index: &NvIndex) -> Result<Vec<u8>, Rc> {
        self.name(index.name_alg, &index.public().buf)
    }

    /// TPM2_NV_DefineSpace.
    pub(crate) fn nv_define_space(&mut self, cmd: &mut Command<'_>) -> Result<Response, Rc> {
        let auth = Self::param(cmd, 1, |r| r.tpm2b(48))?;
        let public = Self::param(cmd, 2, |r| r.tpm2b(128))?;
        Self::end(cmd)?;
        let p2 = |rc: Rc| rc.param(2);
        let mut r = Reader::new(public);
        let index = r.u32().map_err(p2)?;
        let name_alg = hash_alg(r.u16().map_err(p2)?).map_err(p2)?;
        let attributes = r.u32().map_err(p2)?;
        let auth_policy = r.tpm2b(48).map_err(p2)?.to_vec();
        let size = usize::from(r.u16().map_err(p2)?);
        if !r.is_empty() {
            return Err(Rc::SIZE.param(2));
        }
        if handle_type(index) != HT_NV_INDEX {
            return Err(Rc::HANDLE.param(2));
        }
        if attributes & RESERVED != 0 {
            return Err(Rc::RESERVED_BITS.param(2));
        }
        let platform = cmd.handles[0] == RH_PLATFORM;
        let writes = attributes & (PPWRITE | OWNERWRITE | AUTHWRITE | POLICYWRITE) != 0;
        let reads = attributes & (PPREAD | OWNERREAD | AUTHREAD | POLICYREAD) != 0;
        if attributes & TPM_NT_MASK != 0
            || attributes & (WRITELOCKED | READLOCKED | WRITTEN | POLICY_DELETE | UNOFFERED) != 0
            || !writes
            || !reads
            || (attributes & PLATFORMCREATE != 0) != platform
        {
            return Err(Rc::ATTRIBUTES.param(2));
        }
        if auth.len() > name_alg.digest_len() {
            return Err(Rc::SIZE.param(1));
        }
        if size > LIMITS.nv_index_max {
            return Err(Rc::SIZE.param(2));
        }
        if self.nv.get(index).is_some() {
            return Err(Rc::NV_DEFINED);
        }
        if self.nv.len() >= LIMITS.nv_indices || self.nv.bytes() + size > LIMITS.nv_bytes {
            return Err(Rc::NV_SPACE);
        }
        let mut nv = NvIndex {
            index,
            name_alg,
            attributes,
            auth_policy,
            data: alloc::vec![0u8; size],
            auth: auth_value(auth),
            name: Vec::new(),
        };
        nv.name = self.nv_name(&nv)?;
        self.nv.indices.push(nv);
        Ok(Response::default())
    }

    /// TPM2_NV_UndefineSpace: the owner cannot remove a platform index.
    pub(crate) fn nv_undefine_space(&mut self, cmd: &mut Command<'_>) -> Result<Response, Rc> {
        Self::end(cmd)?;
        let (auth, h) = (cmd.handles[0], cmd.handles[1]);
        let index = self.nv.get(h).ok_or(Rc::HANDLE.handle(2))?;
        if NvStore::platform_created(index) != (auth == RH_PLATFORM) {
            return Err(Rc::NV_AUTHORIZATION);
        }
        self.nv.indices.retain(|i| i.index != h);
        Ok(Response::default())
    }

    /// Whether `auth` may write (or read) the index (Part 3, 31.3.1).
    fn nv_access(index: &NvIndex, auth: u32, write: bool) -> Result<(), Rc> {
        let (pp, owner, by_auth) = if write {
            (PPWRITE, OWNERWRITE, AUTHWRITE)
        } else {
            (PPREAD, OWNERREAD, AUTHREAD)
        };
        let allowed = match auth {
            RH_PLATFORM => index.attributes & pp != 0,
            RH_OWNER => index.attributes & owner != 0,
            h if h == index.index => index.attributes & by_auth != 0,
            _ => false,
        };
        if allowed {
            Ok(())
        } else {
            Err(Rc::NV_AUTHORIZATION)
        }
    }

    /// TPM2_NV_Write.
    pub(crate) fn nv_write(&mut self, cmd: &mut Command<'_>) -> Result<Response, Rc> {
        let data = Self::param(cmd, 1, |r| r.tpm2b(LIMITS.nv_index_max))?;
        let offset = usize::from(Self::param(cmd, 2, |r| r.u16())?);
        Self::end(cmd)?;
        let (auth, h) = (cmd.handles[0], cmd.handles[1]);
        let index = self.nv.get(h).ok_or(Rc::HANDLE.handle(2))?;
        Self::nv_access(index, auth, true)?;
        let end = offset + data.len();
        if end > index.data.len() {
            return Err(Rc::NV_RANGE);
        }
        if index.attributes & WRITEALL != 0 && data.len() != index.data.len() {
            return Err(Rc::NV_RANGE);
        }
        let first_write = index.attributes & WRITTEN == 0;
        let index = self.nv.get_mut(h).ok_or(Rc::HANDLE.handle(2))?;
        index.data[offset..end].copy_from_slice(data);
        index.attributes |= WRITTEN;
        if first_write {
            let index = self.nv.get(h).ok_or(Rc::HANDLE.handle(2))?;
            let name = self.nv_name(index)?;
            if let Some(index) = self.nv.get_mut(h) {
                index.name = name;
            }
        }
        Ok(Response::default())
    }

    /// TPM2_NV_Read.
    pub(crate) fn nv_read(&mut self, cmd: &mut Command<'_>) -> Result<Response, Rc> {
        let size = usize::from(Self::param(cmd, 1, |r| r.u16())?);
        let offset = usize::from(Self::param(cmd, 2, |r| r.u16())?);
        Self::end(cmd)?;
        let (auth, h) = (cmd.handles[0], cmd.handles[1]);
        let index = self.nv.get(h).ok_or(Rc::HANDLE.handle(2))?;
        Self::nv_access(index, auth, false)?;
        if index.attributes & WRITTEN == 0 {
            return Err(Rc::NV_UNINITIALIZED);
        }
        if size > LIMITS.nv_index_max {
            return Err(Rc::VALUE.param(1));
        }
        let end = offset + size;
        if end > index.data.len() {
            return Err(Rc::NV_RANGE);
        }
        let mut w = Writer::new();
        w.tpm2b(&index.data[offset..end]);
        Ok(Response::with(w))
    }

    /// TPM2_NV_ReadPublic.
    pub(crate) fn nv_read_public(&mut self, cmd: &mut Command<'_>) -> Result<Response, Rc> {
        Self::end(cmd)?;
        let index = self.nv.get(cmd.handles[0]).ok_or(Rc::HANDLE.handle(1))?;
        let mut w = Writer::new();
        w.tpm2b(&index.public().buf).tpm2b(&index.name);
        Ok(Response::with(w))
    }
}
