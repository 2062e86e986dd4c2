//! Big-endian TPM marshalling with every length checked against the buffer.

use alloc::vec::Vec;

use crate::rc::Rc;

/// Reads TPM types from a byte slice; running short is TPM_RC_INSUFFICIENT.
pub struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf }
    }

    pub fn remaining(&self) -> usize {
        self.buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8], Rc> {
        if n > self.buf.len() {
            return Err(Rc::INSUFFICIENT);
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }

    pub fn rest(&mut self) -> &'a [u8] {
        core::mem::take(&mut self.buf)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], Rc> {
        let mut a = [0; N];
        a.copy_from_slice(self.bytes(N)?);
        Ok(a)
    }

    pub fn u8(&mut self) -> Result<u8, Rc> {
        Ok(self.array::<1>()?[0])
    }

    pub fn u16(&mut self) -> Result<u16, Rc> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    pub fn u32(&mut self) -> Result<u32, Rc> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    pub fn u64(&mut self) -> Result<u64, Rc> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    /// A TPM2B: a u16 size and that many bytes, at most `max`
    /// (TPM_RC_SIZE when larger).
    pub fn tpm2b(&mut self, max: usize) -> Result<&'a [u8], Rc> {
        let n = usize::from(self.u16()?);
        if n > max {
            return Err(Rc::SIZE);
        }
        self.bytes(n)
    }
}

/// Appends TPM types to a vector.
#[derive(Default)]
pub struct Writer {
    pub buf: Vec<u8>,
}

impl Writer {
    pub fn new() -> Self {
        Writer::default()
    }

    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.buf.push(v);
        self
    }

    pub fn u16(&mut self, v: u16) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }

    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }

    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }

    pub fn bytes(&mut self, v: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(v);
        self
    }

    /// A TPM2B. Every caller passes at most a page of engine-produced bytes,
    /// so the size fits in u16; a larger slice is truncated to keep the
    /// encoding well-formed.
    pub fn tpm2b(&mut self, v: &[u8]) -> &mut Self {
        let n = v.len().min(usize::from(u16::MAX));
        self.u16(n as u16);
        self.bytes(&v[..n])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_checks_every_length() {
        let mut r = Reader::new(&[0, 3, 1, 2]);
        assert_eq!(r.tpm2b(8), Err(Rc::INSUFFICIENT));
        let mut r = Reader::new(&[0, 3, 1, 2, 3]);
        assert_eq!(r.tpm2b(2), Err(Rc::SIZE));
        let mut r = Reader::new(&[0, 2, 1, 2, 9]);
        assert_eq!(r.tpm2b(2), Ok(&[1u8, 2][..]));
        assert_eq!(r.u16(), Err(Rc::INSUFFICIENT));
        assert_eq!(r.u8(), Ok(9));
        assert!(r.is_empty());
    }
}
