//! Kernel command-line options.
//!
//! Syntax: whitespace-separated `key=value` words. Recognised keys:
//!
//! * `log=off|error|warn|info|debug|trace`: console log level (default info).
//! * `test=exception|pagefault|panic|stack-overflow`: test-only hooks that
//!   deliberately fail *after* boot setup is complete, so tests can check the
//!   fatal-error reports and the Fault exit status.
//! * `test=guest-fault`: the guest harness faults in ring 3 on purpose; the
//!   kernel reports it, ends the task and carries on to ready.
//! * `vtpm=fault-first-request`: the ring-3 vTPM service faults on its first
//!   request; the kernel ends the service, protocol 2 answers an error from
//!   then on and the boot carries on.
//! * `vtpm=bench`: time the crypto gate against direct module calls at boot
//!   (`make bench`).
//!
//! Unknown words and bad values are reported as warnings and otherwise ignored:
//! a typo must not stop a boot, but it must not go unnoticed either.

use log::LevelFilter;

/// Deliberate failures, for tests of the fatal paths.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TestHook {
    /// Executes `ud2`: #UD, vector 6.
    Exception,
    /// Reads the unmapped null page: #PF, vector 14, CR2 = 0.
    PageFault,
    /// Calls `panic!`.
    Panic,
    /// Recurses until the boot stack's guard page is hit: #PF while pushing
    /// the exception frame, so #DF on its IST stack.
    StackOverflow,
    /// The ring-3 guest harness reads SVSM memory: #PF in ring 3, which ends
    /// the task, not the kernel.
    GuestFault,
}

impl TestHook {
    const ALL: [(&'static str, TestHook); 5] = [
        ("exception", TestHook::Exception),
        ("pagefault", TestHook::PageFault),
        ("panic", TestHook::Panic),
        ("stack-overflow", TestHook::StackOverflow),
        ("guest-fault", TestHook::GuestFault),
    ];
}

/// Test modes of the vTPM service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VtpmTest {
    /// The service faults in ring 3 on its first request.
    FaultFirstRequest,
    /// The crypto gate is timed against direct module calls.
    Bench,
}

impl VtpmTest {
    const ALL: [(&'static str, VtpmTest); 2] = [
        ("fault-first-request", VtpmTest::FaultFirstRequest),
        ("bench", VtpmTest::Bench),
    ];
}

const LEVELS: [(&str, LevelFilter); 6] = [
    ("off", LevelFilter::Off),
    ("error", LevelFilter::Error),
    ("warn", LevelFilter::Warn),
    ("info", LevelFilter::Info),
    ("debug", LevelFilter::Debug),
    ("trace", LevelFilter::Trace),
];

/// A word of the command line that was not understood.
#[derive(Clone, Copy, Debug)]
pub struct Unrecognised<'a>(pub &'a [u8]);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    pub log_level: LevelFilter,
    pub test: Option<TestHook>,
    pub vtpm: Option<VtpmTest>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            log_level: LevelFilter::Info,
            test: None,
            vtpm: None,
        }
    }
}

fn lookup<T: Copy>(table: &[(&str, T)], value: &[u8]) -> Option<T> {
    table
        .iter()
        .find(|(name, _)| name.as_bytes() == value)
        .map(|&(_, v)| v)
}

impl Options {
    /// Parses `cmdline`; `on_unrecognised` is called for each word ignored.
    pub fn parse<'a>(cmdline: &'a [u8], mut on_unrecognised: impl FnMut(Unrecognised<'a>)) -> Self {
        let mut options = Self::default();
        for word in cmdline
            .split(|b| b.is_ascii_whitespace())
            .filter(|w| !w.is_empty())
        {
            let mut kv = word.splitn(2, |&b| b == b'=');
            let (key, value) = (kv.next().unwrap_or_default(), kv.next());
            let understood = match (key, value) {
                (b"log", Some(v)) => lookup(&LEVELS, v).map(|l| options.log_level = l),
                (b"test", Some(v)) => lookup(&TestHook::ALL, v).map(|t| options.test = Some(t)),
                (b"vtpm", Some(v)) => lookup(&VtpmTest::ALL, v).map(|t| options.vtpm = Some(t)),
                _ => None,
            };
            if understood.is_none() {
                on_unrecognised(Unrecognised(word));
            }
        }
        options
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(cmdline: &[u8]) -> (Options, Vec<Vec<u8>>) {
        let mut ignored = Vec::new();
        let options = Options::parse(cmdline, |w| ignored.push(w.0.to_vec()));
        (options, ignored)
    }

    #[test]
    fn empty_command_line_gives_defaults() {
        for line in [&b""[..], b"   ", b"\t\n"] {
            let (options, ignored) = parse(line);
            assert_eq!(options, Options::default());
            assert_eq!(options.log_level, LevelFilter::Info);
            assert_eq!(options.test, None);
            assert!(ignored.is_empty());
        }
    }

    #[test]
    fn every_recognised_word_sets_its_option() {
        let log = |log_level| Options {
            log_level,
            ..Options::default()
        };
        let test = |hook| Options {
            test: Some(hook),
            ..Options::default()
        };
        let vtpm = |mode| Options {
            vtpm: Some(mode),
            ..Options::default()
        };
        let cases = [
            ("log=off", log(LevelFilter::Off)),
            ("log=error", log(LevelFilter::Error)),
            ("log=warn", log(LevelFilter::Warn)),
            ("log=info", log(LevelFilter::Info)),
            ("log=debug", log(LevelFilter::Debug)),
            ("log=trace", log(LevelFilter::Trace)),
            ("test=exception", test(TestHook::Exception)),
            ("test=pagefault", test(TestHook::PageFault)),
            ("test=panic", test(TestHook::Panic)),
            ("test=stack-overflow", test(TestHook::StackOverflow)),
            ("test=guest-fault", test(TestHook::GuestFault)),
            (
                "vtpm=fault-first-request",
                vtpm(VtpmTest::FaultFirstRequest),
            ),
            ("vtpm=bench", vtpm(VtpmTest::Bench)),
        ];
        for (word, want) in cases {
            let (options, ignored) = parse(word.as_bytes());
            assert_eq!(options, want, "{word}");
            assert!(ignored.is_empty(), "{word}");
        }
    }

    #[test]
    fn words_are_split_on_any_whitespace_and_the_last_one_wins() {
        let (options, ignored) = parse(b"  log=debug\ttest=panic\n log=warn ");
        assert_eq!(options.log_level, LevelFilter::Warn);
        assert_eq!(options.test, Some(TestHook::Panic));
        assert!(ignored.is_empty());
    }

    #[test]
    fn unknown_words_and_bad_values_are_reported_and_ignored() {
        let (options, ignored) = parse(
            b"quiet log=loud log test= test=Exception =x log=info=debug \xff\xfe console=ttyS0 vtpm=fault vtpm",
        );
        assert_eq!(options, Options::default());
        let ignored: Vec<&[u8]> = ignored.iter().map(Vec::as_slice).collect();
        assert_eq!(
            ignored,
            [
                &b"quiet"[..],
                b"log=loud",
                b"log",
                b"test=",
                b"test=Exception",
                b"=x",
                b"log=info=debug",
                b"\xff\xfe",
                b"console=ttyS0",
                b"vtpm=fault",
                b"vtpm",
            ]
        );
    }

    #[test]
    fn a_bad_value_does_not_undo_an_earlier_good_one() {
        let (options, ignored) = parse(b"log=error log=loud");
        assert_eq!(options.log_level, LevelFilter::Error);
        assert_eq!(ignored, [b"log=loud".to_vec()]);
    }
}
