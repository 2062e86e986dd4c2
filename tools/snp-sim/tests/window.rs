//! The temporary mapping window (`svsm_snp::window`) over a recording model
//! of one page table and TLB: every access goes through a present,
//! private, no-execute entry that was flushed before use, nothing stays
//! mapped afterwards, and pages the guest does not own are never mapped.

use std::cell::RefCell;
use std::collections::BTreeMap;

use svsm_protocol::GuestPhysAddr;
use svsm_protocol::platform::PageSize;
use svsm_snp::cbit::CBit;
use svsm_snp::pvalidate::SvsmMemory;
use svsm_snp::window::{
    Access, ENTRY_NO_EXECUTE, ENTRY_PRESENT, ENTRY_WRITABLE, GuestOwned, Window, WindowError,
    WindowTables,
};

const BASE: u64 = 0xffff_ffff_ffe0_0000;
const SLOTS: usize = 2;
const C_BIT: u8 = 51;
const SVSM_BASE: u64 = 0x80_0000;
const SVSM_SIZE: u64 = 0x20_0000;
const RAM_END: u64 = 0x1000_0000;
const PAGE: u64 = 4096;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Event {
    Set { slot: usize, entry: u64 },
    Flush { va: u64 },
    Zero { gpa: u64 },
    Read { gpa: u64, len: usize },
}

/// One page table (the window's slots), a per-slot TLB that holds what
/// was last flushed in, and guest RAM by page.
#[derive(Default)]
struct Model {
    entries: RefCell<[u64; SLOTS]>,
    tlb: RefCell<[Option<u64>; SLOTS]>,
    ram: RefCell<BTreeMap<u64, Vec<u8>>>,
    events: RefCell<Vec<Event>>,
}

impl Model {
    fn slot_of(va: u64) -> usize {
        ((va - BASE) / PAGE) as usize
    }

    /// The GPA the CPU reaches at `va`: through the TLB, which must hold the
    /// current entry (a stale one is a failed test), present and private.
    fn translate(&self, va: u64, write: bool) -> u64 {
        let slot = Self::slot_of(va);
        let entry = self.tlb.borrow()[slot].expect("access through an unflushed slot");
        assert_eq!(entry, self.entries.borrow()[slot], "stale TLB entry used");
        assert_ne!(
            entry & ENTRY_PRESENT,
            0,
            "access through a non-present entry"
        );
        assert_ne!(entry & ENTRY_NO_EXECUTE, 0, "window mapping executable");
        assert_ne!(
            entry & (1 << C_BIT),
            0,
            "guest page mapped without the C-bit"
        );
        assert!(
            !write || entry & ENTRY_WRITABLE != 0,
            "write to a read-only mapping"
        );
        (entry & 0x000f_ffff_ffff_f000 & !(1 << C_BIT)) + va % PAGE
    }

    fn events(&self) -> Vec<Event> {
        self.events.borrow().clone()
    }

    fn all_unmapped(&self) -> bool {
        self.entries.borrow().iter().all(|&e| e == 0)
            && self
                .tlb
                .borrow()
                .iter()
                .all(|t| matches!(t, None | Some(0)))
    }
}

impl WindowTables for &Model {
    fn set_entry(&self, slot: usize, entry: u64) {
        self.entries.borrow_mut()[slot] = entry;
        self.events.borrow_mut().push(Event::Set { slot, entry });
    }

    fn flush_local(&self, va: u64) {
        let slot = Model::slot_of(va);
        self.tlb.borrow_mut()[slot] = Some(self.entries.borrow()[slot]);
        self.events.borrow_mut().push(Event::Flush { va });
    }

    fn zero_mapped(&self, va: u64) {
        assert_eq!(va % PAGE, 0);
        let gpa = self.translate(va, true);
        self.ram.borrow_mut().insert(gpa, vec![0; PAGE as usize]);
        self.events.borrow_mut().push(Event::Zero { gpa });
    }

    fn read_mapped(&self, va: u64, out: &mut [u8]) {
        assert!(
            va % PAGE + out.len() as u64 <= PAGE,
            "read crosses the slot"
        );
        let gpa = self.translate(va, false);
        let page = gpa - gpa % PAGE;
        let offset = (gpa % PAGE) as usize;
        let ram = self.ram.borrow();
        let bytes = ram.get(&page).expect("read of a page never written");
        out.copy_from_slice(&bytes[offset..offset + out.len()]);
        self.events.borrow_mut().push(Event::Read {
            gpa,
            len: out.len(),
        });
    }
}

/// The guest's RAM below `ram_end`, the SVSM's range excepted.
fn guest(ram_end: u64) -> GuestOwned {
    GuestOwned {
        svsm: SvsmMemory::new(GuestPhysAddr::new(SVSM_BASE), SVSM_SIZE).unwrap(),
        ram_end,
    }
}

fn c_bit() -> CBit {
    CBit::from_cpuid_ebx(C_BIT.into()).unwrap()
}

fn window(model: &Model) -> Window<&Model, SLOTS> {
    Window::new(model, c_bit(), BASE, guest(RAM_END))
}

fn gpa(raw: u64) -> GuestPhysAddr {
    GuestPhysAddr::new(raw)
}

#[test]
fn a_read_maps_private_read_only_flushes_uses_unmaps_flushes() {
    let model = Model::default();
    model
        .ram
        .borrow_mut()
        .insert(0x40_0000, (0..PAGE).map(|i| i as u8).collect());
    let mut out = [0u8; 8];
    window(&model).read(1, gpa(0x40_00ca), &mut out).unwrap();
    assert_eq!(out, core::array::from_fn(|i| (0xca + i) as u8));
    let va = BASE + PAGE;
    let entry = 0x40_0000 | (1 << C_BIT) | ENTRY_PRESENT | ENTRY_NO_EXECUTE;
    assert_eq!(
        model.events(),
        [
            Event::Set { slot: 1, entry },
            Event::Flush { va },
            Event::Read {
                gpa: 0x40_00ca,
                len: 8
            },
            Event::Set { slot: 1, entry: 0 },
            Event::Flush { va },
        ]
    );
    assert!(model.all_unmapped());
}

#[test]
fn a_read_across_a_page_boundary_maps_each_page_in_turn() {
    let model = Model::default();
    model.ram.borrow_mut().insert(0x40_0000, vec![0xaa; 4096]);
    model.ram.borrow_mut().insert(0x40_1000, vec![0xbb; 4096]);
    let mut out = [0u8; 6];
    window(&model).read(0, gpa(0x40_0ffd), &mut out).unwrap();
    assert_eq!(out, [0xaa, 0xaa, 0xaa, 0xbb, 0xbb, 0xbb]);
    let reads: Vec<_> = model
        .events()
        .into_iter()
        .filter(|e| matches!(e, Event::Read { .. }))
        .collect();
    assert_eq!(
        reads,
        [
            Event::Read {
                gpa: 0x40_0ffd,
                len: 3
            },
            Event::Read {
                gpa: 0x40_1000,
                len: 3
            },
        ]
    );
    assert!(model.all_unmapped());
}

#[test]
fn zeroing_a_2m_page_maps_its_512_pages_writable_one_at_a_time() {
    let model = Model::default();
    window(&model)
        .zero(0, gpa(0x60_0000), PageSize::Size2M)
        .unwrap();
    let zeroed: Vec<u64> = model
        .events()
        .into_iter()
        .filter_map(|e| match e {
            Event::Zero { gpa } => Some(gpa),
            _ => None,
        })
        .collect();
    assert_eq!(
        zeroed,
        (0..512).map(|i| 0x60_0000 + i * PAGE).collect::<Vec<_>>()
    );
    assert!(
        model
            .ram
            .borrow()
            .values()
            .all(|p| p.iter().all(|&b| b == 0))
    );
    assert!(model.all_unmapped());
    // Each page: set, flush, zero, clear, flush.
    assert_eq!(model.events().len(), 512 * 5);
}

#[test]
fn pages_the_guest_does_not_own_are_never_mapped() {
    let model = Model::default();
    let w = window(&model);
    let mut out = [0u8; 8];
    for (raw, len) in [
        (SVSM_BASE, 8),
        (SVSM_BASE + SVSM_SIZE - 8, 8),
        (SVSM_BASE - 4, 8),
        (RAM_END, 8),
        (RAM_END - 4, 8),
        (u64::MAX - 3, 8),
    ] {
        let out = &mut out[..len];
        assert_eq!(
            w.read(0, gpa(raw), out),
            Err(WindowError::NotGuest(gpa(raw)))
        );
    }
    for raw in [SVSM_BASE, SVSM_BASE + SVSM_SIZE - PAGE, RAM_END] {
        assert_eq!(
            w.zero(0, gpa(raw), PageSize::Size4K),
            Err(WindowError::NotGuest(gpa(raw)))
        );
    }
    // The 2 MiB page holding the SVSM, and an unaligned 2 MiB page.
    assert!(w.zero(0, gpa(SVSM_BASE), PageSize::Size2M).is_err());
    assert!(w.zero(0, gpa(0x60_1000), PageSize::Size2M).is_err());
    assert!(model.events().is_empty());
}

#[test]
fn a_gpa_at_the_c_bit_is_refused_even_inside_the_guest_ram() {
    let model = Model::default();
    let w: Window<&Model, SLOTS> = Window::new(
        &model,
        CBit::from_cpuid_ebx(40).unwrap(),
        BASE,
        guest(u64::MAX),
    );
    let alias = gpa(1 << 40);
    assert_eq!(
        w.entry(alias, Access::Read),
        Err(WindowError::Address(alias))
    );
    assert_eq!(
        w.zero(0, alias, PageSize::Size4K),
        Err(WindowError::Address(alias))
    );
    assert!(model.events().is_empty());
}

#[test]
fn a_slot_out_of_range_is_refused() {
    let model = Model::default();
    assert_eq!(
        window(&model).zero(SLOTS, gpa(0x40_0000), PageSize::Size4K),
        Err(WindowError::NoSlot(SLOTS))
    );
    assert!(model.events().is_empty());
}

/// Tables whose zeroing uses the same slot again, as a nested use (say
/// from an exception handler) would.
struct Reentrant<'a> {
    model: Model,
    window: std::cell::OnceCell<&'a Window<&'a Reentrant<'a>, SLOTS>>,
    nested: RefCell<Option<Result<(), WindowError>>>,
}

impl WindowTables for &Reentrant<'_> {
    fn set_entry(&self, slot: usize, entry: u64) {
        (&self.model).set_entry(slot, entry);
    }

    fn flush_local(&self, va: u64) {
        (&self.model).flush_local(va);
    }

    fn zero_mapped(&self, va: u64) {
        let mut out = [0u8; 1];
        let window = self.window.get().expect("window set");
        *self.nested.borrow_mut() = Some(window.read(0, gpa(0x41_0000), &mut out));
        (&self.model).zero_mapped(va);
    }

    fn read_mapped(&self, va: u64, out: &mut [u8]) {
        (&self.model).read_mapped(va, out);
    }
}

#[test]
fn a_nested_use_of_a_busy_slot_is_refused_and_the_outer_one_completes() {
    let tables = Reentrant {
        model: Model::default(),
        window: std::cell::OnceCell::new(),
        nested: RefCell::new(None),
    };
    tables
        .model
        .ram
        .borrow_mut()
        .insert(0x41_0000, vec![7; 4096]);
    let window = Window::new(&tables, c_bit(), BASE, guest(RAM_END));
    let _ = tables.window.set(&window);
    window.zero(0, gpa(0x40_0000), PageSize::Size4K).unwrap();
    assert_eq!(*tables.nested.borrow(), Some(Err(WindowError::Busy(0))));
    assert_eq!(
        tables.model.events(),
        [
            Event::Set {
                slot: 0,
                entry: 0x40_0000 | (1 << C_BIT) | ENTRY_PRESENT | ENTRY_NO_EXECUTE | ENTRY_WRITABLE
            },
            Event::Flush { va: BASE },
            Event::Zero { gpa: 0x40_0000 },
            Event::Set { slot: 0, entry: 0 },
            Event::Flush { va: BASE },
        ]
    );
    assert!(tables.model.all_unmapped());
    // The slot is free again.
    let mut out = [0u8; 1];
    window.read(0, gpa(0x41_0000), &mut out).unwrap();
    assert_eq!(out, [7]);
}

#[test]
fn the_svsms_own_memory_taken_from_the_memory_map_is_never_mapped() {
    use svsm_boot_params::own_memory::OwnMemory;
    use svsm_boot_params::start_info::{MemoryKind, MemoryRegion};

    // The kernel's layout: the image from 1 MiB, its required memory from
    // the next 2 MiB boundary; the window gets what the kernel gives it.
    let map = [MemoryRegion {
        start: 0,
        size: RAM_END,
        kind: MemoryKind::Ram,
    }];
    let own = OwnMemory::new(0x10_0000..0x2c_2000, map.iter()).unwrap();
    assert_eq!(own.required, 0x40_0000..0x140_0000);
    let model = Model::default();
    let w: Window<&Model, SLOTS> = Window::new(
        &model,
        c_bit(),
        BASE,
        GuestOwned::new(
            SvsmMemory::from_ranges(&own.svsm_ranges()).unwrap(),
            RAM_END,
        ),
    );
    let mut out = [0u8; 8];
    // A launch page, the image, the gap up to the required memory, its
    // first and last page.
    for raw in [
        svsm_boot_params::igvm::SECRETS_PAGE_GPA,
        own.image.start,
        own.image.end - PAGE,
        own.image.end,
        own.required.start,
        own.required.end - PAGE,
    ] {
        assert_eq!(
            w.read(0, gpa(raw), &mut out),
            Err(WindowError::NotGuest(gpa(raw)))
        );
        assert_eq!(
            w.zero(0, gpa(raw), PageSize::Size4K),
            Err(WindowError::NotGuest(gpa(raw)))
        );
    }
    assert!(
        w.zero(0, gpa(own.required.start), PageSize::Size2M)
            .is_err()
    );
    assert!(model.events().is_empty());
    // The guest's pages on either side are reachable.
    for raw in [own.image.start - PAGE, own.required.end] {
        w.zero(0, gpa(raw), PageSize::Size4K).unwrap();
    }
    assert!(model.all_unmapped());
}
