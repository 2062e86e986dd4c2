//! The certificate table the hypervisor returns with an extended guest
//! request (GHCB spec, "SNP Extended Guest Request"): entries of a GUID, an
//! offset and a length, ended by an all-zero entry, followed by the
//! certificates the entries point at. All of it is hypervisor-written.

/// Size of one table entry.
pub const ENTRY_SIZE: usize = 24;

/// GUID of the VCEK certificate entry (byte encoding of
/// 63da758d-e664-4564-adc5-f4b93be8accd).
pub const VCEK_GUID: [u8; 16] = [
    0x8d, 0x75, 0xda, 0x63, 0x64, 0xe6, 0x64, 0x45, 0xad, 0xc5, 0xf4, 0xb9, 0x3b, 0xe8, 0xac, 0xcd,
];

/// Why a table is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CertTableError {
    /// No terminating entry inside the buffer.
    Unterminated,
    /// An entry points outside the buffer or into the table.
    OutOfBounds,
}

/// One entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CertEntry {
    pub guid: [u8; 16],
    pub offset: usize,
    pub len: usize,
}

fn entry_at(buf: &[u8], index: usize) -> Option<CertEntry> {
    let at = index.checked_mul(ENTRY_SIZE)?;
    let raw = buf.get(at..at.checked_add(ENTRY_SIZE)?)?;
    let mut guid = [0u8; 16];
    guid.copy_from_slice(&raw[..16]);
    let offset = u32::from_le_bytes([raw[16], raw[17], raw[18], raw[19]]) as usize;
    let len = u32::from_le_bytes([raw[20], raw[21], raw[22], raw[23]]) as usize;
    Some(CertEntry { guid, offset, len })
}

/// Checks the table in `buf` and returns how many bytes of `buf` it uses
/// (table and certificates); an empty table (first entry zero) uses 0.
pub fn table_len(buf: &[u8]) -> Result<usize, CertTableError> {
    let mut count = 0;
    loop {
        let entry = entry_at(buf, count).ok_or(CertTableError::Unterminated)?;
        if entry.guid == [0; 16] && entry.offset == 0 && entry.len == 0 {
            break;
        }
        count += 1;
    }
    if count == 0 {
        return Ok(0);
    }
    let table_end = (count + 1) * ENTRY_SIZE;
    let mut used = table_end;
    for entry in (0..count).filter_map(|i| entry_at(buf, i)) {
        let end = entry
            .offset
            .checked_add(entry.len)
            .ok_or(CertTableError::OutOfBounds)?;
        if entry.offset < table_end || end > buf.len() {
            return Err(CertTableError::OutOfBounds);
        }
        used = used.max(end);
    }
    Ok(used)
}

/// The entries of a table [`table_len`] accepted.
pub fn entries(table: &[u8]) -> impl Iterator<Item = CertEntry> + '_ {
    (0..)
        .map_while(move |i| entry_at(table, i))
        .take_while(|e| e.guid != [0; 16] || e.offset != 0 || e.len != 0)
}
