//! The kernel's own page tables.
//!
//! Built with the `x86_64` crate while the trampoline's identity map of the
//! first 4 GiB is still active (so a new table at physical address P is
//! reachable at virtual address P), then installed with one CR3 write.
//!
//! What gets mapped, and how (nothing else is present, in particular not the
//! null page and not the low 1 MiB):
//!
//! | range                                   | rights | page size |
//! |-----------------------------------------|--------|-----------|
//! | `.text`                                 | R X    | 4 KiB     |
//! | `.rodata` (incl. PVH note)              | R NX   | 4 KiB     |
//! | `.svsm_crypto` up to `svsm_crypto_data_start` | R X | 4 KiB |
//! | `.svsm_crypto` from `svsm_crypto_data_start`  | RW NX | 4 KiB |
//! | `.data`, `.bss`                         | RW NX  | 4 KiB     |
//! | each stack, minus its guard page        | RW NX  | 4 KiB     |
//! | usable RAM (the frame allocator's regions) | RW NX | 2 MiB where aligned, else 4 KiB |
//!
//! No page is both writable and executable. CR0.WP (set by the trampoline)
//! makes read-only pages read-only for the kernel too, and EFER.NXE makes NX
//! effective.
//!
//! On SEV-SNP ([`SnpMapping`]) every entry's address, CR3's included, comes
//! from `svsm_snp::cbit::CBit::entry_address`: all private (C-bit set), and
//! the launch pages the IGVM file places below 1 MiB (CPUID page R NX,
//! secrets page RW NX) are mapped too. A page the SNP platform has made
//! shared with the hypervisor (the GHCB, the guest-message pages) loses its
//! C-bit afterwards ([`share`]), in Linux's order: validation rescinded and
//! page state changed through the private mapping, then the entry changed.
//! Native has no [`SnpMapping`] and its entries are the plain addresses, as
//! before. On SEV-SNP the frame allocator's regions are the SVSM's
//! required-memory range alone (`platform::snp::take_own_memory`), so the
//! direct map maps no guest RAM.
//!
//! SEV-SNP also gets the temporary mapping window ([`GuestWindowTables`],
//! `svsm_snp::window`): the page table of the last 2 MiB of the address
//! space ([`WINDOW_BASE`]) exists, all its entries not present; one slot per
//! CPU maps one guest page private, NX, for one access at a time.

use core::fmt;
use core::ops::Range;
use core::sync::atomic::{AtomicU64, Ordering};

use svsm_snp::cbit::{CBit, Visibility};
use svsm_snp::hw::PAGE_BYTES;
use svsm_snp::window::WindowTables;
use x86_64::registers::control::{Cr3, Cr3Flags};
use x86_64::structures::paging::mapper::{
    MapToError, MappedFrame, MappedPageTable, PageTableFrameMapping, Translate, TranslateResult,
};
use x86_64::structures::paging::{
    FrameAllocator as TableFrames, Mapper, Page, PageSize, PageTable, PageTableFlags as Flags,
    PhysFrame, Size2MiB, Size4KiB,
};
use x86_64::{PhysAddr, VirtAddr};

use super::frame::{FrameAllocator, FrameError};
use super::layout::KernelLayout;
use super::stack;

#[derive(Debug)]
pub enum PagingError {
    /// Ran out of frames for page tables.
    OutOfFrames,
    /// Two ranges overlap (a layout or memory-map inconsistency).
    AlreadyMapped(VirtAddr),
    /// The crate refused a mapping for another reason.
    Refused(VirtAddr),
}

impl fmt::Display for PagingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::OutOfFrames => write!(f, "out of frames for page tables"),
            Self::AlreadyMapped(va) => write!(f, "{:#x} mapped twice", va.as_u64()),
            Self::Refused(va) => write!(f, "mapping of {:#x} refused", va.as_u64()),
        }
    }
}

impl From<FrameError> for PagingError {
    fn from(_: FrameError) -> Self {
        Self::OutOfFrames
    }
}

/// What was mapped, for the boot log.
#[derive(Default, Debug)]
pub struct PagingStats {
    pub pages_4k: u64,
    pub pages_2m: u64,
    pub table_frames: u64,
}

const RX: Flags = Flags::PRESENT;
pub const R_NX: Flags = Flags::PRESENT.union(Flags::NO_EXECUTE);
pub const RW_NX: Flags = Flags::PRESENT
    .union(Flags::WRITABLE)
    .union(Flags::NO_EXECUTE);
/// Intermediate tables allow everything; leaves decide.
const TABLE_FLAGS: Flags = Flags::PRESENT.union(Flags::WRITABLE);

/// What the kernel maps differently on SEV-SNP.
pub struct SnpMapping<'a> {
    pub c_bit: CBit,
    /// Pages outside the image and RAM regions to map (private, 4 KiB).
    pub launch_pages: &'a [(u64, Flags)],
}

/// The C-bit of the tables being built (0 on Native): table frames carry it
/// in the entries that point at them, and the software walk strips it.
#[derive(Clone, Copy)]
struct Tables {
    c_bit: u64,
}

// SAFETY: page-table frames come from the frame allocator, which returns RAM
// below 4 GiB only, identity mapped by the boot tables (and by the kernel's
// own direct map once it is active); stripping the C-bit gives that address.
unsafe impl PageTableFrameMapping for Tables {
    fn frame_to_pointer(&self, frame: PhysFrame) -> *mut PageTable {
        (frame.start_address().as_u64() & !self.c_bit) as *mut PageTable
    }
}

/// The frame allocator, handing out table frames as private (C-bit set)
/// frames.
struct TableAllocator<'a> {
    frames: &'a mut FrameAllocator,
    tables: Tables,
}

// SAFETY: every frame is a fresh one of the underlying allocator (unique,
// unused); only the C-bit, which names the same frame, is added.
unsafe impl TableFrames<Size4KiB> for TableAllocator<'_> {
    fn allocate_frame(&mut self) -> Option<PhysFrame<Size4KiB>> {
        let frame = self.frames.allocate_frame()?;
        PhysFrame::from_start_address(PhysAddr::new(
            frame.start_address().as_u64() | self.tables.c_bit,
        ))
        .ok()
    }
}

struct Builder<'a> {
    mapper: MappedPageTable<'a, Tables>,
    tables: TableAllocator<'a>,
    snp: Option<&'a SnpMapping<'a>>,
    stats: PagingStats,
}

impl Builder<'_> {
    /// The address `addr`'s entry names: itself on Native, with the C-bit
    /// on SNP.
    fn entry_address(&self, addr: u64) -> Option<u64> {
        match self.snp {
            None => Some(addr),
            Some(snp) => snp.c_bit.entry_address(addr, Visibility::Private).ok(),
        }
    }

    fn map<S: PageSize>(&mut self, addr: u64, flags: Flags) -> Result<(), PagingError>
    where
        for<'a> MappedPageTable<'a, Tables>: Mapper<S>,
    {
        let va = VirtAddr::new(addr);
        let page = Page::<S>::from_start_address(va).map_err(|_| PagingError::Refused(va))?;
        let frame = self
            .entry_address(addr)
            .and_then(|pa| PhysFrame::<S>::from_start_address(PhysAddr::new(pa)).ok())
            .ok_or(PagingError::Refused(va))?;
        let before = self.tables.frames.allocated_bytes();
        // SAFETY: identity mapping of memory that belongs to the kernel (its
        // image, usable RAM, or on SNP the launch pages); the tables are not
        // active yet, so no existing mapping changes under running code.
        let flush = unsafe {
            self.mapper
                .map_to_with_table_flags(page, frame, flags, TABLE_FLAGS, &mut self.tables)
        }
        .map_err(|e| match e {
            MapToError::FrameAllocationFailed => PagingError::OutOfFrames,
            MapToError::PageAlreadyMapped(_) | MapToError::ParentEntryHugePage => {
                PagingError::AlreadyMapped(va)
            }
        })?;
        // Not the active address space: no TLB entries to flush.
        flush.ignore();
        self.stats.table_frames += (self.tables.frames.allocated_bytes() - before) / Size4KiB::SIZE;
        if S::SIZE == Size2MiB::SIZE {
            self.stats.pages_2m += 1;
        } else {
            self.stats.pages_4k += 1;
        }
        Ok(())
    }

    /// Identity-maps `range` with 4 KiB pages.
    fn map_4k(&mut self, range: Range<u64>, flags: Flags) -> Result<(), PagingError> {
        for addr in range.step_by(Size4KiB::SIZE as usize) {
            self.map::<Size4KiB>(addr, flags)?;
        }
        Ok(())
    }

    /// Identity-maps `range` with 2 MiB pages wherever a whole, aligned 2 MiB
    /// block fits, and 4 KiB pages for the ragged ends.
    fn map_mixed(&mut self, range: Range<u64>, flags: Flags) -> Result<(), PagingError> {
        let mut addr = range.start;
        while addr < range.end {
            let big = addr.is_multiple_of(Size2MiB::SIZE) && range.end - addr >= Size2MiB::SIZE;
            if big {
                self.map::<Size2MiB>(addr, flags)?;
                addr += Size2MiB::SIZE;
            } else {
                self.map::<Size4KiB>(addr, flags)?;
                addr += Size4KiB::SIZE;
            }
        }
        Ok(())
    }
}

impl Builder<'_> {
    /// Creates the page table of the window (its entries all not present)
    /// and returns its identity-mapped address: maps [`WINDOW_BASE`] once,
    /// which allocates the tables on the way, unmaps it, and walks there.
    fn window_table(&mut self) -> Result<u64, PagingError> {
        let va = VirtAddr::new(WINDOW_BASE);
        let page =
            Page::<Size4KiB>::from_start_address(va).map_err(|_| PagingError::Refused(va))?;
        // Any frame will do: the tables are not active and the entry is
        // removed again before they are.
        let frame = PhysFrame::<Size4KiB>::containing_address(PhysAddr::new(0));
        let before = self.tables.frames.allocated_bytes();
        // SAFETY: the tables being built are not active, and the entry is
        // removed right after; only the intermediate tables stay.
        unsafe {
            self.mapper
                .map_to_with_table_flags(page, frame, R_NX, TABLE_FLAGS, &mut self.tables)
        }
        .map_err(|_| PagingError::Refused(va))?
        .ignore();
        self.mapper
            .unmap(page)
            .map_err(|_| PagingError::Refused(va))?
            .1
            .ignore();
        let c_bit = self.tables.tables.c_bit;
        let mut table: &PageTable = self.mapper.level_4_table();
        for index in [page.p4_index(), page.p3_index(), page.p2_index()] {
            let next = table[index].addr().as_u64() & !c_bit;
            // SAFETY: `next` is a table frame the mapper just allocated
            // from RAM below 4 GiB, identity mapped ([`Tables`]).
            table = unsafe { &*(next as *const PageTable) };
        }
        self.stats.table_frames += (self.tables.frames.allocated_bytes() - before) / Size4KiB::SIZE;
        Ok(core::ptr::from_ref(table) as u64)
    }
}

/// SEV-SNP: the virtual address of the temporary mapping window (the last
/// 2 MiB of the address space: nothing else is mapped there).
pub const WINDOW_BASE: u64 = 0xffff_ffff_ffe0_0000;
/// Slots of the window: one per CPU; the SVSM runs on the boot CPU only.
pub const WINDOW_SLOTS: usize = 1;

/// The identity-mapped address of the window's page table; 0 until
/// [`init`] built it (SNP only).
static WINDOW_TABLE: AtomicU64 = AtomicU64::new(0);

/// The window's page-table writes, TLB flush and accesses on the running
/// CPU (`svsm_snp::window` decides what is mapped, and when). Exists once
/// [`init`] built the window's table on SNP.
pub struct GuestWindowTables {
    table: *mut PageTable,
}

// SAFETY: the window's page table is only written through
// `svsm_snp::window::Window`, which hands each slot to one user at a time.
unsafe impl Sync for GuestWindowTables {}
// SAFETY: as for `Sync`: the pointer names a table that lives forever.
unsafe impl Send for GuestWindowTables {}

impl GuestWindowTables {
    /// The window's tables, if [`init`] built them.
    pub fn get() -> Option<Self> {
        match WINDOW_TABLE.load(Ordering::Relaxed) {
            0 => None,
            table => Some(Self {
                table: table as *mut PageTable,
            }),
        }
    }

    /// Whether `[va, va + len)` lies in one slot page of the window.
    fn in_window(va: u64, len: usize) -> bool {
        let end = WINDOW_BASE + (WINDOW_SLOTS * PAGE_BYTES) as u64;
        va >= WINDOW_BASE
            && (va % PAGE_BYTES as u64) + len as u64 <= PAGE_BYTES as u64
            && va.checked_add(len as u64).is_some_and(|e| e <= end)
    }
}

impl WindowTables for GuestWindowTables {
    fn set_entry(&self, slot: usize, entry: u64) {
        if slot >= WINDOW_SLOTS {
            return;
        }
        // SAFETY: `table` is the window's page table (built by [`init`],
        // identity mapped RW, never freed) and `slot` one of its first
        // WINDOW_SLOTS entries, which map only window pages; a volatile
        // store, as the MMU reads the entry.
        unsafe {
            let entries = self.table.cast::<u64>();
            core::ptr::write_volatile(entries.add(slot), entry);
        }
    }

    fn flush_local(&self, va: u64) {
        x86_64::instructions::tlb::flush(VirtAddr::new(va));
    }

    fn zero_mapped(&self, va: u64) {
        if !Self::in_window(va, PAGE_BYTES) {
            return;
        }
        // The window's slot pages map a guest page (private, writable) only
        // between set_entry and its removal, and never any Rust object.
        // SAFETY: `va` is such a slot page (checked above); unmapped, it
        // faults (a fatal report) and never reaches kernel memory.
        unsafe { core::ptr::write_bytes(va as *mut u8, 0, PAGE_BYTES) }
    }

    fn read_mapped(&self, va: u64, out: &mut [u8]) {
        if !Self::in_window(va, out.len()) {
            return;
        }
        // SAFETY: as in `zero_mapped`, read-only, inside one slot page;
        // `out` is a kernel buffer, distinct from the window.
        unsafe { core::ptr::copy_nonoverlapping(va as *const u8, out.as_mut_ptr(), out.len()) }
    }
}

fn raw(range: &Range<PhysAddr>) -> Range<u64> {
    range.start.as_u64()..range.end.as_u64()
}

/// Builds the kernel's page tables and switches to them; `snp` on SEV-SNP.
pub fn init(
    layout: &KernelLayout,
    frames: &mut FrameAllocator,
    snp: Option<&SnpMapping<'_>>,
) -> Result<PagingStats, PagingError> {
    let pml4_addr = frames.allocate_contiguous(1)?;
    let pml4_ptr = pml4_addr.as_u64() as *mut PageTable;
    // SAFETY: the frame was just allocated (exclusively ours), lies below 4 GiB
    // and is identity mapped by the trampoline's tables, and PageTable is valid
    // for any bit pattern once zeroed.
    let pml4 = unsafe {
        pml4_ptr.write(PageTable::new());
        &mut *pml4_ptr
    };
    let tables = Tables {
        c_bit: snp.map_or(0, |s| s.c_bit.mask()),
    };
    // SAFETY: all page-table frames come from `frames`, which only returns RAM
    // below 4 GiB, identity mapped by the active boot tables ([`Tables`]).
    let mapper = unsafe { MappedPageTable::new(pml4, tables) };
    let regions_end = frames.regions().len();
    let mut b = Builder {
        mapper,
        tables: TableAllocator { frames, tables },
        snp,
        stats: PagingStats {
            table_frames: 1,
            ..PagingStats::default()
        },
    };

    b.map_4k(raw(&layout.text), RX)?;
    b.map_4k(raw(&layout.rodata), R_NX)?;
    b.map_4k(raw(&layout.crypto_code), RX)?;
    b.map_4k(raw(&layout.crypto_data), RW_NX)?;
    b.map_4k(raw(&layout.data), RW_NX)?;
    for stack in stack::all() {
        b.map_4k(
            stack.usable.start.as_u64()..stack.usable.end.as_u64(),
            RW_NX,
        )?;
    }
    // The direct map. Frames allocated for page tables while building it come
    // from these same regions, so they end up mapped too.
    for i in 0..regions_end {
        let region = b.tables.frames.regions()[i].clone();
        b.map_mixed(region, RW_NX)?;
    }
    for &(page, flags) in snp.map_or(&[][..], |s| s.launch_pages) {
        b.map::<Size4KiB>(page, flags)?;
    }
    if snp.is_some() {
        let table = b.window_table()?;
        WINDOW_TABLE.store(table, Ordering::Relaxed);
    }

    let stats = b.stats;
    let cr3 = PhysAddr::new(pml4_addr.as_u64() | tables.c_bit);
    // SAFETY: the new tables map the running code (.text), the current stack
    // (boot stack), all statics and every frame allocated so far, with the same
    // virtual addresses as the boot tables, so execution continues unchanged.
    unsafe {
        Cr3::write(PhysFrame::containing_address(cr3), Cr3Flags::empty());
    }
    Ok(stats)
}

/// Hands out no frames: [`share`] only changes existing leaf entries.
struct NoFrames;

// SAFETY: returns no frame at all, so none can be handed out twice.
unsafe impl TableFrames<Size4KiB> for NoFrames {
    fn allocate_frame(&mut self) -> Option<PhysFrame<Size4KiB>> {
        None
    }
}

/// SEV-SNP: clears the C-bit of the active tables' 4 KiB entries for
/// `pages` (same rights) and flushes them from the TLB, once the platform
/// has rescinded their validation and made them shared.
pub fn share(c_bit: CBit, pages: &[u64]) -> Result<(), PagingError> {
    let tables = Tables {
        c_bit: c_bit.mask(),
    };
    let (pml4, _) = Cr3::read();
    // SAFETY: CR3 names the kernel's PML4 (built by [`init`] with `c_bit`),
    // identity mapped; boot runs on one CPU and nothing else edits the
    // tables meanwhile, so this is the only reference to them.
    let mut mapper = unsafe { MappedPageTable::new(&mut *tables.frame_to_pointer(pml4), tables) };
    for &addr in pages {
        let va = VirtAddr::new(addr);
        let flags = match mapper.translate(va) {
            TranslateResult::Mapped {
                frame: MappedFrame::Size4KiB(_),
                flags,
                ..
            } => flags,
            _ => return Err(PagingError::Refused(va)),
        };
        let page =
            Page::<Size4KiB>::from_start_address(va).map_err(|_| PagingError::Refused(va))?;
        let frame = c_bit
            .entry_address(addr, Visibility::Shared)
            .ok()
            .and_then(|pa| PhysFrame::from_start_address(PhysAddr::new(pa)).ok())
            .ok_or(PagingError::Refused(va))?;
        let (_, unmapped) = mapper.unmap(page).map_err(|_| PagingError::Refused(va))?;
        unmapped.ignore();
        // SAFETY: the same page of the kernel's image, mapped again with the
        // same rights to the same frame, only without the C-bit; the caller
        // has made the frame shared and nothing holds a reference into it.
        unsafe { mapper.map_to_with_table_flags(page, frame, flags, TABLE_FLAGS, &mut NoFrames) }
            .map_err(|_| PagingError::Refused(va))?
            .flush();
    }
    Ok(())
}
