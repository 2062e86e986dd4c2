//! The Microsoft TPM 2.0 simulator TCP protocol, served over any [`Device`].
//!
//! This is the wire protocol of the TCG reference simulator that
//! `libtss2-tcti-mssim` (and so Debian's tpm2-tools with
//! `-T mssim:host=127.0.0.1,port=P`) speaks. Two TCP ports on 127.0.0.1,
//! every integer big-endian:
//!
//! * the **command port** P: a `u32` code, then
//!   - [`TPM_SEND_COMMAND`]: `u8 locality, u32 length, bytes`; the answer is
//!     `u32 length, bytes, u32 0`;
//!   - [`REMOTE_HANDSHAKE`]: `u32 client version`; the answer is
//!     `u32 1 (server version), u32 flags, u32 0`;
//!   - [`SESSION_END`]: the connection ends (no answer); [`STOP`]: the
//!     server answers `u32 0` and stops.
//! * the **platform port** P + 1: a `u32` signal, answered `u32 0`:
//!   [`POWER_ON`], [`POWER_OFF`], physical presence on/off, cancel on/off,
//!   [`NV_ON`], [`NV_OFF`], key cache on/off, [`RESET`], [`RESTART`]; and
//!   [`SESSION_END`] / [`STOP`] as on the command port.
//!
//! The client library connects both ports and sends `POWER_ON` then `NV_ON`
//! on **every** connection, so `POWER_ON` of a TPM that is already on does
//! nothing (as in the reference simulator): otherwise each tool would start
//! from a fresh TPM. `RESET` and `RESTART` re-run `_TPM_Init` on a powered TPM;
//! `POWER_OFF` then `POWER_ON` does too. The TPM's state lives in the
//! [`Device`] for the life of the process; nothing is written to disk.
//!
//! Anything the protocol does not define (or that this server does not
//! implement, such as the locality-4 `_TPM_Hash_Start/Data/End` signals)
//! closes that connection, as the reference simulator does; a client closing
//! its socket at any point, without `SESSION_END`, is an ordinary end. One
//! client per port is served at a time; the device is only ever touched by
//! the thread that calls [`serve`], so it need not be `Send`.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread;

/// Platform signal: power the TPM on (`_TPM_Init` if it was off).
pub const POWER_ON: u32 = 1;
/// Platform signal: power the TPM off.
pub const POWER_OFF: u32 = 2;
/// Platform signal: physical presence asserted.
pub const PHYS_PRES_ON: u32 = 3;
/// Platform signal: physical presence released.
pub const PHYS_PRES_OFF: u32 = 4;
/// Command port: one TPM command.
pub const TPM_SEND_COMMAND: u32 = 8;
/// Platform signal: cancel the running command.
pub const CANCEL_ON: u32 = 9;
/// Platform signal: stop cancelling.
pub const CANCEL_OFF: u32 = 10;
/// Platform signal: NV memory available.
pub const NV_ON: u32 = 11;
/// Platform signal: NV memory unavailable.
pub const NV_OFF: u32 = 12;
/// Platform signal: key cache on (no effect here).
pub const KEY_CACHE_ON: u32 = 13;
/// Platform signal: key cache off (no effect here).
pub const KEY_CACHE_OFF: u32 = 14;
/// Command port: version handshake.
pub const REMOTE_HANDSHAKE: u32 = 15;
/// Platform signal: `_TPM_Init` of a powered TPM.
pub const RESET: u32 = 17;
/// Platform signal: `_TPM_Init` without a power cycle.
pub const RESTART: u32 = 18;
/// Either port: the client is done with this connection.
pub const SESSION_END: u32 = 20;
/// Either port: stop the server.
pub const STOP: u32 = 21;

/// The protocol version this server answers the handshake with.
pub const SERVER_VERSION: u32 = 1;
/// Handshake flags: raw mode (commands go to the TPM as they are) and
/// physical presence signals accepted.
pub const HANDSHAKE_FLAGS: u32 = 0x4 | 0x8;
/// The largest TPM command frame read from a client; a longer length
/// closes the connection. Commands up to this size reach the device, which
/// answers `TPM_RC_COMMAND_SIZE` for anything over its own limit.
pub const MAX_FRAME: usize = 64 * 1024;

/// `TPM_RC_FAILURE`, the answer to a command while the TPM is powered off.
const TPM_RC_FAILURE: u32 = 0x101;
/// `TPM_ST_NO_SESSIONS`.
const TPM_ST_NO_SESSIONS: u16 = 0x8001;

/// What the simulator serves: a TPM that can be initialised and run commands.
pub trait Device {
    /// `_TPM_Init`: volatile state reset, `TPM2_Startup` required next.
    fn power_on(&mut self);
    /// One command in, one well-formed response out.
    fn execute(&mut self, command: &[u8]) -> Vec<u8>;
}

/// The platform around the device: power, NV and cancel lines.
pub struct Platform<D> {
    device: D,
    powered: bool,
    nv_on: bool,
    cancel: bool,
    physical_presence: bool,
}

impl<D: Device> Platform<D> {
    /// A powered-off platform around `device`.
    pub fn new(device: D) -> Self {
        Self {
            device,
            powered: false,
            nv_on: false,
            cancel: false,
            physical_presence: false,
        }
    }

    /// Whether the TPM is powered.
    pub fn powered(&self) -> bool {
        self.powered
    }

    /// Whether NV memory is signalled available (recorded; the engine
    /// keeps its NV in memory and does not consult it).
    pub fn nv_on(&self) -> bool {
        self.nv_on
    }

    /// Whether the cancel line is up (recorded; commands run to the end).
    pub fn cancel(&self) -> bool {
        self.cancel
    }

    /// Whether physical presence is asserted (recorded only).
    pub fn physical_presence(&self) -> bool {
        self.physical_presence
    }

    /// The device, for inspection.
    pub fn device(&self) -> &D {
        &self.device
    }

    /// A platform signal; `false` if `signal` is not one.
    pub fn signal(&mut self, signal: u32) -> bool {
        match signal {
            POWER_ON => {
                if !self.powered {
                    self.powered = true;
                    self.device.power_on();
                }
            }
            POWER_OFF => self.powered = false,
            RESET | RESTART => {
                self.powered = true;
                self.device.power_on();
            }
            PHYS_PRES_ON => self.physical_presence = true,
            PHYS_PRES_OFF => self.physical_presence = false,
            CANCEL_ON => self.cancel = true,
            CANCEL_OFF => self.cancel = false,
            NV_ON => self.nv_on = true,
            NV_OFF => self.nv_on = false,
            KEY_CACHE_ON | KEY_CACHE_OFF => {}
            _ => return false,
        }
        true
    }

    /// A TPM command: the device's response, or `TPM_RC_FAILURE` when off.
    pub fn command(&mut self, command: &[u8]) -> Vec<u8> {
        if !self.powered {
            let mut response = Vec::with_capacity(10);
            response.extend_from_slice(&TPM_ST_NO_SESSIONS.to_be_bytes());
            response.extend_from_slice(&10u32.to_be_bytes());
            response.extend_from_slice(&TPM_RC_FAILURE.to_be_bytes());
            return response;
        }
        self.device.execute(command)
    }
}

/// The two bound ports.
pub struct Listeners {
    command: TcpListener,
    platform: TcpListener,
}

impl Listeners {
    /// Binds the command port `port` and the platform port `port + 1` on
    /// 127.0.0.1; `port` 0 picks a free pair.
    pub fn bind(port: u16) -> io::Result<Self> {
        if port != 0 {
            let platform_port = port.checked_add(1).ok_or_else(|| {
                io::Error::new(io::ErrorKind::InvalidInput, "port + 1 is out of range")
            })?;
            return Ok(Self {
                command: TcpListener::bind((Ipv4Addr::LOCALHOST, port))?,
                platform: TcpListener::bind((Ipv4Addr::LOCALHOST, platform_port))?,
            });
        }
        let mut last = None;
        for _ in 0..64 {
            let command = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
            let Some(next) = command.local_addr()?.port().checked_add(1) else {
                continue;
            };
            match TcpListener::bind((Ipv4Addr::LOCALHOST, next)) {
                Ok(platform) => return Ok(Self { command, platform }),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| io::Error::other("no free pair of ports")))
    }

    /// The command port (the platform port is one more).
    pub fn port(&self) -> io::Result<u16> {
        Ok(self.command.local_addr()?.port())
    }
}

/// What a connection thread asks of the thread that owns the device.
enum Request {
    Signal(u32, mpsc::SyncSender<bool>),
    Command(Vec<u8>, mpsc::SyncSender<Vec<u8>>),
    Stop,
}

/// Serves `device` on `listeners` until a client sends [`STOP`].
///
/// One thread per port accepts and reads; this thread alone runs the
/// device, one request at a time.
pub fn serve<D: Device>(device: D, listeners: Listeners) -> io::Result<()> {
    let (to_device, requests) = mpsc::channel();
    spawn_acceptor(listeners.command, to_device.clone(), command_connection)?;
    spawn_acceptor(listeners.platform, to_device, platform_connection)?;
    let mut platform = Platform::new(device);
    for request in requests {
        match request {
            Request::Signal(signal, reply) => {
                let _ = reply.send(platform.signal(signal));
            }
            Request::Command(command, reply) => {
                let _ = reply.send(platform.command(&command));
            }
            Request::Stop => return Ok(()),
        }
    }
    Err(io::Error::other("both listeners failed"))
}

type Connection = fn(&mut TcpStream, &mpsc::Sender<Request>) -> io::Result<()>;

fn spawn_acceptor(
    listener: TcpListener,
    to_device: mpsc::Sender<Request>,
    connection: Connection,
) -> io::Result<()> {
    thread::Builder::new()
        .name("mssim-accept".into())
        .spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let _ = stream.set_nodelay(true);
                // An I/O error (the client went away mid-frame) ends only
                // this connection.
                let _ = connection(&mut stream, &to_device);
            }
        })?;
    Ok(())
}

/// Why a connection stopped reading: the client's doing, or ours.
fn device_gone() -> io::Error {
    io::Error::new(io::ErrorKind::BrokenPipe, "the device thread has stopped")
}

fn unknown(code: u32) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("unknown code {code}"))
}

/// Acknowledges what arrives at once instead of after the delayed-ACK
/// timer. libtss2-tcti-mssim writes each command as two segments (code,
/// locality and length, then the body) without TCP_NODELAY, so its Nagle
/// holds the body until our ACK of the first: 40 ms per command otherwise.
/// Linux clears the mode as it sees fit, so this is redone before each read.
fn ack_at_once(stream: &TcpStream) {
    #[cfg(target_os = "linux")]
    {
        use std::os::linux::net::TcpStreamExt;
        // A failure only costs latency.
        let _ = stream.set_quickack(true);
    }
    #[cfg(not(target_os = "linux"))]
    let _ = stream;
}

/// Reads the next code, or `None` at a clean end of stream.
fn read_code(stream: &mut TcpStream) -> io::Result<Option<u32>> {
    ack_at_once(stream);
    let mut word = [0u8; 4];
    let mut filled = 0;
    while filled < 4 {
        match stream.read(&mut word[filled..])? {
            0 if filled == 0 => return Ok(None),
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            n => filled += n,
        }
    }
    Ok(Some(u32::from_be_bytes(word)))
}

fn read_u32(stream: &mut TcpStream) -> io::Result<u32> {
    let mut word = [0u8; 4];
    stream.read_exact(&mut word)?;
    Ok(u32::from_be_bytes(word))
}

fn command_connection(stream: &mut TcpStream, to_device: &mpsc::Sender<Request>) -> io::Result<()> {
    while let Some(code) = read_code(stream)? {
        match code {
            TPM_SEND_COMMAND => {
                let mut locality = [0u8; 1];
                stream.read_exact(&mut locality)?;
                let length = read_u32(stream)? as usize;
                if length > MAX_FRAME {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "command frame too long",
                    ));
                }
                let mut command = vec![0u8; length];
                ack_at_once(stream);
                stream.read_exact(&mut command)?;
                let (reply, response) = mpsc::sync_channel(1);
                to_device
                    .send(Request::Command(command, reply))
                    .map_err(|_| device_gone())?;
                let response = response.recv().map_err(|_| device_gone())?;
                let length = u32::try_from(response.len())
                    .map_err(|_| io::Error::other("response too long"))?;
                let mut frame = Vec::with_capacity(response.len() + 8);
                frame.extend_from_slice(&length.to_be_bytes());
                frame.extend_from_slice(&response);
                frame.extend_from_slice(&0u32.to_be_bytes());
                stream.write_all(&frame)?;
            }
            REMOTE_HANDSHAKE => {
                let _client_version = read_u32(stream)?;
                let mut frame = [0u8; 12];
                frame[..4].copy_from_slice(&SERVER_VERSION.to_be_bytes());
                frame[4..8].copy_from_slice(&HANDSHAKE_FLAGS.to_be_bytes());
                stream.write_all(&frame)?;
            }
            code => return end_or_stop(code, stream, to_device),
        }
    }
    Ok(())
}

fn platform_connection(
    stream: &mut TcpStream,
    to_device: &mpsc::Sender<Request>,
) -> io::Result<()> {
    while let Some(code) = read_code(stream)? {
        if code == SESSION_END || code == STOP {
            return end_or_stop(code, stream, to_device);
        }
        let (reply, known) = mpsc::sync_channel(1);
        to_device
            .send(Request::Signal(code, reply))
            .map_err(|_| device_gone())?;
        if !known.recv().map_err(|_| device_gone())? {
            return Err(unknown(code));
        }
        stream.write_all(&0u32.to_be_bytes())?;
    }
    Ok(())
}

/// `SESSION_END` ends the connection; `STOP` also stops the server, after
/// acknowledging; anything else is not this protocol.
fn end_or_stop(
    code: u32,
    stream: &mut TcpStream,
    to_device: &mpsc::Sender<Request>,
) -> io::Result<()> {
    match code {
        SESSION_END => Ok(()),
        STOP => {
            stream.write_all(&0u32.to_be_bytes())?;
            to_device.send(Request::Stop).map_err(|_| device_gone())
        }
        code => Err(unknown(code)),
    }
}
