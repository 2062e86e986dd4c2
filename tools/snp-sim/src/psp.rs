//! The simulated PSP: holds VMPCK0, opens guest messages with RustCrypto's
//! AES-256-GCM (not the module), builds an ATTESTATION_REPORT (version 3
//! layout) and signs it with a test VCEK (ECDSA P-384, RustCrypto p384).
//!
//! [`PspBehaviour`] makes it answer wrongly on purpose, for the hostile
//! tests.

use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce, Tag};
use p384::ecdsa::signature::Signer;
use p384::ecdsa::{Signature, SigningKey, VerifyingKey};
use svsm_snp::guest_msg::{
    AAD_OFFSET, HEADER_SIZE, Header, MsgType, REPORT_REQUEST_SIZE, REPORT_SIZE, TAG_LEN, iv,
};

/// Firmware error codes the PSP answers a refused message with (SEV-SNP
/// firmware ABI, status codes).
pub const FW_INVALID_PARAM: u32 = 0x16;
pub const FW_AEAD_OFLOW: u32 = 0x1b;
pub const FW_BAD_SEQNO: u32 = 0x26;

/// The report's signed prefix and signature offset.
pub const REPORT_SIGNED_LEN: usize = 0x2a0;

/// How the PSP answers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PspBehaviour {
    #[default]
    Honest,
    /// The response's tag is altered after sealing (a forged response).
    ForgeTag,
    /// The response is the previous exchange's response again.
    Replay,
    /// The response is correctly sealed but carries sequence number + 3.
    WrongSeqno,
}

/// The simulated PSP firmware.
pub struct Psp {
    cipher: Aes256Gcm,
    vmpck0: [u8; 32],
    /// The sequence number the next request must carry.
    expected_seqno: u64,
    vcek: SigningKey,
    /// MEASUREMENT of the reports.
    pub measurement: [u8; 48],
    /// CHIP_ID of the reports.
    pub chip_id: [u8; 64],
    pub behaviour: PspBehaviour,
    previous: Option<Vec<u8>>,
    /// Reports signed so far.
    pub reports: u64,
}

impl Psp {
    /// A PSP whose VMPCK0 is `vmpck0`, with a fixed test VCEK.
    pub fn new(vmpck0: [u8; 32]) -> Self {
        let vcek = SigningKey::from_slice(&[0x5a; 48]).expect("0x5a..5a is a valid P-384 scalar");
        Self {
            cipher: Aes256Gcm::new(&vmpck0.into()),
            vmpck0,
            expected_seqno: 1,
            vcek,
            measurement: [0x4d; 48],
            chip_id: core::array::from_fn(|i| i as u8 + 1),
            behaviour: PspBehaviour::Honest,
            previous: None,
            reports: 0,
        }
    }

    /// VMPCK0, to lay into the simulated secrets page.
    pub fn vmpck0(&self) -> [u8; 32] {
        self.vmpck0
    }

    /// The VCEK's public key.
    pub fn vcek_public(&self) -> VerifyingKey {
        *self.vcek.verifying_key()
    }

    /// The VCEK (the tests build its certificate with it).
    pub fn vcek(&self) -> &SigningKey {
        &self.vcek
    }

    /// Handles the guest message in `request` (one page); returns the
    /// response message, or the firmware error.
    pub fn handle(&mut self, request: &[u8]) -> Result<Vec<u8>, u32> {
        let mut head = [0u8; HEADER_SIZE];
        head.copy_from_slice(request.get(..HEADER_SIZE).ok_or(FW_INVALID_PARAM)?);
        let header = Header::decode(&head).map_err(|_| FW_INVALID_PARAM)?;
        if header.vmpck != 0 || header.msg_type != MsgType::ReportRequest {
            return Err(FW_INVALID_PARAM);
        }
        if header.seqno != self.expected_seqno {
            return Err(FW_BAD_SEQNO);
        }
        let len = usize::from(header.msg_size);
        let mut payload = request
            .get(HEADER_SIZE..HEADER_SIZE + len)
            .ok_or(FW_INVALID_PARAM)?
            .to_vec();
        self.cipher
            .decrypt_in_place_detached(
                &Nonce::from(iv(header.seqno)),
                &head[AAD_OFFSET..],
                &mut payload,
                &Tag::from(header.tag),
            )
            .map_err(|_| FW_AEAD_OFLOW)?;
        if payload.len() != REPORT_REQUEST_SIZE {
            return Err(FW_INVALID_PARAM);
        }
        let mut report_data = [0u8; 64];
        report_data.copy_from_slice(&payload[..64]);
        let vmpl = u32::from_le_bytes([payload[64], payload[65], payload[66], payload[67]]);
        let key_sel = u32::from_le_bytes([payload[68], payload[69], payload[70], payload[71]]);
        if vmpl > 3 || key_sel > 2 || payload[72..].iter().any(|b| *b != 0) {
            return Err(FW_INVALID_PARAM);
        }

        let report = self.report(&report_data, vmpl);
        let mut body = vec![0u8; 0x20];
        body[4..8].copy_from_slice(&(REPORT_SIZE as u32).to_le_bytes());
        body.extend_from_slice(&report);

        let response_seqno = header.seqno + 1;
        self.expected_seqno = header.seqno + 2;
        let sealed_seqno = match self.behaviour {
            PspBehaviour::WrongSeqno => response_seqno + 2,
            _ => response_seqno,
        };
        let mut response = self.seal(MsgType::ReportResponse, sealed_seqno, &body);
        match self.behaviour {
            PspBehaviour::ForgeTag => response[3] ^= 0x80,
            PspBehaviour::Replay => {
                if let Some(previous) = self.previous.clone() {
                    response = previous;
                }
            }
            PspBehaviour::Honest | PspBehaviour::WrongSeqno => {}
        }
        self.previous = Some(response.clone());
        Ok(response)
    }

    /// A whole message: header with `seqno`, payload sealed under VMPCK0.
    fn seal(&self, msg_type: MsgType, seqno: u64, payload: &[u8]) -> Vec<u8> {
        let mut head = Header::unsealed(msg_type, seqno, payload.len() as u16).encode();
        let mut body = payload.to_vec();
        let tag = self
            .cipher
            .encrypt_in_place_detached(&Nonce::from(iv(seqno)), &head[AAD_OFFSET..], &mut body)
            .expect("a page-sized payload always seals");
        head[..TAG_LEN].copy_from_slice(&tag);
        let mut out = head.to_vec();
        out.extend_from_slice(&body);
        out
    }

    /// An ATTESTATION_REPORT, version 3 (SEV-SNP firmware ABI), signed by
    /// the VCEK over bytes 0..0x2A0 (ECDSA P-384, SHA-384; r and s little
    /// endian in 72-byte fields).
    fn report(&mut self, report_data: &[u8; 64], vmpl: u32) -> [u8; REPORT_SIZE] {
        let mut r = [0u8; REPORT_SIZE];
        let tcb: u64 = 0x1500_0000_0000_0003; // SNP 0x15, microcode 0, TEE 0, boot loader 3
        r[0x00..0x04].copy_from_slice(&3u32.to_le_bytes()); // version
        r[0x08..0x10].copy_from_slice(&0x3_0000u64.to_le_bytes()); // policy: SMT, reserved bit 17
        r[0x30..0x34].copy_from_slice(&vmpl.to_le_bytes());
        r[0x34..0x38].copy_from_slice(&1u32.to_le_bytes()); // ECDSA P-384 with SHA-384
        r[0x38..0x40].copy_from_slice(&tcb.to_le_bytes()); // current TCB
        r[0x50..0x90].copy_from_slice(report_data);
        r[0x90..0xc0].copy_from_slice(&self.measurement);
        r[0x140..0x160].copy_from_slice(&[0x11; 32]); // report id
        r[0x180..0x188].copy_from_slice(&tcb.to_le_bytes()); // reported TCB
        r[0x188] = 0x19; // CPUID family (Genoa)
        r[0x189] = 0x11; // model
        r[0x18a] = 0x01; // stepping
        r[0x1a0..0x1e0].copy_from_slice(&self.chip_id);
        r[0x1e0..0x1e8].copy_from_slice(&tcb.to_le_bytes()); // committed TCB
        r[0x1e8..0x1eb].copy_from_slice(&[4, 55, 1]); // current build, minor, major
        r[0x1ec..0x1ef].copy_from_slice(&[4, 55, 1]); // committed
        r[0x1f0..0x1f8].copy_from_slice(&tcb.to_le_bytes()); // launch TCB

        let signature: Signature = self.vcek.sign(&r[..REPORT_SIGNED_LEN]);
        let (sig_r, sig_s) = signature.split_bytes();
        for (dst, src) in r[0x2a0..0x2a0 + 48].iter_mut().zip(sig_r.iter().rev()) {
            *dst = *src;
        }
        for (dst, src) in r[0x2e8..0x2e8 + 48].iter_mut().zip(sig_s.iter().rev()) {
            *dst = *src;
        }
        self.reports += 1;
        r
    }
}
