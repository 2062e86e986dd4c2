//! The `svsm-vtpm-sim` binary end to end, without tpm2-tools: the port it
//! prints, the engine behind it answering real commands, STOP ending it.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

mod common;

use common::{read_u32, send, signal};
use svsm_vtpm_sim::{NV_ON, POWER_ON, STOP};

const BIN: &str = env!("CARGO_BIN_EXE_svsm-vtpm-sim");

/// A TPM_ST_NO_SESSIONS command: code and parameters.
fn command(code: u32, params: &[u8]) -> Vec<u8> {
    let mut c = 0x8001u16.to_be_bytes().to_vec();
    c.extend_from_slice(&(10 + params.len() as u32).to_be_bytes());
    c.extend_from_slice(&code.to_be_bytes());
    c.extend_from_slice(params);
    c
}

fn rc(response: &[u8]) -> u32 {
    assert_eq!(
        u32::from_be_bytes(response[2..6].try_into().unwrap()) as usize,
        response.len(),
        "the size field is the response's length"
    );
    u32::from_be_bytes(response[6..10].try_into().unwrap())
}

#[test]
fn serves_the_engine_on_the_port_it_prints_until_stop() {
    let mut child = Command::new(BIN)
        .args(["--port", "0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port: u16 = line
        .split("port ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"));

    let mut tpm = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut platform = TcpStream::connect(("127.0.0.1", port + 1)).unwrap();
    signal(&mut platform, POWER_ON);
    signal(&mut platform, NV_ON);
    // GetRandom before Startup: TPM_RC_INITIALIZE; Startup(CLEAR); then 8 bytes.
    const GET_RANDOM: u32 = 0x17B;
    assert_eq!(rc(&send(&mut tpm, &command(GET_RANDOM, &[0, 8]))), 0x100);
    assert_eq!(rc(&send(&mut tpm, &command(0x144, &[0, 0]))), 0);
    let random = send(&mut tpm, &command(GET_RANDOM, &[0, 8]));
    assert_eq!(rc(&random), 0);
    assert_eq!(&random[10..12], &[0, 8]);
    assert_eq!(random.len(), 20);

    tpm.write_all(&STOP.to_be_bytes()).unwrap();
    assert_eq!(read_u32(&mut tpm), 0);
    assert!(child.wait().unwrap().success());
}

#[test]
fn refuses_bad_arguments() {
    for args in [&["--port"][..], &["--port", "70000"], &["--verbose"]] {
        let status = Command::new(BIN)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert_eq!(status.code(), Some(2), "{args:?}");
    }
}
