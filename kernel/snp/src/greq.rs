//! Guest requests to the PSP: seal a message with VMPCK0 (inside the crypto
//! module), hand it to the hypervisor, open and check the answer.
//!
//! The sequence number is the AES-GCM IV, so it must never repeat under one
//! key: request `n` is answered with `n + 1` and the next request is `n + 2`.
//! As the firmware ABI requires, a response that fails to authenticate, has
//! the wrong sequence number or is malformed wipes VMPCK0 (the module key is
//! dropped, which cleanses it) and disables every further request. So does a
//! hypervisor error after which it is unknown whether the PSP consumed the
//! sequence number. Only answers that say the PSP never saw the message
//! (busy, certificate buffer too small) resend the same sealed bytes, which
//! reveals nothing new.

use svsm_crypto::{AesGcmKey, Indicator};

use crate::calls::{GuestRequestOutcome, GuestRequestPages};
use crate::ghcb::{Ghcb, GhcbError};
use crate::guest_msg::{
    AAD_OFFSET, HEADER_SIZE, Header, HeaderError, MAX_PAYLOAD, MsgType, TAG_LEN, iv,
};
use crate::hw::{PAGE_BYTES, SnpHardware};

/// How often a busy hypervisor is asked again before the request fails.
const BUSY_RETRIES: u32 = 16;

/// Why a guest request failed. Every variant but [`Self::Disabled`] and
/// [`Self::TooLarge`] has disabled requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GuestRequestError {
    /// Requests were disabled by an earlier failure (VMPCK0 is gone).
    Disabled,
    /// The payload does not fit one page with its header.
    TooLarge,
    /// The hypervisor stayed busy past the retries.
    Busy,
    /// The module failed to seal.
    Seal,
    /// The GHCB call failed.
    Ghcb(GhcbError),
    /// The response header is malformed.
    Header(HeaderError),
    /// The response is of another type or for another VMPCK, or larger than
    /// the caller's buffer.
    Unexpected,
    /// The response carries another sequence number than request + 1.
    Sequence { expected: u64, got: u64 },
    /// The response does not authenticate under VMPCK0.
    Authentication,
    /// The sequence numbers are exhausted.
    SequenceExhausted,
}

/// A completed exchange.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exchange {
    /// Bytes of response payload written.
    pub len: usize,
    /// Whether the certificate buffer was filled (extended request).
    pub certs: bool,
    /// The module's service indicator of the seal (a caller-IV seal:
    /// non-approved) and of the open.
    pub seal_indicator: Indicator,
    pub open_indicator: Indicator,
}

/// The guest-request state: VMPCK0 in the module, and the next sequence
/// number. `key` is `None` once requests are disabled.
pub struct GuestRequester {
    key: Option<AesGcmKey<'static>>,
    next_seqno: u64,
}

impl GuestRequester {
    /// Requests under `vmpck0`, starting at sequence number 1.
    pub fn new(vmpck0: AesGcmKey<'static>) -> Self {
        Self {
            key: Some(vmpck0),
            next_seqno: 1,
        }
    }

    pub fn is_enabled(&self) -> bool {
        self.key.is_some()
    }

    /// The sequence number the next request will carry.
    pub fn next_seqno(&self) -> u64 {
        self.next_seqno
    }

    /// Wipes VMPCK0 (the module cleanses the key on drop) and disables
    /// requests; returns `error` for the caller to report.
    fn disable(&mut self, error: GuestRequestError) -> GuestRequestError {
        self.key = None;
        error
    }

    /// Sends `payload` as a `msg_type` message and writes the response's
    /// payload to `response`. With `extended`, asks the hypervisor for its
    /// certificates as well (into the message pages' certificate buffer).
    pub fn request<H: SnpHardware>(
        &mut self,
        hw: &H,
        ghcb: &Ghcb,
        msg_type: MsgType,
        payload: &[u8],
        response: &mut [u8],
        extended: bool,
    ) -> Result<Exchange, GuestRequestError> {
        let Some(key) = self.key.as_mut() else {
            return Err(GuestRequestError::Disabled);
        };
        if payload.len() > MAX_PAYLOAD {
            return Err(GuestRequestError::TooLarge);
        }
        let expected_type = msg_type.response().ok_or(GuestRequestError::Unexpected)?;
        let seqno = self.next_seqno;
        let Some(response_seqno) = seqno.checked_add(1) else {
            return Err(self.disable(GuestRequestError::SequenceExhausted));
        };
        let Some(following) = seqno.checked_add(2) else {
            return Err(self.disable(GuestRequestError::SequenceExhausted));
        };

        // Seal into a private buffer, then copy to the shared page.
        let mut message = [0u8; PAGE_BYTES];
        let mut header = Header::unsealed(msg_type, seqno, payload.len() as u16).encode();
        let (head, body) = message.split_at_mut(HEADER_SIZE);
        let mut tag = [0u8; TAG_LEN];
        let seal_indicator = match key.seal_with_iv(
            &iv(seqno),
            &header[AAD_OFFSET..],
            payload,
            &mut body[..payload.len()],
            &mut tag,
        ) {
            Ok(indicator) => indicator,
            Err(_) => return Err(self.disable(GuestRequestError::Seal)),
        };
        // From here on this sequence number is used: whatever happens, it is
        // never sealed under again.
        self.next_seqno = following;
        header[..TAG_LEN].copy_from_slice(&tag);
        head.copy_from_slice(&header);
        let used = HEADER_SIZE + payload.len();

        let pages = hw.message_pages();
        let send = |certs: bool| -> Result<GuestRequestOutcome, GhcbError> {
            pages.request.clear();
            pages.request.write(0, &message[..used])?;
            pages.response.clear();
            ghcb.guest_request(
                hw,
                GuestRequestPages {
                    request: pages.request_gpa,
                    response: pages.response_gpa,
                    certs: certs.then_some((pages.certs_gpa, pages.certs.len() as u64)),
                },
            )
        };
        let mut with_certs = extended;
        let mut busy = 0;
        loop {
            match send(with_certs) {
                Ok(GuestRequestOutcome::Done) => break,
                Ok(GuestRequestOutcome::Busy) if busy < BUSY_RETRIES => busy += 1,
                Ok(GuestRequestOutcome::Busy) => {
                    return Err(self.disable(GuestRequestError::Busy));
                }
                // The PSP did not see the message: send the same bytes
                // without asking for certificates.
                Ok(GuestRequestOutcome::CertsTooSmall(_)) if with_certs => with_certs = false,
                Ok(GuestRequestOutcome::CertsTooSmall(_)) => {
                    return Err(self.disable(GuestRequestError::Unexpected));
                }
                Err(e) => return Err(self.disable(GuestRequestError::Ghcb(e))),
            }
        }

        // One copy of the response; every check runs on the copy.
        let mut answer = [0u8; PAGE_BYTES];
        if pages.response.read(0, &mut answer).is_err() {
            return Err(self.disable(GuestRequestError::Unexpected));
        }
        let (head, body) = answer.split_at(HEADER_SIZE);
        let mut head_bytes = [0u8; HEADER_SIZE];
        head_bytes.copy_from_slice(head);
        let reply = match Header::decode(&head_bytes) {
            Ok(reply) => reply,
            Err(e) => return Err(self.disable(GuestRequestError::Header(e))),
        };
        if reply.seqno != response_seqno {
            return Err(self.disable(GuestRequestError::Sequence {
                expected: response_seqno,
                got: reply.seqno,
            }));
        }
        let len = usize::from(reply.msg_size);
        if reply.msg_type != expected_type || reply.vmpck != 0 || len > response.len() {
            return Err(self.disable(GuestRequestError::Unexpected));
        }
        let Some(key) = self.key.as_mut() else {
            return Err(GuestRequestError::Disabled);
        };
        let open_indicator = match key.open(
            &iv(response_seqno),
            &head_bytes[AAD_OFFSET..],
            &body[..len],
            &reply.tag,
            &mut response[..len],
        ) {
            Ok(indicator) => indicator,
            Err(_) => return Err(self.disable(GuestRequestError::Authentication)),
        };
        Ok(Exchange {
            len,
            certs: with_certs,
            seal_indicator,
            open_indicator,
        })
    }
}
