//! `svsm-vtpm-sim`: the SVSM vTPM engine on the host, over the Microsoft
//! TPM simulator TCP protocol, so that Debian's tpm2-tools reach it with
//! `-T mssim:host=127.0.0.1,port=P`.
//!
//! ```text
//! svsm-vtpm-sim [--port P] [--gate]
//!     --port P   command port P, platform port P + 1 (default 2321); 0
//!                picks a free pair
//!     --gate     run the engine as the kernel runs it: every crypto call
//!                through the crypto gate (GateCrypto over gate::serve, in
//!                this process) instead of the module directly
//! ```
//!
//! The first line on stdout names the port. The TPM is manufactured at
//! start (hierarchy seeds from the module's DRBG) and lives in memory until
//! a client sends STOP or the process ends; nothing is written to disk.

use std::io::Write;
use std::process::ExitCode;

use svsm_abi::vtpm_service::CRYPTO_BYTES;
use svsm_vtpm::gate::{GateCrypto, Loopback};
use svsm_vtpm::{ModuleCrypto, Tpm, TpmCrypto};
use svsm_vtpm_sim::{Device, Listeners, serve};

/// The port the reference simulator and libtss2-tcti-mssim default to.
const DEFAULT_PORT: u16 = 2321;

struct Engine<C: TpmCrypto>(Tpm<C>);

impl<C: TpmCrypto> Device for Engine<C> {
    fn power_on(&mut self) {
        self.0.power_on();
    }

    fn execute(&mut self, command: &[u8]) -> Vec<u8> {
        self.0.execute(command)
    }
}

fn usage() -> ExitCode {
    eprintln!("usage: svsm-vtpm-sim [--port P] [--gate]   (P = 0 picks a free port)");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let mut port = DEFAULT_PORT;
    let mut gate = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => match args.next().map(|v| v.parse::<u16>()) {
                Some(Ok(p)) => port = p,
                _ => return usage(),
            },
            "--gate" => gate = true,
            _ => return usage(),
        }
    }

    let crypto = match ModuleCrypto::new(svsm_crypto::host::module()) {
        Ok(crypto) => crypto,
        Err(e) => {
            eprintln!("svsm-vtpm-sim: the crypto module refused a DRBG: {e:?}");
            return ExitCode::FAILURE;
        }
    };
    if gate {
        let page = Box::leak(vec![0u8; CRYPTO_BYTES].into_boxed_slice());
        run(GateCrypto::new(Loopback(crypto), page), port)
    } else {
        run(crypto, port)
    }
}

/// Manufactures the TPM over `crypto` and serves it on `port`.
fn run<C: TpmCrypto>(crypto: C, port: u16) -> ExitCode {
    let tpm = match Tpm::manufacture(crypto) {
        Ok(tpm) => tpm,
        Err(e) => {
            eprintln!("svsm-vtpm-sim: manufacturing the TPM failed: {e:?}");
            return ExitCode::FAILURE;
        }
    };
    let listeners = match Listeners::bind(port).and_then(|l| Ok((l.port()?, l))) {
        Ok((port, listeners)) => {
            println!(
                "svsm-vtpm-sim: listening on 127.0.0.1 port {port} (platform port {})",
                u32::from(port) + 1
            );
            let _ = std::io::stdout().flush();
            listeners
        }
        Err(e) => {
            eprintln!("svsm-vtpm-sim: cannot listen on 127.0.0.1 port {port}: {e}");
            return ExitCode::FAILURE;
        }
    };
    match serve(Engine(tpm), listeners) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("svsm-vtpm-sim: {e}");
            ExitCode::FAILURE
        }
    }
}
