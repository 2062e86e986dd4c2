//! GetCapability: exactly the profile (no RSA, no SHA-1), the command
//! table, the banks, the properties and the handles that exist.

mod common;
use common::*;

fn getcap(tpm: &mut HostTpm, cap: u32, property: u32, count: u32) -> (u8, Vec<u8>) {
    let r = ok(
        tpm,
        &command(ST_NO, 0x17A, &B::new().u32(cap).u32(property).u32(count).0),
    );
    let mut p = R(body(&r));
    let more = p.u8();
    assert_eq!(p.u32(), cap);
    (more, p.0.to_vec())
}

#[test]
fn algorithms_are_the_profile() {
    let mut tpm = started();
    let (more, data) = getcap(&mut tpm, 0, 0, 100);
    assert_eq!(more, 0);
    let mut p = R(&data);
    let n = p.u32();
    let algs: Vec<u16> = (0..n)
        .map(|_| {
            let a = p.u16();
            p.u32();
            a
        })
        .collect();
    assert_eq!(
        algs,
        vec![0x05, 0x06, 0x0B, 0x0C, 0x18, 0x19, 0x20, 0x22, 0x23, 0x43]
    );
    assert!(!algs.contains(&0x0001), "no RSA");
    assert!(!algs.contains(&0x0004), "no SHA-1");
    // Paging: two at a time from SHA-256 on.
    let (more, data) = getcap(&mut tpm, 0, 0x0B, 2);
    assert_eq!(more, 1);
    assert_eq!(&data[..4], &[0, 0, 0, 2]);
    assert_eq!(&data[4..6], &[0, 0x0B]);
}

#[test]
fn commands_pcrs_curves_and_properties() {
    let mut tpm = started();
    let (_, data) = getcap(&mut tpm, 2, 0x11F, 100);
    let mut p = R(&data);
    let n = p.u32();
    let codes: Vec<u32> = (0..n).map(|_| p.u32() & 0xFFFF).collect();
    assert_eq!(codes.len(), 32);
    for cc in [
        0x144, 0x17A, 0x182, 0x131, 0x158, 0x176, 0x162, 0x161, 0x126, 0x129,
    ] {
        assert!(codes.contains(&cc), "{cc:#x} listed");
    }
    // CreatePrimary: one handle in, one out.
    let (_, data) = getcap(&mut tpm, 2, 0x131, 1);
    let attrs = u32::from_be_bytes(data[4..8].try_into().unwrap());
    assert_eq!((attrs >> 25) & 7, 1);
    assert_eq!((attrs >> 28) & 1, 1);

    let (_, data) = getcap(&mut tpm, 5, 0, 1);
    assert_eq!(
        data,
        B::new()
            .u32(2)
            .u16(0x0B)
            .u8(3)
            .bytes(&[0xFF; 3])
            .u16(0x0C)
            .u8(3)
            .bytes(&[0xFF; 3])
            .0
    );
    let (_, data) = getcap(&mut tpm, 8, 0, 10);
    assert_eq!(data, B::new().u32(2).u16(3).u16(4).0);

    let (_, data) = getcap(&mut tpm, 6, 0x100, 1);
    assert_eq!(data, B::new().u32(1).u32(0x100).u32(0x322E_3000).0);
    // TPM_PT_NV_BUFFER_MAX and TPM_PT_PCR_COUNT.
    let (_, data) = getcap(&mut tpm, 6, 0x12C, 1);
    assert_eq!(&data[4..], B::new().u32(0x12C).u32(1024).0.as_slice());
    let (_, data) = getcap(&mut tpm, 6, 0x112, 1);
    assert_eq!(&data[4..], B::new().u32(0x112).u32(24).0.as_slice());
    // An unknown capability: TPM_RC_VALUE + P1.
    assert_eq!(
        rc(&tpm.execute(&command(ST_NO, 0x17A, &B::new().u32(99).u32(0).u32(1).0))),
        0x1C4
    );
}

#[test]
fn handles_that_exist() {
    let mut tpm = started();
    let (_, data) = getcap(&mut tpm, 1, 0x8000_0000, 10);
    assert_eq!(data, B::new().u32(0).0);
    let (h, _, _) = create_primary(&mut tpm, RH_NULL, &[], &ecdsa_template(3, 0x0B), &[]);
    let (_, data) = getcap(&mut tpm, 1, 0x8000_0000, 10);
    assert_eq!(data, B::new().u32(1).u32(h).0);
    let (_, data) = getcap(&mut tpm, 1, 0, 100);
    assert_eq!(u32::from_be_bytes(data[..4].try_into().unwrap()), 24);
    let (_, data) = getcap(&mut tpm, 1, 0x4000_0000, 100);
    assert_eq!(u32::from_be_bytes(data[..4].try_into().unwrap()), 6);
}
