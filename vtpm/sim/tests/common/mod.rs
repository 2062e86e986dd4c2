//! The client side of the simulator protocol, for the tests.

use std::io::{Read, Write};
use std::net::TcpStream;

use svsm_vtpm_sim::TPM_SEND_COMMAND;

pub fn read_u32(s: &mut TcpStream) -> u32 {
    let mut w = [0u8; 4];
    s.read_exact(&mut w).unwrap();
    u32::from_be_bytes(w)
}

/// One platform signal, which must be acknowledged with 0.
pub fn signal(s: &mut TcpStream, code: u32) {
    s.write_all(&code.to_be_bytes()).unwrap();
    assert_eq!(read_u32(s), 0, "signal {code} not acknowledged");
}

/// A TPM_SEND_COMMAND frame at locality 0 that claims `length` bytes.
pub fn command_frame(length: u32, body: &[u8]) -> Vec<u8> {
    let mut frame = TPM_SEND_COMMAND.to_be_bytes().to_vec();
    frame.push(0);
    frame.extend_from_slice(&length.to_be_bytes());
    frame.extend_from_slice(body);
    frame
}

/// One TPM_SEND_COMMAND; the response bytes, after checking the framing.
pub fn send(s: &mut TcpStream, command: &[u8]) -> Vec<u8> {
    s.write_all(&command_frame(command.len() as u32, command))
        .unwrap();
    let len = read_u32(s) as usize;
    let mut response = vec![0u8; len];
    s.read_exact(&mut response).unwrap();
    assert_eq!(read_u32(s), 0, "the trailing zero word");
    response
}
