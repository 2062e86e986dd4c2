//! The simulator protocol over real sockets, with a device that records
//! what reached it (the engine itself is tested by the scenario suite).

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

mod common;

use common::{command_frame, read_u32, send, signal};
use svsm_vtpm_sim::{
    Device, HANDSHAKE_FLAGS, Listeners, NV_ON, POWER_OFF, POWER_ON, Platform, REMOTE_HANDSHAKE,
    RESET, SERVER_VERSION, SESSION_END, STOP, serve,
};

/// Counts `_TPM_Init`s and answers each command with its own bytes reversed,
/// prefixed by how many `_TPM_Init`s it has seen.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Log>>);

#[derive(Default)]
struct Log {
    inits: u32,
    commands: Vec<Vec<u8>>,
}

impl Device for Recorder {
    fn power_on(&mut self) {
        self.0.lock().unwrap().inits += 1;
    }

    fn execute(&mut self, command: &[u8]) -> Vec<u8> {
        let mut log = self.0.lock().unwrap();
        log.commands.push(command.to_vec());
        let mut response = vec![log.inits as u8];
        response.extend(command.iter().rev());
        response
    }
}

impl Recorder {
    fn inits(&self) -> u32 {
        self.0.lock().unwrap().inits
    }
}

struct Server {
    port: u16,
    device: Recorder,
    thread: Option<thread::JoinHandle<std::io::Result<()>>>,
}

impl Server {
    fn start() -> Self {
        let device = Recorder::default();
        let listeners = Listeners::bind(0).unwrap();
        let port = listeners.port().unwrap();
        let served = device.clone();
        let thread = thread::spawn(move || serve(served, listeners));
        Server {
            port,
            device,
            thread: Some(thread),
        }
    }

    fn command(&self) -> TcpStream {
        TcpStream::connect(("127.0.0.1", self.port)).unwrap()
    }

    fn platform(&self) -> TcpStream {
        TcpStream::connect(("127.0.0.1", self.port + 1)).unwrap()
    }

    fn stop(mut self) {
        let mut s = self.command();
        s.write_all(&STOP.to_be_bytes()).unwrap();
        assert_eq!(read_u32(&mut s), 0);
        self.thread.take().unwrap().join().unwrap().unwrap();
    }
}

/// The connect sequence of libtss2-tcti-mssim: both ports, POWER_ON, NV_ON.
fn connect(server: &Server) -> (TcpStream, TcpStream) {
    let command = server.command();
    let mut platform = server.platform();
    signal(&mut platform, POWER_ON);
    signal(&mut platform, NV_ON);
    (command, platform)
}

#[test]
fn commands_are_framed_and_reach_the_device_in_order() {
    let server = Server::start();
    let (mut c, _p) = connect(&server);
    assert_eq!(send(&mut c, &[1, 2, 3]), vec![1, 3, 2, 1]);
    assert_eq!(send(&mut c, &[]), vec![1]);
    let big: Vec<u8> = (0..5000u32).map(|i| i as u8).collect();
    let mut want = vec![1];
    want.extend(big.iter().rev());
    assert_eq!(send(&mut c, &big), want);
    assert_eq!(server.device.0.lock().unwrap().commands.len(), 3);
    drop((c, _p));
    server.stop();
}

#[test]
fn power_on_of_a_powered_tpm_keeps_its_state() {
    let server = Server::start();
    for _ in 0..3 {
        let (mut c, mut p) = connect(&server);
        send(&mut c, &[0]);
        // Each tool ends with SESSION_END on both ports.
        c.write_all(&SESSION_END.to_be_bytes()).unwrap();
        p.write_all(&SESSION_END.to_be_bytes()).unwrap();
    }
    // A client that just closes its sockets is an ordinary end too.
    let (c, p) = connect(&server);
    drop((c, p));
    let (mut c, mut p) = connect(&server);
    assert_eq!(
        send(&mut c, &[0])[0],
        1,
        "one _TPM_Init for every connection"
    );
    assert_eq!(server.device.inits(), 1);

    signal(&mut p, POWER_OFF);
    signal(&mut p, POWER_ON);
    assert_eq!(server.device.inits(), 2, "a power cycle is a _TPM_Init");
    signal(&mut p, RESET);
    assert_eq!(server.device.inits(), 3, "RESET is a _TPM_Init");
    drop((c, p));
    server.stop();
}

#[test]
fn a_powered_off_tpm_answers_failure_without_running_the_command() {
    let server = Server::start();
    let mut c = server.command();
    let response = send(&mut c, &[0x80, 0x01, 0, 0, 0, 10, 0, 0, 1, 0x44]);
    assert_eq!(response, [0x80, 0x01, 0, 0, 0, 10, 0, 0, 0x01, 0x01]);
    assert!(server.device.0.lock().unwrap().commands.is_empty());
    drop(c);
    server.stop();
}

#[test]
fn handshake_answers_version_and_flags() {
    let server = Server::start();
    let mut c = server.command();
    c.write_all(&REMOTE_HANDSHAKE.to_be_bytes()).unwrap();
    c.write_all(&1u32.to_be_bytes()).unwrap();
    assert_eq!(read_u32(&mut c), SERVER_VERSION);
    assert_eq!(read_u32(&mut c), HANDSHAKE_FLAGS);
    assert_eq!(read_u32(&mut c), 0);
    drop(c);
    server.stop();
}

#[test]
fn hostile_frames_end_only_their_connection() {
    let server = Server::start();
    let (_c, _p) = connect(&server);
    drop((_c, _p));
    // An unknown code on each port, a length over the limit, a frame cut
    // short: the connection closes, the server serves the next client.
    let mut c = server.command();
    c.write_all(&99u32.to_be_bytes()).unwrap();
    assert_eq!(
        c.read(&mut [0u8; 4]).unwrap(),
        0,
        "closed after an unknown code"
    );
    let mut p = server.platform();
    p.write_all(&99u32.to_be_bytes()).unwrap();
    assert_eq!(
        p.read(&mut [0u8; 4]).unwrap(),
        0,
        "closed after an unknown signal"
    );
    let mut c = server.command();
    c.write_all(&command_frame(u32::MAX, &[])).unwrap();
    assert_eq!(
        c.read(&mut [0u8; 4]).unwrap(),
        0,
        "closed after a huge length"
    );
    let mut c = server.command();
    c.write_all(&command_frame(100, &[1, 2, 3])).unwrap();
    c.shutdown(Shutdown::Write).unwrap();
    assert_eq!(
        c.read(&mut [0u8; 4]).unwrap(),
        0,
        "closed after a short frame"
    );

    let mut c = server.command();
    assert_eq!(send(&mut c, &[7, 8]), vec![1, 8, 7]);
    assert_eq!(server.device.0.lock().unwrap().commands, vec![vec![7, 8]]);
    drop(c);
    server.stop();
}

#[test]
fn platform_records_its_lines() {
    let mut platform = Platform::new(Recorder::default());
    assert!(!platform.powered());
    assert!(platform.signal(POWER_ON) && platform.powered());
    assert!(platform.signal(NV_ON) && platform.nv_on());
    assert!(platform.signal(svsm_vtpm_sim::CANCEL_ON) && platform.cancel());
    assert!(platform.signal(svsm_vtpm_sim::CANCEL_OFF) && !platform.cancel());
    assert!(platform.signal(svsm_vtpm_sim::PHYS_PRES_ON) && platform.physical_presence());
    assert!(!platform.signal(5), "the hash signals are not served");
    assert_eq!(platform.device().inits(), 1);
}
