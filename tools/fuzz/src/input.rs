//! Reading a fuzz input as a stream of values: past its end every read
//! yields zero, so any byte string is a complete input.

pub struct Input<'a> {
    bytes: &'a [u8],
}

impl<'a> Input<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { bytes }
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Up to `n` bytes (fewer at the end of the input).
    pub fn take(&mut self, n: usize) -> &'a [u8] {
        let (head, rest) = self.bytes.split_at(n.min(self.bytes.len()));
        self.bytes = rest;
        head
    }

    pub fn u8(&mut self) -> u8 {
        self.take(1).first().copied().unwrap_or(0)
    }

    pub fn u16(&mut self) -> u16 {
        let mut b = [0u8; 2];
        let t = self.take(2);
        b[..t.len()].copy_from_slice(t);
        u16::from_le_bytes(b)
    }

    pub fn u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        let t = self.take(4);
        b[..t.len()].copy_from_slice(t);
        u32::from_le_bytes(b)
    }

    pub fn u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        let t = self.take(8);
        b[..t.len()].copy_from_slice(t);
        u64::from_le_bytes(b)
    }
}

#[cfg(test)]
mod tests {
    use super::Input;

    #[test]
    fn reads_little_endian_and_zero_past_the_end() {
        let mut i = Input::new(&[1, 2, 3, 4, 5]);
        assert_eq!(i.u16(), 0x0201);
        assert_eq!(i.u32(), 0x0005_0403);
        assert!(i.is_empty());
        assert_eq!(i.u64(), 0);
        assert_eq!(i.take(3), &[] as &[u8]);
    }
}
